"""Deadlines, Retry-After caps and containment, on fake providers (no sockets)."""

from __future__ import annotations

import asyncio
import math
import random
from datetime import UTC, datetime

import httpx
import pytest
import respx

from core.errors import CopilotError, ProviderError, RateLimited
from core.limits import (
    CircuitBreaker,
    SlidingWindowLimiter,
    TransientError,
    current_deadline,
    deadline_scope,
    with_retries,
)
from core.market import Quote, Tick
from core.storage import make_engine
from tools.market.capability import MarketCapability
from tools.market.errors import SymbolNotFound
from tools.market.prefetch import Prefetcher
from tools.market.providers.finnhub import BASE_URL as FH
from tools.market.providers.finnhub import FinnhubProvider, parse_trades
from tools.market.providers.guarded import GuardedProvider
from tools.market.providers.http import TooManyRequests, parse_retry_after
from tools.market.service import MarketService


class Fake:
    def __init__(self, name="fake", fail: BaseException | None = None, hang_s: float = 0.0,
                 clock=None):
        self.name = name
        self.label = name.title()
        self.fail = fail
        self.hang_s = hang_s
        self.clock = clock
        self.calls = 0

    async def quote(self, symbol):
        self.calls += 1
        if self.hang_s:
            await asyncio.sleep(self.hang_s)
        if self.fail is not None:
            raise self.fail
        return Quote(symbol=symbol, price=100.0, source=self.name,
                     as_of=datetime.fromtimestamp(self.clock(), UTC))

    async def daily(self, symbol, days):
        return []

    async def search(self, query):
        return []


class Sleeps(list):
    async def __call__(self, seconds):
        self.append(seconds)


def guard(inner, clock, sleep=None, deadline_s=10.0, limits=((100, 60.0),)):
    return GuardedProvider(inner, SlidingWindowLimiter(list(limits), clock),
                           CircuitBreaker(clock), sleep=sleep, deadline_s=deadline_s)


@pytest.fixture
def engine(settings):
    return make_engine(settings.db_url, MarketCapability.tables)


async def test_retries_never_sleep_past_the_deadline():
    sleeps, calls = Sleeps(), []

    async def limited():
        calls.append(1)
        raise TransientError("busy", retry_after=3600)

    with deadline_scope(1.0), pytest.raises(TransientError):
        await with_retries(limited, attempts=3, sleep=sleeps)
    assert calls == [1] and sleeps == []  # failed fast instead of sleeping an hour

    async def flaky():
        calls.append(2)
        raise TransientError("blip")

    with pytest.raises(TransientError):
        await with_retries(flaky, attempts=3, sleep=sleeps, rng=random.Random(3))
    assert len(sleeps) == 2 and all(s <= 1.0 for s in sleeps)  # no deadline: backoff as before


def test_deadline_scopes_nest_to_the_sooner():
    assert current_deadline() is None
    with deadline_scope(5.0) as outer:
        with deadline_scope(60.0) as inner:
            assert inner.at == outer.at
        with deadline_scope(1.0) as tighter:
            assert tighter.at < outer.at
    assert current_deadline() is None


async def test_retry_after_3600_is_rate_limited_at_once_and_blocks(fixed_clock):
    sleeps = Sleeps()
    inner = Fake(fail=TooManyRequests("Fake is rate limiting us (HTTP 429).", retry_after=3600),
                 clock=fixed_clock)
    p = guard(inner, fixed_clock, sleep=sleeps)
    with pytest.raises(RateLimited, match="Fake is rate limiting us until 10:30 EST") as err:
        await p.quote("AAPL")
    assert inner.calls == 1 and sleeps == []
    assert err.value.retry_at == fixed_clock() + 3600
    assert p.limiter.remaining() == 0 and p.breaker.failures == 0  # limited, not broken
    with pytest.raises(RateLimited, match="rate limited until 10:30 EST"):
        await p.quote("AAPL")
    assert inner.calls == 1  # the block is honoured without asking


async def test_a_hanging_provider_is_cut_at_the_deadline(fixed_clock):
    inner = Fake(hang_s=30, clock=fixed_clock)
    p = guard(inner, fixed_clock, deadline_s=0.2)
    with pytest.raises(ProviderError, match=r"^Fake did not answer within 0.2 s\.$"):
        await asyncio.wait_for(p.quote("AAPL"), timeout=5)
    assert inner.calls == 1 and p.breaker.failures == 1
    assert p.last_error == "Fake did not answer within 0.2 s."


async def test_one_deadline_covers_the_whole_provider_chain(engine, fixed_clock):
    slow = Fake("slow", hang_s=30, clock=fixed_clock)
    backup = Fake("backup", clock=fixed_clock)
    svc = MarketService([guard(slow, fixed_clock, deadline_s=10), guard(backup, fixed_clock)],
                        engine=engine, clock=fixed_clock, deadline_s=0.2)
    with pytest.raises(ProviderError, match="Slow did not answer"):
        await asyncio.wait_for(svc.quote("AAPL"), timeout=5)
    assert backup.calls == 0  # no time was left to ask it


