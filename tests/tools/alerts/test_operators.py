"""Indicator and channel operators against a naive evaluator that recomputes every
indicator from the whole history on every tick: identical firings on random ticks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from tools.alerts.indicators import (
    Series,
    ema_base,
    ema_step,
    rsi_base,
    rsi_step,
    rsi_value,
    session_day,
    sma_base,
    sma_live,
    volume_base,
)
from tools.alerts.operators import MA_CONDITIONS, OPERATORS, OperatorIndex, period_of

NY = ZoneInfo("America/New_York")
START = 1_790_000_000.0  # an instant in 2026


class Naive:
    """Every indicator from first principles, from the full history, on every tick."""

    def __init__(self, bars: list[tuple[str, float, float]], now: float) -> None:
        today = session_day(now, NY)
        self.closes = [b[1] for b in bars if b[0] < today]
        self.volumes = [b[2] for b in bars if b[0] < today]
        self.day = today
        self.last: float | None = None
        self.day_volume = 0.0
        self.diffs: dict[tuple[str, int], float] = {}

    def tick(self, price: float, ts: float, volume: float) -> None:
        day = session_day(ts, NY)
        if day != self.day:
            if self.last is not None:
                self.closes.append(self.last)
                self.volumes.append(self.day_volume)
            self.day, self.last, self.day_volume = day, None, 0.0
        self.last = price
        self.day_volume += volume

    def average(self, kind: str, n: int, price: float) -> float | None:
        if kind == "sma":
            base = sma_base(self.closes, n)
            return None if base is None else sma_live(base, price, n)
        base = ema_base(self.closes, n)
        return None if base is None else ema_step(base, price, n)

    def rsi(self, n: int, price: float) -> float | None:
        state = rsi_base(self.closes, n)
        if state is None:
            return None
        return rsi_value(*rsi_step(state[0], state[1], price - self.closes[-1], n))

    def fires(self, rules: list[dict], price: float, last: float | None,
              every: list[dict] | None = None) -> set[int]:
        """The ids of ``rules`` that fire; averages follow the rules in ``every`` (the
        index keeps a moving average's last difference while its rules are out)."""
        out = set()
        averages: dict[tuple[str, int], float | None] = {}
        for key in {(MA_CONDITIONS[r["condition"]][1], int(r["threshold"]))
                    for r in (every or rules) if r["condition"] in MA_CONDITIONS}:
            averages[key] = self.average(key[0], key[1], price)
        prev_diffs = dict(self.diffs)
        for key, avg in averages.items():
            if avg is not None:
                self.diffs[key] = price - avg
        for r in rules:
            c, th = r["condition"], r["threshold"]
            if c in MA_CONDITIONS:
                test, kind = MA_CONDITIONS[c]
                avg = averages[(kind, int(th))]
                if avg is None:
                    continue
                now, before = price - avg, prev_diffs.get((kind, int(th)))
                up = before is not None and before < 0 <= now
                down = before is not None and before > 0 >= now
                hit = {"above": now >= 0, "below": now <= 0, "cross_above": up,
                       "cross_below": down, "cross": up or down}[test]
            elif c in ("rsi_above", "rsi_below"):
                rsi = self.rsi(period_of(c, th, r["period"]) or 0, price)
                hit = rsi is not None and (rsi >= th if c == "rsi_above" else rsi <= th)
            elif c == "volume_spike":
                avg = volume_base(self.volumes, period_of(c, th, r["period"]) or 0)
                hit = bool(avg) and self.day_volume / avg >= th
            elif c.endswith("_from_close"):
                if not self.closes:
                    continue
                close = self.closes[-1]
                move = {"up_pct_from_close": (price / close - 1.0) * 100.0,
                        "down_pct_from_close": (1.0 - price / close) * 100.0,
                        "up_from_close": price - close, "down_from_close": close - price}[c]
                hit = move >= th
            else:
                lo, hi = th, r["upper"]
                inside = lo <= price <= hi
                was = last is not None and lo <= last <= hi
                hit = {"inside_channel": inside, "outside_channel": not inside,
                       "entering_channel": last is not None and inside and not was,
                       "exiting_channel": last is not None and was and not inside}[c]
            if hit:
                out.add(r["id"])
        return out


def random_rule(rng: random.Random, rule_id: int, condition: str, price: float) -> dict:
    rule = {"id": rule_id, "condition": condition, "period": None, "upper": None}
    if condition in MA_CONDITIONS:
        rule["threshold"] = float(rng.choice([5, 10, 20, 50]))
    elif condition.startswith("rsi"):
        rule["threshold"] = float(rng.randint(20, 80))
        rule["period"] = rng.choice([None, 7, 14])
    elif condition == "volume_spike":
        rule["threshold"] = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])
        rule["period"] = rng.choice([None, 5, 10])
    elif condition.endswith("_from_close"):  # a move of 0.2-3 % (or as many dollars)
        pct = rng.choice([0.2, 0.5, 1.0, 2.0, 3.0])
        rule["threshold"] = pct if "_pct_" in condition else round(price * pct / 100, 2)
    else:
        lo = price * rng.uniform(0.9, 1.05)
        rule["threshold"], rule["upper"] = lo, lo * rng.uniform(1.01, 1.1)
    return rule


