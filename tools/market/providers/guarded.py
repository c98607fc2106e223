"""A provider behind its quota, circuit breaker, deadline and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from core.errors import CopilotError
from core.limits import (
    CircuitBreaker,
    Deadline,
    Quota,
    QuotaUnavailable,
    TransientError,
    deadline_scope,
    with_retries,
)
from core.market import Bar, Quote, SymbolInfo
from core.markettime import DEFAULT_ZONE, format_local
from tools.market.errors import NoAccess, ProviderError, RateLimited, SymbolNotFound
from tools.market.providers.base import MarketProvider
from tools.market.providers.http import TooManyRequests

T = TypeVar("T")
log = structlog.get_logger(__name__)
QUOTA_BLOCK_S = 3600.0  # the provider says its quota is used up (Alpha Vantage's Note)
MAX_BLOCK_S = 86400.0  # a Retry-After longer than a day is not believed
MAX_QUEUE_S = 2.0  # wait at most this long for a free slot in our own windows


def until_text(ts: float, now: float, tz: str) -> str:
    """'10:31 EST' on the owner's clock (``tz``), or 'Wed 25 Nov 10:31 EST' when that is
    not ``now``'s day there."""
    return format_local(ts, tz, now=now)


class GuardedProvider:
    """Wraps a provider: every call takes a quota slot first (so the provider's documented
    limit is never exceeded, whichever process calls), transient failures are retried with
    jittered backoff, and repeated failures open the breaker so a dead provider is skipped
    quickly. The whole call, retries included, ends by its deadline: a wait that would end
    later (a ``Retry-After: 3600``) is not slept but answered at once. Only
    ``CopilotError``s leave it, each one sentence naming the provider."""

    def __init__(self, inner: MarketProvider, limiter: Quota, breaker: CircuitBreaker,
                 sleep: Callable[[float], Awaitable[None]] | None = None,
                 attempts: int = 3, deadline_s: float = 10.0,
                 timezone: str = DEFAULT_ZONE) -> None:
        self.inner = inner
        self.timezone = timezone  # the owner's: "rate limited until 10:31 EST"
        self.name = inner.name
        self.label: str = getattr(inner, "label", inner.name)
        self.limiter = limiter
        self.breaker = breaker
        self.attempts = attempts
        self.deadline_s = deadline_s
        self._sleep = sleep
        self.calls = 0
        self.outcomes: dict[str, int] = {}  # calls by how they ended (ok, rate_limited...)
        self.last_error: str | None = None  # the last call's failure, None after a success

    def _now(self) -> float:
        return self.breaker.clock()

    def _until(self, ts: float) -> str:
        return until_text(ts, self._now(), self.timezone)

    async def _acquire(self, deadline: Deadline) -> None:
        """A slot in the quota, waiting a little if a short window is full."""
        for _ in range(2):
            if await self.limiter.acquire():
                return
            at = self.limiter.next_free_at()
            wait = at - self.limiter.clock()
            if wait > min(MAX_QUEUE_S, deadline.remaining()):
                break
            await (self._sleep or asyncio.sleep)(max(0.0, wait))
        at = self.limiter.next_free_at()
        raise RateLimited(f"{self.label} is rate limited until {self._until(at)}.",
                          retry_at=at)

    def _block(self, seconds: float) -> float:
        seconds = min(max(seconds, 0.0), MAX_BLOCK_S)
        try:
            self.limiter.block(seconds)
        except QuotaUnavailable as exc:
            log.warning("could not record a provider block", provider=self.name, error=str(exc))
        return self._now() + seconds

    async def _call(self, fn: Callable[[], Awaitable[T]], op: str) -> T:
        if not self.breaker.allow():
            again = (self.breaker.opened_at or self._now()) + self.breaker.reset_s
            raise ProviderError(f"{self.label} keeps failing, so I'm giving it a break "
                                f"until {self._until(again)}.")
        with deadline_scope(self.deadline_s) as deadline:

            async def attempt() -> T:
                await self._acquire(deadline)
                self.calls += 1
                return await fn()

            timed_out = False
            try:
                try:
                    async with asyncio.timeout(deadline.remaining()) as scope:
                        result = await with_retries(attempt, attempts=self.attempts,
                                                    sleep=self._sleep or asyncio.sleep,
                                                    deadline=deadline)
                except TimeoutError:
                    if not scope.expired():
                        raise
                    timed_out = True
            except Exception as exc:  # noqa: BLE001 - mapped to one sentence below
                out = self._failed(exc, op)
                if out is exc:
                    raise
                raise out from exc
            if timed_out:
                raise self._failed(TransientError(
                    f"{self.label} did not answer within {self.deadline_s:g} s."), op)
        self.breaker.success()
        self.last_error = None
        self._count("ok")
        return result

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def _failed(self, exc: Exception, op: str) -> CopilotError:
        """Record a failure and turn it into the error the caller sees (and the health
        check's last error: not an unknown symbol, nor a plan's refusal of history)."""
        out: CopilotError
        if isinstance(exc, RateLimited):
            if exc.retry_at is None:  # the provider said so itself (Alpha Vantage's Note)
                exc.retry_at = self._block(QUOTA_BLOCK_S)
            out = exc
        elif isinstance(exc, TooManyRequests):
            if exc.retry_after is not None:
                at = self._block(exc.retry_after)
                out = RateLimited(f"{self.label} is rate limiting us until "
                                  f"{self._until(at)}.", retry_at=at)
            else:
                out = RateLimited(f"{self.label} is rate limiting us; try again in a minute.")
        elif isinstance(exc, SymbolNotFound | NoAccess):
            self.breaker.success()  # the provider answered; it is healthy
            out = exc
        elif isinstance(exc, QuotaUnavailable):
            out = exc
        elif isinstance(exc, ProviderError):
            self.breaker.failure()
            out = exc
        elif isinstance(exc, CopilotError):
            out = exc
        else:
            self.breaker.failure()
            log.warning("provider call failed unexpectedly", provider=self.name,
                        error=f"{type(exc).__name__}: {exc}")
            out = ProviderError(f"{self.label} failed in a way I did not expect "
                                f"({type(exc).__name__}).")
        self._count("rate_limited" if isinstance(out, RateLimited) else
                    "not_found" if isinstance(out, SymbolNotFound) else
                    "no_access" if isinstance(out, NoAccess) else "error")
        expected = isinstance(out, SymbolNotFound) or (isinstance(out, NoAccess) and op != "quote")
        if not expected:
            self.last_error = str(out)
        return out

    async def quote(self, symbol: str) -> Quote:
        return await self._call(lambda: self.inner.quote(symbol), "quote")

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        return await self._call(lambda: self.inner.daily(symbol, days), "daily")

    async def search(self, query: str) -> list[SymbolInfo]:
        return await self._call(lambda: self.inner.search(query), "search")
