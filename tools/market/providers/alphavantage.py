"""Alpha Vantage REST: GLOBAL_QUOTE, TIME_SERIES_DAILY, SYMBOL_SEARCH.

It answers HTTP 200 even when it refuses: a ``Note``/``Information`` body means the quota
is used up (free tier: 25 requests per day), an ``Error Message`` body a bad symbol."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from core.market import Bar, Quote, SymbolInfo
from tools.market.errors import NoAccess, ProviderError, RateLimited, SymbolNotFound
from tools.market.providers.http import get_json

BASE_URL = "https://www.alphavantage.co/query"
FREE_LIMITS = [(25, 86400.0)]


def _num(value: Any) -> float:
    return float(str(value).rstrip("%"))


class AlphaVantageProvider:
    name = "alphavantage"
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
        data = await get_json(self.client, "Alpha Vantage", self.base_url, query)
        if not isinstance(data, dict):
            raise ProviderError("Alpha Vantage sent an unexpected response.")
        for key in ("Note", "Information"):
            if key in data:
                text = str(data[key])
                if "premium" in text.lower() and "rate limit" not in text.lower():
                    raise NoAccess("Alpha Vantage says this endpoint needs a premium plan.")
                raise RateLimited(
                    "Alpha Vantage's free quota (25 requests a day) is used up.",
                    retry_at=None,
                )
        if "Error Message" in data:
            raise SymbolNotFound(symbol or "?")
        return data

    async def quote(self, symbol: str) -> Quote:
        data = await self._query("GLOBAL_QUOTE", symbol)
        row = data.get("Global Quote") or {}
        if not row or not row.get("05. price"):
            raise SymbolNotFound(symbol)
        return Quote(
            symbol=row.get("01. symbol", symbol),
            price=_num(row["05. price"]),
            change=_num(row.get("09. change", 0)),
            change_pct=_num(row.get("10. change percent", "0%")),
            open=_num(row["02. open"]) if row.get("02. open") else None,
            high=_num(row["03. high"]) if row.get("03. high") else None,
            low=_num(row["04. low"]) if row.get("04. low") else None,
            prev_close=_num(row["08. previous close"]) if row.get("08. previous close") else None,
            volume=int(row["06. volume"]) if row.get("06. volume") else None,
            as_of=datetime.fromtimestamp(self.clock(), UTC),
            source=self.name,
        )

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        data = await self._query(
            "TIME_SERIES_DAILY", symbol, outputsize="compact" if days <= 100 else "full"
        )
        series = data.get("Time Series (Daily)") or {}
        if not series:
            raise SymbolNotFound(symbol)
        bars = [
            Bar(day=date.fromisoformat(day), open=_num(v["1. open"]), high=_num(v["2. high"]),
                low=_num(v["3. low"]), close=_num(v["4. close"]), volume=int(v["5. volume"]))
            for day, v in series.items()
        ]
        bars.sort(key=lambda b: b.day)
        return bars[-days:]

    async def search(self, query: str) -> list[SymbolInfo]:
        data = await self._query("SYMBOL_SEARCH", keywords=query)
        return [
            SymbolInfo(symbol=m["1. symbol"], name=m.get("2. name", ""),
                       exchange=m.get("4. region", ""), type=m.get("3. type", ""))
            for m in data.get("bestMatches", [])
        ]
