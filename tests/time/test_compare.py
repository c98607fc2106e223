"""Comparisons in calendar terms: "how did NVDA do this week vs AMD" is a table of returns
(from the close before the period to its last close), best first, with one overlay chart
when asked. Fixed clock: Wed 2026-11-25 15:00 UTC; the demo provider's last completed
session is Tue 2026-11-24."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.errors import InvalidInput
from core.storage import make_engine
from tools.market.capability import MarketCapability
from tools.market.errors import SymbolNotFound
from tools.market.providers.offline import OfflineProvider
from tools.market.service import MarketService
from tools.market.tools import make_market_tools

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def service(settings):
    engine = make_engine(settings.db_url, MarketCapability.tables)
    clock = lambda: NOW  # noqa: E731
    return MarketService([OfflineProvider(clock=clock)], engine=engine, clock=clock,
                         charts_dir=settings.charts_dir)


@pytest.fixture
def tools(service):
    return {t.name: t for t in make_market_tools(service)}


async def closes(service, symbol: str) -> dict[date, float]:
    return {b.day: b.close for b in await service.history(symbol, 400)}


def pct(now: float, then: float) -> float:
    return round((now - then) / then * 100, 2)


async def test_two_tickers_this_week_is_a_table_of_returns_best_first(service, tools):
    out = await tools["compare_returns"].ainvoke({"symbols": ["nvda", "AMD"],
                                                  "period": "this week"})
    expected = {}
    for symbol in ("NVDA", "AMD"):
        c = await closes(service, symbol)
        # Monday 23 and Tuesday 24 Nov, measured from Friday 20 Nov's close
        expected[symbol] = pct(c[date(2026, 11, 24)], c[date(2026, 11, 20)])
    assert {r["symbol"]: r["this week"] for r in out["returns"]} == expected
    ranked = sorted(expected, key=lambda s: -expected[s])
    assert [r["symbol"] for r in out["returns"]] == ranked
    lines = out["summary"].splitlines()
    assert lines[0] == f"{ranked[0]} vs {ranked[1]}, this week — returns, best first:"
    assert lines[1] == "| symbol | this week | last close |"
    assert lines[3].startswith(f"| {ranked[0]} | {expected[ranked[0]]:+.2f}% | $")
    assert ("this week (2026-11-23 to 2026-11-25): from the close of 2026-11-20; 2 sessions, "
            "2026-11-23 to 2026-11-24 (NYSE).") in out["summary"]
    assert "path" not in out


async def test_one_ticker_this_week_vs_last_week(service, tools):
    out = await tools["compare_returns"].ainvoke({"symbols": ["AAPL"], "period": "this week",
                                                  "versus": "last week"})
    c = await closes(service, "AAPL")
    assert out["periods"] == ["this week", "last week"]
    assert out["returns"] == [{"symbol": "AAPL",
                               "this week": pct(c[date(2026, 11, 24)], c[date(2026, 11, 20)]),
                               "last week": pct(c[date(2026, 11, 20)], c[date(2026, 11, 13)])}]
    assert "| symbol | this week | last week | last close |" in out["summary"]


async def test_year_to_date_runs_from_last_years_close(service, tools):
    out = await tools["compare_returns"].ainvoke({"symbols": ["AAPL", "MSFT"],
                                                  "period": "ytd"})
    for row in out["returns"]:
        c = await closes(service, row["symbol"])
        assert row["year to date"] == pct(c[date(2026, 11, 24)], c[date(2025, 12, 31)])
    assert "from the close of 2025-12-31" in out["summary"]
    history = await tools["get_price_history"].ainvoke({"symbol": "AAPL", "period": "ytd"})
    aapl = next(r for r in out["returns"] if r["symbol"] == "AAPL")
    assert history["change_pct"] == aapl["year to date"]  # the same figure either way
    assert history["from_close"][0] == "2025-12-31"


async def test_chart_draws_one_overlay(tools):
    out = await tools["compare_returns"].ainvoke({"symbols": ["NVDA", "AMD", "BTC-USD"],
                                                  "period": "1 month", "chart": True})
    assert out["path"].endswith("compare-NVDA-AMD-BTC-USD-2026-10-25_2026-11-25.png")
    with open(out["path"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert len(out["returns"]) == 3


@pytest.mark.parametrize("args,error,says", [
    ({"symbols": ["NVDA"]}, InvalidInput, "Give two tickers or more"),
    ({"symbols": ["NVDA", "AMD"], "period": "whenever"}, InvalidInput, "can't read"),
    ({"symbols": ["NVDA", "AMDX"]}, SymbolNotFound, "AMDX"),
    ({"symbols": ["AAPL", "MSFT", "NVDA", "AMD", "TSLA", "SPY", "QQQ", "META", "AMZN"]},
     InvalidInput, "at most 8"),
])
async def test_bad_comparisons_are_one_sentence(tools, args, error, says):
    with pytest.raises(error, match=says) as err:
        await tools["compare_returns"].ainvoke(args)
    assert "\n" not in str(err.value)


async def test_a_period_chart_says_which_sessions_it_used(tools):
    out = await tools["price_chart"].ainvoke({"symbol": "AAPL", "period": "3 months"})
    assert out["summary"].startswith("Chart of AAPL for 3 months (2026-08-25 to 2026-11-25; ")
    assert "sessions, 2026-08-25 to 2026-11-24)" in out["summary"]