async def test_chain_errors_are_one_sentence_naming_each_provider(engine, fixed_clock):
    svc = MarketService(
        [guard(Fake("one", fail=TransientError("One had a server error (HTTP 500)."),
                    clock=fixed_clock), fixed_clock, sleep=Sleeps()),
         guard(Fake("two", fail=RateLimited("Two's free quota is used up."), clock=fixed_clock),
               fixed_clock)],
        engine=engine, clock=fixed_clock)
    with pytest.raises(ProviderError) as err:
        await svc.quote("AAPL")
    assert str(err.value) == ("One had a server error (HTTP 500); Two's free quota is used up.")


@pytest.mark.parametrize("exc", [KeyError("c"), ValueError("x"), OverflowError("big"),
                                 TypeError("none"), ZeroDivisionError()])
async def test_nothing_but_copilot_errors_leave_a_guarded_provider(engine, fixed_clock, exc):
    svc = MarketService([guard(Fake(fail=exc, clock=fixed_clock), fixed_clock)], engine=engine,
                        clock=fixed_clock)
    with pytest.raises(CopilotError, match="^Fake failed in a way I did not expect"):
        await svc.quote("AAPL")


async def test_nothing_but_copilot_errors_leave_the_service(engine, fixed_clock):
    class Broken(Fake):
        async def quote(self, symbol):  # an unguarded provider with a bug
            raise RuntimeError("bug")

    svc = MarketService([Broken(clock=fixed_clock)], engine=engine, clock=fixed_clock)
    with pytest.raises(CopilotError, match="failed on my side"):
        await svc.quote("AAPL")


async def test_a_bad_price_from_any_provider_is_not_shown(engine, fixed_clock):
    class Nan(Fake):
        async def quote(self, symbol):
            return Quote(symbol=symbol, price=math.nan, source="nan", as_of=datetime.now(UTC))

    svc = MarketService([Nan(clock=fixed_clock)], engine=engine, clock=fixed_clock)
    with pytest.raises(ProviderError, match="price I can't use"):
        await svc.quote("AAPL")


async def test_unknown_ticker_does_not_suggest_itself(engine, fixed_clock):
    svc = MarketService([guard(Fake(fail=SymbolNotFound("AAPL"), clock=fixed_clock),
                               fixed_clock)], engine=engine, clock=fixed_clock)
    with pytest.raises(SymbolNotFound) as err:
        await svc.quote("AAPL")
    assert "AAPL" not in err.value.suggestions


async def test_prefetch_asks_the_primary_only(engine, fixed_clock):
    primary = Fake("primary", fail=TransientError("down"), clock=fixed_clock)
    daily_quota = Fake("daily", clock=fixed_clock)
    providers = [guard(primary, fixed_clock, sleep=Sleeps()), guard(daily_quota, fixed_clock)]
    svc = MarketService(providers, engine=engine, clock=fixed_clock, default_watchlist=["AAPL"])
    pre = Prefetcher(svc, providers[0].limiter, reserve=0)
    assert await pre.run_once() == []
    assert primary.calls > 0 and daily_quota.calls == 0  # the fallback's quota is kept


@pytest.mark.parametrize(("value", "seconds"), [
    ("3600", 3600.0), ("1.5", 1.5), ("-5", 0.0), (" 7 ", 7.0), ("soon", None), ("", None),
    (None, None), ("nan", None), ("inf", None),
    ("Wed, 21 Oct 2026 07:28:00 GMT", 60.0)])
def test_retry_after_header(value, seconds):
    now = datetime(2026, 10, 21, 7, 27, tzinfo=UTC).timestamp()
    assert parse_retry_after(value, now=now) == seconds


@respx.mock
async def test_finnhub_optional_fields_are_checked_too():
    respx.get(f"{FH}/quote").mock(return_value=httpx.Response(200, json={
        "c": 261.5, "d": "x", "dp": 0.5, "t": 1795512600}))
    async with httpx.AsyncClient() as http:
        with pytest.raises(ProviderError, match="Finnhub sent a quote I can't use"):
            await FinnhubProvider(http, "k").quote("AAPL")


def test_stream_skips_garbage_trades():
    good = {"s": "AAPL", "p": 261.5, "t": 1795530600123, "v": 100}
    raw = ('{"type": "trade", "data": [' + ", ".join([
        '{"s": "AAPL", "p": 261.5, "t": 1795530600123, "v": 100}', '{"s": "X", "p": NaN, "t": 1}',
        '{"s": "X", "p": -1, "t": 1795530600123}', '{"p": 5}', '"junk"', "null",
        '{"s": "MSFT", "p": "abc", "t": 1795530600123}']) + "]}")
    assert [(t.symbol, t.price) for t in parse_trades(raw)] == [(good["s"], good["p"])]
    for junk in ("not json", "[]", "null", '{"type": "trade", "data": null}', b"\xff"):
        assert parse_trades(junk) == []


async def test_a_nan_tick_does_not_reach_the_cache(engine, fixed_clock):
    svc = MarketService([Fake(clock=fixed_clock)], engine=engine, clock=fixed_clock)
    await svc.quote("AAPL")
    for price in (math.nan, math.inf, -1.0, 0.0):
        svc.on_tick(Tick(symbol="AAPL", price=price, ts=fixed_clock()))
    assert (await svc.quote("AAPL")).quote.price == 100.0
