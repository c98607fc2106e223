"""Market vocabulary shared by every capability: normalized quotes, bars and ticks
(whatever the provider), the ticker shape, and the ``MarketData`` port other
capabilities read prices through."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, Field

from core.errors import InvalidInput

TICKER_RE = re.compile(r"^[A-Z]{1,6}([.\-][A-Z]{1,4})?$")


WATCHLIST = "watchlist"
LIST_NAME = re.compile(r"[a-z][a-z0-9_-]{0,23}")


def list_key(raw: str | None) -> str:
    """A list's name as stored: 'Semis', '@semis', 'my semis list' -> 'semis'; nothing,
    'watchlist', 'my watchlist', 'wl', 'my list' -> 'watchlist'. A name no list can have
    is one sentence (``InvalidInput``)."""
    text = " ".join((raw or WATCHLIST).strip().lower().lstrip("@").split())
    text = re.sub(r"^(?:my|the)\s+", "", text)
    if text in ("watchlist", "watch list", "wl", "list", ""):
        return WATCHLIST
    text = re.sub(r"\s+list$", "", text)
    if not LIST_NAME.fullmatch(text):
        raise InvalidInput(f"A list's name is one word of letters, digits, - or _ (up to 24), "
                           f"such as 'semis'; not {str(raw)[:30]!r}.")
    return text


def normalize_symbol(raw: str) -> str:
    """Upper-case a ticker and check its shape (``AAPL``, ``BRK.B``, ``BTC-USD``)."""
    symbol = (raw or "").strip().upper().lstrip("$")
    if not TICKER_RE.match(symbol):
        raise InvalidInput(
            f"{raw!r} is not a ticker symbol; use one like AAPL, BRK.B or BTC-USD."
        )
    return symbol


class Quote(BaseModel):
    symbol: str
    price: float
    change: float = 0.0
    change_pct: float = 0.0
    open: float | None = None
    high: float | None = None
    low: float | None = None
    prev_close: float | None = None
    volume: int | None = None
    as_of: datetime
    source: str
    demo: bool = False


class Bar(BaseModel):
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int


class Tick(BaseModel):
    symbol: str
    price: float
    ts: float = Field(description="unix seconds")
    volume: float = 0.0


class SymbolInfo(BaseModel):
    symbol: str
    name: str
    exchange: str = ""
    type: str = "Equity"


@dataclass
class QuoteResult:
    quote: Quote
    age_s: float  # age of the price itself (now - quote.as_of)
    from_cache: bool = False
    note: str = ""


class MarketData(Protocol):
    """What other capabilities may ask the market capability."""

    @property
    def demo(self) -> bool: ...

    async def quote(self, raw_symbol: str, *, interest: bool = True) -> QuoteResult: ...

    async def history(self, raw_symbol: str, days: int = 30) -> list[Bar]: ...

    def watchlist(self) -> list[str]: ...

    def list_members(self, name: str) -> list[str]: ...  # "watchlist" or a named list
