"""One rule over a list (its symbol '@watchlist' or '@semis' for a named list, which no
ticker can spell; the engine registers it under each member symbol), what such a rule may
watch, and the firing key that lets it fire for several symbols at one instant."""

from __future__ import annotations

import re
from typing import Any

from core.errors import InvalidInput
from core.market import list_key

# One rule over a list: its ``symbol`` is the list's name after LIST_PREFIX ("@watchlist"),
# which no ticker can spell; the engine registers it under each member symbol.
LIST_PREFIX = "@"
LISTS = {"watchlist": "@watchlist"}  # the names a user may give -> the stored symbol
LIST_WORDS = {"watchlist": "watchlist", "my watchlist": "watchlist", "the watchlist": "watchlist",
              "watch list": "watchlist", "@watchlist": "watchlist"}
# a fixed price means nothing across a list of different tickers
NOT_FOR_LISTS = frozenset({"above", "below", "cross_above", "cross_below", "cross",
                           "inside_channel", "outside_channel", "entering_channel",
                           "exiting_channel"})


def list_name(symbol: str) -> str | None:
    """'watchlist' for a list rule's symbol ('@watchlist'), None for a ticker."""
    return symbol[len(LIST_PREFIX):] if symbol.startswith(LIST_PREFIX) else None


def as_list(text: object) -> str | None:
    """The stored symbol of a list named in ``text`` ('watchlist', 'my watchlist',
    '@semis', 'my semis list'), or None for a ticker; a name no list can have is a
    ValueError. Whether the list has tickers is the service's question."""
    if not isinstance(text, str):
        return None
    said = " ".join(text.strip().lower().split())
    if said not in LIST_WORDS and not re.fullmatch(r"@.*|(?:.+ )?list", said):
        return None
    try:
        return LIST_PREFIX + list_key(said)
    except InvalidInput as exc:
        raise ValueError(str(exc).rstrip(".")) from None


def subject(symbol: str) -> str:
    """How a rule's symbol is said: the ticker, 'anything on the watchlist' or 'anything
    on the semis list'."""
    name = list_name(symbol)
    if name is None:
        return symbol
    return "anything on the watchlist" if name == "watchlist" else f"anything on the {name} list"


def check_list_and_close(symbol: str, condition: str, frequency: str) -> None:
    """A price level across a list, or a volume spike checked at the close: one
    sentence."""
    if list_name(symbol) and condition in NOT_FOR_LISTS:
        raise ValueError(f"{condition} compares with one price, which means nothing across "
                         "a list; use a move (moving_down_pct, pct_change, ...) or an "
                         "indicator for the watchlist")
    if frequency == "once_per_bar_close" and condition == "volume_spike":
        raise ValueError("once_per_bar_close checks the closing price; a volume spike is "
                         "checked as the day's volume grows: use once_per_day for it")


def migrate_firing_key(engine: Any) -> bool:
    """Databases made before list rules key a firing by (rule_id, tick_ts), which refuses a
    list rule firing for two symbols at one instant (a session's close): widen it to
    (rule_id, symbol, tick_ts), keeping every row. True when something was changed. Run
    by ``copilot run`` before the engine starts (only it writes firings)."""
    from sqlalchemy import inspect

    from tools.alerts.models import Firing

    table = Firing.__table__  # type: ignore[attr-defined]
    old = [u for u in inspect(engine).get_unique_constraints(table.name)
           if u["column_names"] == ["rule_id", "tick_ts"]]
    if not old:
        return False
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f'ALTER TABLE {table.name} DROP CONSTRAINT "{old[0]["name"]}"')
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD CONSTRAINT "
                                 "uq_alert_firings_rule_symbol_tick UNIQUE (rule_id, symbol, tick_ts)")
            return True
        # SQLite cannot drop a constraint: rebuild the table under the new key
        for index in inspect(engine).get_indexes(table.name):
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index["name"]}"')
        conn.exec_driver_sql(f"ALTER TABLE {table.name} RENAME TO {table.name}_old")
        table.create(conn)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
                             f"FROM {table.name}_old")
        conn.exec_driver_sql(f"DROP TABLE {table.name}_old")
    return True
