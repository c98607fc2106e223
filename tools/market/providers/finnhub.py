"""Finnhub REST (``/quote``, ``/stock/candle``, ``/search``) and the websocket trade
stream. Free tier: 60 calls/min and 30/s; ``/stock/candle`` is premium-only (HTTP 403)."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import structlog

from core.market import Bar, Quote, SymbolInfo, Tick
from tools.market.errors import SymbolNotFound
from tools.market.providers.http import get_json
from tools.market.providers.parse import (
    Malformed,
    contained,
    expect_dict,
    number,
    optional,
    price,
    unix_time,
)

BASE_URL = "https://finnhub.io/api/v1"
WS_URL = "wss://ws.finnhub.io"
FREE_LIMITS = [(60, 60.0), (30, 1.0)]
LABEL = "Finnhub"

log = structlog.get_logger(__name__)


def _zero(value: Any) -> bool:
    return value is None or (number(value) == 0.0)


def is_unknown_symbol(d: dict[str, Any]) -> bool:
    """Finnhub's answer for a symbol it does not know: a quote of zeros with time 0."""
    return ("c" in d and "t" in d and number(d["c"]) == 0.0 and number(d["t"]) == 0.0
            and all(_zero(d.get(k)) for k in ("d", "dp", "h", "l", "o", "pc")))


def parse_quote(data: Any, symbol: str) -> Quote:
    d = expect_dict(data, LABEL, "a quote")
    if is_unknown_symbol(d):
        raise SymbolNotFound(symbol)
    what = "a quote"
    last = price(d.get("c"), LABEL, what, "price")
    as_of = unix_time(d.get("t"), LABEL, what)
    prev = optional(d.get("pc"), LABEL, what, "previous close", positive=True)
    change = optional(d.get("d"), LABEL, what, "change")
    change_pct = optional(d.get("dp"), LABEL, what, "change percent")
    if change is None:
        change = round(last - prev, 4) if prev else 0.0
    if change_pct is None:
        change_pct = change / prev * 100 if prev else 0.0
    return Quote(
        symbol=symbol, price=last, change=change, change_pct=round(change_pct, 4),
        open=optional(d.get("o"), LABEL, what, "open", positive=True),
        high=optional(d.get("h"), LABEL, what, "high", positive=True),
        low=optional(d.get("l"), LABEL, what, "low", positive=True),
        prev_close=prev, as_of=as_of, source="finnhub",
    )


def parse_candles(data: Any, symbol: str) -> list[Bar]:
    d = expect_dict(data, LABEL, "candles")
    if d.get("s") == "no_data":
        raise SymbolNotFound(symbol)
    if d.get("s") != "ok":
        raise Malformed(LABEL, "candles", "no status ok")
    columns = [d.get(k) for k in ("t", "o", "h", "l", "c", "v")]
    lists = [col for col in columns if isinstance(col, list)]
    if len(lists) != len(columns) or len({len(col) for col in lists}) != 1:
        raise Malformed(LABEL, "candles", "columns missing or of different lengths")
    what = "candles"
    bars = [
        Bar(day=unix_time(t, LABEL, what).date(), open=price(o, LABEL, what, "open"),
            high=price(h, LABEL, what, "high"), low=price(lo, LABEL, what, "low"),
            close=price(c, LABEL, what, "close"),
            volume=int(optional(v, LABEL, what, "volume", positive=True) or 0))
        for t, o, h, lo, c, v in zip(*lists, strict=True)
    ]
    if not bars:
        raise SymbolNotFound(symbol)
    return bars


class FinnhubProvider:
    name = "finnhub"
    label = LABEL
    limits = FREE_LIMITS

    def __init__(self, client: httpx.AsyncClient, api_key: str, base_url: str = BASE_URL,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.clock = clock

    async def _get(self, path: str, **params: Any) -> Any:
        return await get_json(self.client, LABEL, f"{self.base_url}{path}",
                              {**params, "token": self.api_key})

    @contained(LABEL)
    async def quote(self, symbol: str) -> Quote:
        return parse_quote(await self._get("/quote", symbol=symbol), symbol)

    @contained(LABEL)
    async def daily(self, symbol: str, days: int) -> list[Bar]:
        now = int(self.clock())
        start = now - int(timedelta(days=days * 1.6 + 5).total_seconds())
        data = await self._get("/stock/candle", symbol=symbol, resolution="D",
                               **{"from": start, "to": now})
        return parse_candles(data, symbol)[-days:]

    @contained(LABEL)
    async def search(self, query: str) -> list[SymbolInfo]:
        d = expect_dict(await self._get("/search", q=query), LABEL, "search results")
        rows = d.get("result")
        return [
            SymbolInfo(symbol=r["symbol"], name=str(r.get("description") or ""),
                       type=str(r.get("type") or ""))
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, dict) and isinstance(r.get("symbol"), str) and r["symbol"]
        ]


def parse_trades(raw: Any) -> list[Tick]:
    """Trades from one websocket message; anything malformed is skipped."""
    try:
        msg = json.loads(raw, parse_constant=lambda _c: None)
    except (TypeError, ValueError):
        return []
    if not isinstance(msg, dict) or msg.get("type") != "trade" or not isinstance(msg.get("data"), list):
        return []  # pings, errors, garbage
    ticks = []
    for trade in msg["data"]:
        if not isinstance(trade, dict) or not isinstance(trade.get("s"), str):
            continue
        p, t = number(trade.get("p")), number(trade.get("t"))
        if p is None or p <= 0 or t is None or not 0 < t / 1000.0 < 4102444800:
            continue
        ticks.append(Tick(symbol=trade["s"], price=p, ts=t / 1000.0,
                          volume=max(0.0, number(trade.get("v")) or 0.0)))
    return ticks


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

    async def _send(self, kind: str, symbol: str) -> None:
        import websockets

        if self._ws is None:
            return  # (re)subscribed from ``symbols`` on the next connect
        try:
            await self._ws.send(json.dumps({"type": kind, "symbol": symbol}))
        except (OSError, websockets.WebSocketException) as exc:
            log.info("finnhub websocket send failed; the reconnect will resubscribe",
                     reason=type(exc).__name__)

    async def subscribe(self, symbol: str) -> None:
        self.symbols.add(symbol)
        await self._send("subscribe", symbol)

    async def unsubscribe(self, symbol: str) -> None:
        self.symbols.discard(symbol)
        await self._send("unsubscribe", symbol)

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
                        for tick in parse_trades(raw):
                            yield tick
                reason = "closed by server"
            except (OSError, websockets.WebSocketException) as exc:
                reason = type(exc).__name__
            self._ws = None
            attempt += 1
            delay = self.rng.uniform(0, min(self.max_backoff_s, 0.5 * 2 ** attempt))
            log.warning("finnhub websocket dropped; reconnecting", reason=reason,
                        in_s=round(delay, 2))
            await asyncio.sleep(delay)
