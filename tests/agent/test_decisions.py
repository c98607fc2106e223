"""Decision lifecycle, restart safety, recommendations, autopilot and undo."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput, PermissionDenied

ROOT = Path(__file__).resolve().parents[2]
OWNER = Caller.local_owner()


def fired(rule_id: int, firing_id: int, symbol: str = "TSLA", price: float = 251.0):
    return SimpleNamespace(
        firing_id=firing_id, rule_id=rule_id, symbol=symbol, price=price, ts=1795530600.0,
        condition="cross_above", threshold=250.0, note="",
        message=f"🔔 {symbol} crossed above $250.00: now ${price:,.2f} (alert {rule_id})",
    )


async def make_rule(rt, symbol="TSLA"):
    rule, _ = await rt.alerts.service.create(symbol=symbol, condition="cross_above",
                                             threshold=250)
    return rule


async def test_alert_decision_lifecycle(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        d = await rt.alerts.on_fired(fired(rule.id, 1))
        assert d.status == "pending" and [o.id for o in d.options] == ["draft", "snooze", "dismiss"]
        assert d.recommended == "dismiss"  # no memory yet: the default
        assert "No similar past decisions" in d.rationale
        again = await rt.alerts.on_fired(fired(rule.id, 1))
        assert again.id == d.id  # the same firing never raises two decisions
        state = await rt.decisions.graph.aget_state({"configurable": {"thread_id": d.thread_id}})
        request = state.tasks[0].interrupts[0].value
        assert request["action_request"]["action"] == "alert_fired"
        assert request["config"]["allow_ignore"] is True
        assert "Snooze this alert" in request["description"]

        with pytest.raises(PermissionDenied):
            await rt.decisions.decide(d.id, "snooze", Caller("x", is_owner=False))
        with pytest.raises(InvalidInput, match="no option 'maybe'"):
            await rt.decisions.decide(d.id, "maybe", OWNER)
        done = await rt.decisions.decide(d.id, "2", OWNER)  # by number
        assert done.status == "decided" and done.chosen == "snooze"
        assert rt.alerts.service.get(rule.id).snoozed_until is not None
        assert [e.event for e in rt.decisions.events(d.id)] == ["decided", "raised"]
        with pytest.raises(InvalidInput, match="already decided"):
            await rt.decisions.decide(d.id, "dismiss", OWNER)
        assert rt.decisions.memory.recall("TSLA snooze", 1)[0].decision_id == d.id


RAISE = textwrap.dedent("""
    import asyncio, sys
    from types import SimpleNamespace
    from agent.runtime import open_runtime

    async def main():
        async with open_runtime() as rt:
            rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                     threshold=250)
            alert = SimpleNamespace(firing_id=7, rule_id=rule.id, symbol="TSLA", price=251.0,
                                    ts=1795530600.0, condition="above", threshold=250.0,
                                    note="", message="TSLA is at or above $250.00")
            d = await rt.alerts.on_fired(alert)
            print(d.id, rule.id)

    asyncio.run(main())
