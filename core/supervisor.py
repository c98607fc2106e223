"""Supervised background work: each task runs under a loop that logs an unexpected
exception with its traceback, restarts the task with capped exponential backoff and keeps
its state (running, restarting, failed, stopped) for health and the control center."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

TaskFactory = Callable[[], Awaitable[None]]


@dataclass
class TaskState:
    name: str
    state: str = "starting"  # starting | running | restarting | failed | stopped | done
    restarts: int = 0
    last_error: str = ""
    since: float = 0.0


class Supervisor:
    """``spawn`` a coroutine factory; it is called again after every crash.

    A task that returns normally is ``done``; one that keeps crashing is restarted
    forever (a capped backoff keeps it cheap) unless ``max_restarts`` says otherwise,
    after which it is ``failed``."""

    def __init__(self, base_backoff_s: float = 0.5, max_backoff_s: float = 60.0,
                 healthy_after_s: float = 60.0, clock: Callable[[], float] = time.time) -> None:
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.healthy_after_s = healthy_after_s
        self.clock = clock
        self.states: dict[str, TaskState] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def spawn(self, name: str, factory: TaskFactory, *,
              max_restarts: int | None = None) -> asyncio.Task[None]:
        old = self._tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        state = self.states[name] = TaskState(name, since=self.clock())
        task = asyncio.get_running_loop().create_task(
            self._supervise(state, factory, max_restarts), name=name)
        self._tasks[name] = task
        return task

    async def _supervise(self, state: TaskState, factory: TaskFactory,
                         max_restarts: int | None) -> None:
        backoff = self.base_backoff_s
        while True:
            started = time.monotonic()
            state.state, state.since = "running", self.clock()
            try:
                await factory()
            except asyncio.CancelledError:
                state.state, state.since = "stopped", self.clock()
                raise
            except Exception as exc:  # the point of a supervisor: nothing dies silently
                state.restarts += 1
                state.last_error = f"{type(exc).__name__}: {exc}"
                if time.monotonic() - started >= self.healthy_after_s:
                    backoff = self.base_backoff_s  # it ran well for a while: start over
                if max_restarts is not None and state.restarts > max_restarts:
                    state.state, state.since = "failed", self.clock()
                    log.exception("background task failed for good", task=state.name,
                                  restarts=state.restarts - 1)
                    return
                state.state, state.since = "restarting", self.clock()
                log.exception("background task crashed; restarting", task=state.name,
                              restart=state.restarts, in_s=round(backoff, 2))
                await asyncio.sleep(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
                continue
            state.state, state.since = "done", self.clock()
            return

    def snapshot(self) -> list[TaskState]:
        return [TaskState(s.name, s.state, s.restarts, s.last_error, s.since)
                for s in self.states.values()]

    async def stop(self, timeout_s: float = 5.0) -> None:
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        self._tasks.clear()
