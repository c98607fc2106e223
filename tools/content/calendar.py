"""The editorial calendar: slots from settings, each drafting from the freshest signal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput
from core.scheduler import weekdays

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
# "close", "open-15", "close+30", "at the close", "15 min before the open",
# "30 min after the close"
_SESSION = re.compile(r"(?:at\s+)?(?:the\s+)?(?:(\d{1,3})\s*(?:m|min|mins|minutes)\s+"
                      r"(before|after)\s+(?:the\s+)?)?(open|close)(?:\s*([+-])\s*(\d{1,3}))?")
_EXAMPLE = ("'mon-fri 16:30 discord' (the owner's clock) or 'mon-fri close+30 discord' "
            "(30 min after each session's close)")


@dataclass(frozen=True)
class Slot:
    """One editorial-calendar slot: on ``days``, at a time on the owner's clock
    (``clock``) or at a session moment (``event`` plus ``offset_minutes``, on the NYSE's
    sessions: holidays skipped, early closes followed), draft for ``channel``."""

    days: str
    channel: str
    clock: tuple[int, int] | None = None
    event: str | None = None
    offset_minutes: int = 0

    def job(self, tz: str) -> tuple[str, dict[str, Any]]:
        """The scheduler trigger and its arguments for this slot (``tz``: the owner's)."""
        if self.event is not None:
            return "session", {"event": self.event, "offset_minutes": self.offset_minutes,
                               "day_of_week": self.days}
        assert self.clock is not None
        hour, minute = self.clock
        return "cron", {"day_of_week": self.days, "hour": hour, "minute": minute,
                        "timezone": tz}


def parse_slot(slot: str) -> Slot:
    """'mon-fri 16:30 discord' (16:30 on the owner's clock), 'mon-fri close+30 discord',
    'fri at the close blog', 'mon-fri 15 min before the open discord'."""
    parts = slot.split()
    if len(parts) < 3:
        raise InvalidInput(f"Content slot {slot!r} should look like {_EXAMPLE}.")
    days, when, channel = parts[0].lower(), " ".join(parts[1:-1]).lower(), parts[-1].lower()
    try:
        weekdays(days)
    except ValueError as exc:
        raise InvalidInput(f"Content slot {slot!r}: {exc}.") from None
    m = _CLOCK.fullmatch(when)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise InvalidInput(f"Content slot {slot!r}: {when} is not a time of day.")
        return Slot(days, channel, clock=(hour, minute))
    m = _SESSION.fullmatch(when)
    if m is None:
        raise InvalidInput(f"Content slot {slot!r} should look like {_EXAMPLE}.")
    offset = 0
    if m.group(1):
        offset = int(m.group(1)) * (1 if m.group(2) == "after" else -1)
    if m.group(4):
        offset += int(m.group(5)) * (1 if m.group(4) == "+" else -1)
    return Slot(days, channel, event=m.group(3), offset_minutes=offset)


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
