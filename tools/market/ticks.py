"""Publishes real-time ticks on the event bus: the alert engine reacts to each one.

The set of symbols is live: every second the pump asks which symbols are needed (the
watchlist plus every capability's, such as symbols with active alerts, whichever process
created them) and follows the change — a stream that can subscribe does so in place, any
other is restarted with the new set.

No tick is ever dropped between the source and its subscribers: the quote cache and the
alert engine subscribe ``lossless``, and when one of them is ``TICK_QUEUE`` ticks behind
the pump stops reading the source until it catches up (backpressure: a websocket is then
read more slowly, its trades wait in the socket instead of vanishing). Ticks are handed to
the bus in batches: those that arrived together (one websocket message) go in one
``publish_many`` when the pump is about to wait for the source, or every ``TICK_BATCH``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import structlog

from core.bus import EventBus
from core.events import TICKS
from tools.market.providers.base import TickSource

log = structlog.get_logger(__name__)
FOLLOW_S = 1.0
# Tick subscribers (the quote cache, the alert engine) take what queued up to this many at
# a time: one handler call and at most one outbox commit per batch, a lone tick at once.
TICK_BATCH = 256
# Ticks a tick subscriber may fall behind before the source is held back: a few batches,
# a few milliseconds at 200k ticks/s, so a burst waits in the socket, not in memory.
TICK_QUEUE = 1_024
HELD_WARN_S = 5.0  # the source held back this long is worth a line in the log


class TickPump:
    def __init__(self, source: TickSource, bus: EventBus,
                 symbols: Callable[[], list[str]], follow_s: float = FOLLOW_S) -> None:
        self.source = source
        self.bus = bus
        self.symbols = symbols
        self.follow_s = follow_s
        self.count = 0
        self.last_ts: float | None = None
        self.streaming: list[str] = []

    async def _forward(self, symbols: list[str], limit: int | None) -> None:
        bus: Any = self.bus
        publish_many = getattr(bus, "publish_many", None)
        if publish_many is None:  # a bus without batches: one (waiting) publish a tick
            async for tick in self.source.ticks(symbols):
                await bus.publish(TICKS, tick)
                self.count += 1
                self.last_ts = tick.ts
                if limit is not None and self.count >= limit:
                    return
            return
        loop = asyncio.get_running_loop()
        pending: list[Any] = []
        state = [False, False]  # a flush is scheduled; a subscriber is full (wait for room)

        def flush() -> None:
            state[0] = False
            if pending:
                batch = pending.copy()
                pending.clear()
                if not publish_many(TICKS, batch):
                    state[1] = True

        try:
            async for tick in self.source.ticks(symbols):
                pending.append(tick)
                if not state[0]:  # runs when this task next waits (for the source)
                    state[0] = True
                    loop.call_soon(flush)
                elif len(pending) >= TICK_BATCH:
                    flush()
                self.count += 1
                self.last_ts = tick.ts
                if state[1]:
                    state[1] = False
                    flush()
                    await self._wait_for_room()
                if limit is not None and self.count >= limit:
                    return
        finally:
            flush()

    async def _wait_for_room(self) -> None:
        """A tick subscriber is full: read nothing more until it has room (never drop)."""
        started = time.monotonic()
        await self.bus.room(TICKS)  # type: ignore[attr-defined]
        held = time.monotonic() - started
        if held > HELD_WARN_S:
            log.warning("tick stream held back: a tick subscriber was behind", seconds=round(held, 1))

    async def run(self, limit: int | None = None) -> None:
        """Forward ticks until cancelled (or ``limit`` ticks, for tests and benches)."""
        self.streaming = sorted(await asyncio.to_thread(self.symbols))
        log.info("tick stream starting", symbols=len(self.streaming))
        stream = asyncio.create_task(self._forward(self.streaming, limit))
        try:
            while not stream.done():
                done, _ = await asyncio.wait({stream}, timeout=self.follow_s)
                if done:
                    break
                wanted = sorted(await asyncio.to_thread(self.symbols))
                if wanted == self.streaming:
                    continue
                added = [s for s in wanted if s not in self.streaming]
                subscribe = getattr(self.source, "subscribe", None)
                if subscribe is not None:
                    for symbol in added:
                        await subscribe(symbol)
                    self.streaming = wanted
                else:
                    log.info("tick symbols changed; restarting the stream", added=added)
                    stream.cancel()
                    await asyncio.gather(stream, return_exceptions=True)
                    self.streaming = wanted
                    stream = asyncio.create_task(self._forward(wanted, limit))
            await stream  # re-raise what ended it, for the supervisor
        finally:
            if not stream.done():
                stream.cancel()
                await asyncio.gather(stream, return_exceptions=True)
