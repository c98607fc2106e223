"""Parse the times people say into UTC timestamps, on the owner's wall clock.

``parse_when`` (when something should happen: "tomorrow 9am", "friday 4pm ET", "in 2
hours", "next monday at the open", "at the close", "dec 1 2pm", "noon", "next week"),
``parse_until`` (when something should stop: "eod", "friday's close", "for 2 days") and
``parse_since`` (the start of a look-back: "today", "24h", "since jan 1").

``tz`` is the owner's zone (``Settings.timezone``); without it the wall clock is UTC, as
it was before zones existed, so callers that do not pass one keep their behaviour.
Market words ("the open", "the close") are the exchange's sessions (NYSE by default):
holidays and early closes included. Stated defaults: a day without a time is 09:00 for
``parse_when`` and the end of that day for ``parse_until``; "next week" is next Monday
09:00; a bare time already past today is tomorrow. Ambiguous or past times are refused
with one question."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.calendar import MarketCalendar, nyse
from core.errors import InvalidInput
from core.markettime import format_clock, format_day, zone
from core.timewords import DAYS, Said, read

__all__ = ["DAYS", "parse_since", "parse_until", "parse_when"]

Zone = str | ZoneInfo | None
_UNIT = r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)"
_DURATION = rf"(\d+(?:\.\d+)?|an?|one|half an?)\s*{_UNIT}"
_MAX_DAYS = 3650  # beyond ten years a number is a typo, not a plan
_TRY = "try 'tomorrow 9am', 'friday 4pm ET', 'in 2 hours', 'at the close' or '2026-12-01 14:30'"


def _zone(tz: Zone) -> ZoneInfo:
    return ZoneInfo("UTC") if tz is None else zone(tz)


def _span(qty: str, unit: str) -> timedelta:
    number = {"a": 1.0, "an": 1.0, "one": 1.0}.get(qty, 0.5 if qty.startswith("half") else None)
    number = float(qty) if number is None else number
    letter = "w" if unit.startswith("w") else unit[0]
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[letter]
    if number * seconds > _MAX_DAYS * 86400:
        raise InvalidInput(f"{qty} {unit} is too far away.")
    return timedelta(seconds=number * seconds)


def _wall(day: date, clock: tuple[int, int], tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, *clock, tzinfo=tz)


def _day_end(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=tz)


def _day_start(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _check_text(text: object, empty: str, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(empty)
    if len(text) > 100:
        raise InvalidInput(f"That {what} is too long to read; try 'friday' or 'for 2 days'.")
    return " ".join(text.split())


def _iso(text: str, tz: ZoneInfo) -> tuple[datetime, bool] | None:
    """(moment, whether only a date was given) for an ISO date or date-time; a time
    without an offset is on the owner's wall clock."""
    raw = text.strip()
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed, bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw))


def _past(shown: str) -> InvalidInput:
    return InvalidInput(f"{shown!r} is in the past; when should it be instead?")


def _weekday(said: Said, today: date, today_counts: bool) -> date:
    assert said.weekday is not None
    ahead = (said.weekday - today.weekday()) % 7
    if ahead == 0 and (said.day_word.startswith("next") or not today_counts):
        ahead = 7
    return today + timedelta(days=ahead)


def _market(said: Said, now: datetime, cal: MarketCalendar, tz: ZoneInfo, shown: str,
            day: date | None) -> datetime:
    """The session moment a phrase names: the open or close (plus an offset) of the
    session on ``day``, or the next one to come."""
    if day is None:
        after = now - said.offset
        edge = cal.next_open(after) if said.event == "open" else cal.next_close(after)
        return edge + said.offset
    session = cal.session(day)
    if session is None:
        why = cal.holiday(day) or "a weekend"
        nxt = cal.next_open(_day_end(day, cal.zone))
        nxt_session = cal.session(nxt.astimezone(cal.zone).date())
        assert nxt_session is not None
        moment = nxt_session.open if said.event == "open" else nxt_session.close
        raise InvalidInput(
            f"The market is closed on {format_day(_day_start(day, cal.zone), cal.zone)} "
            f"({why}); do you mean {format_day(moment, tz)} at the {said.event} "
            f"({format_clock(moment, tz)})?")
    moment = (session.open if said.event == "open" else session.close) + said.offset
    if moment <= now:
        raise _past(shown)
    return moment


