"""once_per_bar_close with indicators, channels and moves from the close: checked on each
session's closing price, their averages, RSI and crossings from closing prices only —
against a naive evaluator that recomputes every indicator from the whole history of
closes at each close."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from core.errors import InvalidInput
from core.market import Tick
from core.storage import create_tables, make_engine
from tests.tools.alerts.test_lists import ListHarness, closes_between
from tools.alerts.capability import AlertsCapability
from tools.alerts.indicators import (
    ema_base,
    ema_step,
    rsi_base,
    rsi_step,
    rsi_value,
    sma_base,
    sma_live,
)
from tools.alerts.operators import MA_CONDITIONS, period_of

CONDITIONS = [*MA_CONDITIONS, "rsi_above", "rsi_below", "inside_channel", "outside_channel",
              "entering_channel", "exiting_channel", "up_pct_from_close",
              "down_pct_from_close", "up_from_close", "down_from_close"]


@pytest.fixture
def lists(settings, fixed_clock):
    sql = make_engine(settings.db_url)
    create_tables(sql, AlertsCapability.tables)
    return ListHarness(sql, fixed_clock, ["AAPL", "TSLA"])


def random_args(rng: random.Random, condition: str) -> dict:
    if condition in MA_CONDITIONS:
        return {"threshold": float(rng.choice([3, 5, 10]))}
    if condition.startswith("rsi"):
        return {"threshold": float(rng.randint(35, 65)), "period": rng.choice([None, 5])}
    if condition.endswith("channel"):
        lo = round(rng.uniform(94, 102), 1)
        return {"threshold": lo, "upper": round(lo + rng.uniform(2, 8), 1)}
    return {"threshold": rng.choice([0.3, 0.6, 1.0])}  # % or dollars from the close


def naive_hit(rule, p: float, closes: list[float], last: float | None,
              diffs: dict, before: dict) -> bool:
    c, th = rule.condition, rule.threshold
    if c in MA_CONDITIONS:
        test, kind = MA_CONDITIONS[c]
        key = (kind, int(th))
        if key not in diffs:
            return False
        now, prev = diffs[key], before.get(key)
        up = prev is not None and prev < 0 <= now
        down = prev is not None and prev > 0 >= now
        return {"above": now >= 0, "below": now <= 0, "cross_above": up,
                "cross_below": down, "cross": up or down}[test]
    if c.startswith("rsi"):
        n = period_of(c, th, rule.period) or 0
        state = rsi_base(closes, n)
        if state is None:
            return False
        rsi = rsi_value(*rsi_step(state[0], state[1], p - closes[-1], n))
        return rsi >= th if c == "rsi_above" else rsi <= th
    if c.endswith("channel"):
        inside = rule.threshold <= p <= rule.upper
        was = last is not None and rule.threshold <= last <= rule.upper
        return {"inside_channel": inside, "outside_channel": not inside,
                "entering_channel": last is not None and inside and not was,
                "exiting_channel": last is not None and was and not inside}[c]
    close = closes[-1]
    move = {"up_pct_from_close": (p / close - 1.0) * 100.0,
            "down_pct_from_close": (1.0 - p / close) * 100.0,
            "up_from_close": p - close, "down_from_close": close - p}[c]
    return move >= th


@pytest.mark.parametrize("symbol", ["AAPL", "BTC-USD"])
@pytest.mark.parametrize("seed", [5, 6])
async def test_operators_at_the_close_fire_like_the_naive_evaluator(lists, symbol, seed):
    rng = random.Random(seed)
    rules = []
    for condition in CONDITIONS * 2:
        rule, _ = await lists.service.create(symbol=symbol, condition=condition,
                                             frequency="once_per_bar_close",
                                             **random_args(rng, condition))
        rules.append(rule)
    price, bars = 100.0, []
    first = date(2026, 9, 1)
    for i in range(84):  # daily bars up to the day before the clock's (2026-11-24)
        price *= 1 + rng.gauss(0, 0.01)
        bars.append(((first + timedelta(days=i)).isoformat(), round(price, 2), 1000.0))
    engine = lists.engine
    assert set(engine.close_ops.unseeded()) == {symbol}
    assert engine.operators.unseeded() == {}, "nothing at the close is on the tick path"
    engine.close_ops.seed(symbol, bars, lists.clock())
    closes = [b[1] for b in bars]
    observed: list[tuple[float, float]] = []
    settled, last_seen = lists.clock(), None
    for _ in range(300):
        lists.clock.advance(rng.uniform(600, 5 * 3600))
        now = lists.clock()
        engine.settle_closes(now)
        if last_seen is not None:
            observed += [(at, last_seen) for at in closes_between(symbol, settled, now)]
        settled = now
        price = round(price * (1 + rng.gauss(0, 0.006)), 2)
        last_seen = price
        engine.process(Tick(symbol=symbol, price=price, ts=now))
    expected, diffs, last = [], {}, None
    ma_keys = {(MA_CONDITIONS[r.condition][1], int(r.threshold)) for r in rules
               if r.condition in MA_CONDITIONS}
    for at, p in observed:
        before = dict(diffs)
        for kind, n in ma_keys:
            base = sma_base(closes, n) if kind == "sma" else ema_base(closes, n)
            if base is not None:
                avg = sma_live(base, p, n) if kind == "sma" else ema_step(base, p, n)
                diffs[(kind, n)] = p - avg
        expected += [(r.id, symbol, at) for r in rules
                     if naive_hit(r, p, closes, last, diffs, before)]
        closes.append(p)
        last = p
    got = lists.firings()
    assert sorted(got) == sorted(expected)
    fired = {r.condition for r in rules if any(g[0] == r.id for g in got)}
    assert len(observed) >= 20 and len(fired) >= len(CONDITIONS) - 4, set(CONDITIONS) - fired


async def test_a_volume_spike_at_the_close_is_refused_in_one_sentence(lists):
    with pytest.raises(InvalidInput, match="use once_per_day"):
        await lists.service.create(symbol="AAPL", condition="volume_spike", threshold=2,
                                   frequency="once_per_bar_close")


async def test_an_rsi_close_rule_through_the_tool_is_seeded_and_fires_at_the_close(settings):
    from sqlmodel import Session, select

    from agent.runtime import open_runtime
    from core.auth import Caller
    from tools.alerts.models import Firing

    async with open_runtime(settings) as rt:
        made = await rt.run_tool("create_alert", {
            "symbol": "AAPL", "condition": "rsi_above", "threshold": 1,
            "frequency": "once_per_bar_close"}, Caller.local_owner())
        assert made["created"], made
        engine = rt.alerts.engine
        assert set(engine.close_ops.unseeded()) == {"AAPL"}
        assert await rt.alerts.seed_indicators() == ["AAPL"]
        assert engine.close_ops.unseeded() == {} and engine.operators.unseeded() == {}
        assert engine.close_ops.books["AAPL"].series.closes
        # a tick during the session fires nothing; the close does, on the last price
        engine.process(Tick(symbol="AAPL", price=500.0, ts=rt.clock()))
        assert engine.firings == 0
        close_at = engine._closing["AAPL"]
        fired = engine.settle_closes(close_at + 1)
        assert [f.rule_id for f in fired] == [made["alert_id"]]
        with Session(rt.kernel.db) as s:
            message = s.exec(select(Firing)).one().message
        assert "RSI(14)" in message and message.endswith("at the close")


@pytest.mark.parametrize(("message", "condition"), [
    ("alert me if TSLA RSI closes above 70", "rsi_above"),
    ("ping me when AAPL closes above its 50-day moving average", "above_sma"),
    ("alert me if nvda closes inside 180-200", "inside_channel"),
    ("tell me if spy closes down 1% on the day", "down_pct_from_close"),
    ("ping me if aapl closes green 2%", "up_pct_from_close"),
])
def test_the_offline_model_reads_operators_at_the_close(message, condition):
    from agent.runtime import grammars, offline_model

    tools = {i.tool for g in grammars() for i in g.intents}
    call = offline_model().route(message, tools).tool_calls[0]
    assert call["name"] == "create_alert"
    assert (call["args"]["condition"], call["args"]["frequency"]) == \
        (condition, "once_per_bar_close")


async def test_a_close_rule_after_a_tick_rule_on_the_same_ticker_is_seeded_at_once(settings):
    from agent.runtime import open_runtime
    from core.auth import Caller

    owner = Caller.local_owner()
    async with open_runtime(settings) as rt:
        await rt.run_tool("create_alert", {"symbol": "AAPL", "condition": "rsi_above",
                                           "threshold": 70}, owner)
        assert await rt.alerts.seed_indicators() == ["AAPL"]
        await rt.run_tool("create_alert", {"symbol": "AAPL", "condition": "rsi_above",
                                           "threshold": 70,
                                           "frequency": "once_per_bar_close"}, owner)
        assert set(rt.alerts.engine.close_ops.unseeded()) == {"AAPL"}
        assert await rt.alerts.seed_indicators() == ["AAPL"]  # not held back 10 minutes
        assert rt.alerts.engine.close_ops.unseeded() == {}


def test_a_close_checked_before_the_bars_arrive_is_not_counted_twice():
    from datetime import UTC, datetime

    from tools.alerts.fanout import CloseOperators

    midnight = datetime(2026, 11, 25, tzinfo=UTC).timestamp()
    ops = CloseOperators({"BTC-USD": midnight + 86400})
    ops.add(1, "BTC-USD", "above_sma", 3)
    ops.evaluate("BTC-USD", 100.0, midnight)  # the 24th's close, before any bars
    bars = [("2026-11-22", 95.0, 1.0), ("2026-11-23", 97.0, 1.0), ("2026-11-24", 100.0, 1.0)]
    ops.seed("BTC-USD", bars, midnight + 60)
    ops.evaluate("BTC-USD", 101.0, midnight + 86400)
    ops.evaluate("BTC-USD", 102.0, midnight + 2 * 86400)
    assert ops.books["BTC-USD"].series.closes == [95.0, 97.0, 100.0, 101.0]
