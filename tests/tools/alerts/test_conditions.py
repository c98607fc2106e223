"""Directional and either-way conditions: a fall never fires on a rise, a crossing either
way, moves in % and in dollars from the window's low or high; their validation, words and
messages."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from tools.alerts.models import AlertRule


async def test_moving_down_pct_never_fires_on_a_rise(harness):
    """"AAPL falls 2%": a 5% rise is not a fall."""
    falls = await harness.add(symbol="AAPL", condition="moving_down_pct", threshold=2)
    either = await harness.add(symbol="AAPL", condition="pct_change", threshold=2)
    await harness.tick("AAPL", 100)
    assert await harness.tick("AAPL", 105, dt=60) == [either.id]  # pct_change: either way
    assert falls.id not in await harness.tick("AAPL", 103.5, dt=60)  # -1.43% from 105
    assert await harness.tick("AAPL", 102.8, dt=60) == [either.id, falls.id]  # -2.1% from 105


async def test_moving_up_pct_never_fires_on_a_fall(harness):
    rises = await harness.add(symbol="NVDA", condition="moving_up_pct", threshold=3,
                              window_minutes=30)
    await harness.tick("NVDA", 100)
    assert await harness.tick("NVDA", 90, dt=60) == []  # -10%: a fall
    assert await harness.tick("NVDA", 92.6, dt=60) == []  # +2.9% from the low
    assert await harness.tick("NVDA", 92.7, dt=60) == [rises.id]  # +3.0% from 90


async def test_moves_count_only_inside_the_window(harness):
    rises = await harness.add(symbol="MSFT", condition="moving_up_pct", threshold=3,
                              window_minutes=10)
    await harness.tick("MSFT", 100)
    await harness.tick("MSFT", 101, dt=300)
    assert await harness.tick("MSFT", 103.5, dt=400) == []  # the 100 left the window: +2.5%
    assert await harness.tick("MSFT", 104.1, dt=60) == [rises.id]  # +3.07% from 101


async def test_dollar_moves_both_ways(harness):
    up = await harness.add(symbol="TSLA", condition="moving_up", threshold=5, window_minutes=15,
                           frequency="every_time")
    down = await harness.add(symbol="TSLA", condition="moving_down", threshold=5,
                             window_minutes=15, frequency="every_time")
    await harness.tick("TSLA", 250)
    assert await harness.tick("TSLA", 254.99, dt=60) == []
    assert await harness.tick("TSLA", 255, dt=60) == [up.id]  # +$5.00 from the low
    assert await harness.tick("TSLA", 250.5, dt=60) == [up.id]  # -$4.50 from the high
    assert await harness.tick("TSLA", 249.9, dt=60) == [up.id, down.id]  # -$5.10


async def test_cross_fires_either_way_and_needs_a_prior_price(harness):
    rule = await harness.add(symbol="SPY", condition="cross", threshold=600,
                             frequency="every_time")
    assert await harness.tick("SPY", 605) == []  # first price: nothing crossed
    assert await harness.tick("SPY", 601) == []
    assert await harness.tick("SPY", 599.5) == [rule.id]  # down through 600
    assert await harness.tick("SPY", 600, dt=301) == [rule.id, rule.id]  # up to it: crossed
    assert await harness.tick("SPY", 603, dt=400) == [rule.id, rule.id]  # stays above
    message = [e.message for e in harness.events]
    assert "crossed below $600.00: now $599.50" in message[0]
    assert "crossed $600.00: now $600.00" in message[1]


async def test_old_conditions_keep_working(harness):
    above = await harness.add(symbol="AMD", condition="above", threshold=200)
    below = await harness.add(symbol="AMD", condition="below", threshold=100)
    up = await harness.add(symbol="AMD", condition="cross_above", threshold=150)
    down = await harness.add(symbol="AMD", condition="cross_below", threshold=150)
    await harness.tick("AMD", 140)
    assert await harness.tick("AMD", 160) == [up.id]
    assert await harness.tick("AMD", 140) == [up.id, down.id]
    assert await harness.tick("AMD", 99) == [up.id, down.id, below.id]
    assert await harness.tick("AMD", 201) == [up.id, down.id, below.id, above.id]


@pytest.mark.parametrize("condition,threshold,words", [
    ("cross", 600, "SPY crosses $600.00 either way"),
    ("moving_up_pct", 2.5, "SPY rises 2.5% from its low within 60 min"),
    ("moving_down_pct", 2, "SPY falls 2% from its high within 60 min"),
    ("moving_up", 4, "SPY rises $4.00 from its low within 60 min"),
    ("moving_down", 0.5, "SPY falls $0.50 from its high within 60 min"),
    ("pct_change", 3, "SPY moves 3% within 60 min"),
    ("above", 0.000123, "SPY at or above $0.000123"),
])
async def test_conditions_in_words(harness, condition, threshold, words):
    rule = await harness.add(symbol="SPY", condition=condition, threshold=threshold)
    assert rule.describe() == words
    assert rule.details("America/New_York").startswith(words + "; fires once; no expiry")


async def test_fired_messages_say_the_direction(harness):
    await harness.add(symbol="AAPL", condition="moving_down_pct", threshold=2, window_minutes=30)
    await harness.add(symbol="MSFT", condition="moving_up", threshold=3, note="breakout")
    await harness.tick("AAPL", 100)
    await harness.tick("AAPL", 97.5)
    await harness.tick("MSFT", 400)
    await harness.tick("MSFT", 403.5)
    assert [e.message for e in harness.events] == [
        "🔔 AAPL fell 2%+ from its high within 30 min: now $97.50 (alert 1)",
        "🔔 MSFT rose $3.00+ from its low within 60 min: now $403.50 (alert 2) — breakout",
    ]


@pytest.mark.parametrize("condition,threshold,message", [
    ("moving_up_pct", 0, "between 0 and 100"),
    ("moving_down_pct", 100.5, "between 0 and 100"),
    ("moving_down_pct", -2, "between 0 and 100"),
    ("moving_up_pct", float("nan"), "not NaN"),
    ("moving_up", 0, "must be positive"),
    ("moving_down", -5, "must be positive"),
    ("moving_down", float("inf"), "not NaN or infinity"),
    ("moving_up", 2e7, "must be positive"),
    ("cross", 0, "positive price"),
    ("cross", 1e9, "positive price"),
])
async def test_thresholds_are_finite_and_sane(harness, condition, threshold, message):
    with pytest.raises(InvalidInput, match=f"^Can't create that alert: .*{message}.*\\.$"):
        await harness.add(symbol="AAPL", condition=condition, threshold=threshold)
    assert harness.service.rules() == []


async def test_windows_default_to_60_and_are_bounded(harness):
    rule = await harness.add(symbol="AAPL", condition="moving_up", threshold=1)
    assert rule.window_minutes == 60
    level = await harness.add(symbol="AAPL", condition="cross", threshold=200, window_minutes=5)
    assert level.window_minutes is None  # a level has no window
    with pytest.raises(InvalidInput, match="window_minutes"):
        await harness.add(symbol="AAPL", condition="moving_down_pct", threshold=1,
                          window_minutes=1441)


def test_every_condition_has_words_and_a_message():
    from tools.alerts.engine import RuleView, _message
    from tools.alerts.models import Condition

    for cond in Condition:
        rule = AlertRule(id=1, symbol="X", condition=cond.value, threshold=2, window_minutes=5)
        assert rule.describe().startswith("X ")
        assert _message(RuleView.of(rule), 3.0).startswith("🔔 X ")
