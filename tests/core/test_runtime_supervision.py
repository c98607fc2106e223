"""The background work of `copilot run` runs under the supervisor."""

from __future__ import annotations

import asyncio

from agent.runtime import open_runtime
from core.market import Tick
from core.settings import Settings


async def test_the_dispatcher_is_restarted_after_a_crash_and_health_reports_it(monkeypatch):
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    async with open_runtime(Settings()) as rt:
        rt.kernel.supervisor.base_backoff_s = 0.01
        dispatcher = rt.alerts.dispatcher
        real_claim = dispatcher.claim
        crashes = 0

        def claim(flush: bool = False) -> int:
            nonlocal crashes
            if crashes == 0:
                crashes += 1
                raise RuntimeError("dispatcher bug")
            return real_claim(flush)

        dispatcher.claim = claim  # type: ignore[method-assign]
        await rt.start()
        state = rt.kernel.supervisor.states["dispatcher"]
        for _ in range(200):
            if state.restarts == 1 and state.state == "running":
                break
            await asyncio.sleep(0.01)
        assert state.restarts == 1 and state.state == "running"
        assert state.last_error == "RuntimeError: dispatcher bug"

        run = await rt.health.monitor.run("tasks")
        assert run.status == "degraded"
        assert "dispatcher running, restarted 1x: RuntimeError: dispatcher bug" in run.detail

        # and it delivers again: a firing reaches the console target
        price = (await rt.market.service.quote("AAPL")).quote.price
        await rt.alerts.service.create(symbol="AAPL", condition="above", threshold=price / 2)
        await rt.alerts.engine.handle(Tick(symbol="AAPL", price=price, ts=rt.clock()))
        for _ in range(200):
            if rt.alerts.console.unshown():
                break
            await asyncio.sleep(0.01)
        shown = rt.alerts.console.unshown()
        assert shown and "AAPL is at or above" in shown[0]
