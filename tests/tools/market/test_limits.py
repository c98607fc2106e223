"""Limiter, breaker and retries on a fake clock."""

from __future__ import annotations

import random

import pytest

from core.limits import CircuitBreaker, SlidingWindowLimiter, TransientError, with_retries


def test_limiter_never_exceeds_any_window(fixed_clock):
    limiter = SlidingWindowLimiter([(60, 60.0), (30, 1.0)], fixed_clock)
    rng = random.Random(7)
    granted: list[float] = []
    for _ in range(20_000):
        fixed_clock.advance(rng.expovariate(50))  # ~50 attempts per second
        if limiter.try_acquire():
            granted.append(fixed_clock())
    assert len(granted) > 100
    j = 0
    for i, t in enumerate(granted):  # every 60 s window holds at most 60 calls
        while granted[j] <= t - 60:
            j += 1
        assert i - j + 1 <= 60
    k = 0
    for i, t in enumerate(granted):
        while granted[k] <= t - 1:
            k += 1
        assert i - k + 1 <= 30


def test_limiter_remaining_and_next_free(fixed_clock):
    limiter = SlidingWindowLimiter([(3, 10.0)], fixed_clock)
    assert limiter.remaining() == 3
    for _ in range(3):
        assert limiter.try_acquire()
    assert limiter.remaining() == 0 and not limiter.try_acquire()
    assert limiter.next_free_at() == fixed_clock() + 10
    fixed_clock.advance(10)
    assert limiter.try_acquire()


def test_limiter_block_from_provider_429(fixed_clock):
    limiter = SlidingWindowLimiter([(100, 60.0)], fixed_clock)
    limiter.block(5)
    assert not limiter.try_acquire() and limiter.remaining() == 0
    fixed_clock.advance(5)
    assert limiter.try_acquire()


def test_breaker_opens_then_half_opens(fixed_clock):
    breaker = CircuitBreaker(fixed_clock, failure_threshold=3, reset_s=30)
    for _ in range(3):
        breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    fixed_clock.advance(30)
    assert breaker.state == "half-open" and breaker.allow()
    breaker.failure()
    assert breaker.state == "open"
    fixed_clock.advance(30)
    breaker.success()
    assert breaker.state == "closed"


async def test_retries_back_off_then_succeed():
    sleeps: list[float] = []
    attempts = {"n": 0}

    async def flaky():
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise TransientError("blip")
        return "ok"

    async def sleep(s):
        sleeps.append(s)

    assert await with_retries(flaky, attempts=3, base_s=1, sleep=sleep,
                              rng=random.Random(1)) == "ok"
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 1 and 0 <= sleeps[1] <= 2


async def test_retries_give_up():
    async def down():
        raise TransientError("down")

    async def sleep(_):
        pass

    with pytest.raises(TransientError):
        await with_retries(down, attempts=2, sleep=sleep)
