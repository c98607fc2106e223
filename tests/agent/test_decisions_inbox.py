"""Agent Inbox compatible for real (#17, item 6): decisions raised by real alert firings
(ticks through the engine), resumed exactly as Agent Inbox resumes a thread — a list of one
``HumanResponse`` in ``Command(resume=...)`` with the shapes its UI builds (accept with the
unchanged ActionRequest or null, edit with every edited field as a string, response with
text, ignore with null)."""

from __future__ import annotations

import json

from langgraph.types import Command

from agent.runtime import open_runtime
from core.auth import Caller
from core.events import TICKS
from core.market import Tick
from core.settings import Settings
from tests.helpers.openai_server import FakeOpenAIServer, Reply

OWNER = Caller.local_owner()


async def fire(rt, clock, price: float = 1001.0):  # noqa: ANN001
    """One real firing of the TSLA rule (past its cooldown); its open decision."""
    clock.advance(301)
    await rt.kernel.bus.publish(TICKS, Tick(symbol="TSLA", price=price, ts=clock()))
    await rt.kernel.bus.drain()
    (d,) = rt.decisions.pending("alert_fired")
    return d


async def interrupt_of(rt, d):  # noqa: ANN001
    """What Agent Inbox reads: the thread's interrupt value."""
    state = await rt.decisions.graph.aget_state({"configurable": {"thread_id": d.thread_id}})
    return state.tasks[0].interrupts[0].value


async def resume(rt, d, response: dict) -> None:  # noqa: ANN001
    """What Agent Inbox sends: `runs.create(thread, command={"resume": [response]})`."""
    await rt.decisions.graph.ainvoke(Command(resume=[response]),
                                     {"configurable": {"thread_id": d.thread_id}})


async def taught(rt, clock):  # noqa: ANN001
    """A TSLA every-time rule the owner snoozed three times: snooze is recommended."""
    await rt.alerts.start()
    rt.kernel.bus.start()
    rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above", threshold=1000,
                                             frequency="every_time")
    for _ in range(3):
        d = await fire(rt, clock)
        await rt.decisions.decide(d.id, "snooze", OWNER)
        rt.alerts.service.set_snooze(rule.id, None)
    return rule


async def test_agent_inbox_accept_runs_the_recommended_option(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        rule = await taught(rt, fixed_clock)
        d = await fire(rt, fixed_clock)
        request = await interrupt_of(rt, d)
        assert d.recommended == "snooze" and request["config"]["allow_accept"] is True
        assert request["action_request"]["args"]["recommended"] == "snooze"
        # Edit/Accept with nothing edited: Agent Inbox sends the unchanged ActionRequest
        await resume(rt, d, {"type": "accept", "args": request["action_request"]})
        done = rt.decisions.get(d.id)
        assert (done.status, done.chosen, done.decided_by) == ("decided", "snooze", "owner")
        assert done.outcome == f"Snoozed alert {rule.id} for 60 min."
        assert rt.alerts.service.get(rule.id).snoozed_until == fixed_clock() + 3600
        # Accept alone (no edit allowed): args null
        rt.alerts.service.set_snooze(rule.id, None)
        e = await fire(rt, fixed_clock)
        await resume(rt, e, {"type": "accept", "args": None})
        assert rt.decisions.get(e.id).chosen == "snooze"


async def test_agent_inbox_edit_with_string_fields_and_one_it_cannot_read(settings,
                                                                          fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        rule = await taught(rt, fixed_clock)
        d = await fire(rt, fixed_clock)
        action = (await interrupt_of(rt, d))["action_request"]
        options = [{**o, "args": {**o["args"], "minutes": 15}} if o["id"] == "snooze" else o
                   for o in action["args"]["options"]]
        # the owner edited the options field: Agent Inbox sends it back as a string
        edited = {"action": action["action"],
                  "args": {**action["args"], "options": json.dumps(options)}}
        await resume(rt, d, {"type": "edit", "args": edited})
        assert rt.decisions.get(d.id).outcome == f"Snoozed alert {rule.id} for 15 min."
        # another option chosen by editing "recommended" (a string field)
        rt.alerts.service.set_snooze(rule.id, None)
        e = await fire(rt, fixed_clock)
        action = (await interrupt_of(rt, e))["action_request"]
        await resume(rt, e, {"type": "edit", "args": {
            "action": action["action"], "args": {**action["args"], "recommended": "dismiss"}}})
        assert rt.decisions.get(e.id).chosen == "dismiss"
        # an edit that is not JSON: never a dismissal; said back, still open
        f = await fire(rt, fixed_clock)
        action = (await interrupt_of(rt, f))["action_request"]
        await resume(rt, f, {"type": "edit", "args": {
            "action": action["action"], "args": {**action["args"], "options": "[{oops"}}})
        still = rt.decisions.get(f.id)
        assert still.status == "pending" and "Your instruction: “edit (not understood" in \
            still.context
        await resume(rt, f, {"type": "ignore", "args": None})
        assert rt.decisions.get(f.id).outcome == "Dismissed without action."


async def test_a_free_text_response_is_acted_upon_with_an_llm(monkeypatch, fixed_clock):
    replies = [Reply('{"option": "snooze", "args": {"minutes": 120, "alert_id": 999}}'),
               Reply('{"option": null}')]
    with FakeOpenAIServer(script=replies) as server:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_EMBEDDER", "hashing")
        async with open_runtime(Settings(), clock=fixed_clock) as rt:
            await rt.alerts.start()
            rt.kernel.bus.start()
            rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                     threshold=1000, frequency="every_time")
            d = await fire(rt, fixed_clock)
            await resume(rt, d, {"type": "response", "args": "snooze it for two hours"})
            done = rt.decisions.get(d.id)
            assert done.outcome == ("As you said (“snooze it for two hours”): Snoozed alert "
                                    f"{rule.id} for 120 min.")  # never another alert's id
            rt.alerts.service.set_snooze(rule.id, None)
            e = await fire(rt, fixed_clock)
            await resume(rt, e, {"type": "response", "args": "wait for the close"})
            kept = rt.decisions.get(e.id)
            assert kept.status == "pending" and "Your instruction: “wait for the close”" in \
                kept.context
        asked = json.loads(server.chat_requests[0]["messages"][1]["content"])
        assert asked["instruction"] == "snooze it for two hours"
        assert [o["id"] for o in asked["options"]] == ["draft", "snooze", "acknowledge",
                                                       "dismiss"]
