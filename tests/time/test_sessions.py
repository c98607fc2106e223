"""The exchange clock with a fixed clock: the NYSE across the DST change of 2026-11-01,
Thanksgiving (2026-11-26) and the 13:00 ET early close the day after; crypto 24/7.
Briefings land 15 min before each open and 15 min after each close."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime

import pytest

from core.calendar import calendar_for, is_crypto, nyse
from core.errors import InvalidInput
from core.markettime import format_local, format_span
from core.scheduler import Scheduler, SessionTrigger, next_run


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def fires(trigger: SessionTrigger, start: str, n: int) -> list[str]:
    out, previous = [], None
    now = utc(start)
    for _ in range(n):
        previous = trigger.get_next_fire_time(previous, now)
        assert previous is not None
        out.append(previous.strftime("%a %m-%d %H:%M"))
    return out


def test_pre_open_briefing_follows_dst_and_skips_thanksgiving():
    pre_open = SessionTrigger("open", -15)
    assert fires(pre_open, "2026-10-29 22:00", 3) == [
        "Fri 10-30 13:15",  # 09:15 EDT
        "Mon 11-02 14:15",  # 09:15 EST: the clocks went back on Sunday
        "Tue 11-03 14:15"]
    assert fires(pre_open, "2026-11-25 15:00", 3) == [
        "Fri 11-27 14:15",  # Thursday is Thanksgiving
        "Mon 11-30 14:15", "Tue 12-01 14:15"]


def test_after_close_briefing_respects_the_early_close():
    after_close = SessionTrigger("close", 15)
    assert fires(after_close, "2026-10-30 12:00", 2) == ["Fri 10-30 20:15", "Mon 11-02 21:15"]
    assert fires(after_close, "2026-11-25 15:00", 3) == [
        "Wed 11-25 21:15",
        "Fri 11-27 18:15",  # closes at 13:00 ET the day after Thanksgiving
        "Mon 11-30 21:15"]


def test_a_run_exactly_at_a_fire_time_is_not_repeated():
    pre_open = SessionTrigger("open", -15)
    at = utc("2026-11-25 14:15")
    assert pre_open.get_next_fire_time(None, at) == at  # due now: runs now
    assert pre_open.get_next_fire_time(at, at) == utc("2026-11-27 14:15")


def test_the_trigger_pickles_its_settings_only():
    trigger = pickle.loads(pickle.dumps(SessionTrigger("close", 15)))
    assert (trigger.event, trigger.offset_minutes, trigger.calendar) == ("close", 15, "XNYS")
    assert str(trigger) == "session[15 min after the close, XNYS]"


def test_next_run_of_declared_jobs():
    now = utc("2026-11-25 22:00").timestamp()
    assert next_run("session", {"event": "open", "offset_minutes": -15}, now) == \
        utc("2026-11-27 14:15")
    assert next_run("interval", {"minutes": 5}, now) is not None
    assert next_run("cron", {"hour": 23, "minute": 0}, now) == utc("2026-11-25 23:00")


async def test_session_jobs_are_stored_by_the_scheduler(tmp_path):
    scheduler = Scheduler(f"sqlite:///{tmp_path / 'jobs.db'}")

    async def briefing() -> None:
        return None

    scheduler.add("briefing_pre_open", briefing, "session", event="open", offset_minutes=-15)
    stored = {j["id"]: j for j in await scheduler.stored()}
    assert stored["briefing_pre_open"]["trigger"] == "session[15 min before the open, XNYS]"
    assert not scheduler.running


def test_sessions_holidays_and_early_closes():
    cal = nyse()
    assert cal.session(date(2026, 11, 26)) is None
    assert cal.holiday(date(2026, 11, 26)) == "Thanksgiving"
    assert cal.holiday(date(2026, 11, 28)) is None  # a Saturday is no holiday
    friday = cal.session(date(2026, 11, 27))
    assert friday is not None and friday.early_close
    assert friday.close == utc("2026-11-27 18:00")
    assert [s.day.day for s in cal.sessions(date(2026, 11, 23), date(2026, 11, 29))] == \
        [23, 24, 25, 27]


@pytest.mark.parametrize("at,state,reason,next_open", [
    ("2026-11-25 15:00", "open", "", "2026-11-27 14:30"),
    ("2026-11-25 12:00", "pre-market", "", "2026-11-25 14:30"),
    ("2026-11-25 21:30", "after-hours", "", "2026-11-27 14:30"),
    ("2026-11-26 16:00", "closed", "Thanksgiving", "2026-11-27 14:30"),
    ("2026-11-27 18:30", "after-hours", "", "2026-11-30 14:30"),  # early close, until 17:00
    ("2026-11-27 22:30", "closed", "overnight", "2026-11-30 14:30"),
    ("2026-11-28 16:00", "closed", "weekend", "2026-11-30 14:30"),
])
def test_market_status(at, state, reason, next_open):
    status = nyse().status(utc(at))
    assert (status.state, status.reason, status.next_open) == (state, reason, utc(next_open))


def test_crypto_trades_around_the_clock():
    assert is_crypto("BTC-USD") and is_crypto("eth-usd") and not is_crypto("BRK.B")
    cal = calendar_for("BTC-USD")
    assert cal.status(utc("2026-11-26 16:00")).state == "open"
    assert cal.rearm_after(utc("2026-11-26 16:00")) == utc("2026-11-27 00:00")
    assert calendar_for("AAPL") is nyse()


def test_outside_the_known_calendar_is_one_sentence():
    with pytest.raises(InvalidInput, match="only know the NYSE calendar"):
        nyse().session(date(2050, 1, 3))


def test_instants_read_in_the_owners_zone():
    at = utc("2026-11-25 14:30")
    assert format_local(at, "America/New_York") == "Wed 25 Nov 09:30 EST"
    assert format_local(at, "Europe/Berlin") == "Wed 25 Nov 15:30 CET"
    assert format_local(at.timestamp(), "Asia/Tokyo", year=True) == "Wed 25 Nov 2026 23:30 JST"
    assert format_span(2 * 3600 + 15 * 60) == "2 h 15 min"
    assert format_span(26 * 3600) == "1 day 2 h"
