"""Each condition and frequency, expiry, snooze; crossings need a prior price."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from core.errors import InvalidInput, NotFound
from core.market import Tick
from core.storage import kv_set
from tools.alerts.engine import AlertEngine
from tools.alerts.index import RuleIndex
from tools.alerts.models import AlertRule, Delivery, Firing


async def test_above_fires_once_and_deactivates(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=200)
    assert await harness.tick("AAPL", 199.99) == []
    assert await harness.tick("MSFT", 500) == []
    assert await harness.tick("AAPL", 200.0) == [rule.id]
    assert await harness.tick("AAPL", 201) == [rule.id]  # once: no second firing
    assert harness.service.get(rule.id).active is False
    assert harness.service.get(rule.id).fire_count == 1


async def test_below(harness):
    rule = await harness.add(symbol="TSLA", condition="below", threshold=150)
    await harness.tick("TSLA", 151)
    assert await harness.tick("TSLA", 149.5) == [rule.id]


async def test_cross_above_needs_a_prior_price_below(harness):
    rule = await harness.add(symbol="NVDA", condition="cross_above", threshold=120)
    assert await harness.tick("NVDA", 125) == []  # first price: nothing to cross from
    assert await harness.tick("NVDA", 126) == []  # above, but no crossing
    assert await harness.tick("NVDA", 119) == []
    assert await harness.tick("NVDA", 120.5) == [rule.id]


async def test_cross_below(harness):
    rule = await harness.add(symbol="NVDA", condition="cross_below", threshold=120)
    assert await harness.tick("NVDA", 119) == []
    await harness.tick("NVDA", 121)
    assert await harness.tick("NVDA", 120) == [rule.id]


async def test_pct_change_within_window(harness):
    rule = await harness.add(symbol="MSFT", condition="pct_change", threshold=3,
                             window_minutes=30)
    await harness.tick("MSFT", 100)
    await harness.tick("MSFT", 101.5, dt=600)
    assert await harness.tick("MSFT", 102.9, dt=600) == []  # +2.9%
    assert await harness.tick("MSFT", 103.0, dt=60) == [rule.id]  # +3.0% within 30 min


async def test_pct_change_outside_window_does_not_fire(harness):
    rule = await harness.add(symbol="MSFT", condition="pct_change", threshold=3,
                             window_minutes=30)
    await harness.tick("MSFT", 100)
    await harness.tick("MSFT", 101.6, dt=1000)
    assert await harness.tick("MSFT", 103.5, dt=1000) == []  # 100 left the window; +1.9%
    assert await harness.tick("MSFT", 100.3, dt=60) == [rule.id]  # -3.1% from the high


async def test_pct_change_catches_drops(harness):
    rule = await harness.add(symbol="SPY", condition="pct_change", threshold=2, window_minutes=60)
    await harness.tick("SPY", 500)
    assert await harness.tick("SPY", 489.9, dt=120) == [rule.id]


async def test_once_per_day(harness):
    # crypto: once per UTC day (equities re-arm at the next session's open: tests/time/)
    rule = await harness.add(symbol="BTC-USD", condition="above", threshold=100,
                             frequency="once_per_day")
    assert await harness.tick("BTC-USD", 101) == [rule.id]
    assert await harness.tick("BTC-USD", 102, dt=60) == [rule.id]  # same day
    assert await harness.tick("BTC-USD", 103, dt=24 * 3600) == [rule.id, rule.id]  # next day


async def test_every_time_respects_cooldown(harness):
    rule = await harness.add(symbol="AAPL", condition="cross_above", threshold=100,
                             frequency="every_time")
    await harness.tick("AAPL", 99)
    assert await harness.tick("AAPL", 101) == [rule.id]
    await harness.tick("AAPL", 99)
    assert await harness.tick("AAPL", 101, dt=10) == [rule.id]  # within 300 s cooldown
    await harness.tick("AAPL", 99, dt=300)
    assert await harness.tick("AAPL", 101) == [rule.id, rule.id]


async def test_expired_rule_never_fires(harness):
    expires = datetime.fromtimestamp(harness.clock() + 60, UTC).isoformat()
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100, expires_at=expires)
    assert await harness.tick("AAPL", 99) == []
    assert await harness.tick("AAPL", 101, dt=120) == []
    assert harness.service.get(rule.id).active is False


async def test_snooze_silences_until_it_ends(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100,
                             frequency="every_time")
    harness.service.snooze(rule.id, 60)
    assert await harness.tick("AAPL", 101) == []
    assert await harness.tick("AAPL", 101, dt=30 * 60) == []
    assert await harness.tick("AAPL", 101, dt=31 * 60) == [rule.id]


async def test_firing_writes_outbox_rows_and_publishes(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100, note="breakout")
    await harness.tick("AAPL", 105)
    with Session(harness.sql) as s:
        firings = s.exec(select(Firing)).all()
        deliveries = s.exec(select(Delivery)).all()
    assert len(firings) == 1 and firings[0].rule_id == rule.id and firings[0].price == 105
    assert sorted(d.target for d in deliveries) == ["console", "webhook"]
    assert all(d.notification_id is None for d in deliveries)
    event = harness.events[0]
    assert event.symbol == "AAPL" and "breakout" in event.message


async def test_engine_reloads_rules_changed_by_another_process(harness, settings):
    other = AlertEngine(harness.sql, clock=harness.clock)
    other.load()
    with Session(harness.sql) as s:
        s.add(AlertRule(symbol="AMD", condition="above", threshold=10, created_at=0))
        s.commit()
    kv_set(harness.sql, "alerts_version", "99")
    other.refresh_if_changed()
    assert other.process(Tick(symbol="AMD", price=11, ts=harness.clock()))


async def test_validation_errors_are_plain_sentences(harness):
    with pytest.raises(InvalidInput, match="threshold must be a positive price"):
        await harness.add(symbol="AAPL", condition="above", threshold=-5)
    with pytest.raises(InvalidInput, match="condition must be one of"):
        await harness.add(symbol="AAPL", condition="sideways", threshold=5)
    with pytest.raises(InvalidInput, match="not a ticker"):
        await harness.add(symbol="apple inc", condition="above", threshold=5)
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        await harness.add(symbol="AAPL", condition="pct_change", threshold=500)
    with pytest.raises(NotFound):
        harness.service.delete(999)


def naive(cond: str, th: float, p: float, last: float | None, low: float, high: float) -> bool:
    """Every condition from first principles (the window's low/high by a full scan)."""
    up = last is not None and last < th <= p
    down = last is not None and p <= th < last
    return {
        "above": p >= th, "below": p <= th, "cross_above": up, "cross_below": down,
        "cross": up or down,
        "pct_change": max((p - low) / low, (high - p) / high) * 100.0 >= th,
        "moving_up_pct": (p - low) / low * 100.0 >= th,
        "moving_down_pct": (high - p) / high * 100.0 >= th,
        "moving_up": p - low >= th,
        "moving_down": high - p >= th,
    }[cond]


LEVEL_CONDS = ["above", "below", "cross_above", "cross_below", "cross"]
MOVE_CONDS = ["pct_change", "moving_up_pct", "moving_down_pct", "moving_up", "moving_down"]


@pytest.mark.parametrize("seed", [3, 11, 2026])
def test_index_matches_a_naive_scan(seed):
    """Random rules of every condition and window, random ticks (prices on a coarse grid
    so ties with thresholds happen, irregular gaps so prices leave windows), rules taken
    out and put back: the index fires exactly what a full scan of the history fires."""
    import random

    rng = random.Random(seed)
    index = RuleIndex()
    rules: dict[int, tuple[str, float, int | None]] = {}
    windows = [1, 5, 15, 60]
    for rid in range(400):
        cond = rng.choice(LEVEL_CONDS + MOVE_CONDS)
        if cond in LEVEL_CONDS:
            th, window = rng.randrange(380, 421) / 4, None  # 95.00 .. 105.00 by 0.25
        elif cond.endswith("pct") or cond == "pct_change":
            th, window = rng.choice([0.25, 0.5, 1, 2, 3]), rng.choice(windows)
        else:
            th, window = rng.choice([0.25, 0.5, 1, 2, 4]), rng.choice(windows)
        rules[rid] = (cond, th, window)
    for w in windows:  # every window exists from the first tick, as in the engine
        rules[1000 + w] = ("pct_change", 100.0, w)
    for rid, (cond, th, window) in rules.items():
        index.add(rid, "X", cond, th, window)
    armed = set(rules)
    history: list[tuple[float, float]] = []
    last, price, ts = None, 100.0, 0.0
    fired_kinds: set[str] = set()
    for _ in range(1500):
        price = min(110.0, max(90.0, price + rng.choice([-1, -0.5, -0.25, 0, 0.25, 0.5, 1])))
        ts += rng.choice([1, 5, 30, 60, 240, 900])
        history.append((ts, price))
        while history[0][0] < ts - max(windows) * 60:
            history.pop(0)  # older than any window
        extremes = {}
        for w in windows:  # a full scan of the window, once per window and tick
            inside = [q for t, q in history if t >= ts - w * 60]
            extremes[w] = (min(inside), max(inside))
        expected = []
        for rid in sorted(armed):
            cond, th, window = rules[rid]
            low, high = extremes[window] if window else (price, price)
            if naive(cond, th, price, last, low, high):
                expected.append(rid)
                fired_kinds.add(cond)
        assert sorted(index.evaluate("X", price, ts)) == expected, (ts, price)
        last = price
        if rng.random() < 0.1:  # take a rule out, or put one back
            rid = rng.choice(sorted(rules))
            cond, th, window = rules[rid]
            if rid in armed:
                assert index.remove(rid, "X", cond, th, window)
                armed.discard(rid)
            else:
                index.add(rid, "X", cond, th, window)
                armed.add(rid)
    assert fired_kinds >= set(LEVEL_CONDS + MOVE_CONDS)  # every condition was exercised
