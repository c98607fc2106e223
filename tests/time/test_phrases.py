"""Natural times on the owner's wall clock: one table, read for an owner in New York and
one in Berlin, said on Wed 2026-11-25 at 15:00 UTC (10:00 EST, 16:00 CET) — the day
before Thanksgiving, two days before the 13:00 early close — and across the US DST
change of 2026-11-01."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.errors import InvalidInput
from core.when import parse_since, parse_until, parse_when

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp()  # Wed 10:00 EST / 16:00 CET
BEFORE_DST = datetime(2026, 10, 30, 12, 0, tzinfo=UTC).timestamp()  # Fri, still EDT
NY, BERLIN = "America/New_York", "Europe/Berlin"


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# phrase -> the UTC instant for an owner in New York, and for one in Berlin
PHRASES = [
    ("friday 4pm ET", "2026-11-27 21:00", "2026-11-27 21:00"),  # an explicit zone wins
    ("9:30am EST tomorrow", "2026-11-26 14:30", "2026-11-26 14:30"),
    ("friday 15:00 CET", "2026-11-27 14:00", "2026-11-27 14:00"),
    ("dec 1 9:30 America/Chicago", "2026-12-01 15:30", "2026-12-01 15:30"),
    ("2026-12-01T14:30:00Z", "2026-12-01 14:30", "2026-12-01 14:30"),
    ("tomorrow 9am", "2026-11-26 14:00", "2026-11-26 08:00"),
    ("friday at 4pm", "2026-11-27 21:00", "2026-11-27 15:00"),
    ("dec 1 2pm", "2026-12-01 19:00", "2026-12-01 13:00"),
    ("december 1st at 2:30pm", "2026-12-01 19:30", "2026-12-01 13:30"),
    ("2026-12-01 14:30", "2026-12-01 19:30", "2026-12-01 13:30"),  # ISO, no offset: local
    ("monday 8:30", "2026-11-30 13:30", "2026-11-30 07:30"),
    ("noon", "2026-11-25 17:00", "2026-11-26 11:00"),  # past in Berlin: tomorrow's
    ("tomorrow noon", "2026-11-26 17:00", "2026-11-26 11:00"),
    ("next week", "2026-11-30 14:00", "2026-11-30 08:00"),  # stated: next Monday 09:00
    ("end of day", "2026-11-26 04:59:59", "2026-11-25 22:59:59"),
    ("in 2 hours", "2026-11-25 17:00", "2026-11-25 17:00"),
    ("in half an hour", "2026-11-25 15:30", "2026-11-25 15:30"),
    # market words are the exchange's clock, whoever asks
    ("at the close", "2026-11-25 21:00", "2026-11-25 21:00"),
    ("at the open", "2026-11-27 14:30", "2026-11-27 14:30"),  # Thanksgiving skipped
    ("next monday at the open", "2026-11-30 14:30", "2026-11-30 14:30"),
    ("friday's close", "2026-11-27 18:00", "2026-11-27 18:00"),  # the 13:00 early close
    ("dec 24 at the close", "2026-12-24 18:00", "2026-12-24 18:00"),  # early close too
    ("15 min before the close", "2026-11-25 20:45", "2026-11-25 20:45"),
]


@pytest.mark.parametrize("phrase,new_york,berlin", PHRASES)
def test_phrases_for_an_owner_in_new_york_and_in_berlin(phrase, new_york, berlin):
    assert parse_when(phrase, NOW, tz=NY) == utc(new_york)
    assert parse_when(phrase, NOW, tz=BERLIN) == utc(berlin)


@pytest.mark.parametrize("phrase,new_york,berlin", [
    ("monday 9am", "2026-11-02 14:00", "2026-11-02 08:00"),  # EST by then, CET already
    ("monday at the open", "2026-11-02 14:30", "2026-11-02 14:30"),  # Friday's was 13:30
    ("at the close", "2026-10-30 20:00", "2026-10-30 20:00"),  # still EDT today
    ("tomorrow 9am", "2026-10-31 13:00", "2026-10-31 08:00"),
])
def test_phrases_across_the_dst_change(phrase, new_york, berlin):
    assert parse_when(phrase, BEFORE_DST, tz=NY) == utc(new_york)
    assert parse_when(phrase, BEFORE_DST, tz=BERLIN) == utc(berlin)


@pytest.mark.parametrize("phrase,question", [
    ("tomorrow at the open", "closed on Thu 26 Nov (Thanksgiving); do you mean Fri 27 Nov"),
    ("thursday's close", "do you mean Fri 27 Nov at the close (13:00 EST)?"),
    ("saturday at the open", "closed on Sat 28 Nov (a weekend)"),
    ("yesterday 3pm", "is in the past; when should it be instead?"),
    ("2026-11-20 09:00", "is in the past"),
    ("friday at 4", "Do you mean 04:00 or 16:00?"),
    ("friday midnight", "start of Fri 27 Nov (00:00) or its end"),
    ("whenever", "can't read"),
    ("friday 25:00", "not a time of day"),
])
def test_ambiguous_or_past_times_get_one_question(phrase, question):
    with pytest.raises(InvalidInput, match=re.escape(question)) as err:
        parse_when(phrase, NOW, tz=NY)
    text = str(err.value)
    assert "\n" not in text and text.endswith((".", "?"))


def test_a_berlin_owner_is_answered_on_his_clock():
    with pytest.raises(InvalidInput, match=r"Fri 27 Nov at the open \(15:30 CET\)\?"):
        parse_when("tomorrow at the open", NOW, tz=BERLIN)


@pytest.mark.parametrize("phrase,new_york,berlin", [
    ("eod", "2026-11-26 04:59:59", "2026-11-25 22:59:59"),
    ("friday", "2026-11-28 04:59:59", "2026-11-27 22:59:59"),
    ("friday's close", "2026-11-27 18:00", "2026-11-27 18:00"),
    ("until 4pm ET", "2026-11-25 21:00", "2026-11-25 21:00"),
    ("until tomorrow 9am", "2026-11-26 14:00", "2026-11-26 08:00"),
])
def test_expiries_in_the_owners_zone(phrase, new_york, berlin):
    assert parse_until(phrase, NOW, tz=NY) == utc(new_york)
    assert parse_until(phrase, NOW, tz=BERLIN) == utc(berlin)


@pytest.mark.parametrize("phrase,new_york,berlin", [
    ("today", "2026-11-25 05:00", "2026-11-24 23:00"),
    ("yesterday", "2026-11-24 05:00", "2026-11-23 23:00"),
    ("since nov 1", "2026-11-01 04:00", "2026-10-31 23:00"),  # EDT still, on Nov 1 00:00
])
def test_look_backs_start_at_the_owners_midnight(phrase, new_york, berlin):
    assert parse_since(phrase, NOW, tz=NY) == utc(new_york)
    assert parse_since(phrase, NOW, tz=BERLIN) == utc(berlin)


def test_without_a_zone_the_wall_clock_is_utc_as_before():
    assert parse_when("tomorrow 9am", NOW) == utc("2026-11-26 09:00")
    assert parse_when("tomorrow 9am", NOW, tz="UTC") == utc("2026-11-26 09:00")


def test_an_unknown_zone_is_one_sentence():
    with pytest.raises(InvalidInput, match="not a time zone I know"):
        parse_when("tomorrow 9am", NOW, tz="Mars/Olympus")
