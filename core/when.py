"""Parse the times people say: "tomorrow 9am", "in 2 hours", "monday 8:30", ISO."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.errors import InvalidInput

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _clock(text: str) -> tuple[int, int] | None:
    m = re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b", text)
    if not m or (m.group(2) is None and m.group(3) is None and not re.search(r"\bat\b", text)):
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour < 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{m.group(0)!r} is not a time of day.")
    return hour, minute


def parse_when(text: str, now: float) -> float:
    """A UTC timestamp for ``text``; raises InvalidInput with an example when unclear."""
    raw = text.strip().lower().removeprefix("at ").removeprefix("on ")
    base = datetime.fromtimestamp(now, UTC)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        parsed = None
    if parsed is not None:
        ts = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        if ts <= now:
            raise InvalidInput(f"{text!r} is in the past.")
        return ts
    m = re.fullmatch(r"in\s+(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)", raw)
    if m:
        qty, unit = float(m.group(1)), m.group(2)[0]
        delta = {"m": timedelta(minutes=qty), "h": timedelta(hours=qty), "d": timedelta(days=qty)}
        return (base + delta[unit]).timestamp()
    day = base.date()
    if "tomorrow" in raw:
        day = day + timedelta(days=1)
    else:
        for i, name in enumerate(DAYS):
            if re.search(rf"\b{name}\b", raw):
                ahead = (i - day.weekday()) % 7 or 7
                day = day + timedelta(days=ahead)
                break
    clock = _clock(raw)
    if clock is None:
        if day == base.date() and "today" not in raw:
            raise InvalidInput(f"I can't read {text!r} as a time; try 'tomorrow 9am', "
                               "'in 2 hours' or '2026-12-01 14:30'.")
        clock = (9, 0)
    when = datetime(day.year, day.month, day.day, clock[0], clock[1], tzinfo=UTC)
    if when.timestamp() <= now:
        if day == base.date() and "today" not in raw:
            when += timedelta(days=1)  # "9am" said in the afternoon means tomorrow
        else:
            raise InvalidInput(f"{text!r} is in the past.")
    return when.timestamp()