@pytest.mark.parametrize("seed", range(6))
def test_every_operator_fires_like_the_naive_evaluator(seed: int):
    rng = random.Random(seed)
    first_day = date(2026, 1, 2)
    price = 100.0
    bars = []
    for i in range(80):
        price *= 1 + rng.gauss(0, 0.02)
        bars.append(((first_day + timedelta(days=i)).isoformat(), price,
                     float(rng.randint(1_000, 5_000))))
    now = START
    rules = [random_rule(rng, i + 1, c, price)
             for i, c in enumerate(sorted(OPERATORS) * 4)]
    index = OperatorIndex(lambda symbol: NY)
    for r in rules:
        index.add(r["id"], "AAPL", r["condition"], r["threshold"], r["period"], r["upper"])
    assert set(index.unseeded()) == {"AAPL"}
    index.seed("AAPL", bars, now)
    naive = Naive(bars, now)
    ts, last, seen = now, None, set()
    for _ in range(3000):
        ts += rng.expovariate(1 / 600)  # ~ 6 days of ticks: several sessions roll
        price *= 1 + rng.gauss(0, 0.004)
        volume = float(rng.randint(0, 40))
        naive.tick(price, ts, volume)
        expected = naive.fires(rules, price, last)
        got = index.evaluate("AAPL", price, ts, volume)
        assert len(got) == len(set(got))
        assert set(got) == expected, (ts, price)
        seen |= expected
        last = price
    fired_kinds = {r["condition"] for r in rules if r["id"] in seen}
    assert len(fired_kinds) >= len(OPERATORS) - 2, set(OPERATORS) - fired_kinds  # (nearly) all


@pytest.mark.parametrize("seed", range(4))
def test_rules_taken_out_when_they_fire_and_put_back_later_like_the_engine(seed: int):
    """What the engine does (a rule that fired leaves the index, a cooldown later it is
    back): most ticks then fall in the quiet band, which must hide no firing."""
    rng = random.Random(100 + seed)
    first_day = date(2026, 1, 2)
    price = 100.0
    bars = []
    for i in range(80):
        price *= 1 + rng.gauss(0, 0.02)
        bars.append(((first_day + timedelta(days=i)).isoformat(), price,
                     float(rng.randint(1_000, 5_000))))
    rules = [random_rule(rng, i + 1, c, price) for i, c in enumerate(sorted(OPERATORS) * 3)]
    index = OperatorIndex(lambda symbol: NY)
    for r in rules:
        index.add(r["id"], "AAPL", r["condition"], r["threshold"], r["period"], r["upper"])
    index.seed("AAPL", bars, START)
    naive = Naive(bars, START)
    armed = {r["id"]: r for r in rules}
    back: list[tuple[int, dict]] = []  # (tick number, rule) to put back
    ts, last, fired_total, quiet = START, None, 0, 0
    book = index.books["AAPL"]
    for step in range(6000):
        ts += rng.expovariate(1 / 120)
        price *= 1 + rng.gauss(0, 0.002)
        volume = float(rng.randint(0, 10))
        while back and back[0][0] <= step:
            r = back.pop(0)[1]
            armed[r["id"]] = r
            index.add(r["id"], "AAPL", r["condition"], r["threshold"], r["period"], r["upper"])
        naive.tick(price, ts, volume)
        expected = naive.fires(list(armed.values()), price, last, every=rules)
        quiet += book.lo < price < book.hi
        got = index.evaluate("AAPL", price, ts, volume)
        assert sorted(got) == sorted(expected), (step, price)
        for rule_id in got:
            r = armed.pop(rule_id)
            index.remove(rule_id, "AAPL", r["condition"], r["threshold"], r["period"],
                         r["upper"])
            back.append((step + rng.randint(1, 400), r))
        back.sort(key=lambda b: b[0])
        fired_total += len(got)
        last = price
    assert fired_total > 100 and quiet > 600, (fired_total, quiet)  # it fired; often quiet


def test_indicators_stay_silent_until_seeded_and_removal_works():
    index = OperatorIndex(lambda symbol: NY)
    index.add(1, "TSLA", "above_sma", 5)
    index.add(2, "TSLA", "inside_channel", 90.0, upper=110.0)
    assert index.evaluate("TSLA", 100.0, START) == [2]  # a channel needs no history
    index.seed("TSLA", [(f"2026-01-0{d}", 50.0, 1.0) for d in range(1, 8)], START)
    assert sorted(index.evaluate("TSLA", 100.0, START + 1)) == [1, 2]
    assert index.remove(1, "TSLA", "above_sma", 5) and index.remove(2, "TSLA",
                                                                    "inside_channel", 90.0)
    assert index.evaluate("TSLA", 100.0, START + 2) == []


