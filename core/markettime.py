"""The owner's clock: his time zone (``COPILOT_TIMEZONE``), how instants read in it, the
zone names people type ("4pm ET"), and periods in calendar terms ("3 months", "ytd",
"52-week", "since jan 1") with the sessions they cover. The database keeps UTC."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput

DEFAULT_ZONE = "America/New_York"

# what people type after a time; a US abbreviation names the city's zone, so "4pm EST"
# in July still means 4pm in New York (nobody means "an hour off the exchange clock")
ZONE_WORDS: dict[str, str] = {
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "new york": "America/New_York", "ny": "America/New_York",
    "ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago",
    "central": "America/Chicago", "chicago": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver",
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "utc": "UTC", "gmt": "UTC", "z": "UTC",
    "london": "Europe/London", "bst": "Europe/London", "uk": "Europe/London",
    "cet": "Europe/Berlin", "cest": "Europe/Berlin", "berlin": "Europe/Berlin",
    "paris": "Europe/Paris", "frankfurt": "Europe/Berlin", "tokyo": "Asia/Tokyo",
    "jst": "Asia/Tokyo", "hong kong": "Asia/Hong_Kong", "hkt": "Asia/Hong_Kong",
    "sydney": "Australia/Sydney",
}
_ZONE_RE = re.compile(
    r"(?:\s+|^)(?:in\s+)?(" + "|".join(sorted((re.escape(w) for w in ZONE_WORDS), key=len,
                                              reverse=True))
    + r"|[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)(?:\s+time)?(?=\s|$)", re.IGNORECASE)


def zone(name: str | ZoneInfo | None = None) -> ZoneInfo:
    """The IANA zone ``name`` (default America/New_York); one sentence when unknown."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{name!r} is not a time zone I know; use an IANA name such as "
                           "America/New_York or Europe/Berlin.") from None


def take_zone(text: str) -> tuple[str, ZoneInfo | None]:
    """The text without a zone word it names ("friday 4pm ET"), and that zone."""
    for m in _ZONE_RE.finditer(text):
        word = m.group(1).lower()
        name = ZONE_WORDS.get(word) or (_iana_names().get(word) if "/" in word else None)
        if name is None:
            continue
        try:
            found = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return (text[:m.start()] + " " + text[m.end():]).strip(), found
    return text, None


@functools.cache
def _iana_names() -> dict[str, str]:
    """IANA names by their lower-case spelling (people do not type capitals)."""
    from zoneinfo import available_timezones

    return {name.lower(): name for name in available_timezones()}


def local(moment: datetime | float, tz: str | ZoneInfo | None = None) -> datetime:
    """An instant (a UTC timestamp or an aware datetime) on the owner's wall clock."""
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the database keeps naive UTC in places
    return moment.astimezone(zone(tz))


def format_local(moment: datetime | float, tz: str | ZoneInfo | None = None, *,
                 year: bool = False, now: datetime | float | None = None) -> str:
    """How every time shown to the owner reads: 'Wed 25 Nov 09:30 EST' on his clock (with
    the year when ``year``); with ``now``, just '09:30 EST' when it is the same day there.
    Chat, CLI, Discord and notifications all go through here; the database keeps UTC."""
    at = local(moment, tz)
    if now is not None and local(now, tz).date() == at.date():
        return at.strftime("%H:%M %Z")
    return at.strftime("%a %d %b %Y %H:%M %Z" if year else "%a %d %b %H:%M %Z")


def format_clock(moment: datetime | float, tz: str | ZoneInfo | None = None) -> str:
    """'09:30 EST': a time of day, when the day is clear from the sentence."""
    return local(moment, tz).strftime("%H:%M %Z")


def format_day(moment: datetime | float, tz: str | ZoneInfo | None = None) -> str:
    """'Thu 26 Nov': the owner's date of an instant."""
    return local(moment, tz).strftime("%a %d %b")


def format_span(seconds: float) -> str:
    """'2 h 15 min', '3 days 4 h', '45 min', 'less than a minute'."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:
        parts.append(f"{mins} min")
    return " ".join(parts)


# ---- periods in calendar terms -------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """Calendar dates ``start`` to ``end`` (both included), as the owner asked for them."""

    start: date
    end: date
    label: str


def months_back(day: date, months: int) -> date:
    """The same date ``months`` earlier, clamped to the month's last day (May 31 - 3 months
    is Feb 28)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for clamp in range(day.day, 27, -1):
        try:
            return date(year, month, clamp)
        except ValueError:
            continue
    return date(year, month, min(day.day, 28))


