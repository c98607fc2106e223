"""Finnhub REST (``/quote``, ``/stock/candle``, ``/search``) and the websocket trade
stream. Free tier: 60 calls/min and 30/s; ``/stock/candle`` is premium-only (HTTP 403)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import structlog

from core.market import Bar, Quote, SymbolInfo, Tick
from tools.market.errors import SymbolNotFound
from tools.market.providers.http import get_json

BASE_URL = "https://finnhub.io/api/v1"
WS_URL = "wss://ws.finnhub.io"
FREE_LIMITS = [(60, 60.0), (30, 1.0)]

log = structlog.get_logger(__name__)


class FinnhubProvider:
    name = "finnhub"
    limits = FREE_LIMITS

    def __init__(self, client: httpx.AsyncClient, api_key: str, base_url: str = BASE_URL,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    async def _get(self, path: str, **params) -> dict:
        return await get_json(self.client, "Finnhub", f"{self.base_url}{path}",
                              {**params, "token": self.api_key})

    async def quote(self, symbol: str) -> Quote:
        d = await self._get("/quote", symbol=symbol)
        # unknown symbols come back as all zeros
        if not d or not d.get("c") or not d.get("t"):
            raise SymbolNotFound(symbol)
        return Quote(
            symbol=symbol, price=float(d["c"]), change=float(d.get("d") or 0.0),
            change_pct=round(float(d.get("dp") or 0.0), 4), open=d.get("o"), high=d.get("h"),
            low=d.get("l"), prev_close=d.get("pc"),
            as_of=datetime.fromtimestamp(int(d["t"]), UTC), source=self.name,
        )

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        now = int(self.clock())
        start = now - int(timedelta(days=days * 1.6 + 5).total_seconds())
        d = await self._get("/stock/candle", symbol=symbol, resolution="D",
                            **{"from": start, "to": now})
        if d.get("s") == "no_data":
            raise SymbolNotFound(symbol)
        bars = [
            Bar(day=datetime.fromtimestamp(t, UTC).date(), open=o, high=h, low=lo, close=c,
                volume=int(v))
            for t, o, h, lo, c, v in zip(d["t"], d["o"], d["h"], d["l"], d["c"], d["v"],
                                         strict=False)
        ]
        return bars[-days:]

    async def search(self, query: str) -> list[SymbolInfo]:
        d = await self._get("/search", q=query)
        return [
            SymbolInfo(symbol=r["symbol"], name=r.get("description", ""), type=r.get("type", ""))
            for r in d.get("result", [])
        ]


class FinnhubTradeStream:
    """Real-time trades over Finnhub's websocket, reconnecting with jittered backoff.

    ``ticks(symbols)`` subscribes to each symbol and yields ``Tick``s until cancelled.
    ``subscribe``/``unsubscribe`` change the set while connected."""

    def __init__(self, api_key: str, url: str = WS_URL, max_backoff_s: float = 30.0,
                 rng: random.Random | None = None) -> None:
        self.api_key = api_key
        self.url = url
        self.max_backoff_s = max_backoff_s
        self.rng = rng or random.Random()
        self.symbols: set[str] = set()
        self._ws: Any = None
        self.connects = 0

    async def subscribe(self, symbol: str) -> None:
        self.symbols.add(symbol)
        if self._ws is not None:
            await self._ws.send(json.dumps({"type": "subscribe", "symbol": symbol}))

    async def unsubscribe(self, symbol: str) -> None:
        self.symbols.discard(symbol)
        if self._ws is not None:
            await self._ws.send(json.dumps({"type": "unsubscribe", "symbol": symbol}))

    async def ticks(self, symbols: list[str]) -> AsyncIterator[Tick]:
        import websockets

        self.symbols.update(symbols)
        attempt = 0
        while True:
            try:
                async with websockets.connect(f"{self.url}?token={self.api_key}") as ws:
                    self._ws = ws
                    self.connects += 1
                    attempt = 0
                    for symbol in sorted(self.symbols):
                        await ws.send(json.dumps({"type": "subscribe", "symbol": symbol}))
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg.get("type") != "trade":
                            continue  # pings and errors
                        for trade in msg.get("data", []):
                            yield Tick(symbol=trade["s"], price=float(trade["p"]),
                                       ts=trade["t"] / 1000.0, volume=float(trade.get("v", 0)))
                reason = "closed by server"
            except (OSError, websockets.ConnectionClosed, websockets.InvalidHandshake) as exc:
                reason = type(exc).__name__
            self._ws = None
            attempt += 1
            delay = self.rng.uniform(0, min(self.max_backoff_s, 0.5 * 2 ** attempt))
            log.warning("finnhub websocket dropped; reconnecting", reason=reason,
                        in_s=round(delay, 2))
            await asyncio.sleep(delay)
