"""``once_per_day`` means once per trading session for equities (re-armed at the next
session's open, holidays skipped) and once per UTC day for crypto. Fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.bus import InProcessBus
from core.events import ALERT_FIRED
from core.market import Tick
from core.storage import create_tables, make_engine
from tools.alerts.capability import AlertsCapability
from tools.alerts.engine import AlertEngine, next_period
from tools.alerts.service import AlertService


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("symbol,fired,rearmed", [
    ("AAPL", "2026-11-24 15:00", "2026-11-25 14:30"),  # Tuesday -> Wednesday's open
    ("AAPL", "2026-11-24 23:30", "2026-11-25 14:30"),  # after midnight UTC: same session
    ("AAPL", "2026-11-25 12:00", "2026-11-27 14:30"),  # pre-market is the day's session
    ("AAPL", "2026-11-25 20:00", "2026-11-27 14:30"),  # Thanksgiving skipped
    ("AAPL", "2026-11-27 18:30", "2026-11-30 14:30"),  # after the early close: Monday
    ("AAPL", "2026-10-30 19:00", "2026-11-02 14:30"),  # over the DST change: 09:30 EST
    ("BTC-USD", "2026-11-25 20:00", "2026-11-26 00:00"),  # crypto: the next UTC day
])
def test_next_period(symbol, fired, rearmed):
    assert next_period(symbol, utc(fired)) == utc(rearmed)


class Clock:
    def __init__(self, at: str) -> None:
        self.now = utc(at)

    def __call__(self) -> float:
        return self.now


async def test_once_per_day_rearms_at_the_next_session_open(settings):
    sql = make_engine(settings.db_url)
    create_tables(sql, AlertsCapability.tables)
    clock = Clock("2026-11-25 15:00")  # Wednesday, 10:00 EST
    bus, fired = InProcessBus(), []
    bus.subscribe(ALERT_FIRED, fired.append)
    engine = AlertEngine(sql, bus=bus, clock=clock)
    service = AlertService(sql, None, engine, clock=clock, default_targets=("console",))
    rule, _ = await service.create(symbol="AAPL", condition="above", threshold=100,
                                   frequency="once_per_day")

    async def tick(at: str) -> int:
        clock.now = utc(at)
        await engine.handle(Tick(symbol="AAPL", price=101, ts=clock.now))
        bus.start()
        await bus.drain()
        return len(fired)

    assert await tick("2026-11-25 15:00") == 1
    assert await tick("2026-11-25 20:59") == 1  # same session
    assert await tick("2026-11-26 01:00") == 1  # a new UTC day, the same session
    assert await tick("2026-11-26 16:00") == 1  # Thanksgiving: no session at all
    assert await tick("2026-11-27 14:29") == 1  # one minute before Friday's open
    assert await tick("2026-11-27 14:31") == 2  # Friday's session
    assert await tick("2026-11-27 17:00") == 2
    # a restart re-arms from the stored last firing, on the same clock
    again = AlertEngine(sql, bus=bus, clock=clock)
    again.load()
    assert rule.id is not None and again.rules[rule.id].rearm_at == utc("2026-11-30 14:30")
