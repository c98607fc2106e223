"""Market service: quotes, history, charts and the watchlist over a provider chain."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from tools.market.models import Bar, Quote, SymbolInfo, normalize_symbol
from tools.market.providers.base import MarketProvider


@dataclass
class QuoteResult:
    quote: Quote
    age_s: float
    from_cache: bool = False
    note: str = ""


class MarketService:
    def __init__(
        self,
        providers: list[MarketProvider],
        engine: Engine | None = None,
        charts_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not providers:
            raise ValueError("MarketService needs at least one provider")
        self.providers = providers
        self.engine = engine
        self.charts_dir = charts_dir
        self.clock = clock

    async def quote(self, raw_symbol: str) -> QuoteResult:
        symbol = normalize_symbol(raw_symbol)
        quote = await self.providers[0].quote(symbol)
        return QuoteResult(quote=quote, age_s=max(0.0, self.clock() - quote.as_of.timestamp()))

    async def history(self, raw_symbol: str, days: int = 30) -> list[Bar]:
        symbol = normalize_symbol(raw_symbol)
        return await self.providers[0].daily(symbol, days)

    async def search(self, query: str) -> list[SymbolInfo]:
        return await self.providers[0].search(query)
