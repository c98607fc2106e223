"""The editorial calendar: slots from settings, each drafting from the freshest signal."""

from __future__ import annotations

from typing import Any

from core.errors import InvalidInput


def parse_slot(slot: str) -> tuple[str, tuple[int, int], str]:
    """'mon-fri 21:30 discord' -> ('mon-fri', (21, 30), 'discord')."""
    parts = slot.split()
    if len(parts) != 3 or ":" not in parts[1]:
        raise InvalidInput(f"Content slot {slot!r} should look like 'mon-fri 21:30 discord'.")
    hour, minute = (int(x) for x in parts[1].split(":"))
    return parts[0], (hour, minute), parts[2]


async def draft_from_signals(content: Any, market: Any, alerts: Any, channel: str) -> Any:
    """Draft about the freshest signal — the last alert that fired, else the topic the
    audience liked most, else the biggest mover on the watchlist — and ask the owner."""
    fired = alerts.recent_firings(content.clock() - 86400)
    symbol = fired[-1].symbol if fired else None
    if symbol is None:
        liked = content.suggest_topics(1)
        symbol = liked[0] if liked else None
    if symbol is None:
        movers = []
        for sym in market.watchlist():
            q = (await market.quote(sym, interest=False)).quote
            movers.append((abs(q.change_pct), sym))
        symbol = max(movers)[1] if movers else None
    topic = f"{symbol} daily recap" if symbol else "daily market recap"
    return await content.draft(topic, channel, symbol, notify=True)
