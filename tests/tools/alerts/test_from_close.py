"""Moves from the previous session's close ("up 5% today"): the tool, the seeding, the
engine and its message, the CLI and the offline model's reading. Their firings against
the naive evaluator on random ticks are in test_operators.py."""

from __future__ import annotations

import pytest


async def test_a_move_from_the_close_fires_through_the_engine_with_its_close(settings):
    from sqlmodel import Session, select

    from agent.runtime import open_runtime
    from core.auth import Caller
    from core.errors import InvalidInput
    from core.market import Tick
    from tools.alerts.models import Firing

    owner = Caller.local_owner()
    async with open_runtime(settings) as rt:
        up = await rt.run_tool("create_alert", {"symbol": "AAPL",
                                                "condition": "up_pct_from_close",
                                                "threshold": 3}, owner)
        assert up["created"] and "AAPL up 3% from the previous close" in up["summary"]
        down = await rt.run_tool("create_alert", {"symbol": "AAPL",
                                                  "condition": "down_from_close",
                                                  "threshold": 5}, owner)
        assert "AAPL down $5.00 from the previous close" in down["summary"]
        with pytest.raises(InvalidInput, match="between 0.01 and 100"):
            await rt.run_tool("create_alert", {"symbol": "AAPL",
                                               "condition": "down_pct_from_close",
                                               "threshold": 150}, owner)
        engine = rt.alerts.engine
        # silent until the daily bars say what the previous close was
        assert engine.process(Tick(symbol="AAPL", price=1e6, ts=rt.clock())) == []
        assert set(engine.operators.unseeded()) == {"AAPL"}
        assert await rt.alerts.seed_indicators() == ["AAPL"]
        close = engine.operators.books["AAPL"].series.closes[-1]
        ts = rt.clock()
        assert engine.process(Tick(symbol="AAPL", price=close * 1.02, ts=ts)) == []
        fired = engine.process(Tick(symbol="AAPL", price=close * 1.031, ts=ts + 1))
        assert [f.rule_id for f in fired] == [up["alert_id"]]
        fired = engine.process(Tick(symbol="AAPL", price=close - 5.01, ts=ts + 2))
        assert [f.rule_id for f in fired] == [down["alert_id"]]
        with Session(rt.kernel.db) as s:
            messages = [f.message for f in s.exec(select(Firing).order_by(Firing.id))]
        assert "+3.10% from the previous close" in messages[0]
        assert f"{close:,.2f}" in messages[0]


def test_the_cli_adds_a_move_from_the_close(settings):
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["alerts", "add", "NVDA", "down_pct_from_close", "4"])
    assert made.exit_code == 0, made.output
    assert "NVDA down 4% from the previous close" in made.output
    listed = runner.invoke(app, ["alerts", "list"])
    assert "NVDA down 4% from the previous close" in listed.output
    bad = runner.invoke(app, ["alerts", "add", "NVDA", "up_from_close", "5", "--period", "3"])
    assert bad.exit_code != 0 and "period" in bad.output and "Traceback" not in bad.output


@pytest.mark.parametrize(("message", "condition", "threshold"), [
    ("alert me if tsla is up 5% today", "up_pct_from_close", 5.0),
    ("ping me when AAPL is down 3% on the day", "down_pct_from_close", 3.0),
    ("alert if spy drops 1.5% from the close", "down_pct_from_close", 1.5),
    ("tsla up $10 on the day", "up_from_close", 10.0),
    # a window or no day word: still a move within the window
    ("alert me if tsla drops 3% within 30 min today", "moving_down_pct", 3.0),
    ("tsla pops 3% ping me", "moving_up_pct", 3.0),
])
def test_the_offline_model_reads_a_move_over_the_day_as_from_the_close(
        message, condition, threshold):
    from agent.runtime import grammars, offline_model

    tools = {i.tool for g in grammars() for i in g.intents}
    call = offline_model().route(message, tools).tool_calls[0]
    assert call["name"] == "create_alert"
    assert (call["args"]["condition"], call["args"]["threshold"]) == (condition, threshold)


def _ny(day: int, hour: int, minute: int = 0) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, day, hour, minute, tzinfo=ZoneInfo("America/New_York")).timestamp()


BARS = [("2026-11-19", 105.0, 1e6), ("2026-11-20", 110.0, 1e6), ("2026-11-23", 100.0, 1e6)]


def test_the_previous_close_is_the_sessions_not_an_after_hours_trade():
    """Seeded on Monday evening (after the close, Monday's bar in), then an after-hours
    trade far off the close: on Tuesday 'up 3%' is measured from Monday's close, 100."""
    from tools.alerts.fanout import exchange_operators

    ops = exchange_operators()
    ops.add(1, "AAPL", "up_pct_from_close", 3.0)
    ops.add(2, "AAPL", "down_pct_from_close", 3.0)
    ops.seed("AAPL", BARS, _ny(23, 20))
    assert ops.books["AAPL"].series.closes[-1] == 100.0
    assert ops.evaluate("AAPL", 110.0, _ny(23, 19, 59), 0.0) == [1]  # after hours, +10%
    assert ops.evaluate("AAPL", 102.0, _ny(24, 10), 0.0) == []
    assert ops.evaluate("AAPL", 103.5, _ny(24, 11), 0.0) == [1]
    # Tuesday closes at 96.5 (-3.5%: fires), then trades at 120 after hours; on Wednesday
    # the previous close is 96.5
    assert ops.evaluate("AAPL", 96.5, _ny(24, 15, 59), 0.0) == [2]
    assert ops.evaluate("AAPL", 120.0, _ny(24, 19), 0.0) == [1]
    assert ops.evaluate("AAPL", 99.5, _ny(25, 10), 0.0) == [1]  # +3.1% (from 120: -17%)
    assert ops.books["AAPL"].series.closes[-1] == 96.5


def test_seeded_during_the_session_the_live_day_is_today():
    from tools.alerts.fanout import exchange_operators

    ops = exchange_operators()
    ops.add(1, "AAPL", "up_pct_from_close", 3.0)
    ops.seed("AAPL", [*BARS, ("2026-11-24", 101.0, 5e5)], _ny(24, 10))  # today's bar: live
    assert ops.books["AAPL"].series.closes[-1] == 100.0
    assert ops.evaluate("AAPL", 103.0, _ny(24, 10, 1), 0.0) == [1]


def test_a_first_trade_after_the_close_is_not_the_days_close():
    """Wednesday's first trade comes after its close (an after-hours print): Thursday's
    previous close is still Wednesday's session's, which had no trade here, not that
    print."""
    from tools.alerts.fanout import exchange_operators

    ops = exchange_operators()
    ops.add(1, "AAPL", "up_pct_from_close", 3.0)
    ops.seed("AAPL", BARS, _ny(24, 10))
    assert ops.evaluate("AAPL", 100.0, _ny(24, 15, 59), 0.0) == []  # Tuesday closes at 100
    assert ops.evaluate("AAPL", 130.0, _ny(25, 18), 0.0) == [1]  # Wednesday, after hours
    series = ops.books["AAPL"].series
    assert series.closing is None
    ops.evaluate("AAPL", 101.0, _ny(27, 10), 0.0)  # Friday (Thanksgiving in between)
    assert series.closes[-1] == 100.0 and 130.0 not in series.closes
