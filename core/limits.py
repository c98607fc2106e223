"""Protection for paid/free-tier APIs: rate limiters (in-process, or shared by every
process on the same data through a pyrate-limiter bucket in the database), a circuit
breaker, an overall deadline per call, and retries with jittered exponential backoff that
never sleep past that deadline. All take a clock so tests run on fake time."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from core.errors import ProviderError

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket, Rate

T = TypeVar("T")
Clock = Callable[[], float]
Limits = Sequence[tuple[int, float]]  # (calls, window in seconds), e.g. [(60, 60.0), (30, 1.0)]


class Quota(Protocol):
    """What a provider guard needs from a limiter, in-process or shared."""

    @property
    def limits(self) -> list[tuple[int, float]]: ...

    @property
    def clock(self) -> Clock: ...

    def try_acquire(self) -> bool: ...

    async def acquire(self) -> bool: ...

    def remaining(self) -> int: ...

    def next_free_at(self) -> float: ...

    def block(self, seconds: float) -> None: ...

    @property
    def blocked_until(self) -> float: ...


@dataclass
class SlidingWindowLimiter:
    """Allows at most ``limit`` calls in any ``window_s`` seconds, for every (limit, window)
    pair at once (e.g. Finnhub: 60/min and 30/s). By construction it never exceeds a limit:
    a call is recorded only when every window has room. In-process only: per-user chat
    limits and tests; provider quotas use ``SharedRateLimiter``."""

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

    async def acquire(self) -> bool:
        return self.try_acquire()

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


class QuotaUnavailable(ProviderError):
    """The shared quota could not be read or written (database locked or gone): no call
    is made, so a limit is never exceeded because its count was unknown."""


class BlockStore(Protocol):
    """Where "the provider told us to stop until T" is kept (shared between processes)."""

    def get(self, name: str) -> float: ...

    def set(self, name: str, until: float) -> None: ...


@dataclass
class MemoryBlocks:
    until: dict[str, float] = field(default_factory=dict)

    def get(self, name: str) -> float:
        return self.until.get(name, 0.0)

    def set(self, name: str, until: float) -> None:
        self.until[name] = until


def pyrate_rates(limits: Limits) -> list[Rate]:
    from pyrate_limiter import Rate

    return [Rate(int(n), int(window * 1000)) for n, window in limits]


class SharedRateLimiter:
    """A quota kept in a pyrate-limiter bucket (``SQLiteBucket`` on a file with a file
    lock, or ``PostgresBucket``): every process on the same data counts against the same
    sliding windows, and a restart keeps the count. Timestamps come from ``clock`` (wall
    time, milliseconds in the bucket). ``try_acquire`` never waits for a window."""

    LEAK_EVERY_S = 60.0
    CONTENTION_TRIES = 25  # PostgresBucket refuses at once (NOWAIT) while another holds it

    def __init__(self, name: str, limits: Limits, bucket: AbstractBucket,
                 clock: Clock = time.time, blocks: BlockStore | None = None,
                 label: str | None = None) -> None:
        self.name = name
        self.label = label or name
        self.limits = [(int(n), float(w)) for n, w in limits]
        self.bucket = bucket
        self.clock = clock
        self.blocks: BlockStore = blocks or MemoryBlocks()
        self._lock = threading.Lock()  # the bucket keeps its last verdict on itself
        self._last_leak = 0.0

    def _unavailable(self, exc: Exception) -> QuotaUnavailable:
        return QuotaUnavailable(f"I could not check {self.label}'s shared quota "
                                f"({type(exc).__name__}), so I did not call it.")

    @property
    def blocked_until(self) -> float:
        try:
            return self.blocks.get(self.name)
        except Exception as exc:  # noqa: BLE001 - a store failure must not escape as a bug
            raise self._unavailable(exc) from exc

    def block(self, seconds: float) -> None:
        until = self.clock() + seconds
        try:
            if until > self.blocks.get(self.name):
                self.blocks.set(self.name, until)
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc) from exc

    def try_acquire(self) -> bool:
        from pyrate_limiter import RateItem

        now = self.clock()
        if now < self.blocked_until:
            return False
        try:
            with self._lock:
                for attempt in range(self.CONTENTION_TRIES):
                    decision = self.bucket.put_decision(RateItem(self.name, int(self.clock() * 1000)))
                    if isinstance(decision, Awaitable):  # pragma: no cover - sync buckets only
                        raise TypeError("SharedRateLimiter needs a synchronous bucket")
                    if decision.allowed:
                        self._leak(now)
                        return True
                    if decision.retry_after_ms is not None:
                        return False  # a window is full
                    time.sleep(0.002 * (attempt + 1))  # lock contention: try again shortly
            return False
        except Exception as exc:  # noqa: BLE001 - sqlite3/psycopg/filelock errors
            raise self._unavailable(exc) from exc

    async def acquire(self) -> bool:
        """``try_acquire`` off the event loop (it may wait for the file lock)."""
        return await asyncio.to_thread(self.try_acquire)

    def _leak(self, now: float) -> None:
        if now - self._last_leak >= self.LEAK_EVERY_S:
            self._last_leak = now
            self.bucket.leak(int(now * 1000))

    def _newest(self, offset: int) -> int | None:
        """Timestamp (ms) of the ``offset``-th newest call, or None."""
        item = self.bucket.peek(offset)
        if isinstance(item, Awaitable):  # pragma: no cover - sync buckets only
            raise TypeError("SharedRateLimiter needs a synchronous bucket")
        return None if item is None else int(item.timestamp)

    def _in_window(self, limit: int, start_ms: int) -> int:
        """Calls at or after ``start_ms`` (at most ``limit``): newest-first timestamps only
        decrease, so a binary search over offsets needs log2(limit) peeks."""
        lo, hi = 0, limit
        while lo < hi:
            mid = (lo + hi) // 2
            ts = self._newest(mid)
            if ts is not None and ts >= start_ms:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def remaining(self) -> int:
        now = self.clock()
        if now < self.blocked_until:
            return 0
        now_ms = int(now * 1000)
        try:
            with self._lock:
                used = [(n, self._in_window(n, now_ms - int(w * 1000))) for n, w in self.limits]
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc) from exc
        return max(0, min(n - u for n, u in used))

    def next_free_at(self) -> float:
        now = self.clock()
        at = max(now, self.blocked_until)
        now_ms = int(now * 1000)
        try:
            with self._lock:
                for n, w in self.limits:
                    window_ms = int(w * 1000)
                    ts = self._newest(n - 1)
                    if ts is not None and ts >= now_ms - window_ms:
                        at = max(at, (ts + window_ms + 1) / 1000)
        except Exception as exc:  # noqa: BLE001
            raise self._unavailable(exc) from exc
        return at

    def close(self) -> None:
        self.bucket.close()


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


# ---- deadlines ---------------------------------------------------------------------------
_DEADLINE: ContextVar[float | None] = ContextVar("copilot_deadline", default=None)


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which a call must have returned."""

    at: float

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at


