"""Health checks: the owner's own HTTP services and the co-pilot's internal parts.
Each returns ok / degraded / down with a latency and one line of detail."""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.ports import CheckResult, FnCheck


@dataclass
class HttpCheck:
    """GET a URL: wrong status or no answer is down, slower than ``slow_ms`` degraded."""

    name: str
    url: str
    client: httpx.AsyncClient
    expected_status: int = 200
    timeout_s: float = 5.0
    interval_s: float = 60.0
    slow_ms: float = 2000.0
    restart: Callable[[], Awaitable[str]] | None = None  # the service's restart hook

    async def check(self) -> CheckResult:
        t0 = time.perf_counter()
        try:
            response = await self.client.get(self.url, timeout=self.timeout_s)
        except httpx.TimeoutException:
            return CheckResult("down", f"no answer within {self.timeout_s:g} s")
        except httpx.HTTPError as exc:
            return CheckResult("down", f"unreachable ({type(exc).__name__})")
        ms = (time.perf_counter() - t0) * 1000
        if response.status_code != self.expected_status:
            return CheckResult("down", f"HTTP {response.status_code}, expected "
                                       f"{self.expected_status}", ms)
        if ms > self.slow_ms:
            return CheckResult("degraded", f"slow: {ms:.0f} ms", ms)
        return CheckResult("ok", f"HTTP {response.status_code}", ms)


def database_check(engine: Any) -> FnCheck:
    def run() -> CheckResult:
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return CheckResult("ok", engine.dialect.name)

    return FnCheck("database", run)


def scheduler_check(scheduler_ref: Callable[[], Any], db: Any = None,
                    tz: str = "America/New_York") -> FnCheck:
    def run() -> CheckResult:
        scheduler = scheduler_ref()
        if scheduler is None or not scheduler.running:
            return running_instance(db, "the scheduler", tz)
        failing = {name: st for name, st in scheduler.stats.items() if st.consecutive_failures}
        if failing:
            name, st = next(iter(failing.items()))
            status = "down" if st.consecutive_failures >= 3 else "degraded"
            return CheckResult(status, f"job {name} failed {st.consecutive_failures}x: "
                                       f"{st.last_error}")
        runs = sum(st.runs for st in scheduler.stats.values())
        return CheckResult("ok", f"{len(scheduler.stats)} jobs, {runs} runs")

    return FnCheck("scheduler", run)


def running_instance(db: Any, what: str, tz: str) -> CheckResult:
    """From a one-shot command: what the running `copilot run` last said about itself."""
    from core.lease import read_instance

    instance = read_instance(db) if db is not None else None
    now = time.time()
    if instance is None or not instance.alive(now):
        return CheckResult("down", "no copilot run is running: alerts are not evaluated or "
                                   "delivered and jobs do not run")
    bad = [t for t in instance.tasks if t.get("state") not in ("starting", "running", "done")]
    head = f"{what} runs in copilot run ({instance.describe(now, tz)}, heartbeat " \
           f"{now - instance.beat_at:.0f} s ago)"
    if bad:
        t = bad[0]
        return CheckResult("down" if t.get("state") == "failed" else "degraded",
                           f"{head}; {t['name']} {t['state']}: {t.get('last_error', '')}")
    return CheckResult("ok", head)


def bus_check(bus: Any, max_lag_s: float = 0.5) -> FnCheck:
    def run() -> CheckResult:
        st = bus.stats
        status = "degraded" if st.last_lag_s > max_lag_s or st.errors else "ok"
        return CheckResult(status, f"{st.published} events, last lag {st.last_lag_s * 1000:.1f} "
                                   f"ms, {st.errors} handler errors")

    return FnCheck("bus", run)


def disk_check(path: Path, min_free_pct: float = 5.0) -> FnCheck:
    def run() -> CheckResult:
        usage = shutil.disk_usage(path)
        free = usage.free / usage.total * 100
        status = "down" if free < min_free_pct / 2 else ("degraded" if free < min_free_pct else "ok")
        return CheckResult(status, f"{free:.1f}% free ({usage.free / 1e9:.1f} GB)")

    return FnCheck("disk", run)


def discord_check(bot_ref: Callable[[], Any]) -> FnCheck:
    def run() -> CheckResult:
        bot = bot_ref()
        if bot is None:
            return CheckResult("ok", "not configured")
        if bot.is_closed() or not bot.is_ready():
            return CheckResult("down", "gateway disconnected")
        latency = bot.latency * 1000
        return CheckResult("degraded" if latency > 1000 else "ok", f"gateway {latency:.0f} ms",
                           latency)

    return FnCheck("discord", run)


def tasks_check(supervisor: Any, db: Any = None, tz: str = "America/New_York") -> FnCheck:
    """The supervised background tasks: a crash restarts a task, and shows here. From a
    one-shot command, the running instance's tasks (its heartbeat)."""

    def run() -> CheckResult:
        states = supervisor.snapshot()
        if not states:
            return running_instance(db, "background work", tz)
        failed = [s for s in states if s.state == "failed"]
        restarting = [s for s in states if s.state == "restarting"]
        restarted = [s for s in states if s.restarts]
        if failed:
            s = failed[0]
            return CheckResult("down", f"{s.name} failed after {s.restarts} restarts: "
                                       f"{s.last_error}")
        if restarting or restarted:
            s = (restarting or restarted)[0]
            return CheckResult("degraded", f"{s.name} {s.state}, restarted {s.restarts}x: "
                                           f"{s.last_error}")
        return CheckResult("ok", f"{len(states)} tasks running")

    return FnCheck("tasks", run, interval_s=15.0)