def _resolve(text: str, now: float, tz: Zone, calendar: MarketCalendar | None,
             until: bool) -> float:
    """The instant ``text`` names (``until``: a day alone means its end, a weekday may
    be today; else a day alone means 09:00 and a weekday is never today)."""
    shown = " ".join(text.split())
    owner = _zone(tz)
    iso = _iso(text, owner)
    if iso is not None:
        moment, date_only = iso
        if date_only:
            moment = (_day_end(moment.date(), owner) if until
                      else _wall(moment.date(), (9, 0), owner))
        if moment.timestamp() <= now:
            raise _past(shown)
        return moment.timestamp()
    raw = shown.lower()
    raw = re.sub(r"^(until|till|til|thru|through|by|up to|expires?|expiring|ends|ending)\s+",
                 "", raw) if until else raw
    raw = re.sub(r"^(the|at|on)\s+", "", raw).strip()
    base = datetime.fromtimestamp(now, UTC)
    span = (rf"(?:in|for|for the next|after)?\s*{_DURATION}" if until
            else rf"in\s+{_DURATION}")
    m = re.fullmatch(span, raw)
    if m:
        return (base + _span(m.group(1), m.group(2))).timestamp()
    said = read(raw, base.astimezone(owner).date())
    wall = said.zone or owner
    today = base.astimezone(wall).date()
    day: date | None = said.day
    if said.weekday is not None:
        day = _weekday(said, today, today_counts=until)
    if said.event is not None:
        return _market(said, base, calendar or nyse(), owner, shown, day).timestamp()
    if said.end_of_week:
        return _day_end(today + timedelta(days=(4 - today.weekday()) % 7), wall).timestamp()
    if said.end_of_day or (said.tonight and until):
        moment = _day_end(day or today, wall)
        if moment <= base:
            raise _past(shown)
        return moment.timestamp()
    if said.next_week:
        monday = today + timedelta(days=7 - today.weekday())
        return _wall(monday, said.clock or (9, 0), wall).timestamp()
    if said.midnight:
        if day is not None and said.day_word not in ("today", "tonight"):
            raise InvalidInput(f"Do you mean the start of {day:%a %d %b} (00:00) or its end "
                               "(24:00)?")
        return _day_start(today + timedelta(days=1), wall).timestamp()
    clock = said.clock or ((20, 0) if said.tonight else None)
    if clock is None and day is None:
        raise InvalidInput(f"I can't read {shown!r} as a time; {_TRY}.")
    if clock is None:
        assert day is not None
        if until:
            return _day_end(day, wall).timestamp()
        clock = (9, 0)
    if day is None:  # a bare time: today, or tomorrow once it has passed
        moment = _wall(today, clock, wall)
        if moment <= base:
            moment = _wall(today + timedelta(days=1), clock, wall)
        return moment.timestamp()
    moment = _wall(day, clock, wall)
    if moment <= base:
        if until and said.weekday is not None and day == today and "next" not in raw:
            return _wall(day + timedelta(days=7), clock, wall).timestamp()  # next week's
        raise _past(shown)
    return moment.timestamp()


def parse_when(text: str, now: float, tz: Zone = None,
               calendar: MarketCalendar | None = None) -> float:
    """A UTC timestamp for when something should happen (a post, a job); raises
    InvalidInput, one sentence (a question when it is past or ambiguous)."""
    shown = _check_text(text, f"Say when, e.g. {_TRY[4:]}.", "time")
    return _resolve(shown, now, tz, calendar, until=False)


