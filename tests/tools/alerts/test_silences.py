"""Alertmanager's semantics for alert notifications (#17, item 5), through real ticks, the
engine, the outbox and the console target: a silence by ticker or by alert really
silences (firings recorded, nothing sent, no decision) and says what it held back when it
ends; an acknowledgement holds while the rule keeps firing and ends when it goes quiet
or is edited."""

from __future__ import annotations

from agent.runtime import open_runtime
from core.auth import Caller
from core.events import DECISION_RAISED, NOTICE, TICKS
from core.market import Tick

OWNER = Caller.local_owner()
CONFIG = {"configurable": {"caller": OWNER}}


async def started(rt, told: list[str]) -> None:  # noqa: ANN001
    rt.kernel.bus.subscribe(DECISION_RAISED, lambda d: told.append(d.title), name="t-raised")
    rt.kernel.bus.subscribe(NOTICE, lambda text: told.append(str(text)), name="t-notice")
    await rt.alerts.start()
    rt.kernel.bus.start()


async def tick(rt, clock, symbol: str, price: float, dt: float = 301.0) -> list[str]:  # noqa: ANN001
    """One tick after ``dt`` seconds, delivered: what the console shows."""
    clock.advance(dt)
    await rt.kernel.bus.publish(TICKS, Tick(symbol=symbol, price=price, ts=clock()))
    await rt.kernel.bus.drain()
    await rt.alerts.dispatcher.step(flush=True)
    return rt.alerts.console.drain()


async def test_a_silence_by_ticker_holds_everything_back_and_says_so_when_it_ends(
        settings, fixed_clock):
    told: list[str] = []
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt, told)
        tsla, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, frequency="every_time")
        aapl, _ = await rt.alerts.service.create(symbol="AAPL", condition="above",
                                                 threshold=1000, frequency="every_time")
        silence = next(t for t in rt.tools if t.name == "silence")
        out = await silence.ainvoke({"symbol": "tsla", "minutes": 60}, CONFIG)
        assert out["summary"] == "Silenced TSLA until 10:30 EST (#1)."
        shown = []
        for i in range(11):  # 55 minutes of firings every cooldown
            shown += await tick(rt, fixed_clock, "TSLA", 1001.0 + i)
        assert rt.alerts.service.get(tsla.id).fire_count == 11  # it really fired
        assert shown == [] and told == [] and rt.decisions.pending() == []
        records, total, _ = rt.alerts.service.history("TSLA")
        assert total == 11
        assert records[0].deliveries[0].text() == "console silenced (silenced until 10:30 EST (#1))"
        # another ticker is not silenced
        assert await tick(rt, fixed_clock, "AAPL", 1001.0, dt=1) != []
        assert rt.decisions.pending("alert_fired")[0].symbol == "AAPL"
        told.clear()
        # the silence ends: one notice of what it held back, then TSLA is told again
        fixed_clock.advance(300)
        await rt.alerts.silences_ended()
        await rt.alerts.silences_ended()  # said once
        await rt.kernel.bus.drain()
        assert told == ["🔕 The silence on TSLA ended at 10:30 EST: 11 firings were held back "
                        "during it, the last TSLA at $1,011.00 (10:25 EST, alert 1). "
                        "`copilot alerts history TSLA` lists them."]
        assert await tick(rt, fixed_clock, "TSLA", 1012.0) != []
        assert {d.symbol for d in rt.decisions.pending("alert_fired")} == {"AAPL", "TSLA"}


async def test_an_acknowledged_rule_is_quiet_until_it_stops_firing_or_is_edited(
        settings, fixed_clock):
    told: list[str] = []
    async with open_runtime(settings, clock=fixed_clock) as rt:
        await started(rt, told)
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, frequency="every_time")
        assert await tick(rt, fixed_clock, "TSLA", 1001.0) != []
        (d,) = rt.decisions.pending("alert_fired")
        acked = await rt.decisions.decide(d.id, "acknowledge", OWNER)
        assert acked.outcome == (f"Acknowledged alert {rule.id}: no more reminders until it is "
                                 "resolved or changes (#1).")
        told.clear()
        shown = []
        for _ in range(12):  # an hour of firings every cooldown: acknowledged
            shown += await tick(rt, fixed_clock, "TSLA", 1005.0)
        assert shown == [] and told == [] and rt.decisions.pending() == []
        assert rt.alerts.service.history("TSLA")[0][0].deliveries[0].state == "acknowledged"
        # below the level for 11 minutes (no firing), then above again: resolved, told
        await tick(rt, fixed_clock, "TSLA", 990.0, dt=660)
        assert await tick(rt, fixed_clock, "TSLA", 1003.0, dt=1) != []
        assert rt.kernel.silences.get(1).end_reason == "resolved: it stopped firing"
        (again,) = rt.decisions.pending("alert_fired")
        # acknowledged again, then the alert is edited: the acknowledgement ends
        await rt.decisions.decide(again.id, "acknowledge", OWNER)
        assert await tick(rt, fixed_clock, "TSLA", 1004.0) == []
        await rt.alerts.service.update(rule.id, threshold=1002)
        assert rt.kernel.silences.get(2).end_reason == "the alert was edited"
        assert await tick(rt, fixed_clock, "TSLA", 1004.0) != []
