"""The provider seam: every market-data source implements ``MarketProvider``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from core.market import Bar, Quote, SymbolInfo, Tick


@runtime_checkable
class MarketProvider(Protocol):
    name: str

    async def quote(self, symbol: str) -> Quote: ...

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        """The last ``days`` daily bars, oldest first."""
        ...

    async def search(self, query: str) -> list[SymbolInfo]: ...


class TickSource(Protocol):
    """A real-time source of trades for a changing set of symbols."""

    def ticks(self, symbols: list[str]) -> AsyncIterator[Tick]: ...
