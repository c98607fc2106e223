"""once_per_minute: every time, at most once a minute (every_time with a 60 s cooldown,
so the engine re-arms it like any every-time rule), named as such everywhere."""

from __future__ import annotations

import random

from tools.alerts.engine import AlertEngine


async def test_once_per_minute_fires_at_most_once_a_minute(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100,
                             frequency="once_per_minute")
    assert (rule.frequency, rule.cooldown_s, rule.frequency_name) == \
        ("every_time", 60.0, "once_per_minute")
    assert rule.describe() == "AAPL at or above $100.00 (once per minute)"
    assert "fires every time, at most once per minute" in rule.details("UTC")
    # random ticks every 1-15 s for 20 minutes: a firing whenever the price holds and a
    # minute passed since the last one — the naive rule, checked tick by tick
    rng = random.Random(7)
    expected, last = [], None
    for _ in range(150):
        dt = rng.uniform(1, 15)
        price = rng.choice([99.0, 101.0, 102.0])
        fired = await harness.tick("AAPL", price, dt)
        now = harness.clock()
        if price >= 100 and (last is None or now - last >= 60):
            expected.append(now)
            last = now
        assert len(fired) == len(expected), (now, price)
    assert len(expected) > 5


async def test_an_edit_to_or_from_once_per_minute_sets_the_cooldown(harness):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100,
                             frequency="every_time")
    assert rule.cooldown_s == 300
    now, _, _ = await harness.service.update(rule.id, frequency="once_per_minute")
    assert (now.frequency, now.cooldown_s) == ("every_time", 60.0)
    kept, _, _ = await harness.service.update(rule.id, threshold=110)  # another slot
    assert kept.frequency_name == "once_per_minute"
    back, _, _ = await harness.service.update(rule.id, frequency="every_time")
    assert (back.frequency_name, back.cooldown_s) == ("every_time", 300)
    other = AlertEngine(harness.sql, clock=harness.clock)
    assert other.load() == 1 and other.rules[rule.id].cooldown_s == 300
