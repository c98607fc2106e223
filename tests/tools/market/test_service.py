"""Market service: cache freshness, rate limits, fallbacks, watchlist, charts, prefetch."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import httpx
import pytest
import respx

from core.errors import RateLimited
from core.limits import CircuitBreaker, SlidingWindowLimiter
from core.market import Quote, Tick
from core.storage import make_engine
from tools.market.capability import MarketCapability
from tools.market.errors import SymbolNotFound
from tools.market.prefetch import Prefetcher
from tools.market.providers.alphavantage import BASE_URL as AV
from tools.market.providers.alphavantage import AlphaVantageProvider
from tools.market.providers.finnhub import BASE_URL as FH
from tools.market.providers.finnhub import FinnhubProvider
from tools.market.providers.guarded import GuardedProvider
from tools.market.providers.offline import OfflineProvider
from tools.market.service import MarketService
from tools.market.tools import make_market_tools


class CountingProvider:
    name = "fake"

    def __init__(self, clock):
        self.clock = clock
        self.calls = 0
        self.fail_with: Exception | None = None

    async def quote(self, symbol):
        self.calls += 1
        if self.fail_with:
            raise self.fail_with
        return Quote(symbol=symbol, price=100.0 + self.calls, as_of=datetime.fromtimestamp(
            self.clock(), UTC), source=self.name)

    async def daily(self, symbol, days):
        raise NotImplementedError

    async def search(self, query):
        return []


@pytest.fixture
def engine(settings):
    return make_engine(settings.db_url, MarketCapability.tables)


def service_with(provider, engine, clock, **kw):
    return MarketService([provider], engine=engine, clock=clock, quote_ttl_s=60,
                         stale_while_revalidate_s=240, **kw)


async def test_fresh_cache_hit_makes_no_call(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    first = await svc.quote("aapl")
    fixed_clock.advance(30)
    second = await svc.quote("AAPL")
    assert p.calls == 1
    assert second.from_cache and second.quote.price == first.quote.price
    assert second.age_s == 30


async def test_stale_while_revalidate_serves_then_refreshes(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    await svc.quote("AAPL")
    fixed_clock.advance(120)
    stale = await svc.quote("AAPL")
    assert stale.from_cache and stale.quote.price == 101.0
    await asyncio.gather(*svc._refreshing.values())
    assert p.calls == 2
    fresh = await svc.quote("AAPL")
    assert fresh.quote.price == 102.0 and fresh.age_s == 0


async def test_rate_limited_returns_cached_value_with_age(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    await svc.quote("AAPL")
    fixed_clock.advance(3600)
    p.fail_with = RateLimited("fake is rate limited until 15:31 UTC.")
    result = await svc.quote("AAPL")
    assert result.quote.price == 101.0 and result.age_s == 3600
    assert "rate limited until 15:31 UTC" in result.note
    tool = {t.name: t for t in make_market_tools(svc)}["get_quote"]
    out = await tool.ainvoke({"symbol": "AAPL"})
    assert "1.0 h old" in out["summary"] and "rate limited until" in out["summary"]


async def test_rate_limited_without_cache_says_until_when(engine, fixed_clock):
    limiter = SlidingWindowLimiter([(1, 60.0)], fixed_clock)
    guarded = GuardedProvider(CountingProvider(fixed_clock), limiter, CircuitBreaker(fixed_clock))
    svc = service_with(guarded, engine, fixed_clock)
    await svc.quote("AAPL")
    with pytest.raises(RateLimited, match=r"rate limited until 09:31 EST"):
        await svc.quote("MSFT")


async def test_bad_ticker_suggests_symbols(engine, fixed_clock):
    svc = service_with(OfflineProvider(clock=fixed_clock), engine, fixed_clock)
    with pytest.raises(SymbolNotFound, match="Did you mean AAPL"):
        await svc.quote("AAPLE")
    with pytest.raises(Exception, match="not a ticker symbol"):
        await svc.quote("not a ticker!")


@respx.mock
async def test_finnhub_403_history_falls_back_to_alphavantage(engine, fixed_clock):
    respx.get(f"{FH}/stock/candle").mock(return_value=httpx.Response(403, json={
        "error": "You don't have access to this resource."}))
    respx.get(AV).mock(return_value=httpx.Response(200, json={"Time Series (Daily)": {
        "2026-11-20": {"1. open": "1", "2. high": "2", "3. low": "0.5", "4. close": "1.5",
                       "5. volume": "10"}}}))
    async with httpx.AsyncClient() as http:
        providers = [
            GuardedProvider(FinnhubProvider(http, "k", clock=fixed_clock),
                            SlidingWindowLimiter([(60, 60.0)], fixed_clock),
                            CircuitBreaker(fixed_clock)),
            GuardedProvider(AlphaVantageProvider(http, "k", clock=fixed_clock),
                            SlidingWindowLimiter([(25, 86400.0)], fixed_clock),
                            CircuitBreaker(fixed_clock)),
        ]
        svc = MarketService(providers, engine=engine, clock=fixed_clock)
        bars = await svc.history("IBM", 10)
    assert [b.close for b in bars] == [1.5]


@respx.mock
async def test_alphavantage_quota_note_then_cached_answer(engine, fixed_clock):
    respx.get(AV).mock(side_effect=[
        httpx.Response(200, json={"Global Quote": {"01. symbol": "IBM", "05. price": "226.99",
                                                   "09. change": "-0.26",
                                                   "10. change percent": "-0.1144%"}}),
        httpx.Response(200, json={"Note": "Our standard API call frequency is 25 per day."}),
    ])
    async with httpx.AsyncClient() as http:
        guarded = GuardedProvider(AlphaVantageProvider(http, "k", clock=fixed_clock),
                                  SlidingWindowLimiter([(25, 86400.0)], fixed_clock),
                                  CircuitBreaker(fixed_clock))
        svc = service_with(guarded, engine, fixed_clock)
        await svc.quote("IBM")
        fixed_clock.advance(600)
        result = await svc.quote("IBM")
    assert result.quote.price == 226.99 and result.age_s == 600
    assert "25 requests a day" in result.note


async def test_watchlist_seeds_adds_removes(engine, fixed_clock):
    svc = service_with(OfflineProvider(clock=fixed_clock), engine, fixed_clock,
                       default_watchlist=["AAPL", "MSFT"])
    assert svc.watchlist() == ["AAPL", "MSFT"]
    assert await svc.watch("nvda") is True
    assert await svc.watch("NVDA") is False
    assert svc.unwatch("AAPL") is True and svc.unwatch("AAPL") is False
    with pytest.raises(SymbolNotFound):
        await svc.watch("QQQQQ")
    assert svc.watchlist() == ["MSFT", "NVDA"]
    svc2 = service_with(OfflineProvider(clock=fixed_clock), engine, fixed_clock,
                        default_watchlist=["AAPL", "MSFT"])
    assert svc2.watchlist() == ["MSFT", "NVDA"]  # seeded once, removals stick


async def test_history_and_chart_png(engine, fixed_clock, tmp_path):
    svc = service_with(OfflineProvider(clock=fixed_clock), engine, fixed_clock,
                       charts_dir=tmp_path / "charts")
    bars = await svc.history("AAPL", 30)
    assert len(bars) == 30 and bars == sorted(bars, key=lambda b: b.day)
    assert bars == await svc.history("AAPL", 30)  # deterministic
    path = await svc.chart("AAPL", 30)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_ticks_refresh_cached_quotes(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    await svc.quote("AAPL")
    fixed_clock.advance(100)
    svc.on_tick(Tick(symbol="AAPL", price=150.0, ts=fixed_clock()))
    result = await svc.quote("AAPL")
    assert result.quote.price == 150.0 and p.calls == 1 and result.age_s == 0


async def test_prefetch_spends_only_the_budget_on_likely_symbols(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    limiter = SlidingWindowLimiter([(10, 60.0)], fixed_clock)
    guarded = GuardedProvider(p, limiter, CircuitBreaker(fixed_clock))
    svc = service_with(guarded, engine, fixed_clock, default_watchlist=["AAPL", "MSFT"])
    for _ in range(5):
        svc.interest.touch("TSLA")
    svc.interest.touch("AMD")
    pre = Prefetcher(svc, limiter, alert_symbols=lambda: ["NVDA"], reserve=3)
    fetched = await pre.run_once()
    assert fetched[0] == "TSLA"
    assert set(fetched) == {"TSLA", "NVDA", "AAPL", "MSFT", "AMD"}
    assert limiter.remaining() == 5
    fixed_clock.advance(20)
    assert await pre.run_once() == []  # still fresh: nothing due
    for s in ["A1", "B1", "C1", "D1", "E1", "F1", "G1", "H1"]:
        svc.interest.touch(s)
    fetched = await pre.run_once()
    assert len(fetched) == 2 and limiter.remaining() == 3  # the reserve is kept


async def test_daily_bars_fetched_before_a_close_are_fetched_again_after_it(engine, fixed_clock):
    """Bars fetched during the session hold a partial bar for it: after the close they are
    stale whatever their age (indicator alerts seed from them)."""
    from core.market import Bar

    class Daily(CountingProvider):
        async def daily(self, symbol, days):
            self.calls += 1
            return [Bar(day=date(2026, 11, 24), open=1, high=1, low=1, close=float(self.calls),
                        volume=1)]

    p = Daily(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    fixed_clock.advance(4 * 3600)  # Tuesday 2026-11-24 13:30 New York
    assert (await svc.history("AAPL", 1))[-1].close == 1.0
    fixed_clock.advance(3600)  # 14:30: the same session, cached
    assert (await svc.history("AAPL", 1))[-1].close == 1.0 and p.calls == 1
    fixed_clock.advance(2 * 3600)  # 16:30, 3 h after the fetch: the session closed since
    assert (await svc.history("AAPL", 1))[-1].close == 2.0 and p.calls == 2
    fixed_clock.advance(3600)
    assert (await svc.history("AAPL", 1))[-1].close == 2.0 and p.calls == 2
