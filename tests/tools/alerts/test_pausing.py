"""Pause and resume, one alert or every alert on a ticker: a paused alert stays listed and
editable, never fires, and fires again once resumed (in this process and after a reload)."""

from __future__ import annotations

import pytest

from core.auth import Caller
from core.errors import InvalidInput, NotFound, PermissionDenied
from tools.alerts.engine import AlertEngine
from tools.alerts.pausing import is_paused, pause, resume
from tools.alerts.tools import make_alert_tools

OWNER = {"configurable": {"caller": Caller.local_owner()}}
GUEST = {"configurable": {"caller": Caller(user_id="999", is_owner=False)}}


@pytest.fixture
def tools(harness):
    return {t.name: t for t in make_alert_tools(harness.service)}


async def test_a_paused_alert_does_not_fire_until_resumed(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100,
                             frequency="every_time")
    assert [r.id for r in pause(harness.service, rule.id)] == [rule.id]
    assert await harness.tick("AAPL", 101) == []
    assert is_paused(harness.service.get(rule.id)) and harness.service.get(rule.id).active
    assert [r.id for r in resume(harness.service, rule.id)] == [rule.id]
    assert await harness.tick("AAPL", 102) == [rule.id]


async def test_a_pause_holds_in_an_engine_that_reloads_from_the_database(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100)
    pause(harness.service, rule.id)
    other = AlertEngine(harness.sql, clock=harness.clock)
    other.load()
    assert other.index.evaluate("AAPL", 105.0, harness.clock()) == []
    resume(harness.service, rule.id)
    assert other.changed_elsewhere()
    other.sync()
    assert other.index.evaluate("AAPL", 105.0, harness.clock() + 1) == [rule.id]


async def test_bulk_pause_and_resume_by_symbol_leave_other_tickers_alone(harness):
    t1 = await harness.add(symbol="TSLA", condition="above", threshold=300)
    t2 = await harness.add(symbol="TSLA", condition="below", threshold=100)
    a = await harness.add(symbol="AAPL", condition="above", threshold=300)
    assert [r.id for r in pause(harness.service, symbol="tsla")] == [t1.id, t2.id]
    assert pause(harness.service, symbol="TSLA") == []  # already paused: nothing to do
    assert not is_paused(harness.service.get(a.id))
    assert await harness.tick("TSLA", 301) == [] and await harness.tick("AAPL", 301) == [a.id]
    assert [r.id for r in resume(harness.service, symbol="TSLA")] == [t1.id, t2.id]
    assert await harness.tick("TSLA", 99) == [a.id, t2.id]


async def test_bad_pause_requests_are_one_sentence(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100)
    with pytest.raises(InvalidInput, match="Give an alert number or a ticker"):
        pause(harness.service)
    with pytest.raises(InvalidInput, match="Alert 1 is not paused"):
        resume(harness.service, rule.id)
    with pytest.raises(NotFound, match="There is no alert 42"):
        pause(harness.service, 42)
    harness.service.delete(rule.id)
    with pytest.raises(NotFound, match="no active alert 1"):
        pause(harness.service, rule.id)


async def test_the_tool_pauses_lists_and_resumes(harness, tools):
    await harness.add(symbol="TSLA", condition="above", threshold=300)
    await harness.add(symbol="TSLA", condition="below", threshold=100)
    out = await tools["pause_alert"].ainvoke({"symbol": "tsla"}, OWNER)
    assert out == {"summary": "Paused 2 alerts on TSLA: #1 #2.", "alert_ids": [1, 2]}
    listed = tools["list_alerts"].invoke({})["summary"]
    assert "#1 TSLA at or above $300.00, paused" in listed
    again = await tools["pause_alert"].ainvoke({"symbol": "TSLA"}, OWNER)
    assert again["summary"] == "No active and unpaused alerts on TSLA to pause."
    out = await tools["pause_alert"].ainvoke({"alert_id": 2, "resume": True}, OWNER)
    assert out == {"summary": "Resumed 1 alert: #2.", "alert_ids": [2]}
    with pytest.raises(PermissionDenied):
        await tools["pause_alert"].ainvoke({"alert_id": 1}, GUEST)


def test_cli_pause_and_resume_one_or_a_ticker():
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    for sym, level in (("TSLA", "1000"), ("TSLA", "1100"), ("AAPL", "1000")):
        assert runner.invoke(app, ["alerts", "add", sym, "above", level]).exit_code == 0
    out = runner.invoke(app, ["alerts", "pause", "--symbol", "tsla"])
    assert out.exit_code == 0 and "Paused 2 alerts on TSLA: #1 #2." in out.output, out.output
    listed = runner.invoke(app, ["alerts", "list"]).stdout
    assert listed.count("paused") == 2
    out = runner.invoke(app, ["alerts", "resume", "2"])
    assert out.exit_code == 0 and "Resumed 1 alert: #2." in out.output
    out = runner.invoke(app, ["alerts", "resume", "3"])
    assert out.exit_code == 1 and "Alert 3 is not paused." in out.output
    assert "Traceback" not in out.output
    both = runner.invoke(app, ["alerts", "pause"])
    assert both.exit_code == 2 and "Give an alert number or --symbol" in both.output
