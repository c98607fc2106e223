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
