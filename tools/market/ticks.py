"""Publishes real-time ticks on the event bus: the alert engine reacts to each one."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from core.bus import EventBus
from core.events import TICKS
from tools.market.providers.base import TickSource

log = structlog.get_logger(__name__)


class TickPump:
    def __init__(self, source: TickSource, bus: EventBus,
                 symbols: Callable[[], list[str]]) -> None:
        self.source = source
        self.bus = bus
        self.symbols = symbols
        self.count = 0
        self.last_ts: float | None = None

    async def run(self, limit: int | None = None) -> None:
        """Forward ticks until cancelled (or ``limit`` ticks, for tests and benches)."""
        symbols = self.symbols()
        log.info("tick stream starting", symbols=len(symbols))
        async for tick in self.source.ticks(symbols):
            await self.bus.publish(TICKS, tick)
            self.count += 1
            self.last_ts = tick.ts
            if limit is not None and self.count >= limit:
                return
