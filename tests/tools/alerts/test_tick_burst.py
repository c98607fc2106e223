"""The tick path never loses a tick: a burst far larger than the engine's queue, with an
engine slower than the source, holds the source back instead of dropping ticks, so every
tick is evaluated, in order, and every firing it owes is in the outbox."""

from __future__ import annotations

import asyncio

from core.bus import InProcessBus
from core.events import TICKS
from core.market import Tick
from tools.alerts.engine import TICK_QUEUE
from tools.market.ticks import TickPump

BURST = 4 * TICK_QUEUE + 123


class Burst:
    """Every tick at once, never waiting: what a reconnect's backlog looks like."""

    def __init__(self, ticks: list[Tick]) -> None:
        self.all = ticks

    async def ticks(self, symbols: list[str]):
        for tick in self.all:
            yield tick


async def test_a_burst_bigger_than_the_queue_is_held_back_never_dropped(harness):
    rule = await harness.add(symbol="AAPL", condition="cross", threshold=100,
                             frequency="every_time")
    harness.engine.load()
    seen: list[float] = []
    real = harness.engine.handle_many

    async def slow(ticks: list[Tick]) -> None:  # slower than the source
        seen.extend(t.ts for t in ticks)
        await asyncio.sleep(0.001)
        await real(ticks)

    harness.engine.handle_many = slow  # type: ignore[method-assign]
    bus = InProcessBus()
    quotes: list[Tick] = []
    bus.subscribe(TICKS, quotes.extend, name="quote-cache", maxsize=TICK_QUEUE, batch=256,
                  lossless=True)
    harness.engine.attach(bus)
    harness.engine.bus = harness.bus  # firings still reach the harness's listener
    harness.bus.start()
    start = harness.clock()
    # alternate 99 and 101 an hour apart: each tick crosses 100, the 300 s cooldown passes
    ticks = [Tick(symbol="AAPL", price=101.0 if i % 2 else 99.0, ts=start + 3600 * i)
             for i in range(BURST)]
    pump = TickPump(Burst(ticks), bus, lambda: ["AAPL"])
    await asyncio.wait_for(pump.run(limit=BURST), 180)  # a bound, not a speed: PostgreSQL commits each firing
    await bus.drain(timeout=180)
    await harness.bus.drain()
    assert bus.stats.dropped == 0
    assert seen == [t.ts for t in ticks]  # every tick, in order
    assert len(quotes) == BURST
    assert harness.engine.ticks == BURST
    assert [e.rule_id for e in harness.events] == [rule.id] * (BURST - 1)
    await bus.stop()
