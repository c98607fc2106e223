"""Event bus: async pub/sub between capabilities (ticks, alert firings, decisions).

The in-process implementation calls handlers directly; a Redis Streams implementation
can satisfy the same ``EventBus`` protocol when the co-pilot is split across processes.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

Handler = Callable[[Any], Awaitable[None] | None]

log = structlog.get_logger(__name__)

# Topics are plain strings; the constants keep producers and consumers in step.
TICKS = "market.tick"
ALERT_FIRED = "alert_fired"
DECISION_RESOLVED = "decision_resolved"
CONTENT_READY = "content_ready"
HEALTH_INCIDENT = "health_incident"
NOTICE = "notice"  # a line for the owner (recoveries, autopilot reports)


class EventBus(Protocol):
    async def publish(self, topic: str, payload: Any) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Register ``handler``; returns a function that unsubscribes it."""
        ...


@dataclass
class BusStats:
    published: int = 0
    handled: int = 0
    errors: int = 0
    max_lag_s: float = 0.0
    last_lag_s: float = 0.0


@dataclass
class InProcessBus:
    """Delivers each event to the topic's handlers in publish order.

    A failing handler is logged and counted; it never stops delivery to the others.
    """

    _handlers: dict[str, list[Handler]] = field(default_factory=lambda: defaultdict(list))
    stats: BusStats = field(default_factory=BusStats)

    async def publish(self, topic: str, payload: Any) -> None:
        self.stats.published += 1
        started = time.perf_counter()
        for handler in list(self._handlers.get(topic, ())):
            try:
                result = handler(payload)
                if inspect.isawaitable(result):
                    await result
                self.stats.handled += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # a consumer's bug must not break the producer
                self.stats.errors += 1
                log.exception("event handler failed", topic=topic)
        lag = time.perf_counter() - started
        self.stats.last_lag_s = lag
        self.stats.max_lag_s = max(self.stats.max_lag_s, lag)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers.get(topic, []):
                self._handlers[topic].remove(handler)

        return unsubscribe