@contextmanager
def deadline_scope(seconds: float) -> Iterator[Deadline]:
    """A deadline ``seconds`` from now, or the enclosing one when that is sooner: a
    provider call inside a service call never outlives the service call's deadline."""
    at = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    if outer is not None:
        at = min(at, outer)
    token = _DEADLINE.set(at)
    try:
        yield Deadline(at)
    finally:
        _DEADLINE.reset(token)


def current_deadline() -> Deadline | None:
    at = _DEADLINE.get()
    return None if at is None else Deadline(at)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 3,
    base_s: float = 0.5,
    cap_s: float = 8.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rng: random.Random | None = None,
    deadline: Deadline | None = None,
) -> T:
    """Retry ``call`` on ``TransientError`` with full-jitter exponential backoff, waiting
    at least a ``Retry-After``. A wait that would end past the deadline (``deadline``, or
    the enclosing ``deadline_scope``) is not slept: the last error is raised at once."""
    rng = rng or random.Random()
    deadline = deadline or current_deadline()
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except TransientError as exc:
            if attempt == attempts:
                raise
            delay = rng.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))
            if exc.retry_after is not None:
                delay = max(delay, exc.retry_after)
            if deadline is not None and delay >= deadline.remaining():
                raise
            await sleep(delay)
    raise AssertionError("unreachable")
