"""Market-data errors. All are user-facing (subclasses of CopilotError)."""

from __future__ import annotations

from core.errors import InvalidInput, NotFound, ProviderError, RateLimited

__all__ = ["SymbolNotFound", "ProviderError", "RateLimited", "NoAccess", "InvalidInput", "NotFound"]


class SymbolNotFound(NotFound):
    """No provider knows the symbol; carries suggestions from symbol search."""

    def __init__(self, symbol: str, suggestions: list[str] | None = None) -> None:
        self.symbol = symbol
        self.suggestions = suggestions or []
        hint = f" Did you mean {', '.join(self.suggestions[:3])}?" if self.suggestions else ""
        super().__init__(f"I don't know the ticker {symbol}.{hint}")


class NoAccess(ProviderError):
    """The provider refuses this endpoint on the current plan (e.g. Finnhub candles, 403)."""
