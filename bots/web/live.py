"""Live updates: the bus events a page cares about, fanned out to every open page over
Server-Sent Events. One bus subscriber per topic feeds a bounded queue per connection, so
a slow browser only loses its own events (it reloads its section on the next one)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from core.decisions import Decision
from core.events import (
    ALERT_FIRED,
    DECISION_RAISED,
    DECISION_RESOLVED,
    INCIDENT_OPENED,
    NOTICE,
    AlertFired,
)

PING_S = 15.0
QUEUE = 100
# which page each event changes: the page reloads its content when it is showing it
PAGES = {ALERT_FIRED: ["alerts", "decisions"], DECISION_RAISED: ["decisions"],
         DECISION_RESOLVED: ["decisions", "alerts", "content", "health"],
         INCIDENT_OPENED: ["health"], NOTICE: []}


def describe(topic: str, payload: Any) -> str:
    """One line for the live feed (never a secret: the same words the owner gets)."""
    if isinstance(payload, AlertFired):
        return payload.message
    if isinstance(payload, Decision):
        if topic == DECISION_RAISED:
            return f"Decision {payload.id}: {payload.title}"
        return f"Decision {payload.id} {payload.status}: {payload.outcome or payload.title}"
    if topic == INCIDENT_OPENED:
        return f"Incident {getattr(payload, 'id', '')} opened: {getattr(payload, 'component', '')}" \
               f" — {getattr(payload, 'last_error', '')}"
    return str(payload)


class LiveHub:
    def __init__(self, subscribe: Callable[[str, Callable[[Any], Any], str], Callable[[], None]],
                 redact: Callable[[str], str] = lambda s: s,
                 stamp: Callable[[], str] = lambda: "") -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._redact = redact
        self._stamp = stamp  # the time on the owner's clock
        self._unsubscribe = [subscribe(topic, self._handler(topic), f"web-{topic}")
                             for topic in PAGES]

    def _handler(self, topic: str) -> Callable[[Any], None]:
        def handle(payload: Any) -> None:
            self.publish(topic, describe(topic, payload))

        return handle

    def publish(self, topic: str, text: str) -> None:
        event = {"topic": topic, "text": self._redact(text), "pages": PAGES.get(topic, []),
                 "at": self._stamp()}
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()  # this browser is slow: it loses the oldest
            queue.put_nowait(event)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    async def stream(self) -> AsyncIterator[str]:
        """One connection's event stream, in the text/event-stream format."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE)
        self._queues.add(queue)
        try:
            yield "retry: 2000\n: connected\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), PING_S)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                yield f"event: {event['topic']}\ndata: {json.dumps(event)}\n\n"
        finally:
            self._queues.discard(queue)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
