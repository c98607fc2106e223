"""Supervised background work: a crash is logged, the task restarts, health sees it."""

from __future__ import annotations

import asyncio

from core.supervisor import Supervisor


async def test_a_crashing_task_is_restarted_with_backoff_and_its_state_kept(capsys, caplog):
    sup = Supervisor(base_backoff_s=0.01, max_backoff_s=0.05)
    runs = 0
    healthy = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError(f"boom {runs}")
        healthy.set()
        await asyncio.sleep(3600)

    sup.spawn("flaky", flaky)
    await asyncio.wait_for(healthy.wait(), 2)
    state = sup.states["flaky"]
    assert state.state == "running" and state.restarts == 2
    assert state.last_error == "RuntimeError: boom 2"
    logged = capsys.readouterr().out + caplog.text  # wherever logging was configured to go
    assert "background task crashed; restarting" in logged and "boom 1" in logged
    await sup.stop()
    assert sup.states["flaky"].state == "stopped"


async def test_a_task_past_its_restart_budget_is_failed():
    sup = Supervisor(base_backoff_s=0.001)

    async def broken() -> None:
        raise ValueError("always")

    task = sup.spawn("broken", broken, max_restarts=2)
    await asyncio.wait_for(task, 2)
    assert sup.states["broken"].state == "failed"
    assert sup.states["broken"].restarts == 3


async def test_a_task_that_returns_is_done():
    sup = Supervisor()

    async def once() -> None:
        return None

    await asyncio.wait_for(sup.spawn("once", once), 1)
    assert sup.states["once"].state == "done"
