"""Alert engine throughput and tick-to-outbox latency vs a naive scan of all rules.

    .venv/bin/python bench/alerts.py [--rules 10000] [--symbols 500] [--ticks 1000000]
                                     [--naive-ticks 20000]
    .venv/bin/python bench/alerts.py --operators   (bench/alert_operators.py: every
                                     operator, 31 conditions, vs price-only rules)

Both engines share everything but evaluation: the same rules, the same ticks, the same
outbox writes to a SQLite file (a firing commits its firing, delivery and rule rows before
`process` returns, so latency is tick-to-outbox). The naive engine checks every rule on
every tick (all ten conditions, each window's low and high found by scanning the price
history; the same frequencies and timers); it runs on the first --naive-ticks ticks, and
the indexed engine runs those same ticks again (rows marked *) so the speed-up compares
like with like; they must fire the same rules on the same ticks. Ticks are pre-built
objects, so their construction is not timed. One process, one core.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402

from core.storage import make_engine  # noqa: E402
from tools.alerts.capability import AlertsCapability  # noqa: E402
from tools.alerts.engine import AlertEngine  # noqa: E402
from tools.alerts.index import fall_pct, pct_move, rise_pct  # noqa: E402
from tools.alerts.models import AlertRule  # noqa: E402


@dataclass(slots=True)
class T:
    symbol: str
    price: float
    ts: float


def naive_fires(condition: str, threshold: float, price: float, last: float | None,
                low: float, high: float) -> bool:
    """Every condition from first principles: what the index must agree with. ``low`` and
    ``high`` are the rule's window's extremes, this price included."""
    c, th, p = condition, threshold, price
    if c == "above":
        return p >= th
    if c == "below":
        return p <= th
    if c in ("cross_above", "cross_below", "cross"):
        up = last is not None and last < th <= p
        down = last is not None and p <= th < last
        return up if c == "cross_above" else down if c == "cross_below" else up or down
    if c == "pct_change":
        return pct_move(p, low, high) >= th
    if c == "moving_up_pct":
        return rise_pct(p, low) >= th
    if c == "moving_down_pct":
        return fall_pct(p, high) >= th
    if c == "moving_up":
        return p - low >= th
    if c == "moving_down":
        return high - p >= th
    raise ValueError(c)


class NaiveEngine(AlertEngine):
    """Scans every rule on every tick (what a cron job over all rules does) and computes
    each window's low and high by scanning that symbol's price history — no index, no
    deques — with the same frequencies, timers and outbox as the indexed engine."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history: dict[str, list[tuple[float, float]]] = {}
        self.last: dict[str, float] = {}
        self.longest = 0.0  # seconds of history any rule may need

    def _admit(self, rule, now):
        if rule.window_minutes:
            self.longest = max(self.longest, rule.window_minutes * 60.0)
        super()._admit(rule, now)

    def _candidates(self, tick):
        p, ts = tick.price, tick.ts
        last = self.last.get(tick.symbol)
        self.last[tick.symbol] = p
        hist = self.history.setdefault(tick.symbol, [])
        hist.append((ts, p))
        while hist and hist[0][0] < ts - self.longest:
            hist.pop(0)
        extremes: dict[int, tuple[float, float]] = {}
        fired = []
        for v in self.rules.values():
            if v.symbol != tick.symbol or not v.indexed:
                continue
            low = high = p
            if v.window_minutes:
                minutes = v.window_minutes
                if minutes not in extremes:
                    inside = [q for t, q in hist if t >= ts - minutes * 60.0]
                    extremes[minutes] = (min(inside), max(inside))
                low, high = extremes[minutes]
            if naive_fires(v.condition, v.threshold, p, last, low, high):
                fired.append(v.id)
        return fired

    def _index(self, v):  # the naive engine keeps no index, only the armed flag
        v.indexed = True

    def _unindex(self, v):
        v.indexed = False


LEVELS = ["above", "below", "cross_above", "cross_below", "cross"]
MOVES = [("pct_change", (1, 2, 3)), ("moving_up_pct", (0.5, 1, 2)),
         ("moving_down_pct", (0.5, 1, 2)), ("moving_up", (0.5, 1, 2)),
         ("moving_down", (0.5, 1, 2))]


