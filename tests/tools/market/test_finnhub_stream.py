"""The Finnhub trade stream against a websockets server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.server import serve

from core.bus import InProcessBus
from core.events import TICKS
from tools.market.providers.finnhub import FinnhubTradeStream
from tools.market.ticks import TickPump


async def test_stream_subscribes_parses_trades_and_reconnects():
    connections: list[list[dict]] = []

    async def handler(ws):
        received: list[dict] = []
        connections.append(received)
        assert ws.request.path.endswith("token=secret")
        for _ in range(2):
            received.append(json.loads(await ws.recv()))
        await ws.send(json.dumps({"type": "ping"}))
        if len(connections) == 1:
            await ws.send(json.dumps({"type": "trade", "data": [
                {"s": "AAPL", "p": 261.5, "t": 1795530600123, "v": 100, "c": None},
                {"s": "MSFT", "p": 420.25, "t": 1795530600456, "v": 5, "c": ["1"]},
            ]}))
            return  # drop the connection, as free connections sometimes do
        await ws.send(json.dumps({"type": "trade", "data": [
            {"s": "AAPL", "p": 262.0, "t": 1795530601000, "v": 1}]}))
        await asyncio.sleep(5)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stream = FinnhubTradeStream("secret", url=f"ws://127.0.0.1:{port}", max_backoff_s=0.05)
        bus = InProcessBus()
        seen = []
        bus.subscribe(TICKS, seen.append)
        pump = TickPump(stream, bus, lambda: ["AAPL", "MSFT"])
        await asyncio.wait_for(pump.run(limit=3), timeout=10)

    assert [(t.symbol, t.price) for t in seen] == [("AAPL", 261.5), ("MSFT", 420.25),
                                                   ("AAPL", 262.0)]
    assert seen[0].ts == 1795530600.123
    assert stream.connects == 2
    for received in connections:
        assert received == [{"type": "subscribe", "symbol": "AAPL"},
                            {"type": "subscribe", "symbol": "MSFT"}]
