"""Rule changes reach a running engine incrementally (the change log, one rule at a time)
and leave it exactly as a freshly loaded engine would be: same rules armed, same index,
same firings."""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session, select

from core.errors import NotFound
from core.market import Tick
from core.storage import kv_get
from tools.alerts import changes
from tools.alerts.engine import AlertEngine
from tools.alerts.index import RuleIndex
from tools.alerts.models import AlertRule
from tools.alerts.service import AlertService

SYMBOLS = ["AAPL", "TSLA", "BTC-USD"]
BASE = {"AAPL": 100.0, "TSLA": 200.0, "BTC-USD": 50.0}
LEVELS = ["above", "below", "cross_above", "cross_below", "cross"]
MOVES = ["pct_change", "moving_up_pct", "moving_down_pct", "moving_up", "moving_down"]
WINDOWS = [5, 15, 60]


def index_state(index: RuleIndex) -> dict:
    """Everything that decides what the index fires, in a comparable form (rules at the
    same threshold in any order)."""
    out = {}
    for symbol, book in index.books.items():
        levels = {k: list(zip(getattr(book, k).th, getattr(book, k).ids, strict=True))
                  for k in LEVELS}
        windows = {m: (list(w.lows), list(w.highs),
                       {k: sorted(zip(getattr(w, k).th, getattr(w, k).ids, strict=True))
                        for k in ("pct", "up_pct", "down_pct", "up", "down")})
                   for m, w in sorted(book.windows.items())}
        out[symbol] = (book.last, {k: sorted(v) for k, v in levels.items()}, windows)
    return out


def armed(engine: AlertEngine) -> tuple[set[int], set[int]]:
    return set(engine.rules), {i for i, v in engine.rules.items() if v.indexed}


def rule_args(rng: random.Random, symbol: str) -> dict:
    cond = rng.choice(LEVELS + MOVES)
    if cond in LEVELS:
        th = round(BASE[symbol] * rng.uniform(0.9, 1.1), 1)
        return {"condition": cond, "threshold": th}
    th = rng.choice([0.5, 1, 2]) * (BASE[symbol] / 100 if cond in ("moving_up", "moving_down")
                                    else 1)
    return {"condition": cond, "threshold": round(th, 2), "window_minutes": rng.choice(WINDOWS)}


@pytest.mark.parametrize("seed", [1, 7, 42])
async def test_random_changes_leave_the_index_as_a_fresh_load_would(harness, seed):
    rng = random.Random(seed)
    clock, sql = harness.clock, harness.sql
    running = harness.engine  # changed in this process directly, and through the log
    elsewhere = AlertService(sql, None, None, clock=clock)  # the CLI: only the log
    here = harness.service
    # every book and window exists from the first tick (a window starts its history when
    # its first rule arrives, in a fresh engine as in a running one)
    for symbol in SYMBOLS:
        for minutes in WINDOWS:
            await elsewhere.create(symbol=symbol, condition="pct_change", threshold=99,
                                   window_minutes=minutes, frequency="every_time")
    running.load()
    prices = dict(BASE)
    history: list[Tick] = []
    fired_total = 0
    for step in range(400):
        op = rng.random()
        svc = here if rng.random() < 0.5 else elsewhere
        ids = [r.id for r in elsewhere.rules() if r.threshold != 99]
        try:
            if op < 0.15 or not ids:
                symbol = rng.choice(SYMBOLS)
                expiry = (f"in {rng.choice([2, 10, 30])} minutes" if rng.random() < 0.2
                          else None)
                await svc.create(symbol=symbol, **rule_args(rng, symbol), expires_at=expiry,
                                 frequency=rng.choice(["once", "every_time", "once_per_day"]))
            elif op < 0.25:
                rule = elsewhere.get(rng.choice(ids))
                change = rule_args(rng, rule.symbol)
                if rng.random() < 0.5:  # threshold only, when the kind of threshold allows
                    change = {"threshold": rule.threshold * rng.uniform(0.97, 1.03)}
                    if rule.condition not in LEVELS:
                        change["threshold"] = round(min(50.0, change["threshold"]), 2)
                await svc.update(rule.id, **change)
            elif op < 0.30:
                await svc.update(rng.choice(ids),
                                 frequency=rng.choice(["once", "every_time", "once_per_day"]))
            elif op < 0.37:
                svc.delete(rng.choice(ids))
            elif op < 0.41:
                gone = [r.id for r in elsewhere.rules(include_inactive=True)
                        if not r.active and r.threshold != 99]
                if gone:
                    svc.restore(rng.choice(gone))
            elif op < 0.48:
                svc.snooze(rng.choice(ids), rng.choice([1, 3, 20]))
            elif op < 0.52:
                svc.set_snooze(rng.choice(ids), None)
            else:
                for _ in range(rng.randint(1, 6)):
                    symbol = rng.choice(SYMBOLS)
                    prices[symbol] = round(prices[symbol] * (1 + rng.gauss(0, 0.01)), 2)
                    clock.advance(rng.choice([1, 10, 60, 120]))
                    tick = Tick(symbol=symbol, price=prices[symbol], ts=clock())
                    history.append(tick)
                    fired_total += len(running.process(tick))
        except NotFound:
            pass  # a rule that fired once (or expired) meanwhile
        if rng.random() < 0.5:  # the poll of `copilot run`, about once a second
            running.sync()
        if step % 25 == 24:
            running.sync()
            fresh = AlertEngine(sql, clock=clock)
            fresh.load()
            for tick in history:  # the same prices seen: crossings and windows agree
                fresh.index.evaluate(tick.symbol, tick.price, tick.ts)
            running._run_timers(clock())
            assert armed(running) == armed(fresh), step
            assert index_state(running.index) == index_state(fresh.index), step
            fresh.close()
    assert fired_total > 10  # the sequence did exercise firings, not only edits


