"""Recommendations that tell the truth (#17, item 1) and Agent Inbox's answers resuming a
decision (item 6; resumed from real firings in test_decisions_inbox.py)."""

from __future__ import annotations

from types import SimpleNamespace

from langgraph.types import Command

from agent.runtime import open_runtime
from core.auth import Caller
from core.events import NOTICE

OWNER = Caller.local_owner()


def fired(rule_id: int, firing_id: int, symbol: str = "TSLA", price: float = 251.0):
    return SimpleNamespace(
        firing_id=firing_id, rule_id=rule_id, symbol=symbol, price=price, ts=1795530600.0,
        condition="cross_above", threshold=250.0, note="", repeats=True,
        message=f"🔔 {symbol} crossed above $250.00: now ${price:,.2f} (alert {rule_id})",
    )


async def make_rule(rt, symbol="TSLA"):  # noqa: ANN001
    rule, _ = await rt.alerts.service.create(symbol=symbol, condition="cross_above",
                                             threshold=250, frequency="every_time")
    return rule


class Firings:
    def __init__(self) -> None:
        self.n = 0

    async def decide(self, rt, rule, choice: str, symbol: str = "TSLA"):  # noqa: ANN001
        self.n += 1
        d = await rt.alerts.on_fired(fired(rule.id, self.n, symbol))
        if d.status == "pending":
            d = await rt.decisions.decide(d.id, choice, OWNER)
        return d


async def test_only_the_owners_choices_that_worked_are_counted(settings):
    async with open_runtime(settings) as rt:
        rule = await make_rule(rt)
        f = Firings()
        owner = [(await f.decide(rt, rule, "snooze")).id for _ in range(5)]
        rt.decisions.set_autopilot("alert_fired", True, OWNER)
        auto = await f.decide(rt, rule, "snooze")
        assert auto.status == "auto" and auto.decided_by == "autopilot"
        rt.decisions.set_autopilot("alert_fired", False, OWNER)
        # a snooze that fails: the rule is gone by the time the owner chooses it
        pending = await rt.alerts.on_fired(fired(rule.id, 99))
        rt.alerts.service.delete(rule.id)
        failed = await rt.decisions.decide(pending.id, "snooze", OWNER)
        assert failed.failed and failed.outcome.startswith("That didn't work: Alert ")
        rt.alerts.service.restore(rule.id)
        # the failed choice raised a follow-up: leave it, so the rule's next decision is new
        follow = next(d for d in rt.decisions.pending() if d.follow_up_of == failed.id)
        await rt.decisions.decide(follow.id, "dismiss", OWNER)
        # an undone choice of the owner's
        undone = await f.decide(rt, rule, "snooze")
        await rt.decisions.undo(undone.id, OWNER)

        d = await rt.alerts.on_fired(fired(rule.id, 500))
        assert d.recommended == "snooze"
        newest = ", ".join(f"#{i}" for i in reversed(owner))
        assert d.rationale == (
            f"You chose “Snooze this alert for 1 hour” for 5 of the last 5 similar TSLA "
            f"decisions ({newest}). Not counted: autopilot decided 1 (#{auto.id}); "
            f"1 failed (#{failed.id}); 1 undone (#{undone.id}).")
        # a failed or undone recent choice keeps autopilot waiting
        rt.decisions.set_autopilot("alert_fired", True, OWNER)
        await rt.decisions.decide(d.id, "dismiss", OWNER)
        assert (await rt.alerts.on_fired(fired(rule.id, 501))).status == "pending"


async def test_similar_means_the_same_symbol_first_then_its_asset_class(settings):
    async with open_runtime(settings) as rt:
        aapl, amd, btc = [await make_rule(rt, s) for s in ("AAPL", "AMD", "BTC-USD")]
        f = Firings()
        aapl_ids = [(await f.decide(rt, aapl, "snooze", "AAPL")).id for _ in range(2)]
        amd_first = await rt.alerts.on_fired(fired(amd.id, 900, "AMD"))
        assert amd_first.rationale == (
            "You chose “Snooze this alert for 1 hour” for 2 of the last 2 similar equity "
            f"alert fired decisions (none for AMD yet) (#{aapl_ids[1]}, #{aapl_ids[0]}).")
        await rt.decisions.decide(amd_first.id, "dismiss", OWNER)
        amd_next = await rt.alerts.on_fired(fired(amd.id, 901, "AMD"))
        assert amd_next.recommended == "dismiss"  # AMD's own history now, never AAPL's
        assert amd_next.rationale.startswith("You chose “Dismiss” for 1 of the last 1 "
                                             f"similar AMD decisions (#{amd_first.id})")
        crypto = await rt.alerts.on_fired(fired(btc.id, 902, "BTC-USD"))
        assert "similar crypto" not in crypto.rationale and "AAPL" not in crypto.rationale


async def test_agent_inbox_response_edit_and_ignore(settings):
    async with open_runtime(settings) as rt:
        notices: list[str] = []
        rt.kernel.bus.subscribe(NOTICE, notices.append, name="test-notices")
        rt.kernel.bus.start()
        rule = await make_rule(rt)
        d = await rt.alerts.on_fired(fired(rule.id, 1))
        config = {"configurable": {"thread_id": d.thread_id}}
        # free text is the owner's instruction: recorded, acknowledged, never a dismiss
        text = "wait for the close before drafting anything"
        await rt.decisions.graph.ainvoke(Command(resume=[{"type": "response", "args": text}]),
                                         config)
        await rt.kernel.bus.drain()
        still = rt.decisions.get(d.id)
        assert still.status == "pending" and f"Your instruction: “{text}”" in still.context
        assert [e.detail for e in rt.decisions.events(d.id) if e.event == "instruction"] == [text]
        assert notices == [f"📝 Noted for decision {d.id}: “{text}”. It stays open until you "
                           "choose."]
        # a response naming an option runs it, as a button would
        via_service = await rt.decisions.respond(d.id, [{"type": "response", "args": "2"}],
                                                 OWNER)
        assert via_service.chosen == "snooze"
        # Agent Inbox's edit: the edited ActionRequest; the recommended option with new args
        rt.alerts.service.set_snooze(rule.id, None)
        e = await rt.alerts.on_fired(fired(rule.id, 2))
        state = await rt.decisions.graph.aget_state({"configurable": {"thread_id": e.thread_id}})
        request = state.tasks[0].interrupts[0].value["action_request"]
        edited = {"action": request["action"],
                  "args": {**request["args"], "recommended": "snooze",
                           "options": [{**o, "args": {**o["args"], "minutes": 15}}
                                       if o["id"] == "snooze" else o
                                       for o in request["args"]["options"]]}}
        await rt.decisions.graph.ainvoke(Command(resume=[{"type": "edit", "args": edited}]),
                                         {"configurable": {"thread_id": e.thread_id}})
        assert rt.decisions.get(e.id).outcome == f"Snoozed alert {rule.id} for 15 min."
        # ignore closes it without action
        rt.alerts.service.set_snooze(rule.id, None)
        g = await rt.alerts.on_fired(fired(rule.id, 3))
        await rt.decisions.graph.ainvoke(Command(resume=[{"type": "ignore", "args": None}]),
                                         {"configurable": {"thread_id": g.thread_id}})
        gone = rt.decisions.get(g.id)
        assert gone.status == "decided" and gone.chosen is None
        assert gone.outcome == "Dismissed without action."
