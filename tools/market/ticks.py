"""Publishes real-time ticks on the event bus: the alert engine reacts to each one.

The set of symbols is live: every second the pump asks which symbols are needed (the
watchlist plus every capability's, such as symbols with active alerts, whichever process
created them) and follows the change — a stream that can subscribe does so in place, any
other is restarted with the new set."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from core.bus import EventBus
from core.events import TICKS
from tools.market.providers.base import TickSource

log = structlog.get_logger(__name__)
FOLLOW_S = 1.0
# Tick subscribers (the quote cache, the alert engine) take what queued up to this many at
# a time: one handler call and at most one outbox commit per batch, a lone tick at once.
TICK_BATCH = 256
TICK_QUEUE = 100_000  # ticks a tick subscriber may fall behind (half a second at 200k/s)


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
        publish_nowait = getattr(self.bus, "publish_nowait", None)  # no coroutine per tick
        async for tick in self.source.ticks(symbols):
            if publish_nowait is not None:
                publish_nowait(TICKS, tick)
            else:
                await self.bus.publish(TICKS, tick)
            self.count += 1
            self.last_ts = tick.ts
            if limit is not None and self.count >= limit:
                return

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
