"""Alert tools through the agent, and the owner gate."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.runtime import open_runtime
from cli import app
from core.auth import Caller
from core.errors import PermissionDenied


async def test_create_list_snooze_delete_through_the_agent(settings):
    async with open_runtime(settings) as rt:
        created = await rt.ask("alert me when AAPL crosses above $250")
        assert created.tool_calls[0]["name"] == "create_alert"
        assert created.answer.startswith("Alert 1 set: AAPL crosses above $250.00")
        assert "AAPL is at $" in created.answer
        listed = await rt.ask("list my alerts")
        assert "#1 AAPL crosses above $250.00" in listed.answer
        snoozed = await rt.ask("snooze alert 1 for 2 hours")
        assert snoozed.answer.startswith("Snoozed alert 1 until")
        deleted = await rt.ask("delete alert 1")
        assert deleted.answer.startswith("Deleted alert 1")
        assert (await rt.ask("list alerts")).answer == "No active alerts."
        missing = await rt.ask("delete alert 42")
        assert "There is no active alert 42" in missing.answer


async def test_guests_cannot_create_or_delete_alerts(settings):
    guest = Caller(user_id="999", is_owner=False)
    async with open_runtime(settings) as rt:
        await rt.ask("alert me when TSLA goes above 300")
        # the guest agent has no alert tools at all...
        refused = await rt.ask("alert me when TSLA goes above 400", caller=guest)
        assert all(c["name"] != "create_alert" for c in refused.tool_calls)
        listed = await rt.ask("list my alerts", caller=guest)
        assert listed.tool_calls == [] and "#1" not in listed.answer
        # ...and the tools refuse a guest caller in code, whatever the model does
        tools = {t.name: t for t in rt.tools}
        config = {"configurable": {"caller": guest}}
        with pytest.raises(PermissionDenied, match="Only the owner can create alerts"):
            await tools["create_alert"].ainvoke(
                {"symbol": "TSLA", "condition": "above", "threshold": 400}, config)
        with pytest.raises(PermissionDenied, match="Only the owner can delete alerts"):
            await tools["delete_alert"].ainvoke({"alert_id": 1}, config)
        assert len(rt.alerts.service.rules()) == 1


async def test_unknown_symbol_alert_is_refused(settings):
    async with open_runtime(settings) as rt:
        result = await rt.ask("alert me when ZZZQ goes above 10")
        assert result.answer.startswith("I don't know the ticker ZZZQ")
        assert rt.alerts.service.rules() == []


def test_cli_alerts_add_list_rm():
    runner = CliRunner()
    out = runner.invoke(app, ["alerts", "add", "MSFT", "cross_above", "500"])
    assert out.exit_code == 0 and "Alert 1 set: MSFT crosses above $500.00" in out.stdout
    bad = runner.invoke(app, ["alerts", "add", "MSFT", "above", "--", "-1"])
    assert bad.exit_code == 1 and "threshold must be a positive price" in bad.output
    assert "MSFT crosses above" in runner.invoke(app, ["alerts", "list"]).stdout
    assert runner.invoke(app, ["alerts", "snooze", "1", "30"]).exit_code == 0
    assert "Deleted alert 1" in runner.invoke(app, ["alerts", "rm", "1"]).stdout
    assert "No alerts." in runner.invoke(app, ["alerts", "list"]).stdout


async def test_run_loop_ticks_fire_alerts_into_console(settings, monkeypatch):
    import asyncio

    monkeypatch.setenv("COPILOT_TICK_INTERVAL", "0.01")
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        price = (await rt.market.service.quote("AAPL")).quote.price
        await rt.alerts.service.create(symbol="AAPL", condition="above", threshold=price * 0.5)
        inbox = rt.notices()
        await rt.start()
        for _ in range(300):
            notes = [n.text for n in inbox.drain()]
            if notes:
                break
            await asyncio.sleep(0.02)
        await rt.stop()
    assert notes and "AAPL is at or above" in notes[0]
