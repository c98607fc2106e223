"""Alert engine throughput and tick-to-outbox latency vs a naive scan of all rules.

    .venv/bin/python bench/alerts.py [--rules 10000] [--symbols 500] [--ticks 1000000]
                                     [--naive-ticks 20000]

Both engines share everything but evaluation: the same rules, the same ticks, the same
outbox writes to a SQLite file (a firing commits its firing, delivery and rule rows before
`process` returns, so latency is tick-to-outbox). The naive engine checks every rule on
every tick (all five conditions, the same windows and frequencies); it runs on the first
--naive-ticks ticks, and the indexed engine runs those same ticks again (rows marked *)
so the speed-up compares like with like; their firing counts must be equal. Ticks are
pre-built objects, so their construction is not timed. One process, one core.
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
from tools.alerts.models import AlertRule  # noqa: E402


@dataclass(slots=True)
class T:
    symbol: str
    price: float
    ts: float


class NaiveEngine(AlertEngine):
    """Scans every rule on every tick (what a cron job over all rules does), with the same
    conditions, windows, frequencies and outbox as the indexed engine."""

    def process(self, tick):  # type: ignore[override]
        from tools.alerts.index import MoveWindow

        self.ticks += 1
        if self._timers and self._timers[0][0] <= tick.ts:
            self._run_timers(tick.ts)
        book = self.index._book(tick.symbol)
        last = book.last
        book.last = tick.price
        p = tick.price
        moves: dict[int, float] = {}
        fired = []
        for v in self.rules.values():
            if v.symbol != tick.symbol:
                continue
            c, th = v.condition, v.threshold
            if c == "pct_change":  # windows update on every tick, armed or not
                minutes = v.window_minutes or 60
                if minutes not in moves:
                    window = book.windows.get(minutes)
                    if window is None:
                        window = book.windows[minutes] = MoveWindow(minutes)
                    moves[minutes] = window.update(p, tick.ts)
                if v.indexed and moves[minutes] >= th:
                    fired.append(v.id)
                continue
            if not v.indexed:
                continue
            if (c == "above" and p >= th) or (c == "below" and p <= th) or (
                last is not None and ((c == "cross_above" and last < th <= p)
                                      or (c == "cross_below" and p <= th < last))):
                fired.append(v.id)
        return self._fire(fired, tick) if fired else []

    def _index(self, v):  # the naive engine keeps no index, only the armed flag
        v.indexed = True

    def _unindex(self, v):
        v.indexed = False


def make_rules(sql, n_rules, symbols, base, rng):
    conds = ["above", "below", "cross_above", "cross_below"]
    freqs = ["once"] * 6 + ["every_time"] * 3 + ["once_per_day"]
    with Session(sql) as s:
        for i in range(n_rules):
            sym = symbols[i % len(symbols)]
            cond = rng.choice(conds)
            if rng.random() < 0.05:
                s.add(AlertRule(symbol=sym, condition="pct_change", threshold=rng.choice([1, 2, 3]),
                                window_minutes=rng.choice([5, 15, 60]), frequency="every_time",
                                cooldown_s=300, targets="console", created_at=0))
                continue
            offset = rng.uniform(0.02, 0.15) * (1 if cond in ("above", "cross_above") else -1)
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
            sql.dispose()
    print(f"{args.rules:,} rules over {args.symbols} symbols; SQLite outbox; one core")
    print(f"{'engine':<12} {'ticks':>9} {'ticks/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'firings':>8}")
    for name, r in results.items():
        print(f"{name:<12} {r['n']:>9,} {r['rate']:>11,.0f} {r['p50']:>8.4f} {r['p99']:>8.4f} "
              f"{r['firings']:>8,}")
    same = results["indexed*"]["rate"] / results["naive scan*"]["rate"]
    agree = results["indexed*"]["firings"] == results["naive scan*"]["firings"]
    print(f"same firings on the same ticks: {'yes' if agree else 'NO'}")
    print(f"speed-up on the same {args.naive_ticks:,} ticks (*): {same:,.0f}x ticks/s; "
          f"full run vs naive: {results['indexed']['rate'] / results['naive scan*']['rate']:,.0f}x")


if __name__ == "__main__":
    main()
