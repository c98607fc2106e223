"""The engine over every operator: 10,000 rules spread over all 31 conditions (levels,
crossings, moves, SMA/EMA, RSI, volume spikes, channels, moves from the close) vs the same
number of price-only rules (the mix `bench/alerts.py` has always used: 95 % levels, 5 %
moves; and the 10 price conditions evenly), measured in the same run on the same ticks,
then each operator alone (10,000 rules of it) for its cost per tick.

    .venv/bin/python bench/alert_operators.py [--rules 10000] [--symbols 500]
                                              [--ticks 300000] [--operator-ticks 50000]
    (or: .venv/bin/python bench/alerts.py --operators ...)

One process pinned to one core (sched_setaffinity where the OS has it). The three mixes
run twice: one tick per ``process`` call (one outbox commit per firing tick: the figure
this bench has always printed) and in batches of ``TICK_BATCH`` through ``handle_many``,
the bus handler `copilot run` feeds (one commit per batch with firings). Indicator rules
are seeded with 250 daily bars per symbol before the clock starts, as `copilot run` does
when the first indicator rule on a symbol arrives; ticks carry a volume. Firings commit to
a SQLite outbox as in production, so an operator that fires often costs its writes too.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from core.market import Tick  # noqa: E402
from core.storage import make_engine  # noqa: E402
from tools.alerts.capability import AlertsCapability  # noqa: E402
from tools.alerts.engine import TICK_BATCH, AlertEngine  # noqa: E402
from tools.alerts.models import AlertRule, Condition  # noqa: E402
from tools.alerts.operators import OPERATORS  # noqa: E402

T0 = 1795530600.0  # 2026-11-24 14:30 UTC, a session in progress
PRICE_ONLY = ["above", "below", "cross_above", "cross_below", "cross", "pct_change",
              "moving_up_pct", "moving_down_pct", "moving_up", "moving_down"]
ALL = [c.value for c in Condition]


def rule_for(cond: str, sym: str, base: float, rng: random.Random) -> AlertRule:
    """A plausible rule: levels 2-15 % away, moves of 0.5-3 %, averages of 20/50/200
    sessions, RSI 30/70, spikes of 2-4x, channels ±3-10 % around the price, moves of 1-5 %
    from the previous close."""
    kw: dict = {"symbol": sym, "condition": cond, "cooldown_s": 300, "targets": "console",
                "created_at": 0, "frequency": rng.choice(["once", "every_time", "once_per_day"])}
    if cond in ("above", "cross_above", "below", "cross_below", "cross"):
        sign = {"above": 1, "cross_above": 1, "below": -1, "cross_below": -1}.get(
            cond, rng.choice([1, -1]))
        kw["threshold"] = round(base * (1 + rng.uniform(0.02, 0.15) * sign), 2)
    elif cond in ("pct_change", "moving_up_pct", "moving_down_pct"):
        kw.update(threshold=rng.choice([0.5, 1, 2, 3]), window_minutes=rng.choice([5, 15, 60]))
    elif cond in ("moving_up", "moving_down"):
        kw.update(threshold=round(base * rng.choice([0.005, 0.01, 0.02]), 2),
                  window_minutes=rng.choice([5, 15, 60]))
    elif cond.endswith(("_sma", "_ema")):
        kw["threshold"] = rng.choice([20, 50, 200])
    elif cond.startswith("rsi_"):
        kw.update(threshold=70 if cond == "rsi_above" else 30, period=14)
    elif cond == "volume_spike":
        kw.update(threshold=rng.choice([2, 3, 4]), period=20)
    elif cond.endswith("_from_close"):  # 1-5 % (or as many dollars) from the close
        pct = rng.choice([1, 2, 3, 5])
        kw["threshold"] = pct if "_pct_" in cond else round(base * pct / 100, 2)
    else:  # channels
        width = rng.uniform(0.03, 0.10)
        kw.update(threshold=round(base * (1 - width), 2), upper=round(base * (1 + width), 2))
    return AlertRule(**kw)


def make_ticks(n: int, symbols: list[str], base: dict[str, float], rng: random.Random):
    prices = dict(base)
    ticks = []
    for i in range(n):
        sym = symbols[rng.randrange(len(symbols))]
        prices[sym] *= math.exp(rng.gauss(0, 0.004))
        ticks.append(Tick.model_construct(symbol=sym, price=round(prices[sym], 2),
                                          ts=T0 + i * 0.002, volume=float(rng.randrange(1, 500))))
    return ticks


def bars(base: float, rng: random.Random) -> list[tuple[str, float, float]]:
    day0 = datetime.fromtimestamp(T0, UTC).date()
    price, out = base, []
    for k in range(250, 0, -1):
        price *= math.exp(rng.gauss(0, 0.015))
        out.append(((day0 - timedelta(days=k)).isoformat(), round(price, 2),
                    float(rng.randrange(500_000, 2_000_000))))
    return out


def measure(tmp: str, name: str, conditions: list[str] | None, n_rules: int,
            symbols: list[str], base: dict[str, float], ticks: list, batch: int = 1) -> dict:
    """``conditions`` None: bench/alerts.py's price-only mix (95 % levels, 5 % moves)."""
    sql = make_engine(f"sqlite:///{tmp}/{name}.db", AlertsCapability.tables)
    rng = random.Random(7)
    if conditions is None:
        from bench.alerts import make_rules

        make_rules(sql, n_rules, symbols, base, rng)
    else:
        with Session(sql) as s:
            for i in range(n_rules):
                sym = symbols[i % len(symbols)]
                s.add(rule_for(conditions[i % len(conditions)], sym, base[sym], rng))
            s.commit()
    engine = AlertEngine(sql, clock=lambda: T0)
    engine.load()
    seed_rng = random.Random(11)
    for sym in list(engine.operators.books):
        engine.operators.seed(sym, bars(base[sym], seed_rng), T0)
    perf = time.perf_counter
    writing = [0.0]
    write = engine.outbox.write

    def timed_write(rows, now):  # the outbox commits, to tell them from evaluation
        t = perf()
        try:
            return write(rows, now)
        finally:
            writing[0] += perf() - t

    engine.outbox.write = timed_write  # type: ignore[method-assign]
    if batch > 1:
        async def feed() -> float:
            handle, t = engine.handle_many, perf()
            for i in range(0, len(ticks), batch):
                await handle(ticks[i:i + batch])
            return perf() - t

        total = asyncio.run(feed())
    else:
        start = perf()
        for tick in ticks:
            engine.process(tick)
        total = perf() - start
    result = {"rate": len(ticks) / total, "us": total / len(ticks) * 1e6,
              "eval_us": (total - writing[0]) / len(ticks) * 1e6,
              "firings": engine.firings, "n": len(ticks)}
    engine.close()
    sql.dispose()
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=10_000)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--ticks", type=int, default=300_000)
    ap.add_argument("--operator-ticks", type=int, default=50_000)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rng = random.Random(42)
    symbols = [f"S{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}{chr(65 + i // 676)}"
               for i in range(args.symbols)]
    base = {s: rng.uniform(10, 500) for s in symbols}
    ticks = make_ticks(args.ticks, symbols, base, rng)
    short = ticks[:args.operator_ticks]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        baseline = measure(tmp, "baseline", None, args.rules, symbols, base, ticks)
        price = measure(tmp, "price_only", PRICE_ONLY, args.rules, symbols, base, ticks)
        mixed = measure(tmp, "every_operator", ALL, args.rules, symbols, base, ticks)
        batched = {label: measure(tmp, f"{label}_batched", conds, args.rules, symbols, base,
                                  ticks, batch=TICK_BATCH)
                   for label, conds in (("baseline", None), ("price", PRICE_ONLY),
                                        ("mixed", ALL))}
        empty = measure(tmp, "no_rules", ALL, 0, symbols, base, short)
        alone = {c: measure(tmp, f"only_{c}", [c], args.rules, symbols, base, short)
                 for c in ALL}
    print(f"{args.rules:,} rules over {args.symbols} symbols, {args.ticks:,} ticks; SQLite "
          "outbox; one core")
    print("µs/tick: all of it; eval µs: without the outbox commits of the firings")
    print(f"{'rule mix':<36} {'ticks/s':>10} {'µs/tick':>8} {'eval µs':>8} {'firings':>8} "
          f"{'batched ticks/s':>16} {'µs/tick':>8} {'firings':>8}")
    for label, r, b in (("baseline: bench/alerts.py's price mix", baseline, batched["baseline"]),
                        (f"price-only, {len(PRICE_ONLY)} conditions evenly", price,
                         batched["price"]),
                        (f"every operator, {len(ALL)} conditions evenly", mixed,
                         batched["mixed"])):
        print(f"{label:<36} {r['rate']:>10,.0f} {r['us']:>8.2f} {r['eval_us']:>8.2f} "
              f"{r['firings']:>8,} {b['rate']:>16,.0f} {b['us']:>8.2f} {b['firings']:>8,}")
    print(f"(batched: {TICK_BATCH} ticks per handle_many call, as the bus hands them to "
          f"the engine in `copilot run`; goal >= 250,000 ticks/s over every operator)")
    print(f"\neach operator alone: {args.rules:,} rules of it, {args.operator_ticks:,} ticks; "
          f"cost = eval µs/tick above an engine with no rules ({empty['eval_us']:.2f} µs)")
    print(f"{'operator':<18} {'kind':<10} {'ticks/s':>10} {'µs/tick':>8} {'eval µs':>8} "
          f"{'cost µs':>8} {'firings':>8}")
    for c, r in alone.items():
        kind = "indicator" if c in OPERATORS and not c.endswith("channel") else (
            "channel" if c in OPERATORS else "price")
        print(f"{c:<18} {kind:<10} {r['rate']:>10,.0f} {r['us']:>8.2f} {r['eval_us']:>8.2f} "
              f"{r['eval_us'] - empty['eval_us']:>8.2f} {r['firings']:>8,}")


if __name__ == "__main__":
    main()
