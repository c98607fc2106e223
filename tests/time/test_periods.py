"""Periods in calendar terms: "3 months" is the same date three months ago through today,
not 90 sessions; answers say which sessions they used. Fixed clock: Wed 2026-11-25."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import InvalidInput
from core.markettime import months_back, parse_period
from core.storage import make_engine
from tools.market.capability import MarketCapability
from tools.market.providers.offline import OfflineProvider
from tools.market.service import MarketService
from tools.market.tools import make_market_tools

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("text,start,end,label", [
    ("3 months", "2026-08-25", "2026-11-25", "3 months"),
    ("6 months", "2026-05-25", "2026-11-25", "6 months"),
    ("ytd", "2026-01-01", "2026-11-25", "year to date"),
    ("52-week", "2025-11-26", "2026-11-25", "52-week"),
    ("52 week high", "2025-11-26", "2026-11-25", "52-week"),
    ("1y", "2025-11-25", "2026-11-25", "1 year"),
    ("past 10 days", "2026-11-15", "2026-11-25", "10 days"),
    ("this week", "2026-11-23", "2026-11-25", "this week"),
    ("last week", "2026-11-16", "2026-11-22", "last week"),
    ("last month", "2026-10-01", "2026-10-31", "last month"),
    ("since jan 1", "2026-01-01", "2026-11-25", "since 2026-01-01"),
    ("since 2026-10-01", "2026-10-01", "2026-11-25", "since 2026-10-01"),
    ("on 2026-10-01", "2026-10-01", "2026-10-01", "on 2026-10-01"),
    ("2026-10-01 to 2026-10-31", "2026-10-01", "2026-10-31", "2026-10-01 to 2026-10-31"),
])
def test_periods_cover_the_asked_calendar_dates(text, start, end, label):
    period = parse_period(text, TODAY)
    assert (period.start.isoformat(), period.end.isoformat(), period.label) == (start, end, label)


def test_month_ends_clamp():
    assert months_back(date(2026, 5, 31), 3) == date(2026, 2, 28)
    assert months_back(date(2026, 3, 31), 1) == date(2026, 2, 28)


@pytest.mark.parametrize("text,message", [
    ("whenever", "can't read"), ("since 2027-01-01", "still ahead"), ("", "Say which period"),
])
def test_unreadable_periods_are_one_sentence(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_period(text, TODAY)


@pytest.fixture
def service(settings):
    engine = make_engine(settings.db_url, MarketCapability.tables)
    clock = lambda: NOW  # noqa: E731
    return MarketService([OfflineProvider(clock=clock)], engine=engine, clock=clock,
                         charts_dir=settings.charts_dir, timezone="Europe/Berlin")


async def test_history_covers_exactly_the_period_and_its_sessions(service):
    found = await service.history_period("AAPL", "3 months")
    days = [b.day for b in found.bars]
    assert days[0] == date(2026, 8, 25)  # a Tuesday: the first session of the period
    assert days[-1] == date(2026, 11, 24)  # the demo provider's last completed session
    assert date(2026, 9, 7) not in days  # Labor Day is no session
    assert len(days) == len(found.sessions) - 1  # every session but today's, still open
    ytd = await service.history_period("AAPL", "ytd")
    assert ytd.bars[0].day == date(2026, 1, 2)  # New Year's Day is a holiday
    year = await service.history_period("AAPL", "52-week")
    assert year.bars[0].day == date(2025, 11, 26)
    assert date(2025, 11, 27) not in [b.day for b in year.bars]  # Thanksgiving 2025


async def test_crypto_periods_count_every_day(service):
    found = await service.history_period("BTC-USD", "this week")
    assert [b.day.day for b in found.bars] == [23, 24]


async def test_the_history_tool_says_which_sessions_it_used(service):
    tools = {t.name: t for t in make_market_tools(service)}
    out = await tools["get_price_history"].ainvoke({"symbol": "AAPL", "period": "ytd"})
    assert out["start"] == "2026-01-01" and out["period"] == "year to date"
    assert "AAPL year to date (2026-01-01 to 2026-11-25)" in out["summary"]
    assert f"{out['days']} sessions, 2026-01-02 to 2026-11-24 (NYSE)" in out["summary"]
    old = await tools["get_price_history"].ainvoke({"symbol": "AAPL", "days": 5})
    assert old["days"] == 5  # sessions, as before


@pytest.mark.parametrize("at,expected", [
    ("2026-11-26 16:00", "The NYSE is closed for Thanksgiving; it opens at Fri 27 Nov 15:30 "
                         "CET, in 22 h 30 min. That session closes early, at 19:00 CET."),
    ("2026-11-25 15:00", "The NYSE is open; it closes at 22:00 CET, in 6 h."),
    ("2026-11-28 16:00", "The NYSE is closed for the weekend; it opens at Mon 30 Nov 15:30 "
                         "CET, in 1 day 22 h."),
])
async def test_market_status_tool(service, at, expected):
    service.clock = lambda: datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()
    tools = {t.name: t for t in make_market_tools(service)}
    out = await tools["market_status"].ainvoke({})
    assert out["summary"] == expected


async def test_quotes_say_which_session_and_read_on_the_owners_clock(service):
    tools = {t.name: t for t in make_market_tools(service)}
    out = await tools["get_quote"].ainvoke({"symbol": "AAPL"})
    assert out["session"] == "regular session"
    assert "regular session, as of Wed 25 Nov 16:00 CET" in out["summary"]
