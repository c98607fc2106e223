"""Alpha Vantage REST: GLOBAL_QUOTE, TIME_SERIES_DAILY, SYMBOL_SEARCH.

It answers HTTP 200 even when it refuses: a ``Note``/``Information`` body means the quota
is used up (free tier: 25 requests per day), an ``Error Message`` body a bad symbol (or,
when it names the apikey, a bad key). Every value is a string; each is checked."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from core.market import Bar, Quote, SymbolInfo
from tools.market.errors import NoAccess, ProviderError, RateLimited, SymbolNotFound
from tools.market.providers.http import get_json
from tools.market.providers.parse import (
    Malformed,
    contained,
    day,
    expect_dict,
    optional,
    price,
    volume,
)

BASE_URL = "https://www.alphavantage.co/query"
FREE_LIMITS = [(25, 86400.0)]
LABEL = "Alpha Vantage"


def parse_quote(data: dict[str, Any], symbol: str, now: float) -> Quote:
    what = "a quote"
    if "Global Quote" not in data:
        raise Malformed(LABEL, what, "no Global Quote")
    row = expect_dict(data["Global Quote"], LABEL, what)
    if not row:
        raise SymbolNotFound(symbol)  # how Alpha Vantage says it does not know a symbol
    return Quote(
        symbol=symbol,
        price=price(row.get("05. price"), LABEL, what, "price", strings=True),
        change=optional(row.get("09. change"), LABEL, what, "change", strings=True) or 0.0,
        change_pct=optional(row.get("10. change percent"), LABEL, what, "change percent",
                            strings=True) or 0.0,
        open=optional(row.get("02. open"), LABEL, what, "open", strings=True, positive=True),
        high=optional(row.get("03. high"), LABEL, what, "high", strings=True, positive=True),
        low=optional(row.get("04. low"), LABEL, what, "low", strings=True, positive=True),
        prev_close=optional(row.get("08. previous close"), LABEL, what, "previous close",
                            strings=True, positive=True),
        volume=volume(row.get("06. volume"), LABEL, what, strings=True),
        as_of=datetime.fromtimestamp(now, UTC),
        source="alphavantage",
    )


def parse_daily(data: dict[str, Any], symbol: str) -> list[Bar]:
    what = "daily prices"
    if "Time Series (Daily)" not in data:
        raise Malformed(LABEL, what, "no Time Series (Daily)")
    series = expect_dict(data["Time Series (Daily)"], LABEL, what)
    if not series:
        raise SymbolNotFound(symbol)
    bars = []
    for when, raw in series.items():
        v = expect_dict(raw, LABEL, what)
        bars.append(Bar(
            day=day(when, LABEL, what),
            open=price(v.get("1. open"), LABEL, what, "open", strings=True),
            high=price(v.get("2. high"), LABEL, what, "high", strings=True),
            low=price(v.get("3. low"), LABEL, what, "low", strings=True),
            close=price(v.get("4. close"), LABEL, what, "close", strings=True),
            volume=volume(v.get("5. volume"), LABEL, what, strings=True) or 0))
    bars.sort(key=lambda b: b.day)
    return bars


class AlphaVantageProvider:
    name = "alphavantage"
    label = LABEL
    limits = FREE_LIMITS

    def __init__(self, client: httpx.AsyncClient, api_key: str, base_url: str = BASE_URL,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.api_key = api_key
        self.base_url = base_url
        self.clock = clock

    async def _query(self, function: str, symbol: str | None = None, **params: Any) -> dict:
        query = {"function": function, "apikey": self.api_key, **params}
        if symbol:
            query["symbol"] = symbol
        data = expect_dict(await get_json(self.client, LABEL, self.base_url, query), LABEL,
                           "an answer")
        for key in ("Note", "Information"):
            if key in data:
                text = str(data[key]).lower()
                if "premium" in text and "rate limit" not in text:
                    raise NoAccess("Alpha Vantage says this endpoint needs a premium plan.")
                if ("api key" in text or "apikey" in text) and ("invalid" in text
                                                               or "claim" in text):
                    raise NoAccess("Alpha Vantage rejected the API key.")
                raise RateLimited(
                    "Alpha Vantage's free quota (25 requests a day) is used up.",
                    retry_at=None,
                )
        if "Error Message" in data:
            text = str(data["Error Message"]).lower()
            if "apikey" in text or "api key" in text:
                raise NoAccess("Alpha Vantage rejected the API key.")
            if symbol:
                raise SymbolNotFound(symbol)
            raise ProviderError("Alpha Vantage refused the request.")
        return data

    @contained(LABEL)
    async def quote(self, symbol: str) -> Quote:
        return parse_quote(await self._query("GLOBAL_QUOTE", symbol), symbol, self.clock())

    @contained(LABEL)
    async def daily(self, symbol: str, days: int) -> list[Bar]:
        data = await self._query(
            "TIME_SERIES_DAILY", symbol, outputsize="compact" if days <= 100 else "full"
        )
        return parse_daily(data, symbol)[-days:]

    @contained(LABEL)
    async def search(self, query: str) -> list[SymbolInfo]:
        data = await self._query("SYMBOL_SEARCH", keywords=query)
        matches = data.get("bestMatches")
        return [
            SymbolInfo(symbol=m["1. symbol"], name=str(m.get("2. name") or ""),
                       exchange=str(m.get("4. region") or ""), type=str(m.get("3. type") or ""))
            for m in (matches if isinstance(matches, list) else [])
            if isinstance(m, dict) and isinstance(m.get("1. symbol"), str) and m["1. symbol"]
        ]