""")


async def test_pending_decision_survives_a_restart(settings):
    out = subprocess.run([sys.executable, "-c", RAISE], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=120)
    decision_id, rule_id = map(int, out.stdout.split())
    async with open_runtime(settings) as rt:  # a new process, same files
        assert [d.id for d in rt.decisions.pending()] == [decision_id]
        done = await rt.decisions.decide(decision_id, "snooze", OWNER)
        assert done.status == "decided"
        assert "Snoozed alert" in done.outcome
        assert rt.alerts.service.get(rule_id).snoozed_until is not None


async def teach(rt, rule, choices: list[str], start_firing: int = 100):
    for i, choice in enumerate(choices):
        d = await rt.alerts.on_fired(fired(rule.id, start_firing + i))
        await rt.decisions.decide(d.id, choice, OWNER)


async def test_recommendation_cites_past_choices(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        await teach(rt, rule, ["snooze", "snooze", "dismiss", "snooze"])
        d = await rt.alerts.on_fired(fired(rule.id, 999))
        assert d.recommended == "snooze"
        assert d.rationale.startswith("You chose “Snooze this alert for 1 hour” for 3 of the "
                                      "last 4 similar TSLA decisions")
        assert d.status == "pending"  # autopilot is off by default


async def test_autopilot_acts_only_when_enabled_and_consistent(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        await teach(rt, rule, ["snooze"] * 5)
        off = await rt.alerts.on_fired(fired(rule.id, 500))
        assert off.status == "pending"
        await rt.decisions.decide(off.id, "snooze", OWNER)
        with pytest.raises(PermissionDenied):
            rt.decisions.set_autopilot("alert_fired", True, Caller("x", is_owner=False))
        rt.decisions.set_autopilot("alert_fired", True, OWNER)
        auto = await rt.alerts.on_fired(fired(rule.id, 501))
        assert auto.status == "auto" and auto.decided_by == "autopilot"
        assert auto.chosen == "snooze" and auto.undo_until is not None
        assert any(e.event == "auto" and "Autopilot" in e.detail
                   for e in rt.decisions.events(auto.id))
        # undo reverses the action
        undone = await rt.decisions.undo(auto.id, OWNER)
        assert undone.status == "undone"
        assert rt.alerts.service.get(rule.id).snoozed_until is None
        # the undone choice breaks the streak: no autopilot until the owner is consistent again
        after = await rt.alerts.on_fired(fired(rule.id, 502))
        assert after.status == "pending"


async def test_autopilot_waits_when_past_choices_disagree(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        await teach(rt, rule, ["snooze", "snooze", "dismiss", "snooze", "snooze"])
        rt.decisions.set_autopilot("alert_fired", True, OWNER)
        d = await rt.alerts.on_fired(fired(rule.id, 600))
        assert d.status == "pending" and d.recommended == "snooze"


async def test_expiry_closes_stale_decisions(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        rule = await make_rule(rt)
        d = await rt.alerts.on_fired(fired(rule.id, 1))
        fixed_clock.advance(13 * 3600)
        reminded = await rt.decisions.remind()
        assert [r.id for r in reminded] == [d.id]
        assert await rt.decisions.remind() == []  # one reminder only
        fixed_clock.advance(12 * 3600)
        assert await rt.decisions.expire_stale() == [d.id]
        assert rt.decisions.get(d.id).status == "expired"
        assert rt.alerts.service.get(rule.id).snoozed_until is None


async def test_decision_tools_through_the_agent(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        d = await rt.alerts.on_fired(fired(rule.id, 1))
        listed = await rt.ask("what needs my attention")
        assert f"Decision {d.id}" in listed.answer and "⭐ recommended" in listed.answer
        decided = await rt.ask(f"decision {d.id}: option snooze")
        assert decided.answer.startswith(f"Decision {d.id}: Snoozed alert {rule.id}")
        recalled = await rt.ask("what did I decide about TSLA alerts last time")
        assert f"#{d.id}" in recalled.answer and "Snooze" in recalled.answer
        status = await rt.ask("autopilot status")
        assert "Autopilot is off for everything" in status.answer
        on = await rt.ask("turn on autopilot for alerts")
        assert on.answer.startswith("Autopilot enabled for alert_fired")
        guest = await rt.ask("turn off autopilot for alerts", caller=Caller("g", False))
        assert guest.tool_calls == []  # guests get market data only
        tool = next(t for t in rt.tools if t.name == "autopilot")
        with pytest.raises(PermissionDenied, match="Only the owner can change autopilot"):
            await tool.ainvoke({"action": "disable", "kind": "alert_fired"},
                               {"configurable": {"caller": Caller("g", False)}})
        assert rt.decisions.autopilot_enabled("alert_fired")


async def test_console_answers_decisions_by_number(settings):
    from rich.console import Console

    from bots.console import ConsoleChat

    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        inbox = rt.notices()
        await rt.start()
        await rt.alerts.on_fired(fired(rule.id, 1))
        lines = iter(["2", "/quit"])

        async def read(_prompt):
            return next(lines)

        console = Console(record=True, width=120)

        await rt.kernel.bus.drain()
        await ConsoleChat(rt, console=console, read_line=read, notices=inbox).run()
        text = console.export_text()
    assert "Decision 1: TSLA alert 1 fired" in text
    assert "Decision 1: Snoozed alert 1 for 60 min." in text
