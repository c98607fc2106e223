"""Event bus: pub/sub between capabilities (ticks, alert firings, decisions, notices).

``publish`` never waits on a subscriber: each subscriber has its own bounded queue and a
worker task that calls its handler, so a slow or failing subscriber delays (or loses)
only its own events. A failing handler is logged with its traceback and counted; a full
queue drops the event for that subscriber only, and says so in the log and the stats.
A Redis Streams implementation can satisfy the same ``EventBus`` protocol when the
co-pilot is split across processes.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

Handler = Callable[[Any], Awaitable[Any] | None]
Spawn = Callable[[str, Callable[[], Awaitable[None]]], "asyncio.Task[None]"]

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = 10_000  # events a subscriber may fall behind before it loses some


class EventBus(Protocol):
    async def publish(self, topic: str, payload: Any) -> None: ...

    def subscribe(self, topic: str, handler: Handler, *, name: str | None = None,
                  maxsize: int | None = None) -> Callable[[], None]:
        """Register ``handler``; returns a function that unsubscribes it."""
        ...


@dataclass
class SubscriberStats:
    handled: int = 0
    errors: int = 0
    dropped: int = 0
    last_lag_s: float = 0.0
    max_lag_s: float = 0.0


@dataclass
class BusStats:
    published: int = 0
    handled: int = 0
    errors: int = 0
    dropped: int = 0
    max_lag_s: float = 0.0
    last_lag_s: float = 0.0  # queue wait + handling of the last event, any subscriber


@dataclass(eq=False)
class Subscriber:
    topic: str
    name: str
    handler: Handler
    queue: asyncio.Queue[tuple[float, Any]]
    stats: SubscriberStats = field(default_factory=SubscriberStats)
    task: asyncio.Task[None] | None = None
    busy: bool = False


class InProcessBus:
    """Delivers each event to every subscriber of its topic, in publish order per
    subscriber, through that subscriber's own queue and worker."""

    def __init__(self, maxsize: int = DEFAULT_QUEUE, spawn: Spawn | None = None) -> None:
        self.maxsize = maxsize
        self.spawn = spawn  # the supervisor's, when there is one: workers are supervised
        self.stats = BusStats()
        self._subs: dict[str, list[Subscriber]] = {}

    def subscribe(self, topic: str, handler: Handler, *, name: str | None = None,
                  maxsize: int | None = None) -> Callable[[], None]:
        label = name or getattr(handler, "__qualname__", repr(handler))
        sub = Subscriber(topic, f"bus:{topic}:{label}", handler,
                         asyncio.Queue(maxsize or self.maxsize))
        self._subs.setdefault(topic, []).append(sub)
        self._start(sub)

        def unsubscribe() -> None:
            subs = self._subs.get(topic, [])
            if sub in subs:
                subs.remove(sub)
            if sub.task is not None:
                sub.task.cancel()
                sub.task = None

        return unsubscribe

    def _start(self, sub: Subscriber) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # started by ``start()`` once a loop runs
        if sub.task is None or sub.task.done():
            async def worker() -> None:
                await self._work(sub)

            sub.task = self.spawn(sub.name, worker) if self.spawn else \
                asyncio.get_running_loop().create_task(worker(), name=sub.name)

    def start(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                self._start(sub)

    async def publish(self, topic: str, payload: Any) -> None:
        self.publish_nowait(topic, payload)

    def publish_nowait(self, topic: str, payload: Any) -> None:
        self.stats.published += 1
        now = time.perf_counter()
        for sub in self._subs.get(topic, ()):
            try:
                sub.queue.put_nowait((now, payload))
            except asyncio.QueueFull:
                sub.stats.dropped += 1
                self.stats.dropped += 1
                log.error("event dropped: subscriber is too far behind", subscriber=sub.name,
                          queued=sub.queue.qsize())

    async def _work(self, sub: Subscriber) -> None:
        while True:
            queued_at, payload = await sub.queue.get()
            sub.busy = True
            try:
                result = sub.handler(payload)
                if inspect.isawaitable(result):
                    await result
                sub.stats.handled += 1
                self.stats.handled += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # a consumer's bug must not break the producer or the others
                sub.stats.errors += 1
                self.stats.errors += 1
                log.exception("event handler failed", subscriber=sub.name)
            finally:
                sub.busy = False
                sub.queue.task_done()
                lag = time.perf_counter() - queued_at
                sub.stats.last_lag_s = lag
                sub.stats.max_lag_s = max(sub.stats.max_lag_s, lag)
                self.stats.last_lag_s = lag
                self.stats.max_lag_s = max(self.stats.max_lag_s, lag)

    async def drain(self, topic: str | None = None, timeout: float = 10.0) -> None:
        """Wait until every queue (of ``topic``, or all) is empty and its handler idle:
        events published by handlers along the way are waited for too."""
        deadline = time.monotonic() + timeout
        while True:
            subs = [s for t, subs in self._subs.items() if topic in (None, t) for s in subs]
            if all(s.queue.empty() and not s.busy for s in subs):
                await asyncio.sleep(0)
                if all(s.queue.empty() and not s.busy for s in subs):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("the event bus did not drain in time")
            await asyncio.sleep(0.001)

    def subscribers(self) -> list[Subscriber]:
        return [s for subs in self._subs.values() for s in subs]

    async def stop(self) -> None:
        tasks = [s.task for s in self.subscribers() if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in self.subscribers():
            sub.task = None
