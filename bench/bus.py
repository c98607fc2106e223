"""The bus never waits on a subscriber: tick-processing latency with and without a slow
(0.5 s) subscriber on ``alert_fired``, on ordinary ticks and on ticks where 50 rules fire.

Tick processing = from ``publish(TICKS)`` to the alert engine having evaluated the tick
and committed its firings to the outbox (the real ``AlertEngine`` on a SQLite file).
Baseline, measured in the same run: the old bus, which awaited every handler inside
``publish``.

    .venv/bin/python bench/bus.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from core.bus import InProcessBus  # noqa: E402
from core.events import ALERT_FIRED, TICKS  # noqa: E402
from core.market import Tick  # noqa: E402
from core.storage import make_engine  # noqa: E402
from tools.alerts.capability import AlertsCapability  # noqa: E402
from tools.alerts.engine import AlertEngine  # noqa: E402
from tools.alerts.models import AlertRule  # noqa: E402

TICKS_PER_RUN = 4000
HOT_EVERY = 10  # every 10th tick is on HOT, where 50 rules fire
SYMBOLS = [f"S{i:03d}" for i in range(100)]


class InlineBus:
    """The old bus: ``publish`` awaited every handler in turn."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Callable[[Any], Any]]] = {}

    def subscribe(self, topic: str, handler: Callable[[Any], Any], **_: Any) -> Callable[[], None]:
        self.handlers.setdefault(topic, []).append(handler)
        return lambda: None

    async def publish(self, topic: str, payload: Any) -> None:
        for handler in self.handlers.get(topic, []):
            result = handler(payload)
            if isinstance(result, Awaitable):
                await result

    async def drain(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def seed(db: Any) -> None:
    with Session(db) as s:
        for sym in SYMBOLS:  # 10 rules per symbol that never fire
            for k in range(10):
                s.add(AlertRule(symbol=sym, condition="above", threshold=10_000 + k,
                                targets="console"))
        for symbol, n in (("HOT", 50), ("ONE", 1)):  # rules that fire on every tick of symbol
            for _ in range(n):
                s.add(AlertRule(symbol=symbol, condition="above", threshold=1.0,
                                frequency="every_time", cooldown_s=0.0, targets="console"))
        s.commit()


async def run(bus: Any, slow: bool, ticks: int, hot_every: int,
              hot: str = "HOT") -> tuple[list[float], list[float]]:
    """Latencies (ms) of ordinary ticks and of ticks on ``hot`` (where rules fire)."""
    tmp = tempfile.mkdtemp()
    db = make_engine(f"sqlite:///{tmp}/bus.db", AlertsCapability.tables)
    seed(db)
    clock = [1_800_000_000.0]
    engine = AlertEngine(db, bus=bus, clock=lambda: clock[0])
    engine.load()
    plain: list[float] = []
    firing: list[float] = []

    async def on_tick(item: tuple[float, Tick]) -> None:
        published, tick = item
        await engine.handle(tick)
        (firing if tick.symbol == hot else plain).append((time.perf_counter() - published) * 1e3)

    async def sleepy(_: Any) -> None:
        await asyncio.sleep(0.5)

    bus.subscribe(TICKS, on_tick, name="alert-engine", maxsize=100_000)
    if slow:
        bus.subscribe(ALERT_FIRED, sleepy, name="slow", maxsize=100_000)
    for i in range(ticks):
        clock[0] += 1.0
        symbol = hot if i % hot_every == 0 else SYMBOLS[i % len(SYMBOLS)]
        await bus.publish(TICKS, (time.perf_counter(), Tick(symbol=symbol, price=100.0,
                                                            ts=clock[0])))
        await asyncio.sleep(0.001)  # a steady stream, about 1k ticks/s
    while len(plain) + len(firing) < ticks:
        await asyncio.sleep(0.01)
    await bus.stop()
    engine.close()
    db.dispose()
    return plain, firing


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def row(label: str, plain: list[float], firing: list[float]) -> tuple[float, float]:
    print(f"{label:<46} {pct(plain, 50):8.3f} {pct(plain, 99):8.3f} "
          f"{pct(firing, 50):8.3f} {pct(firing, 99):8.3f}")
    return pct(plain, 99), pct(firing, 99)


async def main() -> None:
    print(f"{TICKS_PER_RUN} ticks at ~1k/s over 100 symbols x 10 rules; every {HOT_EVERY}th tick "
          "fires 50 rules (outbox commit included). Latency in ms.")
    print(f"{'':<46} {'plain':>8} {'':>8} {'50 fire':>8}")
    print(f"{'bus / alert_fired subscriber':<46} {'p50':>8} {'p99':>8} {'p50':>8} {'p99':>8}")
    base = row("queue per subscriber, no slow subscriber",
               *await run(InProcessBus(), False, TICKS_PER_RUN, HOT_EVERY))
    slow = row("queue per subscriber, 0.5 s subscriber",
               *await run(InProcessBus(), True, TICKS_PER_RUN, HOT_EVERY))
    # the old bus behind the same subscriber: 4 ticks that fire one rule each (50 would
    # take 25 s a tick)
    t0 = time.perf_counter()
    _, old_firing = await run(InlineBus(), True, 4, 1, hot="ONE")
    print(f"{'baseline: old inline bus, 0.5 s subscriber':<46} {'-':>8} {'-':>8} "
          f"{pct(old_firing, 50):8.1f} {max(old_firing):8.1f}   (1 rule firing a tick; 4 ticks "
          f"took {time.perf_counter() - t0:.1f} s)")
    moved = max(slow[0] - base[0], slow[1] - base[1])
    print(f"\nthe slow subscriber moved the tick p99 by {moved:+.3f} ms (goal: at most +1 ms)")


if __name__ == "__main__":
    asyncio.run(main())
