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


async def test_a_bare_number_after_a_restart_answers_the_only_waiting_decision(settings):
    """Nothing is on screen after a restart: the one waiting decision is the one meant;
    with two waiting, the number is asked about, never guessed."""
    from rich.console import Console

    from bots.console import ConsoleChat

    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        await rt.alerts.on_fired(fired(rule.id, 1))
        lines = iter(["2", "/quit"])

        async def read(_prompt):
            return next(lines)

        console = Console(record=True, width=120)
        await ConsoleChat(rt, console=console, read_line=read, notices=None).run()
        assert "Decision 1: Snoozed alert 1 for 60 min." in console.export_text()
        await rt.alerts.on_fired(fired(rule.id, 2))
        other = await make_rule(rt)
        await rt.alerts.on_fired(fired(other.id, 3))
        lines = iter(["2", "/quit"])
        console = Console(record=True, width=120)
        await ConsoleChat(rt, console=console, read_line=read, notices=None).run()
        text = console.export_text()
    assert "decisions are waiting" in text and "Snoozed" not in text


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


async def test_undo_without_an_id_takes_the_latest_undoable_decision(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        undo = next(t for t in rt.tools if t.name == "undo")
        owner = {"configurable": {"caller": OWNER}}
        nothing = await undo.ainvoke({}, owner)
        assert nothing["summary"] == ("There's nothing to undo: no decision of the last 30 "
                                      "minutes can still be undone.")
        first, second = await make_rule(rt), await make_rule(rt, "NVDA")
        a = await rt.alerts.on_fired(fired(first.id, 1))
        await rt.decisions.decide(a.id, "snooze", OWNER)
        fixed_clock.advance(60)
        b = await rt.alerts.on_fired(fired(second.id, 2, symbol="NVDA"))
        await rt.decisions.decide(b.id, "snooze", OWNER)
        fixed_clock.advance(60)
        c = await rt.alerts.on_fired(fired(first.id, 3))
        await rt.decisions.decide(c.id, "dismiss", OWNER)
        with pytest.raises(PermissionDenied):
            await undo.ainvoke({}, {"configurable": {"caller": Caller("g", False)}})
        # a dismissal ran nothing: its undo asks the question again
        reopened = await undo.ainvoke({}, owner)
        assert reopened["summary"].startswith(f"Undid decision {c.id}, “TSLA alert {first.id} "
                                              "fired”: it is open again.")
        assert rt.decisions.get(c.id).status == "pending"
        assert [e.event for e in rt.decisions.events(c.id)][:2] == ["reopened", "undone"]
        await rt.decisions.decide(c.id, "draft", OWNER)  # drafting has no undo
        latest = await undo.ainvoke({}, owner)
        assert latest["summary"] == (f"Undid decision {b.id}, “NVDA alert {second.id} fired”: "
                                     f"Alert {second.id} is live again.")
        assert rt.alerts.service.get(second.id).snoozed_until is None
        assert rt.alerts.service.get(first.id).snoozed_until is not None
        fixed_clock.advance(27 * 60)  # a's window (30 min from its decision) is still open
        again = await undo.ainvoke({}, owner)
        assert again["decision"]["id"] == a.id
        assert rt.decisions.latest_undoable() is None
        # an id still works, and says why it can't
        with pytest.raises(InvalidInput, match=f"Decision {a.id} has nothing to undo"):
            await undo.ainvoke({"decision_id": a.id}, owner)


async def test_undo_without_an_id_includes_autopilot_and_respects_the_window(settings,
                                                                             fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        rule = await make_rule(rt)
        await teach(rt, rule, ["snooze"] * 5)
        rt.decisions.set_autopilot("alert_fired", True, OWNER)
        auto = await rt.alerts.on_fired(fired(rule.id, 700))
        assert auto.status == "auto"
        fixed_clock.advance(31 * 60)  # every undo window has closed
        assert rt.decisions.latest_undoable() is None
        auto2 = await rt.alerts.on_fired(fired(rule.id, 701))
        assert auto2.status == "auto"
        undo = next(t for t in rt.tools if t.name == "undo")
        out = await undo.ainvoke({}, {"configurable": {"caller": OWNER}})
        assert out["summary"].startswith(f"Undid decision {auto2.id} (autopilot's)")
        assert rt.decisions.get(auto2.id).status == "undone"
        assert rt.decisions.get(auto.id).status == "auto"


async def test_briefing_on_demand_raises_nothing(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        other = await make_rule(rt)  # one open decision per rule: two rules, two decisions
        await rt.alerts.on_fired(fired(rule.id, 1))
        await rt.alerts.on_fired(fired(other.id, 2))
        draft = await rt.content.service.draft("AAPL", "discord", "AAPL", notify=True)
        before = [d.id for d in rt.decisions.pending()]
        briefing = next(t for t in rt.tools if t.name == "briefing")
        with pytest.raises(PermissionDenied):
            await briefing.ainvoke({}, {"configurable": {"caller": Caller("g", False)}})
        out = await briefing.ainvoke({}, {"configurable": {"caller": OWNER}})
        text = out["summary"]
        assert [d.id for d in rt.decisions.pending()] == before  # no briefing decision
        assert rt.decisions.recent() and all(d.kind != "briefing" for d in rt.decisions.recent())
        lines = text.splitlines()
        assert lines[0].startswith("**Briefing, ")
        assert any(line.startswith("**Watchlist movers:** ") for line in lines)
        assert "**Drafts waiting:** 1" in lines
        assert "**Pending decisions:** 3" in lines and text.count("**Pending decisions:**") == 1
        assert f"- Alerts fired (2): #{before[0]} TSLA alert {rule.id} fired; " in text
        assert f"- Drafts ready to publish (1): #{before[2]} Draft {draft.id} ready" in text
        assert text.index("- Alerts fired (2)") < text.index("- Drafts ready to publish (1)")


async def test_briefing_survives_a_failing_section_and_the_scheduled_one_is_unchanged(settings):
    async with open_runtime(settings) as rt:
        center = rt.decision_center
        real = center.sections

        async def broken() -> str:
            raise RuntimeError("provider down")

        center.sections = lambda: [broken, *real()]
        text = await center.briefing_text()
        assert "**Pending decisions:** none" in text and "**Drafts waiting:**" not in text
        d = await center.briefing_decision("pre-open")
        assert d.kind == "briefing" and "**Pending decisions:** none" in d.context
        assert "**Watchlist movers:**" in d.context
