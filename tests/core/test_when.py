"""Natural times: expiries ("until friday", "eod", "for 2 days") and look-backs ("today",
"24h"), on a UTC wall clock when no zone is given (the owner's zone is tested in
tests/time/); parse_when keeps its behaviour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import InvalidInput
from core.when import parse_since, parse_until, parse_when

NOW = 1795530600.0  # Tuesday 2026-11-24 14:30 UTC


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("text,expected", [
    ("friday", "2026-11-27 23:59:59"),
    ("until friday", "2026-11-27 23:59:59"),
    ("Until Fri", "2026-11-27 23:59:59"),
    ("tuesday", "2026-11-24 23:59:59"),  # today included: the end of today
    ("next tuesday", "2026-12-01 23:59:59"),
    ("eod", "2026-11-24 23:59:59"),
    ("end of day", "2026-11-24 23:59:59"),
    ("until the end of the day", "2026-11-24 23:59:59"),
    ("today", "2026-11-24 23:59:59"),
    ("end of week", "2026-11-27 23:59:59"),
    ("tomorrow", "2026-11-25 23:59:59"),
    ("tomorrow 3pm", "2026-11-25 15:00:00"),
    ("friday 3pm", "2026-11-27 15:00:00"),
    ("until friday 16:30", "2026-11-27 16:30:00"),
    ("4pm", "2026-11-24 16:00:00"),
    ("9am", "2026-11-25 09:00:00"),  # already past today: tomorrow
    ("2026-12-01", "2026-12-01 23:59:59"),  # a bare date: through that day
    ("2026-12-01T14:30", "2026-12-01 14:30:00"),
    ("2026-12-01 14:30:00+00:00", "2026-12-01 14:30:00"),
    ("2026-12-01T14:30:00Z", "2026-12-01 14:30:00"),
])
def test_parse_until_reads_expiries(text, expected):
    assert parse_until(text, NOW) == at(expected)


@pytest.mark.parametrize("text,seconds", [
    ("in 3 hours", 3 * 3600), ("for 2 days", 2 * 86400), ("2d", 2 * 86400),
    ("for the next 90 minutes", 90 * 60), ("in 1 week", 7 * 86400), ("until 45m", 45 * 60),
])
def test_parse_until_reads_spans(text, seconds):
    assert parse_until(text, NOW) == NOW + seconds


@pytest.mark.parametrize("text,message", [
    ("2020-01-01", "is in the past"),
    ("2026-11-24T10:00", "is in the past"),
    ("yesterday-ish", "can't read"),
    ("whenever", "can't read"),
    ("friday maybe", "can't read"),
    ("", "Say when"),
    ("x" * 500, "too long"),
    ("for 99999 days", "too far"),
    ("friday 25:00", "not a time of day"),
])
def test_parse_until_refuses_in_one_sentence(text, message):
    with pytest.raises(InvalidInput, match=message) as err:
        parse_until(text, NOW)
    # one sentence: a statement, or a question when the time is past or ambiguous
    assert str(err.value).endswith((".", "?")) and "\n" not in str(err.value)


@pytest.mark.parametrize("text,expected", [
    ("today", "2026-11-24 00:00:00"),
    ("since today", "2026-11-24 00:00:00"),
    ("yesterday", "2026-11-23 00:00:00"),
    ("this week", "2026-11-23 00:00:00"),  # Monday
    ("monday", "2026-11-23 00:00:00"),
    ("tuesday", "2026-11-24 00:00:00"),  # today included
    ("last tuesday", "2026-11-17 00:00:00"),
    ("sat", "2026-11-21 00:00:00"),
    ("2026-11-20", "2026-11-20 00:00:00"),
    ("2026-11-24T09:15", "2026-11-24 09:15:00"),
])
def test_parse_since_reads_moments(text, expected):
    assert parse_since(text, NOW) == at(expected)


@pytest.mark.parametrize("text,seconds", [
    ("24h", 86400), ("1h", 3600), ("2d", 2 * 86400), ("30m", 1800), ("90 minutes", 5400),
    ("last 3 hours", 3 * 3600), ("past 2 days", 2 * 86400), ("2 days ago", 2 * 86400),
    ("last hour", 3600), ("in the last 24 hours", 86400), ("1 week", 7 * 86400),
])
def test_parse_since_reads_spans(text, seconds):
    assert parse_since(text, NOW) == NOW - seconds


@pytest.mark.parametrize("text,message", [
    ("2026-12-01", "is in the future"), ("whenever", "can't read"), ("", "Say since when"),
    ("tomorrow", "can't read"),
])
def test_parse_since_refuses_in_one_sentence(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_since(text, NOW)


def test_parse_when_keeps_its_behaviour():
    # the content calendar's reading of times is unchanged by the new functions
    assert parse_when("tomorrow 9am", NOW) == NOW + 18.5 * 3600
    assert parse_when("in 2 hours", NOW) == NOW + 7200
    assert parse_when("friday", NOW) == at("2026-11-27 09:00")
    assert parse_when("tuesday 8:30", NOW) == at("2026-12-01 08:30")  # never today
    assert parse_when("eod", NOW) == at("2026-11-24 23:59:59")  # a market word now
    with pytest.raises(InvalidInput, match="can't read"):
        parse_when("whenever", NOW)
