"""The pieces of a time people say, read apart before ``core.when`` puts them together:
a zone ("ET", "Europe/Berlin"), a market moment ("at the open", "friday's close",
"15 min before the close"), the end of a day or week, "next week", a clock ("4pm",
"16:30", "noon", "midnight", "tonight") and a day ("today", "tomorrow", "friday",
"next monday", or a date dateparser reads: "dec 1", "december 1st", "12/1").
Whatever is left over makes the whole phrase unreadable: we refuse rather than guess."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput
from core.markettime import take_zone

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY_RE = re.compile(r"\b(?:(next|this|coming)\s+)?(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
                     r"(?:day|nesday|sday|rsday|urday)?\b")
_EVENT_RE = re.compile(
    r"(?:\b(\d+(?:\.\d+)?)\s*(m|mins?|minutes?|h|hrs?|hours?)\s+(before|after)\s+)?"
    r"\b(?:the\s+|market\s+|the\s+market\s+)?(open|opening(?:\s+bell)?|close|closing(?:\s+bell)?)"
    r"(?:\s+bell)?\b")
_EOD_RE = re.compile(r"\b(eod|end of (?:the )?day|end of today|close of (?:the )?day|"
                     r"close of business|cob)\b")
_EOW_RE = re.compile(r"\b(eow|end of (?:the )?week)\b")
_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
_FILLER = re.compile(r"\b(at|on|by|the|of|this|in|around|about|@)\b")


@dataclass
class Said:
    """What a phrase says, piece by piece; None where it says nothing."""

    text: str
    zone: ZoneInfo | None = None  # an explicit zone for the wall clock ("4pm ET")
    event: str | None = None  # "open" or "close" of a trading session
    offset: timedelta = timedelta(0)  # "15 min before the close": -15 min
    end_of_day: bool = False
    end_of_week: bool = False
    next_week: bool = False
    clock: tuple[int, int] | None = None
    midnight: bool = False
    tonight: bool = False
    day: date | None = None
    day_word: str = ""  # how the day was said: "today", "tomorrow", "friday", "next friday"
    weekday: int | None = None


def _cut(text: str, m: re.Match[str]) -> str:
    return " ".join((text[:m.start()] + " " + text[m.end():]).split())


def _clock(text: str) -> tuple[tuple[int, int] | None, str]:
    """A time of day and the text without it; ambiguous bare hours ("at 4") are asked."""
    for pattern in (r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)",
                    r"\b(\d{1,2}):(\d{2})\b()", r"\bat\s+(\d{1,2})()()(?=\s|$)"):
        m = re.search(pattern, text)
        if not m:
            continue
        hour, minute, half = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "")[:1]
        if half == "p" and hour < 12:
            hour += 12
        elif half == "a" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59 or (half and int(m.group(1)) > 12):
            raise InvalidInput(f"{m.group(0).strip()!r} is not a time of day.")
        if not half and not m.group(2) and 1 <= hour <= 11:
            raise InvalidInput(f"Do you mean {hour:02d}:00 or {hour + 12:02d}:00?")
        return (hour, minute), _cut(text, m)
    return None, text


def read(raw: str, today: date) -> Said:
    """Split ``raw`` (lower case, one space between words) into its pieces. ``today`` is
    the date on the wall clock the phrase is said against."""
    said = Said(raw)
    text, said.zone = take_zone(raw)
    text = text.replace("'s ", " ").replace("’s ", " ")
    m = _EOD_RE.search(text)
    if m:
        said.end_of_day, text = True, _cut(text, m)
    m = _EOW_RE.search(text)
    if m:
        said.end_of_week, text = True, _cut(text, m)
    m = _EVENT_RE.search(text)
    if m:
        said.event = "open" if m.group(4).startswith("open") else "close"
        if m.group(1):
            qty = float(m.group(1)) * (60 if m.group(2).startswith("h") else 1)
            said.offset = timedelta(minutes=qty if m.group(3) == "after" else -qty)
        text = _cut(text, m)
    m = re.search(r"\bnext week\b", text)
    if m:
        said.next_week, text = True, _cut(text, m)
    for word, hour in (("noon", 12), ("midday", 12)):
        if re.search(rf"\b{word}\b", text):
            said.clock, text = (hour, 0), re.sub(rf"\b{word}\b", " ", text)
    if re.search(r"\bmidnight\b", text):
        said.midnight, text = True, re.sub(r"\bmidnight\b", " ", text)
    if re.search(r"\btonight\b", text):
        said.tonight, text = True, re.sub(r"\btonight\b", " ", text)
        said.day, said.day_word = today, "tonight"
    if said.clock is None:
        said.clock, text = _clock(text)
    for word, ahead in (("today", 0), ("tomorrow", 1), ("tmrw", 1), ("tmr", 1),
                        ("yesterday", -1)):
        m = re.search(rf"\b{word}\b", text)
        if m:
            said.day, said.day_word, text = today + timedelta(days=ahead), word, _cut(text, m)
            break
    else:
        m = _DAY_RE.search(text)
        if m:
            said.weekday = [d[:3] for d in DAYS].index(m.group(2)[:3])
            said.day_word = ("next " if m.group(1) == "next" else "") + DAYS[said.weekday]
            text = _cut(text, m)
    rest = " ".join(_FILLER.sub(" ", text).split())
    if rest:
        said.day = _calendar_date(rest, today, said.text)
        said.day_word = said.day.isoformat()
    return said


def _calendar_date(text: str, today: date, whole: str) -> date:
    """A date with a month ("dec 1", "1st of december", "12/1"), the next one to come."""
    if not re.search(rf"\b({_MONTHS})|\d{{1,2}}/\d{{1,2}}", text):
        raise InvalidInput(f"I can't read {whole!r} as a time; try 'tomorrow 9am', "
                           "'friday 4pm ET', 'in 2 hours', 'at the close' or '2026-12-01 14:30'.")
    import dateparser

    parsed = dateparser.parse(text, languages=["en"], settings={
        "PREFER_DATES_FROM": "future", "REQUIRE_PARTS": ["day", "month"],
        "RELATIVE_BASE": datetime(today.year, today.month, today.day, 12)})
    if parsed is None:
        raise InvalidInput(f"I can't read {whole!r} as a time; try 'dec 1 2pm' or "
                           "'2026-12-01 14:30'.")
    found: date = parsed.date()
    return found
