"""Protection for paid/free-tier APIs: a sliding-window rate limiter, a circuit breaker
and retries with jittered exponential backoff. All take a clock so tests run on fake time."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from core.errors import ProviderError

T = TypeVar("T")
Clock = Callable[[], float]


@dataclass
class SlidingWindowLimiter:
    """Allows at most ``limit`` calls in any ``window_s`` seconds, for every (limit, window)
    pair at once (e.g. Finnhub: 60/min and 30/s). By construction it never exceeds a limit:
    a call is recorded only when every window has room."""

    limits: list[tuple[int, float]]
    clock: Clock
    _calls: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0  # set when the provider itself says 429

    def _purge(self, now: float) -> None:
        longest = max(w for _, w in self.limits)
        while self._calls and self._calls[0] <= now - longest:
            self._calls.popleft()

    def _count(self, now: float, window: float) -> int:
        # calls are time-ordered: count from the right until outside the window
        n = 0
        for t in reversed(self._calls):
            if t <= now - window:
                break
            n += 1
        return n

    def remaining(self) -> int:
        now = self.clock()
        if now < self.blocked_until:
            return 0
        self._purge(now)
        return max(0, min(limit - self._count(now, window) for limit, window in self.limits))

    def try_acquire(self) -> bool:
        now = self.clock()
        if now < self.blocked_until:
            return False
        self._purge(now)
        if all(self._count(now, window) < limit for limit, window in self.limits):
            self._calls.append(now)
            return True
        return False

    def next_free_at(self) -> float:
        """When the next call will be allowed."""
        now = self.clock()
        self._purge(now)
        at = max(now, self.blocked_until)
        for limit, window in self.limits:
            in_window = [t for t in self._calls if t > now - window]
            if len(in_window) >= limit:
                at = max(at, in_window[len(in_window) - limit] + window)
        return at

    def block(self, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)


@dataclass
class CircuitBreaker:
    """closed -> (N consecutive failures) -> open -> (after reset_s) -> half-open -> one
    trial call: success closes, failure opens again."""

    clock: Clock
    failure_threshold: int = 5
    reset_s: float = 30.0
    failures: int = 0
    opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.failure_threshold or self.state == "half-open":
            self.opened_at = self.clock()


class TransientError(ProviderError):
    """A failure worth retrying (HTTP 429/5xx, timeouts, dropped connections)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_s: float = 0.5,
    cap_s: float = 8.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Retry ``call`` on ``TransientError`` with full-jitter exponential backoff."""
    rng = rng or random.Random()
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TransientError as exc:
            if attempt == attempts:
                raise
            delay = rng.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))
            if exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            await sleep(delay)
    raise AssertionError("unreachable")
