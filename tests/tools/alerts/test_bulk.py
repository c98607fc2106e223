"""Bulk deletes are questions (a decision, or a confirmation in the CLI), never silent; and
the CLI's edit and history."""

from __future__ import annotations

from typer.testing import CliRunner

from agent.runtime import open_runtime
from cli import app
from core.auth import Caller

OWNER = Caller.local_owner()
CONFIG = {"configurable": {"caller": OWNER}}


async def _three_tsla_and_one_aapl(rt):
    svc = rt.alerts.service
    for level in (1000, 1100, 1200):
        await svc.create(symbol="TSLA", condition="above", threshold=level)
    await svc.create(symbol="AAPL", condition="above", threshold=1000)


async def test_deleting_all_of_a_symbol_raises_a_decision_and_waits(settings):
    async with open_runtime(settings) as rt:
        await _three_tsla_and_one_aapl(rt)
        tools = {t.name: t for t in rt.tools}
        out = await tools["delete_alert"].ainvoke({"symbol": "tsla"}, CONFIG)
        assert out["summary"] == ("Delete your 3 TSLA alerts? #1 #2 #3 — waiting for your "
                                  "confirmation (decision 1: delete_all or keep).")
        assert len(rt.alerts.service.rules()) == 4  # nothing deleted yet
        again = await tools["delete_alert"].ainvoke({"symbol": "TSLA"}, CONFIG)
        assert again["decision_id"] == out["decision_id"]  # the same open question
        [decision] = rt.pending()
        assert decision.kind == "alerts_delete" and decision.recommended == "keep"
        assert [o.id for o in decision.options] == ["delete_all", "keep"]
        done = await rt.decide(decision.id, "delete_all", OWNER)
        assert done.outcome == "Deleted 3 alerts: #1 #2 #3."
        assert [r.symbol for r in rt.alerts.service.rules()] == ["AAPL"]
        await rt.undo(decision.id, OWNER)
        assert len(rt.alerts.service.rules()) == 4  # undone: all three are back


async def test_keep_deletes_nothing_and_an_id_still_deletes_one(settings):
    async with open_runtime(settings) as rt:
        await _three_tsla_and_one_aapl(rt)
        tools = {t.name: t for t in rt.tools}
        out = await tools["delete_alert"].ainvoke({"symbol": "TSLA"}, CONFIG)
        done = await rt.decide(out["decision_id"], "keep", OWNER)
        assert done.outcome == "Kept your 3 TSLA alerts."
        assert len(rt.alerts.service.rules()) == 4
        one = await tools["delete_alert"].ainvoke({"alert_id": 2}, CONFIG)
        assert one["summary"].startswith("Deleted alert 2 (TSLA at or above $1,100.00)")
        none = await tools["delete_alert"].ainvoke({"symbol": "NVDA"}, CONFIG)
        assert none["summary"] == "No active alerts on NVDA to delete." and rt.pending() == []


def test_cli_rm_symbol_asks_first():
    runner = CliRunner()
    for level in ("1000", "1100"):
        assert runner.invoke(app, ["alerts", "add", "TSLA", "above", level]).exit_code == 0
    assert runner.invoke(app, ["alerts", "add", "AAPL", "above", "1000"]).exit_code == 0
    no = runner.invoke(app, ["alerts", "rm", "--symbol", "tsla"], input="n\n")
    assert no.exit_code == 1 and "Delete your 2 TSLA alerts? #1 #2" in no.output
    assert "Nothing deleted." in no.output
    yes = runner.invoke(app, ["alerts", "rm", "--symbol", "TSLA"], input="y\n")
    assert yes.exit_code == 0 and "Deleted 2 alerts: #1 #2." in yes.output
    listed = runner.invoke(app, ["alerts", "list"]).stdout
    assert "AAPL" in listed and "TSLA" not in listed
    assert runner.invoke(app, ["alerts", "add", "TSLA", "above", "1000"]).exit_code == 0
    quiet = runner.invoke(app, ["alerts", "rm", "--symbol", "TSLA", "--yes"])
    assert quiet.exit_code == 0 and "Deleted 1 alert: #4." in quiet.output
    assert "Delete your" not in quiet.output  # --yes: no question
    both = runner.invoke(app, ["alerts", "rm"])
    assert both.exit_code == 2 and "Give an alert number or --symbol" in both.output


def test_cli_edit_and_history():
    runner = CliRunner()
    assert runner.invoke(app, ["alerts", "add", "AAPL", "above", "1000"]).exit_code == 0
    out = runner.invoke(app, ["alerts", "edit", "1", "--condition", "moving_down_pct",
                              "--threshold", "2", "--window", "30", "--expires", "for 2 days",
                              "--note", "earnings"])
    assert out.exit_code == 0, out.output
    assert "Alert 1 updated: AAPL falls 2% from its high within 30 min; fires once; until" \
        in out.stdout and "note: earnings" in out.stdout
    assert "Was: AAPL at or above $1,000.00; fires once; no expiry." in out.stdout
    bad = runner.invoke(app, ["alerts", "edit", "1", "--threshold", "500"])
    assert bad.exit_code == 1 and "a percentage move must be between 0 and 100" in bad.output
    empty = runner.invoke(app, ["alerts", "history", "--since", "today"])
    assert empty.exit_code == 0 and "No alerts fired since" in empty.output
    unreadable = runner.invoke(app, ["alerts", "history", "--since", "whenever"])
    assert unreadable.exit_code == 1 and "can't read 'whenever'" in unreadable.output


def test_cli_history_lists_what_fired(settings):
    import asyncio

    from core.market import Tick

    async def fire() -> None:
        async with open_runtime(settings) as rt:
            await rt.alerts.service.create(symbol="AAPL", condition="above", threshold=10)
            rt.alerts.engine.load()
            rt.alerts.engine.process(Tick(symbol="AAPL", price=11.5, ts=rt.kernel.clock()))

    asyncio.run(fire())
    result = CliRunner().invoke(app, ["alerts", "history", "AAPL", "--since", "1h"])
    assert result.exit_code == 0, result.output
    assert "alert history (1 of 1" in result.output and "11.50" in result.output
    assert "queued" in result.output  # not delivered yet: no `copilot run` here
