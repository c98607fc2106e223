"""Parse the times people say: "tomorrow 9am", "in 2 hours", "monday 8:30", ISO; expiries
("until friday", "eod", "for 2 days") and look-backs ("today", "24h", "2d")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

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


# ---- expiries and look-backs ---------------------------------------------------------------
# Both work in UTC for now: "the end of a day" is 23:59:59 UTC, which is after the close
# of every US session. Time zones come later.

_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)"
_DURATION = rf"(\d+(?:\.\d+)?)\s*{_UNIT}"
_MAX_DAYS = 3650  # beyond ten years a number is a typo, not a plan


def _span(qty: str, unit: str) -> timedelta:
    number = float(qty)
    letter = "w" if unit.startswith("w") else unit[0]
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[letter]
    if number * seconds > _MAX_DAYS * 86400:
        raise InvalidInput(f"{qty} {unit} is too far away.")
    return timedelta(seconds=number * seconds)


def _day_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _iso(text: str) -> tuple[datetime, bool] | None:
    """(moment, whether only a date was given) for an ISO date or date-time."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed, bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw))


def parse_until(text: str, now: float) -> float:
    """When something should stop (an alert's expiry), as a UTC timestamp.

    Reads an ISO date-time ("2026-12-01 14:30"; a bare date means the end of that day),
    a span ("in 3 hours", "for 2 days", "2d"), "eod" / "end of day" / "today" / "tonight",
    "end of week" (Friday), "tomorrow", a weekday ("friday", "until friday": the end of
    that day, today included; "next friday" skips today) and a time ("friday 3pm",
    "until 4pm"). Raises InvalidInput, one sentence, when it is unreadable or past."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Say when it should end, e.g. 'friday', 'eod', 'for 2 days' or "
                           "'2026-12-01 14:30'.")
    if len(text) > 100:
        raise InvalidInput("That end time is too long to read; try 'friday' or 'for 2 days'.")
    shown = " ".join(text.split())
    base = datetime.fromtimestamp(now, UTC)
    iso = _iso(text)
    if iso is not None:
        moment, date_only = iso
        when = _day_end(moment.date()) if date_only else moment
        if when.timestamp() <= now:
            raise InvalidInput(f"{shown!r} is in the past.")
        return when.timestamp()
    raw = " ".join(text.strip().lower().split())
    raw = re.sub(r"^(until|till|til|thru|through|by|up to|expires?|expiring|ends|ending)\s+",
                 "", raw)
    raw = raw.removeprefix("the ").removeprefix("at ").removeprefix("on ").strip()
    m = re.fullmatch(rf"(?:in|for|for the next|after)?\s*{_DURATION}", raw)
    if m:
        return (base + _span(m.group(1), m.group(2))).timestamp()
    if re.fullmatch(r"(eod|end of (the )?day|end of today|today|tonight|close of (the )?day)",
                    raw):
        return _day_end(base.date()).timestamp()
    if re.fullmatch(r"(eow|end of (the )?week|this week)", raw):
        ahead = (4 - base.weekday()) % 7
        return _day_end(base.date() + timedelta(days=ahead)).timestamp()
    day: date | None = None
    rest = raw
    if re.search(r"\btomorrow\b", raw):
        day = base.date() + timedelta(days=1)
        rest = re.sub(r"\btomorrow\b", "", raw)
    else:
        for i, name in enumerate(DAYS):
            m = re.search(rf"\b(next\s+)?({name}|{name[:3]})\b", raw)
            if m:
                ahead = (i - base.weekday()) % 7
                if m.group(1) and ahead == 0:
                    ahead = 7
                day = base.date() + timedelta(days=ahead)
                rest = raw[:m.start()] + raw[m.end():]
                break
    rest = re.sub(r"\b(at|on|end of (the )?day|end of|eod)\b", " ", rest).strip()
    clock = None
    if rest:
        m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", rest)
        if m and (m.group(2) or m.group(3)):
            clock = _clock(rest)
        else:
            day = None  # words we do not understand: refuse rather than guess
    if clock is None and day is None:
        raise InvalidInput(f"I can't read {shown!r} as an end time; try 'friday', 'eod', "
                           "'for 2 days', 'in 3 hours' or '2026-12-01 14:30'.")
    if clock is None:
        assert day is not None
        return _day_end(day).timestamp()
    if day is None:  # a bare time: today, or tomorrow once it has passed
        when = datetime(base.year, base.month, base.day, *clock, tzinfo=UTC)
        if when.timestamp() <= now:
            when += timedelta(days=1)
        return when.timestamp()
    when = datetime(day.year, day.month, day.day, *clock, tzinfo=UTC)
    if when.timestamp() <= now:
        if day == base.date() and "next" not in raw:
            when += timedelta(days=7)  # "friday 3pm" said on Friday at 4pm: next week
        else:
            raise InvalidInput(f"{shown!r} is in the past.")
    return when.timestamp()


def parse_since(text: str, now: float) -> float:
    """The start of a look-back ("what fired since ..."), as a UTC timestamp.

    Reads "today", "yesterday", "this week" (since Monday 00:00), a span ("24h", "1h",
    "2d", "90 minutes", "last 3 hours", "past 2 days", "2 days ago"), a weekday (its start,
    today included) and an ISO date or date-time. Raises InvalidInput, one sentence, when
    it is unreadable or in the future."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("Say since when, e.g. 'today', '24h', '2d' or '2026-11-20'.")
    if len(text) > 100:
        raise InvalidInput("That start time is too long to read; try 'today' or '24h'.")
    shown = " ".join(text.split())
    base = datetime.fromtimestamp(now, UTC)
    iso = _iso(text)
    if iso is not None:
        moment, _ = iso
        if moment.timestamp() > now:
            raise InvalidInput(f"{shown!r} is in the future.")
        return moment.timestamp()
    raw = " ".join(text.strip().lower().split())
    raw = re.sub(r"^(since|from|in|over|during|for)\s+", "", raw)
    raw = raw.removeprefix("the ").strip()
    m = re.fullmatch(rf"(?:(?:last|past)\s+)?{_DURATION}(?:\s+ago)?", raw)
    if m:
        return (base - _span(m.group(1), m.group(2))).timestamp()
    m = re.fullmatch(rf"(?:last|past)\s+{_UNIT}", raw)  # "last hour", "past day"
    if m:
        return (base - _span("1", m.group(1))).timestamp()
    if raw in ("today", "this morning", "start of day", "start of today"):
        return _day_start(base.date()).timestamp()
    if raw == "yesterday":
        return _day_start(base.date() - timedelta(days=1)).timestamp()
    if raw in ("this week", "start of week", "start of the week"):
        return _day_start(base.date() - timedelta(days=base.weekday())).timestamp()
    for i, name in enumerate(DAYS):
        if re.fullmatch(rf"(last\s+)?({name}|{name[:3]})", raw):
            back = (base.weekday() - i) % 7
            if raw.startswith("last") and back == 0:
                back = 7
            return _day_start(base.date() - timedelta(days=back)).timestamp()
    raise InvalidInput(f"I can't read {shown!r} as a start time; try 'today', '24h', '2d' "
                       "or '2026-11-20 09:30'.")
