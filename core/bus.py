"""Event bus: pub/sub between capabilities (ticks, alert firings, decisions, notices).

Each subscriber has its own bounded queue and a worker task that calls its handler, so a
slow or failing subscriber delays only its own events. A failing handler is logged with
its traceback and counted. What a full queue does is the subscriber's choice:

- by default it drops the event for that subscriber only, and says so in the log and the
  stats: ``publish`` never waits (notices, decisions: a slow reader must not hold up the
  rest);
- ``lossless=True`` subscribers (the tick path: a dropped tick is an alert never fired)
  never lose an event: the queue takes it anyway and the *publisher* is held back instead
  — ``publish`` waits until there is room again, and ``publish_nowait`` returns False so a
  producer that cannot wait per event (``TickPump``) awaits ``room(topic)`` before its
  next one. Backpressure reaches the source (a websocket is read more slowly) instead of
  events vanishing.
A Redis Streams implementation can satisfy the same ``EventBus`` protocol when the
co-pilot is split across processes.

A subscriber may take its events in batches (``batch=N``: its handler gets a list of up to
N events, everything queued at the time): the tick path does, so a burst of ticks costs one
handler call and one outbox commit instead of one each, while a lone tick is handled alone
at once.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

Handler = Callable[[Any], Awaitable[Any] | None]
Spawn = Callable[[str, Callable[[], Awaitable[None]]], "asyncio.Task[None]"]

log = structlog.get_logger(__name__)

DEFAULT_QUEUE = 10_000  # events a subscriber may fall behind before it loses some (or,
# lossless, before the publisher waits)


class EventBus(Protocol):
    async def publish(self, topic: str, payload: Any) -> None: ...

    def subscribe(self, topic: str, handler: Handler, *, name: str | None = None,
                  maxsize: int | None = None, batch: int | None = None,
                  lossless: bool = False) -> Callable[[], None]:
        """Register ``handler``; returns a function that unsubscribes it. With ``batch``,
        the handler receives lists of up to ``batch`` events; ``lossless``: a full queue
        holds the publisher back instead of dropping."""
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


class EventQueue:
    """A bounded FIFO with one waiting consumer: ``put_nowait`` is a deque append (and a
    wake-up only when the consumer sleeps), ``take`` empties up to n items at once —
    cheaper per event than ``asyncio.Queue``, which the tick path would pay 200k times a
    second."""

    __slots__ = ("items", "maxsize", "_waiter", "lossless", "_room", "closed")

    def __init__(self, maxsize: int, lossless: bool = False) -> None:
        self.items: deque[tuple[float, Any]] = deque()
        self.maxsize = maxsize
        self.lossless = lossless  # over maxsize: taken anyway, the publisher waits
        self._waiter: asyncio.Future[None] | None = None
        self._room: list[asyncio.Future[None]] = []  # publishers waiting for room
        self.closed = False  # unsubscribed or stopped: nobody waits for room any more

    def put_nowait(self, item: tuple[float, Any]) -> None:
        if len(self.items) >= self.maxsize and not self.lossless:
            raise asyncio.QueueFull
        self.items.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def extend(self, items: list[tuple[float, Any]]) -> None:
        """Many at once, whatever the size (the caller decided what fits)."""
        self.items.extend(items)
        waiter = self._waiter
        if waiter is not None and items:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def full(self) -> bool:
        return len(self.items) >= self.maxsize

    async def room(self) -> None:
        """Until the queue is below its size (a lossless queue's publisher waits here)."""
        while len(self.items) >= self.maxsize and not self.closed:
            fut = asyncio.get_running_loop().create_future()
            self._room.append(fut)
            await fut

    def release(self) -> None:
        """Wake the publishers waiting for room (there is some, or nobody will take)."""
        room, self._room = self._room, []
        for fut in room:
            if not fut.done():
                fut.set_result(None)

    async def wait(self) -> None:
        """Until something is queued."""
        while not self.items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def take(self, n: int) -> list[tuple[float, Any]]:
        items = self.items
        if n <= 1 or len(items) == 1:
            out = [items.popleft()]
        elif len(items) <= n:
            out = list(items)
            items.clear()
        else:
            out = [items.popleft() for _ in range(n)]
        if self._room and len(items) < self.maxsize:
            self.release()
        return out

    def qsize(self) -> int:
        return len(self.items)

    def empty(self) -> bool:
        return not self.items


@dataclass(eq=False)
class Subscriber:
    topic: str
    name: str
    handler: Handler
    queue: EventQueue
    stats: SubscriberStats = field(default_factory=SubscriberStats)
    task: asyncio.Task[None] | None = None
    busy: bool = False
    batch: int = 1  # events per handler call (above 1: the handler takes a list)
    lossless: bool = False  # a full queue holds the publisher back, never drops


class InProcessBus:
    """Delivers each event to every subscriber of its topic, in publish order per
    subscriber, through that subscriber's own queue and worker."""

    def __init__(self, maxsize: int = DEFAULT_QUEUE, spawn: Spawn | None = None) -> None:
        self.maxsize = maxsize
        self.spawn = spawn  # the supervisor's, when there is one: workers are supervised
        self.stats = BusStats()
        self._subs: dict[str, list[Subscriber]] = {}

    def subscribe(self, topic: str, handler: Handler, *, name: str | None = None,
                  maxsize: int | None = None, batch: int | None = None,
                  lossless: bool = False) -> Callable[[], None]:
        label = name or getattr(handler, "__qualname__", repr(handler))
        sub = Subscriber(topic, f"bus:{topic}:{label}", handler,
                         EventQueue(maxsize or self.maxsize, lossless),
                         batch=max(1, batch or 1), lossless=lossless)
        self._subs.setdefault(topic, []).append(sub)
        self._start(sub)

        def unsubscribe() -> None:
            subs = self._subs.get(topic, [])
            if sub in subs:
                subs.remove(sub)
            if sub.task is not None:
                sub.task.cancel()
                sub.task = None
            sub.queue.closed = True  # a publisher waiting on it would wait forever
            sub.queue.release()

        return unsubscribe

    def _start(self, sub: Subscriber) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # started by ``start()`` once a loop runs
        if sub.task is None or sub.task.done():
            sub.queue.closed = False

            async def worker() -> None:
                await self._work(sub)

            sub.task = self.spawn(sub.name, worker) if self.spawn else \
                asyncio.get_running_loop().create_task(worker(), name=sub.name)

    def start(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                self._start(sub)

    async def publish(self, topic: str, payload: Any) -> None:
        """Queue the event for every subscriber; waits while a lossless one is full."""
        if not self.publish_nowait(topic, payload):
            await self.room(topic)

    def publish_nowait(self, topic: str, payload: Any) -> bool:
        """Queue the event without waiting. False: a lossless subscriber is full (it took
        the event all the same): await ``room(topic)`` before publishing more."""
        self.stats.published += 1
        now = time.perf_counter()
        ok = True
        for sub in self._subs.get(topic, ()):
            queue = sub.queue
            if len(queue.items) < queue.maxsize:
                queue.put_nowait((now, payload))
            elif sub.lossless:
                queue.put_nowait((now, payload))
                ok = False
            else:
                sub.stats.dropped += 1
                self.stats.dropped += 1
                log.error("event dropped: subscriber is too far behind", subscriber=sub.name,
                          queued=sub.queue.qsize())
        return ok

    def publish_many(self, topic: str, payloads: list[Any]) -> bool:
        """``publish_nowait`` for a list of events, in order (one clock read, one wake-up
        per subscriber): what a batch of trades from one websocket message costs."""
        if not payloads:
            return True
        self.stats.published += len(payloads)
        now = time.perf_counter()
        ok = True
        for sub in self._subs.get(topic, ()):
            queue = sub.queue
            room = queue.maxsize - len(queue.items)
            if room >= len(payloads) or sub.lossless:
                queue.extend([(now, p) for p in payloads])
                ok = ok and len(queue.items) < queue.maxsize
            else:
                queue.extend([(now, p) for p in payloads[:max(0, room)]])
                lost = len(payloads) - max(0, room)
                sub.stats.dropped += lost
                self.stats.dropped += lost
                log.error("events dropped: subscriber is too far behind", subscriber=sub.name,
                          queued=queue.qsize(), dropped=lost)
        return ok

    def full(self, topic: str) -> bool:
        """Whether a lossless subscriber of ``topic`` is at its size (publishers wait)."""
        return any(s.lossless and s.queue.full() for s in self._subs.get(topic, ()))

    async def room(self, topic: str) -> None:
        """Until every lossless subscriber of ``topic`` is below its size."""
        for sub in list(self._subs.get(topic, ())):
            if sub.lossless and sub in self._subs.get(topic, ()):
                await sub.queue.room()

    async def _work(self, sub: Subscriber) -> None:
        queue, stats, perf = sub.queue, self.stats, time.perf_counter
        while True:
            if not queue.items:
                await queue.wait()
            items = queue.take(sub.batch)
            sub.busy = True
            try:
                if sub.batch > 1:
                    result = sub.handler([payload for _, payload in items])
                else:
                    result = sub.handler(items[0][1])
                if inspect.isawaitable(result):
                    await result
                sub.stats.handled += len(items)
                stats.handled += len(items)
            except asyncio.CancelledError:
                raise
            except Exception:  # a consumer's bug must not break the producer or the others
                sub.stats.errors += 1
                stats.errors += 1
                log.exception("event handler failed", subscriber=sub.name, events=len(items))
            finally:
                sub.busy = False
                lag = perf() - items[0][0]  # the oldest event of the batch
                sub.stats.last_lag_s = lag
                if lag > sub.stats.max_lag_s:
                    sub.stats.max_lag_s = lag
                stats.last_lag_s = lag
                if lag > stats.max_lag_s:
                    stats.max_lag_s = lag

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
            sub.queue.closed = True
            sub.queue.release()
