"""Named lists of tickers beside the watchlist ("semis": NVDA, AMD, AVGO). A list exists
while it has a ticker; an alert over a list (symbol "@semis") fires for each ticker on
it and follows its changes, as one over the watchlist does."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import InvalidInput
from core.market import normalize_symbol
from tools.market.tables import ListItem

WATCHLIST = "watchlist"
NAME = re.compile(r"[a-z][a-z0-9_-]{0,23}")
MAX_LISTS, MAX_MEMBERS = 50, 200


def list_key(raw: str | None) -> str:
    """A list's name as stored: 'Semis' -> 'semis'; 'watchlist', 'my watchlist' or
    nothing -> 'watchlist'. A name that cannot be one is one sentence."""
    text = " ".join((raw or WATCHLIST).strip().lower().lstrip("@").split())
    text = re.sub(r"^(?:my|the)\s+", "", text)
    if text in ("watchlist", "watch list", "wl", ""):
        return WATCHLIST
    text = re.sub(r"\s+list$", "", text)
    if not NAME.fullmatch(text):
        raise InvalidInput(f"A list's name is one word of letters, digits, - or _ (up to 24), "
                           f"such as 'semis'; not {raw!r}.")
    return text


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