async def test_a_change_elsewhere_is_read_from_the_log_not_by_rereading_every_rule(harness):
    running = harness.engine
    elsewhere = AlertService(harness.sql, None, None, clock=harness.clock)
    rule = await elsewhere.create(symbol="AMD", condition="above", threshold=10)
    running.load()
    await elsewhere.update(rule[0].id, threshold=20)
    found = running.read_changes()
    assert found.ids == {rule[0].id} and [r.threshold for r in found.rows] == [20]
    assert running.apply_changes(found) == 1
    assert running.process(Tick(symbol="AMD", price=15, ts=harness.clock())) == []
    assert running.process(Tick(symbol="AMD", price=21, ts=harness.clock() + 1))
    assert not running.changed_elsewhere()


async def test_an_edit_cancels_the_old_expiry(harness):
    """A timer set for the rule as it was (its old expiry) does not act on the edited rule."""
    rule, _ = await harness.service.create(symbol="AMD", condition="above", threshold=10,
                                           expires_at="in 10 minutes", frequency="every_time")
    await harness.service.update(rule.id, expires_at="never")
    harness.clock.advance(3600)
    fired = harness.engine.process(Tick(symbol="AMD", price=11, ts=harness.clock()))
    assert [f.rule_id for f in fired] == [rule.id]
    assert harness.service.get(rule.id).active


async def test_a_pruned_log_makes_a_lagging_engine_reread_every_rule(harness):
    running = harness.engine
    elsewhere = AlertService(harness.sql, None, None, clock=harness.clock)
    rule, _ = await elsewhere.create(symbol="AMD", condition="above", threshold=10)
    running.load()
    elsewhere.delete(rule.id)
    harness.clock.advance(changes.KEEP_S + 1)
    await elsewhere.create(symbol="NVDA", condition="above", threshold=10)  # prunes the delete
    assert int(kv_get(harness.sql, changes.PRUNED_KEY, "0")) >= 2
    found = running.read_changes()
    assert found.ids is None  # every rule, since the log no longer says what changed
    running.apply_changes(found)
    assert set(running.rules) == {r.id for r in elsewhere.rules()}
    with Session(harness.sql) as s:
        assert len(s.exec(select(changes.RuleChange)).all()) == 1
    assert rule.id not in running.rules
    assert not running.process(Tick(symbol="AMD", price=11, ts=harness.clock()))
    assert isinstance(harness.service.rules()[0], AlertRule)
