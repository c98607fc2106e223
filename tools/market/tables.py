"""SQL tables of the market capability."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CacheEntry(SQLModel, table=True):
    __tablename__ = "market_cache"
    key: str = Field(primary_key=True)  # "quote:AAPL", "daily:AAPL"
    value: str  # JSON
    fetched_at: float  # unix seconds
    source: str = ""


class SymbolInterest(SQLModel, table=True):
    """How likely a symbol is to be asked about: recent questions, decayed over time."""

    __tablename__ = "market_interest"
    symbol: str = Field(primary_key=True)
    score: float = 0.0
    updated_at: float = 0.0


class WatchItem(SQLModel, table=True):
    __tablename__ = "watchlist"
    symbol: str = Field(primary_key=True)
    added_at: float = 0.0


class ListItem(SQLModel, table=True):
    """A ticker on a named list ("semis"): the watchlist's siblings, for alerts over a
    list and for looking at a group of names."""

    __tablename__ = "symbol_lists"
    list_name: str = Field(primary_key=True)
    symbol: str = Field(primary_key=True)
    added_at: float = 0.0
