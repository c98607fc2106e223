"""Health checks: the owner's own HTTP services and the co-pilot's internal parts.
Each returns ok / degraded / down with a latency and one line of detail."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx


@dataclass
class CheckResult:
    status: str  # ok | degraded | down
    detail: str = ""
    latency_ms: float | None = None


class HealthCheck(Protocol):
    name: str
    interval_s: float

    async def check(self) -> CheckResult: ...


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


@dataclass
class FnCheck:
    """An internal check written as a small function returning a CheckResult."""

    name: str
    fn: Callable[[], Any]
    interval_s: float = 60.0

    async def check(self) -> CheckResult:
        import inspect

        t0 = time.perf_counter()
        try:
            result = self.fn()
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 - a failing check is a finding, not a crash
            return CheckResult("down", f"{type(exc).__name__}: {exc}")
        if result.latency_ms is None:
            result.latency_ms = (time.perf_counter() - t0) * 1000
        return result


def database_check(engine: Any) -> FnCheck:
    def run() -> CheckResult:
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return CheckResult("ok", engine.dialect.name)

    return FnCheck("database", run)


def vector_store_check(memory_ref: Callable[[], Any]) -> FnCheck:
    def run() -> CheckResult:
        memory = memory_ref()
        store = memory.store("alert_fired")
        return CheckResult("ok", f"{memory.embedder.name} embeddings, {store.count()} alert "
                                 "decisions remembered")

    return FnCheck("memory", run)


def scheduler_check(scheduler_ref: Callable[[], Any]) -> FnCheck:
    def run() -> CheckResult:
        scheduler = scheduler_ref()
        if scheduler is None:
            return CheckResult("degraded", "scheduler not running (one-shot command)")
        failing = {name: st for name, st in scheduler.stats.items() if st.consecutive_failures}
        if failing:
            name, st = next(iter(failing.items()))
            status = "down" if st.consecutive_failures >= 3 else "degraded"
            return CheckResult(status, f"job {name} failed {st.consecutive_failures}x: "
                                       f"{st.last_error}")
        runs = sum(st.runs for st in scheduler.stats.values())
        return CheckResult("ok", f"{len(scheduler.stats)} jobs, {runs} runs")

    return FnCheck("scheduler", run)


def market_check(market: Any) -> FnCheck:
    def run() -> CheckResult:
        parts, worst = [], "ok"
        for p in market.providers:
            breaker = getattr(p, "breaker", None)
            limiter = getattr(p, "limiter", None)
            state = breaker.state if breaker else "closed"
            left = limiter.remaining() if limiter else None
            parts.append(f"{p.name}: {state}" + (f", {left} calls left" if left is not None else ""))
            if state == "open":
                worst = "down" if len(market.providers) == 1 else "degraded"
            elif left == 0 and worst == "ok":
                worst = "degraded"
        return CheckResult(worst, "; ".join(parts))

    return FnCheck("market", run)


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
