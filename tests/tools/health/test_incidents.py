"""Alertmanager's semantics for incidents (#17, item 5), against a local failing HTTP
endpoint on a fixed clock: a silence really silences and says when it ends, one notice
after it when the service is still down, a repeat interval for incidents nobody answered
for good, acknowledge until resolved or changed."""

from __future__ import annotations

import json

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput
from core.events import DECISION_RAISED, NOTICE
from core.settings import Settings
from tests.helpers.smtp import free_port
from tests.tools.health.test_health import Service

OWNER = {"configurable": {"caller": Caller.local_owner()}}


class Told:
    """Everything the owner is shown: decisions raised (or shown again) and notices."""

    def __init__(self, rt) -> None:  # noqa: ANN001
        self.rt = rt
        self.items: list[str] = []
        rt.kernel.bus.subscribe(DECISION_RAISED, lambda d: self.items.append(d.title),
                                name="test-raised")
        rt.kernel.bus.subscribe(NOTICE, lambda text: self.items.append(str(text)),
                                name="test-notices")
        rt.kernel.bus.start()

    async def take(self) -> list[str]:
        await self.rt.kernel.bus.drain()
        out, self.items = self.items, []
        return out


@pytest.fixture
def website(monkeypatch):
    service = Service(free_port(), status=500).start()
    monkeypatch.setenv("COPILOT_HEALTH_ENDPOINTS", json.dumps(
        [{"name": "website", "url": service.url, "timeout": 1}]))
    monkeypatch.setenv("COPILOT_INCIDENT_THRESHOLD", "1")
    yield service
    service.stop()


async def checks_every(rt, clock, seconds: float, times: int) -> None:  # noqa: ANN001
    for _ in range(times):
        clock.advance(seconds)
        await rt.health.monitor.run("website")


async def test_a_silenced_incident_raises_nothing_then_one_notice_if_still_down(website,
                                                                                fixed_clock):
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        told = Told(rt)
        await rt.health.monitor.run("website")
        (first,) = rt.decisions.pending("health_incident")
        assert await told.take() == ["website is down"]
        silenced = await rt.decisions.decide(first.id, "silence", Caller.local_owner())
        assert silenced.outcome == "Silenced website until 10:30 EST (#1)."
        # an hour of checks every minute while silenced: nothing at all
        await checks_every(rt, fixed_clock, 60, 59)
        assert await told.take() == []
        assert rt.decisions.pending("health_incident") == []
        # the silence ends with the service still down: told once, as a decision
        await checks_every(rt, fixed_clock, 60, 1)
        assert await told.take() == ["website is still down after its silence"]
        (after,) = rt.decisions.pending("health_incident")
        assert after.context.startswith("The silence #1 ended at 10:30 EST; website down "
                                         "since 09:30 EST, 61 failed checks in a row: HTTP 500")
        await checks_every(rt, fixed_clock, 60, 30)
        assert await told.take() == []  # once, not at every check
        # nobody answers: the repeat interval (4 h) shows the same decision again
        await checks_every(rt, fixed_clock, 600, 24)
        assert await told.take() == ["website is still down"]
        again = rt.decisions.get(after.id)
        assert again.status == "pending" and again.occurrences == 2
        assert rt.decisions.pending("health_incident") == [again]


async def test_acknowledged_until_the_failure_changes_then_resolved(website, fixed_clock):
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        told = Told(rt)
        await rt.health.monitor.run("website")
        (d,) = rt.decisions.pending("health_incident")
        await told.take()
        acked = await rt.decisions.decide(d.id, "acknowledge", Caller.local_owner())
        assert acked.outcome == ("Acknowledged website: no more reminders until it is resolved "
                                 "or changes (#1).")
        await checks_every(rt, fixed_clock, 1800, 20)  # ten hours, no repeat
        assert await told.take() == []
        website.status = 503  # a different failure ends the acknowledgement
        await checks_every(rt, fixed_clock, 60, 1)
        assert await told.take() == ["website fails differently now"]
        ack = rt.kernel.silences.get(1)
        assert ack.ended_at == fixed_clock() and ack.end_reason.startswith("the failure changed")
        changed = rt.decisions.pending("health_incident")[0]
        assert changed.context.startswith("Now: HTTP 503, expected 200 (before: HTTP 500, "
                                          "expected 200).")
        await rt.decisions.decide(changed.id, "acknowledge", Caller.local_owner())
        website.status = 200
        await checks_every(rt, fixed_clock, 60, 1)
        (recovered,) = await told.take()
        assert recovered.startswith("✅ website recovered after ")
        assert rt.kernel.silences.active() == []  # resolved: the acknowledgement ended
        # the next incident is told at once
        website.status = 500
        await checks_every(rt, fixed_clock, 60, 1)
        assert await told.take() == ["website is down"]


async def test_silence_by_component_before_the_incident_and_lift_it(website, fixed_clock):
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        told = Told(rt)
        tools = {t.name: t for t in rt.tools}
        with pytest.raises(InvalidInput, match="There is no health check 'webste'"):
            await tools["silence"].ainvoke({"component": "webste"}, OWNER)
        out = await tools["silence"].ainvoke({"component": "website", "minutes": 120}, OWNER)
        assert out["summary"] == "Silenced website until 11:30 EST (#1)."
        await checks_every(rt, fixed_clock, 60, 5)
        assert rt.health.monitor.incidents("open") and await told.take() == []
        listed = await tools["silences"].ainvoke({}, OWNER)
        assert listed["summary"] == "#1 website: silenced until 11:30 EST"
        lifted = await tools["unsilence"].ainvoke({"silence_id": 1}, OWNER)
        assert lifted["summary"] == "Lifted #1 on website; you will be told again."
        # lifted by the owner: the incident nobody was told about is told at the next check
        await checks_every(rt, fixed_clock, 60, 10)
        assert await told.take() == ["website is down"]
        (d,) = rt.decisions.pending("health_incident")
        assert d.context == ("website down since 09:31 EST, 6 failed checks in a row: "
                             "HTTP 500, expected 200")
