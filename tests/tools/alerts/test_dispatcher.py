"""Outbox delivery: grouping, retries, and exactly-once across a SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlmodel import Session, select

from core.market import Tick
from core.settings import Settings
from core.storage import make_engine
from tests.helpers.webhook import WebhookReceiver
from tools.alerts.capability import AlertsCapability
from tools.alerts.console import ConsoleTarget
from tools.alerts.dispatcher import Dispatcher
from tools.alerts.engine import AlertEngine
from tools.alerts.models import Notification
from tools.alerts.service import AlertService
from tools.alerts.targets import WebhookTarget

ROOT = Path(__file__).resolve().parents[3]


async def fire(sql, clock, symbols_prices, targets=("webhook",)):
    engine = AlertEngine(sql, clock=clock)
    service = AlertService(sql, None, engine, clock=clock, default_targets=targets)
    for symbol, threshold in symbols_prices:
        await service.create(symbol=symbol, condition="above", threshold=threshold)
    fired = []
    for symbol, threshold in symbols_prices:
        fired += engine.process(Tick(symbol=symbol, price=threshold + 1, ts=clock()))
    return fired


async def test_firings_for_one_symbol_are_grouped(settings, fixed_clock):
    sql = make_engine(settings.db_url, AlertsCapability.tables)
    fired = await fire(sql, fixed_clock, [("AAPL", 100), ("AAPL", 101), ("MSFT", 50)],
                       targets=("console",))
    console = ConsoleTarget(sql, fixed_clock)
    d = Dispatcher(sql, {"console": console}, clock=fixed_clock, group_wait_s=2)
    assert await d.step() == 0  # group_wait not over yet
    fixed_clock.advance(2)
    assert await d.step() == 2  # one per symbol
    texts = console.drain()
    assert len(fired) == 3 and len(texts) == 2
    aapl = next(t for t in texts if "AAPL" in t)
    assert aapl.startswith("🔔 2 alerts on AAPL")
    assert await d.step() == 0 and d.pending() == 0


async def test_failed_delivery_retries_with_backoff_then_succeeds(settings, fixed_clock):
    sql = make_engine(settings.db_url, AlertsCapability.tables)
    await fire(sql, fixed_clock, [("AAPL", 100)])
    with WebhookReceiver(fail_first=2) as hook:
        async with httpx.AsyncClient() as http:
            d = Dispatcher(sql, {"webhook": WebhookTarget(http, hook.url)}, clock=fixed_clock,
                           group_wait_s=0, base_backoff_s=1)
            assert await d.step() == 0
            assert await d.step() == 0  # not due yet: backing off
            fixed_clock.advance(5)
            assert await d.step() == 0  # second failure
            fixed_clock.advance(10)
            assert await d.step() == 1
    assert len(hook.requests) == 3
    assert len({key for key, _ in hook.requests}) == 1  # the same key every time
    with Session(sql) as s:
        note = s.exec(select(Notification)).one()
    assert note.status == "sent" and note.attempts == 3


async def test_gives_up_only_after_max_age(settings, fixed_clock):
    sql = make_engine(settings.db_url, AlertsCapability.tables)
    await fire(sql, fixed_clock, [("AAPL", 100)])
    d = Dispatcher(sql, {}, clock=fixed_clock, group_wait_s=0, max_age_s=600, retry_max_s=60)
    await d.step()
    for _ in range(9):  # 9 more tries over 540 s: still alive
        fixed_clock.advance(60)
        await d.step()
    with Session(sql) as s:
        assert s.exec(select(Notification)).one().status == "pending"
    fixed_clock.advance(60)
    await d.step()
    with Session(sql) as s:
        note = s.exec(select(Notification)).one()
    assert note.status == "dead" and "no target named 'webhook'" in note.last_error
    assert d.pending() == 0


async def test_every_firing_arrives_exactly_once_across_sigkill(tmp_path, monkeypatch):
    with WebhookReceiver(delay_s=0.4) as hook:
        env = {**os.environ, "COPILOT_ALERT_WEBHOOK_URL": hook.url,
               "COPILOT_ALERT_GROUP_WAIT": "0", "PYTHONPATH": str(ROOT)}
        for key in ("COPILOT_ALERT_WEBHOOK_URL", "COPILOT_ALERT_GROUP_WAIT"):
            monkeypatch.setenv(key, env[key])
        settings = Settings()
        settings.ensure_dirs()
        sql = make_engine(settings.db_url, AlertsCapability.tables)
        import time as _time

        clock = _time.time
        symbols = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META", "AMZN", "NFLX"]
        fired = await fire(sql, clock, [(s, 10) for s in symbols])
        sql.dispose()
        cmd = [sys.executable, "-m", "cli", "alerts", "deliver"]

        first = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while len(hook.requests) < 3 and time.time() < deadline:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)  # mid-delivery: request 3 is in flight
        first.wait()
        killed_after = len(hook.requests)
        assert 3 <= killed_after < len(symbols)

        second = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 0, second.stderr

    expected = sorted(f.firing_id for f in fired)
    assert sorted(hook.accepted_firings()) == expected  # each firing exactly once
    keys = [key for key, _ in hook.requests]
    assert len(keys) > len(set(keys))  # the in-flight one was resent with the same key
    assert len(set(keys)) == len(symbols)
