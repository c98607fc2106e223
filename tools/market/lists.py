"""Named lists of tickers beside the watchlist ("semis": NVDA, AMD, AVGO). A list exists
while it has a ticker; an alert over a list (symbol "@semis") fires for each ticker on
it and follows its changes, as one over the watchlist does."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import InvalidInput
from core.market import WATCHLIST, list_key, normalize_symbol
from tools.market.tables import ListItem

__all__ = ["WATCHLIST", "NamedLists", "list_key"]
MAX_LISTS, MAX_MEMBERS = 50, 200


class NamedLists:
    """The lists in the database; ``members(WATCHLIST)`` is the watchlist itself."""

    def __init__(self, engine: Engine, clock: Callable[[], float],
                 watchlist: Callable[[], list[str]]) -> None:
        self.engine, self.clock, self.watchlist = engine, clock, watchlist

    def members(self, name: str) -> list[str]:
        key = list_key(name)
        if key == WATCHLIST:
            return self.watchlist()
        with Session(self.engine) as s:
            return list(s.exec(select(ListItem.symbol).where(ListItem.list_name == key)
                               .order_by(col(ListItem.added_at), col(ListItem.symbol))))

    def names(self) -> dict[str, int]:
        """Every named list (not the watchlist) with how many tickers it holds."""
        with Session(self.engine) as s:
            rows = s.exec(select(ListItem.list_name, func.count())
                          .group_by(col(ListItem.list_name)).order_by(col(ListItem.list_name)))
            return {name: count for name, count in rows}

    def add(self, name: str, raw_symbol: str) -> bool:
        """Put a ticker on a list (made when new); False when it was there already. The
        caller checks the ticker is real first."""
        key, symbol = list_key(name), normalize_symbol(raw_symbol)
        with Session(self.engine) as s:
            if s.get(ListItem, (key, symbol)) is not None:
                return False
            counts = self.names()
            if key not in counts and len(counts) >= MAX_LISTS:
                raise InvalidInput(f"You have {MAX_LISTS} lists already; empty one first.")
            if counts.get(key, 0) >= MAX_MEMBERS:
                raise InvalidInput(f"The {key} list holds {MAX_MEMBERS} tickers at most.")
            s.add(ListItem(list_name=key, symbol=symbol, added_at=self.clock()))
            s.commit()
        return True

    def remove(self, name: str, raw_symbol: str) -> bool:
        key, symbol = list_key(name), normalize_symbol(raw_symbol)
        with Session(self.engine) as s:
            item = s.get(ListItem, (key, symbol))
            if item is None:
                return False
            s.delete(item)
            s.commit()
        return True