def parse_until(text: str, now: float, tz: Zone = None,
                calendar: MarketCalendar | None = None) -> float:
    """When something should stop (an alert's expiry), as a UTC timestamp.

    Reads an ISO date-time ("2026-12-01 14:30"; a bare date means the end of that day),
    a span ("in 3 hours", "for 2 days", "2d"), "eod" / "end of day" / "today" /
    "tonight" (the end of the owner's day), "end of week" (Friday), "tomorrow", a weekday
    ("friday", "until friday": the end of that day, today included; "next friday" skips
    today), a time ("friday 3pm", "until 4pm ET") and session moments ("friday's close",
    "at the close"). Raises InvalidInput, one sentence, when it is unreadable or past."""
    shown = _check_text(text, "Say when it should end, e.g. 'friday', 'eod', 'for 2 days' or "
                              "'2026-12-01 14:30'.", "end time")
    try:
        return _resolve(shown, now, tz, calendar, until=True)
    except InvalidInput as exc:
        if str(exc).startswith("I can't read"):
            raise InvalidInput(f"I can't read {shown!r} as an end time; try 'friday', 'eod', "
                               "'for 2 days', 'in 3 hours' or '2026-12-01 14:30'.") from None
        raise


def parse_since(text: str, now: float, tz: Zone = None) -> float:
    """The start of a look-back ("what fired since ..."), as a UTC timestamp.

    Reads "today", "yesterday", "this week" (since Monday 00:00), a span ("24h", "1h",
    "2d", "90 minutes", "last 3 hours", "past 2 days", "2 days ago"), a weekday (its start,
    today included), a date ("jan 1", "since dec 1") and an ISO date or date-time; days
    start at midnight on the owner's clock. Raises InvalidInput, one sentence, when it is
    unreadable or in the future."""
    shown = _check_text(text, "Say since when, e.g. 'today', '24h', '2d' or '2026-11-20'.",
                        "start time")
    owner = _zone(tz)
    base = datetime.fromtimestamp(now, UTC)
    today = base.astimezone(owner).date()
    iso = _iso(text, owner)
    if iso is not None:
        if iso[0].timestamp() > now:
            raise InvalidInput(f"{shown!r} is in the future; since when did you mean?")
        return iso[0].timestamp()
    raw = shown.lower()
    raw = re.sub(r"^(since|from|in|over|during|for)\s+", "", raw)
    raw = raw.removeprefix("the ").strip()
    m = re.fullmatch(rf"(?:(?:last|past)\s+)?{_DURATION}(?:\s+ago)?", raw)
    if m:
        return (base - _span(m.group(1), m.group(2))).timestamp()
    m = re.fullmatch(rf"(?:last|past)\s+{_UNIT}", raw)  # "last hour", "past day"
    if m:
        return (base - _span("1", m.group(1))).timestamp()
    if raw in ("today", "this morning", "start of day", "start of today"):
        return _day_start(today, owner).timestamp()
    if raw == "yesterday":
        return _day_start(today - timedelta(days=1), owner).timestamp()
    if raw in ("this week", "start of week", "start of the week"):
        return _day_start(today - timedelta(days=today.weekday()), owner).timestamp()
    for i, name in enumerate(DAYS):
        if re.fullmatch(rf"(last\s+)?({name}|{name[:3]})", raw):
            back = (today.weekday() - i) % 7
            if raw.startswith("last") and back == 0:
                back = 7
            return _day_start(today - timedelta(days=back), owner).timestamp()
    if re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", raw):
        from core.markettime import parse_period

        try:
            start = parse_period(f"since {raw}", today).start
        except InvalidInput:
            start = None
        if start is not None:
            return _day_start(start, owner).timestamp()
    raise InvalidInput(f"I can't read {shown!r} as a start time; try 'today', '24h', '2d' "
                       "or '2026-11-20 09:30'.")
