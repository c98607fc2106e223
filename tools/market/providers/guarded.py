"""A provider behind its rate limiter, circuit breaker and retries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from core.limits import CircuitBreaker, SlidingWindowLimiter, TransientError, with_retries
from core.market import Bar, Quote, SymbolInfo
from tools.market.errors import NoAccess, ProviderError, RateLimited, SymbolNotFound
from tools.market.providers.base import MarketProvider

T = TypeVar("T")


def until_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M UTC")


class GuardedProvider:
    """Wraps a provider: every call takes a limiter slot first (so the provider's
    documented limit is never exceeded), transient failures are retried with backoff,
    and repeated failures open the breaker so a dead provider is skipped quickly."""

    def __init__(self, inner: MarketProvider, limiter: SlidingWindowLimiter,
                 breaker: CircuitBreaker, sleep: Callable[[float], Awaitable[None]] | None = None,
                 attempts: int = 3) -> None:
        self.inner = inner
        self.name = inner.name
        self.limiter = limiter
        self.breaker = breaker
        self.attempts = attempts
        self._sleep = sleep
        self.calls = 0

    async def _call(self, fn: Callable[[], Awaitable[T]]) -> T:
        if not self.breaker.allow():
            raise ProviderError(f"{self.name} is failing; I'm giving it a break.")

        async def attempt() -> T:
            if not self.limiter.try_acquire():
                at = self.limiter.next_free_at()
                raise RateLimited(f"{self.name} is rate limited until {until_text(at)}.",
                                  retry_at=at)
            self.calls += 1
            return await fn()

        try:
            result = await with_retries(attempt, attempts=self.attempts,
                                        sleep=self._sleep or asyncio.sleep)
        except TransientError as exc:
            self.breaker.failure()
            if exc.retry_after:
                self.limiter.block(exc.retry_after)
            raise
        except RateLimited as exc:
            if exc.retry_at is None:  # the provider said so itself (e.g. Alpha Vantage Note)
                self.limiter.block(3600)
                exc.retry_at = self.limiter.blocked_until
            raise
        except (SymbolNotFound, NoAccess):
            self.breaker.success()  # the provider answered; it is healthy
            raise
        self.breaker.success()
        return result

    async def quote(self, symbol: str) -> Quote:
        return await self._call(lambda: self.inner.quote(symbol))

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        return await self._call(lambda: self.inner.daily(symbol, days))

    async def search(self, query: str) -> list[SymbolInfo]:
        return await self._call(lambda: self.inner.search(query))
