"""Ports between capabilities other than decisions (``core.decisions``) and market data
(``core.market``): what one capability may ask of another, as protocols the composition
root satisfies with the real services."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


class FiringView(Protocol):
    symbol: str
    message: str
    created_at: float


class AlertFeed(Protocol):
    """Alerts that fired, for drafts and briefings."""

    def recent_firings(self, since: float, symbol: str | None = None) -> Sequence[FiringView]: ...


class TextModel(Protocol):
    """A configured LLM for prose (polishing drafts, narrating reviews); absent offline."""

    async def complete(self, system: str, prompt: str) -> str: ...


@dataclass
class CheckResult:
    status: str  # ok | degraded | down
    detail: str = ""
    latency_ms: float | None = None


class HealthCheck(Protocol):
    """A capability's own health check; the health capability runs and records them."""

    name: str
    interval_s: float

    async def check(self) -> CheckResult: ...


@dataclass
class FnCheck:
    """An internal check written as a small function returning a CheckResult."""

    name: str
    fn: Callable[[], Any]
    interval_s: float = 60.0
    restart: Callable[[], Awaitable[str]] | None = None  # what "Restart" does in an incident

    async def check(self) -> CheckResult:
        t0 = time.perf_counter()
        try:
            result = self.fn()
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001 - a failing check is a finding, not a crash
            return CheckResult("down", f"{type(exc).__name__}: {exc}")
        checked: CheckResult = result
        if checked.latency_ms is None:
            checked.latency_ms = (time.perf_counter() - t0) * 1000
        return checked


BriefingSection = Callable[[], Awaitable[str]]  # markdown lines for the daily briefing; "" = none