def make_rules(sql, n_rules, symbols, base, rng):
    freqs = ["once"] * 6 + ["every_time"] * 3 + ["once_per_day"]
    with Session(sql) as s:
        for i in range(n_rules):
            sym = symbols[i % len(symbols)]
            if rng.random() < 0.05:  # moves: % either way or one way, or dollars
                cond, sizes = rng.choice(MOVES)
                size = rng.choice(sizes) * (base[sym] / 100 if cond in ("moving_up",
                                                                         "moving_down") else 1)
                s.add(AlertRule(symbol=sym, condition=cond, threshold=round(size, 2),
                                window_minutes=rng.choice([5, 15, 60]), frequency="every_time",
                                cooldown_s=300, targets="console", created_at=0))
                continue
            cond = rng.choice(LEVELS)
            sign = {"above": 1, "cross_above": 1, "below": -1, "cross_below": -1}.get(
                cond, rng.choice([1, -1]))
            offset = rng.uniform(0.02, 0.15) * sign
            s.add(AlertRule(symbol=sym, condition=cond, threshold=round(base[sym] * (1 + offset), 2),
                            frequency=rng.choice(freqs), cooldown_s=300, targets="console",
                            created_at=0))
        s.commit()


def make_ticks(n, symbols, base, rng):
    prices = dict(base)
    ticks = []
    t0 = 1795530600.0
    for i in range(n):
        sym = symbols[rng.randrange(len(symbols))]
        prices[sym] *= math.exp(rng.gauss(0, 0.004))
        ticks.append(T(sym, round(prices[sym], 2), t0 + i * 0.002))
    return ticks


def run(engine, ticks):
    lat = []
    perf = time.perf_counter
    start = perf()
    for tick in ticks:
        t = perf()
        engine.process(tick)
        lat.append(perf() - t)
    total = perf() - start
    lat.sort()
    return {"rate": len(ticks) / total, "p50": lat[len(lat) // 2] * 1e3,
            "p99": lat[int(len(lat) * 0.99)] * 1e3, "firings": engine.firings, "n": len(ticks)}


def main() -> None:
    if "--operators" in sys.argv:  # every operator vs price-only rules, and each one's cost
        sys.argv.remove("--operators")
        from bench.alert_operators import main as operators

        return operators()
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=10_000)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--ticks", type=int, default=1_000_000)
    ap.add_argument("--naive-ticks", type=int, default=20_000)
    args = ap.parse_args()
    rng = random.Random(42)
    symbols = [f"S{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}{chr(65 + i // 676)}"
               for i in range(args.symbols)]
    base = {s: rng.uniform(10, 500) for s in symbols}
    ticks = make_ticks(args.ticks, symbols, base, rng)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        for name, cls, n in (("indexed", AlertEngine, args.ticks),
                             ("indexed*", AlertEngine, args.naive_ticks),
                             ("naive scan*", NaiveEngine, args.naive_ticks)):
            sql = make_engine(f"sqlite:///{tmp}/{name.replace(' ', '_')}.db", AlertsCapability.tables)
            make_rules(sql, args.rules, symbols, base, random.Random(7))
            start_ts = ticks[0].ts
            engine = cls(sql, clock=lambda start_ts=start_ts: start_ts)
            engine.load()
            results[name] = run(engine, ticks[:n])
            with sql.connect() as conn:  # which rule fired on which tick, not just how many
                results[name]["fired"] = set(conn.exec_driver_sql(
                    "SELECT rule_id, tick_ts FROM alert_firings").all())
            engine.close()
            sql.dispose()
    print(f"{args.rules:,} rules over {args.symbols} symbols; SQLite outbox; one core")
    print(f"{'engine':<12} {'ticks':>9} {'ticks/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'firings':>8}")
    for name, r in results.items():
        print(f"{name:<12} {r['n']:>9,} {r['rate']:>11,.0f} {r['p50']:>8.4f} {r['p99']:>8.4f} "
              f"{r['firings']:>8,}")
    same = results["indexed*"]["rate"] / results["naive scan*"]["rate"]
    agree = results["indexed*"]["fired"] == results["naive scan*"]["fired"]
    print(f"same firings on the same ticks: {'yes' if agree else 'NO'}")
    print(f"speed-up on the same {args.naive_ticks:,} ticks (*): {same:,.0f}x ticks/s; "
          f"full run vs naive: {results['indexed']['rate'] / results['naive scan*']['rate']:,.0f}x")


if __name__ == "__main__":
    main()
