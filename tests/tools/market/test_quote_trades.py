"""Trades from the stream update cached quotes in memory per tick and reach the database
write-behind (about once a second, all symbols in one transaction, the rest at stop)."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session

from core.market import Quote, Tick
from core.storage import make_engine
from tools.market.capability import MarketCapability
from tools.market.tables import CacheEntry

from .test_service import CountingProvider, service_with


@pytest.fixture
def engine(settings):
    return make_engine(settings.db_url, MarketCapability.tables)


def stored_price(sql, symbol: str) -> float:
    with Session(sql) as s:
        return Quote.model_validate_json(s.get(CacheEntry, f"quote:{symbol}").value).price


async def test_a_tick_is_seen_at_once_here_and_within_a_write_elsewhere(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    await svc.quote("AAPL")
    await svc.quote("MSFT")
    for i in range(50):  # a burst of trades on two symbols
        fixed_clock.advance(0.01)
        svc.on_tick(Tick(symbol="AAPL", price=150.0 + i, ts=fixed_clock()))
        svc.on_tick(Tick(symbol="MSFT", price=300.0 - i, ts=fixed_clock()))
    assert stored_price(engine, "AAPL") == 101.0  # nothing written per tick
    assert (await svc.quote("AAPL")).quote.price == 199.0  # this process: the last trade
    other = service_with(CountingProvider(fixed_clock), engine, fixed_clock)  # e.g. the CLI
    assert (await other.quote("MSFT")).quote.price == 102.0  # not written yet
    assert await svc.cache.write_pending() == 2  # one row per symbol, however many trades
    assert stored_price(engine, "AAPL") == 199.0 and stored_price(engine, "MSFT") == 251.0
    later = service_with(CountingProvider(fixed_clock), engine, fixed_clock)
    assert (await later.quote("MSFT")).quote.price == 251.0 and p.calls == 2
    assert await svc.cache.write_pending() == 0  # nothing traded since: nothing written


async def test_trades_change_the_quote_from_the_previous_close(engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    first = (await svc.quote("AAPL")).quote
    fixed_clock.advance(5)
    svc.on_tick(Tick(symbol="AAPL", price=first.price * 1.1, ts=fixed_clock()))
    svc.on_tick(Tick(symbol="AAPL", price=float("nan"), ts=fixed_clock()))  # ignored
    svc.on_tick(Tick(symbol="AAPL", price=-3.0, ts=fixed_clock()))  # ignored
    q = (await svc.quote("AAPL")).quote
    assert abs(q.price - first.price * 1.1) < 1e-9
    assert abs(q.change_pct - 10.0) < 1e-6 and q.as_of.timestamp() == fixed_clock()
    assert q.source == first.source


async def test_a_fresh_answer_supersedes_older_trades_and_old_trades_are_dropped(
        engine, fixed_clock):
    p = CountingProvider(fixed_clock)
    svc = service_with(p, engine, fixed_clock)
    await svc.quote("AAPL")
    svc.on_tick(Tick(symbol="AAPL", price=500.0, ts=fixed_clock()))
    fixed_clock.advance(10)
    await svc.fetch_quote("AAPL")  # the provider's answer, newer than the trade
    assert (await svc.quote("AAPL")).quote.price == 102.0
    svc.on_tick(Tick(symbol="AAPL", price=600.0, ts=fixed_clock() - 60))  # a late trade
    assert (await svc.quote("AAPL")).quote.price == 102.0


async def test_a_quote_cached_by_another_process_picks_up_trades(engine, fixed_clock):
    elsewhere = service_with(CountingProvider(fixed_clock), engine, fixed_clock)
    await elsewhere.quote("NVDA")  # only in the database, as far as the runner knows
    runner = service_with(CountingProvider(fixed_clock), engine, fixed_clock)
    fixed_clock.advance(1)
    runner.on_tick(Tick(symbol="NVDA", price=900.0, ts=fixed_clock()))
    await runner.cache.write_pending()  # learns the quote exists
    runner.on_tick(Tick(symbol="NVDA", price=901.0, ts=fixed_clock()))
    await runner.cache.write_pending()
    assert stored_price(engine, "NVDA") == 901.0
    runner.on_tick(Tick(symbol="ZZZ", price=1.0, ts=fixed_clock()))  # never quoted: no row
    await runner.cache.write_pending()
    with Session(engine) as s:
        assert s.get(CacheEntry, "quote:ZZZ") is None


async def test_the_writer_runs_about_once_a_second_and_stop_flushes(engine, fixed_clock):
    svc = service_with(CountingProvider(fixed_clock), engine, fixed_clock)
    await svc.quote("AAPL")
    writer = asyncio.get_running_loop().create_task(svc.cache.write_behind(every_s=0.05))
    svc.on_tick(Tick(symbol="AAPL", price=123.0, ts=fixed_clock()))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if stored_price(engine, "AAPL") == 123.0:
            break
    assert stored_price(engine, "AAPL") == 123.0
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    svc.on_tick(Tick(symbol="AAPL", price=124.0, ts=fixed_clock()))
    assert svc.cache.flush() == 1 and stored_price(engine, "AAPL") == 124.0
