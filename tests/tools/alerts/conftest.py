from __future__ import annotations

import pytest

from core.bus import InProcessBus
from core.events import ALERT_FIRED
from core.market import Tick
from core.storage import create_tables, make_engine
from tools.alerts.capability import AlertsCapability
from tools.alerts.engine import AlertEngine
from tools.alerts.service import AlertService


class Harness:
    def __init__(self, sql, clock):
        self.sql = sql
        self.clock = clock
        self.bus = InProcessBus()
        self.events = []
        self.bus.subscribe(ALERT_FIRED, self.events.append)
        self.engine = AlertEngine(sql, bus=self.bus, clock=clock)
        self.service = AlertService(sql, None, self.engine, clock=clock,
                                    default_targets=("console", "webhook"), cooldown_s=300)

    async def add(self, **kw):
        rule, _ = await self.service.create(**kw)
        return rule

    async def tick(self, symbol, price, dt=1.0):
        self.clock.advance(dt)
        await self.engine.handle(Tick(symbol=symbol, price=price, ts=self.clock()))
        self.bus.start()
        await self.bus.drain()
        return [e.rule_id for e in self.events]


@pytest.fixture
def harness(settings, fixed_clock):
    sql = make_engine(settings.db_url)
    create_tables(sql, AlertsCapability.tables)
    return Harness(sql, fixed_clock)