def test_a_series_rolls_sessions_at_midnight_on_the_exchange_clock():
    s = Series(NY)
    s.want("sma", 3)
    s.seed([("2026-01-01", 10.0, 100.0), ("2026-01-02", 20.0, 100.0)], START)
    assert s.sma_now(3, 30.0) == 20.0
    s.tick(40.0, START + 60, 5.0)
    s.tick(60.0, START + 86400, 5.0)  # the next day: 40 closed the session
    assert s.closes[-1] == 40.0 and s.sma_now(3, 0.0) == 20.0


async def test_indicator_alerts_through_the_tool_the_seeding_and_the_engine(settings):
    from agent.runtime import open_runtime
    from core.auth import Caller
    from core.errors import InvalidInput
    from core.market import Tick
    from tools.alerts.models import Firing

    owner = Caller.local_owner()
    async with open_runtime(settings) as rt:
        made = await rt.run_tool("create_alert", {"symbol": "AAPL", "condition": "above_sma",
                                                  "threshold": 20}, owner)
        assert made["created"] and "AAPL at or above its 20-session SMA" in made["summary"]
        with pytest.raises(InvalidInput, match="an RSI level is between 0 and 100"):
            await rt.run_tool("create_alert", {"symbol": "AAPL", "condition": "rsi_below",
                                               "threshold": 101}, owner)
        band = await rt.run_tool("create_alert", {"symbol": "AAPL",
                                                  "condition": "entering_channel",
                                                  "threshold": 1, "upper": 2}, owner)
        assert band["created"] and "AAPL enters $1.00–$2.00" in band["summary"]
        engine = rt.alerts.engine
        assert set(engine.operators.unseeded()) == {"AAPL"}
        assert await rt.alerts.seed_indicators() == ["AAPL"]
        series = engine.operators.books["AAPL"].series
        base = series.sma[20]
        assert base is not None and engine.operators.unseeded() == {}
        price = base / 19 * 3  # far above the 20-session average
        fired = engine.process(Tick(symbol="AAPL", price=price, ts=rt.clock()))
        assert [f.rule_id for f in fired] == [made["alert_id"]]
        from sqlmodel import Session, select
        with Session(rt.kernel.db) as s:
            message = s.exec(select(Firing)).one().message
        assert "its 20-session SMA" in message and "SMA(20)" in message


def test_the_cli_adds_and_edits_indicator_alerts(settings):
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["alerts", "add", "TSLA", "rsi_above", "70", "--period", "9"])
    assert made.exit_code == 0, made.output
    assert "TSLA RSI(9) at or above 70" in made.output
    band = runner.invoke(app, ["alerts", "add", "AAPL", "exiting_channel", "210",
                               "--upper", "190"])
    assert band.exit_code == 0 and "AAPL exits $190.00–$210.00" in band.output
    edited = runner.invoke(app, ["alerts", "edit", "1", "--threshold", "75"])
    assert edited.exit_code == 0 and "RSI(9) at or above 75" in edited.output
    bad = runner.invoke(app, ["alerts", "add", "AAPL", "inside_channel", "190"])
    assert bad.exit_code != 0 and "a channel needs" in bad.output
    assert "Traceback" not in bad.output


@pytest.mark.parametrize(("message", "args"), [
    ("alert me when RSI on TSLA goes above 70",
     {"symbol": "TSLA", "condition": "rsi_above", "threshold": 70.0}),
    ("tell me when AAPL crosses its 50-day moving average",
     {"symbol": "AAPL", "condition": "cross_sma", "threshold": 50.0}),
    ("volume spike on NVDA 3x alert",
     {"symbol": "NVDA", "condition": "volume_spike", "threshold": 3.0}),
    ("alert me when AAPL leaves the 190-210 range",
     {"symbol": "AAPL", "condition": "exiting_channel", "threshold": 190.0, "upper": 210.0}),
    ("ping me if MSFT crosses above the 20 ema",
     {"symbol": "MSFT", "condition": "cross_above_ema", "threshold": 20.0}),
])
async def test_the_offline_model_reads_indicator_requests_as_indicator_alerts(
        settings, message, args):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        turn = await rt.ask(message)
        assert [(c["name"], c["args"]) for c in turn.tool_calls] == [("create_alert", args)]


async def test_an_indicator_request_missing_a_part_is_asked_never_a_price_alert(settings):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        for message in ("tell me when AAPL crosses its moving average",
                        "alert me on a volume spike on NVDA", "alert me when MACD on AAPL crosses"):
            turn = await rt.ask(message)
            assert turn.tool_calls == [], message
            assert "?" in turn.answer or "can't" in turn.answer
