"""Provider quotas hold across processes and restarts: pyrate-limiter buckets in the
database (SQLite file + file lock, or PostgreSQL when DATABASE_URL is), blocks in the
kernel's key-value table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import RateLimited
from core.limits import CircuitBreaker, SharedRateLimiter, SlidingWindowLimiter
from core.settings import Settings
from core.storage import make_engine
from tools.market.quotas import open_quota
from tools.market.service import MarketService

ROOT = Path(__file__).resolve().parents[3]
FINNHUB = [(60, 60.0), (30, 1.0)]
ALPHAVANTAGE = [(25, 86400.0)]

# one process: wait for the common start, then take as many slots as it can
WORKER = """
import json, sys, time
from core.settings import Settings
from core.storage import make_engine
from tools.market.quotas import open_quota

name, limits, attempts, start_at, run_s = json.loads(sys.argv[1])
settings = Settings()
quota = open_quota(name, [tuple(x) for x in limits], engine=make_engine(settings.db_url),
                   data_dir=settings.data_dir, clock=time.time)
assert type(quota).__name__ == "SharedRateLimiter", type(quota)
start_at = start_at or time.time()  # alone: from when this interpreter is ready
while time.time() < start_at:
    time.sleep(0.002)
granted = tried = 0
while tried < attempts and time.time() < start_at + run_s:
    tried += 1
    granted += quota.try_acquire()
print(json.dumps({"granted": granted, "tried": tried, "remaining": quota.remaining()}))
"""


def run_processes(n: int, name: str, limits, attempts: int, run_s: float) -> list[dict]:
    quota(name, limits)  # the tables exist, as they do once the co-pilot has run
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    # together: after every interpreter has imported; alone: when it is ready (a loaded
    # machine can take longer than run_s to start Python)
    start_at = time.time() + 2.0 if n > 1 else 0.0
    arg = json.dumps([name, limits, attempts, start_at, run_s])
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, arg], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(n)]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def quota(name: str, limits, clock=time.time) -> SharedRateLimiter:
    settings = Settings()
    q = open_quota(name, limits, engine=make_engine(settings.db_url), data_dir=settings.data_dir,
                   clock=clock)
    assert isinstance(q, SharedRateLimiter)
    return q


def admitted(q: SharedRateLimiter) -> list[int]:
    """Every admitted call's timestamp (ms), newest first: what the bucket holds."""
    out, i = [], 0
    while (item := q.bucket.peek(i)) is not None:
        out.append(int(item.timestamp))
        i += 1
    return out


def max_in_window(stamps: list[int], window_ms: int) -> int:
    stamps, best, j = sorted(stamps), 0, 0
    for i, t in enumerate(stamps):
        while stamps[j] < t - window_ms:  # the bucket's window is inclusive: [t - w, t]
            j += 1
        best = max(best, i - j + 1)
    return best


def test_two_processes_together_stay_under_finnhub_30_per_s_and_60_per_min(settings):
    results = run_processes(2, "finnhub", FINNHUB, attempts=100_000, run_s=1.5)
    granted = sum(r["granted"] for r in results)
    assert 30 < granted <= 60, results  # more than one second's worth, never more than a minute's
    stamps = admitted(quota("finnhub", FINNHUB))
    assert len(stamps) == granted
    assert max_in_window(stamps, 1000) <= 30
    assert max_in_window(stamps, 60_000) <= 60
    # a restarted process sees the same minute: nothing left until it slides
    again = run_processes(1, "finnhub", FINNHUB, attempts=10, run_s=0.5)[0]
    if granted == 60:
        assert again["granted"] == 0 and again["remaining"] == 0, again


def test_two_processes_and_a_restart_share_alpha_vantages_25_a_day(settings):
    results = run_processes(2, "alphavantage", ALPHAVANTAGE, attempts=20, run_s=5.0)
    assert sum(r["granted"] for r in results) == 25, results
    assert all(r["granted"] > 0 for r in results), results  # both really took part
    restarted = run_processes(1, "alphavantage", ALPHAVANTAGE, attempts=5, run_s=1.0)[0]
    assert restarted == {"granted": 0, "tried": 5, "remaining": 0}
    q = quota("alphavantage", ALPHAVANTAGE)
    assert q.remaining() == 0 and not q.try_acquire()
    assert q.next_free_at() > time.time() + 86000  # a day after the first call


def test_shared_windows_on_a_fake_clock(settings, fixed_clock):
    q = quota("finnhub", FINNHUB, clock=fixed_clock)
    assert q.remaining() == 30
    assert sum(q.try_acquire() for _ in range(40)) == 30
    assert q.remaining() == 0
    assert q.next_free_at() == pytest.approx(fixed_clock() + 1.0, abs=0.002)
    fixed_clock.advance(1.001)
    assert q.remaining() == 30 and sum(q.try_acquire() for _ in range(40)) == 30
    fixed_clock.advance(1.001)
    assert q.remaining() == 0  # 60 in the last minute
    assert q.next_free_at() == pytest.approx(fixed_clock() + 58.0, abs=0.01)
    fixed_clock.advance(58.002)
    assert q.remaining() == 30


def test_a_block_is_shared_and_survives_a_restart(settings, fixed_clock):
    one = quota("finnhub", FINNHUB, clock=fixed_clock)
    one.block(3600)
    two = quota("finnhub", FINNHUB, clock=fixed_clock)  # another process, or after a restart
    assert not two.try_acquire() and two.remaining() == 0
    assert two.next_free_at() == fixed_clock() + 3600
    fixed_clock.advance(3600)
    assert two.try_acquire()


def test_the_quota_lives_next_to_the_database(settings):
    q = quota("alphavantage", ALPHAVANTAGE)
    assert q.try_acquire()
    if settings.db_url.startswith("sqlite"):
        assert (settings.data_dir / "quotas.db").is_file()
        assert (settings.data_dir / "quotas.db.lock").exists()


def test_an_unusable_store_falls_back_to_a_process_limit(tmp_path, fixed_clock):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    engine = make_engine(f"sqlite:///{tmp_path / 'copilot.db'}")
    q = open_quota("finnhub", FINNHUB, engine=engine, data_dir=blocker / "sub",
                   clock=fixed_clock)
    # the database's directory is writable, so quotas.db goes there
    assert isinstance(q, SharedRateLimiter)
    memory = make_engine("sqlite://")
    q = open_quota("finnhub", FINNHUB, engine=memory, data_dir=blocker / "sub", clock=fixed_clock)
    assert isinstance(q, SlidingWindowLimiter) and q.remaining() == 30


async def test_service_says_rate_limited_until_with_a_shared_quota(settings, fixed_clock):
    from datetime import UTC, datetime

    from core.market import Quote
    from tools.market.capability import MarketCapability
    from tools.market.providers.guarded import GuardedProvider

    class Fake:
        name, label = "alphavantage", "Alpha Vantage"

        async def quote(self, symbol):
            return Quote(symbol=symbol, price=10.0, source="alphavantage",
                         as_of=datetime.fromtimestamp(fixed_clock(), UTC))

    engine = make_engine(settings.db_url, MarketCapability.tables)
    limiter = quota("alphavantage", [(2, 86400.0)], clock=fixed_clock)
    svc = MarketService([GuardedProvider(Fake(), limiter, CircuitBreaker(fixed_clock),
                                         timezone="Europe/Berlin")],
                        engine=engine, clock=fixed_clock)
    await svc.quote("AAPL")
    await svc.quote("MSFT")
    with pytest.raises(RateLimited, match=r"Alpha Vantage is rate limited until Wed 25 Nov 15:30 CET"):
        await svc.quote("NVDA")
