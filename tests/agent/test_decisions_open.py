"""One open decision per source (#17, item 3): a rule that keeps firing updates its open
decision, decisions of a deleted alert close themselves, and many decisions can be
answered at once. Firings come from real ticks through the runtime's bus and engine."""

from __future__ import annotations

import asyncio
import time

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import PermissionDenied
from core.events import TICKS
from core.market import Tick

OWNER = Caller.local_owner()
GUEST = Caller("guest", is_owner=False)


async def until(condition, timeout_s: float = 15.0):  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return value


async def started(rt) -> None:  # noqa: ANN001
    """The alert path of `copilot run`: engine on the tick topic, firings -> decisions."""
    await rt.alerts.start()
    rt.kernel.bus.start()


async def tick(rt, clock, symbol: str, price: float, dt: float = 301.0) -> None:  # noqa: ANN001
    clock.advance(dt)  # past the rule's cooldown, so an every_time rule is armed again
    await rt.kernel.bus.publish(TICKS, Tick(symbol=symbol, price=price, ts=clock()))
    await rt.kernel.bus.drain()


async def test_an_every_time_rule_firing_20_times_leaves_one_open_decision(settings,
                                                                            fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt)
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, frequency="every_time")
        for i in range(20):
            await tick(rt, fixed_clock, "TSLA", 1001.0 + i)
        assert rt.alerts.service.get(rule.id).fire_count == 20  # it really fired 20 times
        open_ = rt.decisions.pending("alert_fired")
        assert len(open_) == 1
        d = open_[0]
        assert d.occurrences == 20 and d.last_at == fixed_clock()
        assert "now $1,020.00" in d.context  # the latest firing's price
        # on the owner's clock (COPILOT_TIMEZONE defaults to America/New_York)
        assert "(alert 1) at 11:10 EST." in d.context
        assert "Fired 20 times since 09:35 EST, last at 11:10 EST." in d.context
        assert [o.id for o in d.options] == ["draft", "snooze", "acknowledge", "dismiss"]
        # each firing is in the audit trail, once
        assert [e.event for e in rt.decisions.events(d.id)].count("repeated") == 19
        # answered, the next firing opens a new one
        await rt.decisions.decide(d.id, "dismiss", OWNER)
        await tick(rt, fixed_clock, "TSLA", 1030.0)
        again = rt.decisions.pending("alert_fired")
        assert len(again) == 1 and again[0].id != d.id and again[0].occurrences == 1


async def test_a_one_shot_rule_is_never_offered_a_snooze(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt)
        rule, _ = await rt.alerts.service.create(symbol="NVDA", condition="above",
                                                 threshold=1000)
        await tick(rt, fixed_clock, "NVDA", 1001.0)
        (d,) = rt.decisions.pending("alert_fired")
        assert [o.id for o in d.options] == ["draft", "dismiss"]
        assert (f"Not offered: Snooze this alert for 1 hour (alert {rule.id} fires only once "
                "and is done).") in d.context


async def test_decisions_of_a_deleted_alert_close_themselves(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt)
        kept, _ = await rt.alerts.service.create(symbol="AAPL", condition="above",
                                                 threshold=1000, frequency="every_time")
        gone, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, frequency="every_time")
        await tick(rt, fixed_clock, "AAPL", 1001.0, dt=1)
        await tick(rt, fixed_clock, "TSLA", 1001.0, dt=1)
        assert len(rt.decisions.pending("alert_fired")) == 2
        delete = next(t for t in rt.tools if t.name == "delete_alert")
        await delete.ainvoke({"alert_id": gone.id}, {"configurable": {"caller": OWNER}})
        closed = await until(lambda: [d for d in rt.decisions.recent("closed")])
        assert [d.symbol for d in closed] == ["TSLA"]
        assert closed[0].outcome == f"Alert {gone.id} was deleted; nothing to decide."
        assert [d.symbol for d in rt.decisions.pending("alert_fired")] == ["AAPL"]


async def test_dismiss_all_alert_decisions_leaves_the_others(settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt)
        for symbol in ("AAPL", "TSLA", "NVDA"):
            await rt.alerts.service.create(symbol=symbol, condition="above", threshold=1000,
                                           frequency="every_time")
            await tick(rt, fixed_clock, symbol, 1001.0, dt=1)
        draft = await rt.content.service.draft("AAPL", "discord", "AAPL", notify=True)
        assert len(rt.decisions.pending()) == 4
        with pytest.raises(PermissionDenied):
            await rt.decisions.decide_all("dismiss", GUEST, kind="alert_fired")
        # "snooze all TSLA": only the TSLA decision, through the chat tool
        tool = next(t for t in rt.tools if t.name == "decide_all")
        out = await tool.ainvoke({"option": "snooze", "symbol": "tsla"},
                                 {"configurable": {"caller": OWNER}})
        assert out["summary"].startswith("Answered 1 decision with “snooze”:")
        assert rt.alerts.service.get(2).snoozed_until is not None
        out = await tool.ainvoke({"option": "dismiss", "kind": "alert_fired"},
                                 {"configurable": {"caller": OWNER}})
        assert out["summary"].startswith("Dismissed 2 decisions:")
        left = rt.decisions.pending()
        assert [d.kind for d in left] == ["content_ready"] and f"Draft {draft.id}" in left[0].title
        assert all(d.status == "decided" and d.chosen is None
                   for d in rt.decisions.recent() if d.kind == "alert_fired" and d.symbol != "TSLA")