_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year", "q": "quarter"}
_PERIOD = re.compile(r"(?:(?:the\s+)?(?:last|past|over|previous)\s+)?(\d{1,4}|a|one)?\s*[- ]?"
                     r"(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?|q|quarters?)"
                     r"(?:\s+(?:high|low|range|high/low|high and low|chart|history))?")


def parse_period(text: str, today: date) -> Period:
    """A look-back in calendar terms, ending ``today`` (the exchange's date):
    "3 months" (the same date 3 months ago through today), "52-week", "1y", "10 days"
    (calendar days), "ytd" / "this year", "this week", "last week", "this month",
    "last month", "since jan 1", "since 2026-10-01", "on 2026-10-01", "2026-10-01 to
    2026-10-31". Raises InvalidInput, one sentence, when it is unreadable or ahead."""
    raw = " ".join(str(text).strip().lower().split())
    if not raw or len(raw) > 60:
        raise InvalidInput("Say which period, e.g. '3 months', 'ytd', '52-week' or "
                           "'since jan 1'.")
    monday = today - timedelta(days=today.weekday())
    fixed = {
        "ytd": (date(today.year, 1, 1), today, "year to date"),
        "year to date": (date(today.year, 1, 1), today, "year to date"),
        "this year": (date(today.year, 1, 1), today, "year to date"),
        "mtd": (today.replace(day=1), today, "month to date"),
        "this month": (today.replace(day=1), today, "month to date"),
        "this week": (monday, today, "this week"),
        "wtd": (monday, today, "this week"),
        "last week": (monday - timedelta(days=7), monday - timedelta(days=1), "last week"),
        "today": (today, today, "today"),
        "last month": (months_back(today.replace(day=1), 1),
                       today.replace(day=1) - timedelta(days=1), "last month"),
        "last year": (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "last year"),
    }
    if raw in fixed:
        return Period(*fixed[raw])
    m = _PERIOD.fullmatch(raw)
    if m:
        qty = 1 if m.group(1) in (None, "a", "one") else int(m.group(1))
        unit = _UNITS[m.group(2)[0]]
        if qty < 1:
            raise InvalidInput("A period needs at least one day.")
        if unit == "day":
            start = today - timedelta(days=qty)
        elif unit == "week":
            start = today - timedelta(weeks=qty)
        else:
            start = months_back(today, qty * {"month": 1, "quarter": 3, "year": 12}[unit])
        label = f"{qty}-week" if unit == "week" and qty == 52 else \
            f"{qty} {unit}{'s' if qty != 1 else ''}"
        return _checked(Period(start, today, label), today)
    m = re.fullmatch(r"(?:from\s+)?(.+?)\s+(?:to|until|through|thru|-)\s+(.+)", raw)
    if m and not raw.startswith("since"):
        start, end = _date(m.group(1), today), _date(m.group(2), today)
        if end < start:
            raise InvalidInput(f"{text!r} ends before it starts; which dates did you mean?")
        return _checked(Period(start, min(end, today), f"{start} to {end}"), today)
    m = re.fullmatch(r"(since|from|on)\s+(.+)", raw)
    if m:
        day = _date(m.group(2), today)
        if m.group(1) == "on":
            return _checked(Period(day, day, f"on {day}"), today)
        return _checked(Period(day, today, f"since {day}"), today)
    try:
        day = _date(raw, today)
    except InvalidInput:
        raise InvalidInput(f"I can't read {text!r} as a period; try '3 months', 'ytd', "
                           "'52-week' or 'since jan 1'.") from None
    return _checked(Period(day, day, f"on {day}"), today)


def _date(text: str, today: date) -> date:
    """A calendar date said plainly ("jan 1", "2026-10-01", "october 1st"), never ahead."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    import dateparser

    base = datetime(today.year, today.month, today.day, 12)
    parsed = dateparser.parse(text, languages=["en"], settings={
        "PREFER_DATES_FROM": "past", "RELATIVE_BASE": base,
        "REQUIRE_PARTS": ["day", "month"]})
    if parsed is None:
        raise InvalidInput(f"I can't read {text!r} as a date; try 'jan 1' or '2026-10-01'.")
    found: date = parsed.date()
    return found


def _checked(period: Period, today: date) -> Period:
    if period.start > today:
        raise InvalidInput(f"{period.start} is still ahead; which past dates did you mean?")
    return period
