"""The `copilot run` tick path end to end, and what a rule change costs a running engine.

    .venv/bin/python bench/pipeline.py [--rules 10000] [--symbols 500] [--ticks 400000]
                                       [--chunk 100] [--change-rules 100000] [--changes 300]

1. Pipeline: a tick source -> ``TickPump`` -> the event bus -> the quote cache and the alert
   engine -> the outbox (a SQLite file), wired as the market and alerts capabilities wire
   them, on one core. The source hands over pre-built ticks ``--chunk`` at a time (a
   websocket message of trades), yielding to the loop between chunks. Ticks/s counts from
   the first tick to the last firing committed; latency is from the tick leaving the
   source to the engine having evaluated it (every tick) and to its firings committed in
   the outbox (ticks that fire, measured apart). Baseline, measured in the same run on the
   same ticks and rules: the old path (``asyncio.Queue`` per subscriber, one tick per
   handler call, one outbox commit per firing tick, the quote cache parsing and dumping
   the quote's JSON with pydantic on every tick). Both must fire the same rules on the same
   ticks.
2. Rule changes at --change-rules rules: creates, threshold and condition edits, snoozes,
   unsnoozes, deletes and restores made by another process (the CLI), applied by the
   running engine from the change log (``read_changes`` + ``apply_changes``), and the same
   change made in this process (``AlertEngine.add``). Baselines: re-reading and comparing
   every rule (what the engine did on any change) and a full reload.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import structlog  # noqa: E402
from alerts import make_rules  # noqa: E402  (bench/alerts.py)
from sqlalchemy import insert  # noqa: E402

from core.bus import InProcessBus  # noqa: E402
from core.events import TICKS  # noqa: E402
from core.market import Quote, Tick  # noqa: E402
from core.storage import make_engine  # noqa: E402
from tools.alerts.capability import AlertsCapability  # noqa: E402
from tools.alerts.engine import AlertEngine, Batch, FiredAlert  # noqa: E402
from tools.alerts.models import AlertRule  # noqa: E402
from tools.alerts.service import AlertService  # noqa: E402
from tools.market.capability import MarketCapability  # noqa: E402
from tools.market.providers.offline import OfflineProvider  # noqa: E402
from tools.market.service import MarketService  # noqa: E402
from tools.market.ticks import TICK_BATCH, TICK_QUEUE, TickPump  # noqa: E402

T0 = 1795530600.0
OLD_QUEUE = 100_000  # the old bus's size per subscriber (it dropped beyond)


# ---- the old path, kept here as the baseline ----------------------------------------
class OldBus:
    """The bus before #19: an ``asyncio.Queue`` per subscriber, one event per handler call,
    ``publish`` a coroutine."""

    def __init__(self) -> None:
        self.subs: list[tuple[asyncio.Queue[Any], Callable[[Any], Any]]] = []
        self.tasks: list[asyncio.Task[None]] = []

    def subscribe(self, topic: str, handler: Callable[[Any], Any], **_: Any) -> Callable[[], None]:
        queue: asyncio.Queue[Any] = asyncio.Queue(OLD_QUEUE)
        self.subs.append((queue, handler))

        async def work() -> None:
            while True:
                queued_at, payload = await queue.get()
                try:
                    result = handler(payload)
                    if inspect.isawaitable(result):
                        await result
                finally:
                    queue.task_done()
                    time.perf_counter() - queued_at  # the lag the stats kept

        self.tasks.append(asyncio.get_running_loop().create_task(work()))
        return lambda: None

    async def publish(self, topic: str, payload: Any) -> None:
        now = time.perf_counter()
        if topic == TICKS:
            for queue, _ in self.subs:
                queue.put_nowait((now, payload))

    async def drain(self) -> None:
        for queue, _ in self.subs:
            await queue.join()

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def old_on_tick(svc: MarketService) -> Callable[[Tick], None]:
    """The quote cache's tick handler before #19: parse, update, dump on every tick."""
    import math

    def on_tick(tick: Tick) -> None:
        if not (math.isfinite(tick.price) and tick.price > 0 and math.isfinite(tick.ts)):
            return
        key = f"quote:{tick.symbol}"
        cached = svc.cache.get(key)
        if cached is None:
            return
        quote = Quote.model_validate_json(cached.value)
        prev = quote.prev_close or quote.price
        quote.price = tick.price
        quote.change = round(tick.price - prev, 4)
        quote.change_pct = round((tick.price - prev) / prev * 100, 4) if prev else 0.0
        quote.as_of = datetime.fromtimestamp(tick.ts, UTC)
        svc.cache._memo[key].value = quote.model_dump_json()
        svc.cache._memo[key].fetched_at = svc.clock()

    return on_tick


# ---- the pipeline -------------------------------------------------------------------
class Source:
    """Pre-built ticks, ``chunk`` at a time; notes when each left."""

    def __init__(self, ticks: list[Tick], chunk: int) -> None:
        self.all, self.chunk = ticks, chunk
        self.sent_at: dict[int, float] = {}

    async def ticks(self, symbols: list[str]) -> AsyncIterator[Tick]:
        perf, sent = time.perf_counter, self.sent_at
        for i in range(0, len(self.all), self.chunk):
            now = perf()
            for tick in self.all[i:i + self.chunk]:
                sent[id(tick)] = now
                yield tick
            await asyncio.sleep(0)


class TimedEngine(AlertEngine):
    """The real engine, noting when each tick was evaluated and its firings committed."""

    def __init__(self, *a: Any, sent_at: dict[int, float], **kw: Any) -> None:
        super().__init__(*a, **kw)
        self.sent_at = sent_at
        self.eval_lat: list[float] = []
        self.fire_lat: list[float] = []

    def evaluate(self, tick: Any) -> Batch | None:
        batch = super().evaluate(tick)
        self.eval_lat.append(time.perf_counter() - self.sent_at[id(tick)])
        return batch

    def _commit(self, batch: Batch, ids: list[int]) -> list[FiredAlert]:
        fired = super()._commit(batch, ids)
        self.fire_lat.append(time.perf_counter() - self.sent_at[id(batch.tick)])
        return fired


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1e3


async def pipeline(path: str, tmp: str, args: argparse.Namespace, ticks: list[Tick],
                   symbols: list[str], base: dict[str, float]) -> dict[str, Any]:
    sql = make_engine(f"sqlite:///{tmp}/{path}.db",
                      [*AlertsCapability.tables, *MarketCapability.tables])
    make_rules(sql, args.rules, symbols, base, random.Random(7))
    clock = [ticks[0].ts]
    market = MarketService([OfflineProvider(clock=lambda: clock[0])], engine=sql,
                           clock=lambda: clock[0])
    for s in symbols:  # every symbol has a cached quote, as after the first questions
        market.cache.put(f"quote:{s}", Quote(
            symbol=s, price=base[s], prev_close=base[s], source="bench",
            as_of=datetime.fromtimestamp(T0 - 60, UTC)).model_dump_json(), "bench")
    source = Source(ticks, args.chunk)
    engine = TimedEngine(sql, clock=lambda: clock[0], sent_at=source.sent_at)
    engine.load()
    bus: Any
    writer = None
    if path == "old":
        bus = OldBus()
        bus.subscribe(TICKS, old_on_tick(market), name="quote-cache")
        engine.bus = bus
        bus.subscribe(TICKS, engine.handle, name="alert-engine")
    else:
        bus = InProcessBus()
        bus.subscribe(TICKS, market.on_ticks, name="quote-cache", maxsize=TICK_QUEUE,
                      batch=TICK_BATCH, lossless=True)
        engine.attach(bus)
        writer = asyncio.get_running_loop().create_task(market.cache.write_behind())
    pump = TickPump(source, bus, lambda: symbols, follow_s=3600)
    start, cpu = time.perf_counter(), time.process_time()
    await pump.run()
    await bus.drain()
    end = time.perf_counter()  # every handler done, the last outbox commit included
    cpu = time.process_time() - cpu  # this process's CPU time, its threads included
    if writer is not None:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
    written = market.cache.written
    market.cache.flush()
    await bus.stop()
    with sql.connect() as conn:
        fired = set(conn.exec_driver_sql("SELECT rule_id, tick_ts FROM alert_firings").all())
    last = (await market.quote(symbols[0], interest=False)).quote.price
    expected = next(t.price for t in reversed(ticks) if t.symbol == symbols[0])
    engine.close()
    sql.dispose()
    return {"rate": len(ticks) / (end - start), "cpu_rate": len(ticks) / cpu,
            "p50": pct(engine.eval_lat, 0.5), "p99": pct(engine.eval_lat, 0.99),
            "fire_p50": pct(engine.fire_lat, 0.5),
            "fire_p99": pct(engine.fire_lat, 0.99), "fire_ticks": len(engine.fire_lat),
            "firings": engine.firings, "fired": fired, "quote_ok": last == expected,
            "written": written}


# ---- rule changes -------------------------------------------------------------------
def seed_many(sql: Any, n: int, symbols: list[str], base: dict[str, float]) -> None:
    rng = random.Random(3)
    rows = []
    for i in range(n):
        s = symbols[i % len(symbols)]
        cond = rng.choice(["above", "below", "cross_above", "cross_below", "cross"])
        rows.append({"symbol": s, "condition": cond, "threshold": round(base[s] * rng.uniform(
            0.8, 1.2), 2), "frequency": "every_time", "cooldown_s": 300.0, "note": "",
            "owner": "owner", "targets": "console", "active": True, "created_at": 0.0,
            "fire_count": 0})
    with sql.begin() as conn:
        conn.execute(insert(AlertRule), rows)


async def rule_changes(tmp: str, args: argparse.Namespace, symbols: list[str],
                       base: dict[str, float]) -> dict[str, Any]:
    sql = make_engine(f"sqlite:///{tmp}/changes.db", AlertsCapability.tables)
    seed_many(sql, args.change_rules, symbols, base)
    now = [T0]
    engine = AlertEngine(sql, clock=lambda: now[0])
    t = time.perf_counter()
    n = engine.load()
    full_load = time.perf_counter() - t
    t = time.perf_counter()
    engine.sync_all()
    compare_all = time.perf_counter() - t
    cli = AlertService(sql, None, None, clock=lambda: now[0])  # another process
    rng = random.Random(5)
    ids = list(engine.rules)
    applied: list[float] = []
    in_process: list[float] = []
    writes: list[float] = []
    kinds = ["create", "threshold", "condition", "snooze", "unsnooze", "delete", "restore"]
    deleted: list[int] = []
    snoozed = ids[0]
    for i in range(args.changes):
        kind = kinds[i % len(kinds)]
        rid = rng.choice(ids)
        t = time.perf_counter()
        if kind == "create":
            s = rng.choice(symbols)
            rule, _ = await cli.create(symbol=s, condition="above",
                                       threshold=round(base[s] * 1.3, 2))
            ids.append(rule.id or 0)
        elif kind == "threshold":
            rule, _, _ = await cli.update(rid, threshold=round(base[engine.rules[rid].symbol]
                                                               * rng.uniform(0.8, 1.2), 2))
        elif kind == "condition":
            was = engine.rules[rid].condition
            rule, _, _ = await cli.update(rid, condition="below" if was == "above" else "above")
        elif kind == "snooze":
            rule = cli.snooze(rid, 30)
            snoozed = rid
        elif kind == "unsnooze":
            rule = cli.set_snooze(snoozed, None)
        elif kind == "delete":
            rule = cli.delete(rid)
            deleted.append(rid)
            ids.remove(rid)
        else:
            back = deleted.pop() if deleted else rid
            rule = cli.restore(back)
            if back not in ids:
                ids.append(back)
        writes.append(time.perf_counter() - t)
        t = time.perf_counter()
        found = engine.read_changes()
        changed = engine.apply_changes(found)
        applied.append(time.perf_counter() - t)
        assert changed == 1 and found.ids == {rule.id}, (kind, changed, found.ids)
        t = time.perf_counter()  # the same change made in this process: the index only
        engine.add(rule) if rule.active else engine.remove(rule.id or 0)
        in_process.append(time.perf_counter() - t)
    # the incremental index equals a fresh load
    fresh = AlertEngine(sql, clock=lambda: now[0])
    fresh.load()
    same = ({i for i, v in engine.rules.items() if v.indexed}
            == {i for i, v in fresh.rules.items() if v.indexed})
    engine.close()
    fresh.close()
    sql.dispose()
    return {"rules": n, "full_load": full_load, "compare_all": compare_all,
            "applied_p50": pct(applied, 0.5), "applied_p99": pct(applied, 0.99),
            "applied_max": max(applied) * 1e3, "in_process_p99": pct(in_process, 0.99),
            "write_p50": pct(writes, 0.5), "same": same, "n": len(applied)}


def main() -> None:
    # warnings and errors only: a line per rule change or tick stream would time the terminal
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=10_000)
    ap.add_argument("--symbols", type=int, default=500)
    ap.add_argument("--ticks", type=int, default=400_000)
    ap.add_argument("--chunk", type=int, default=100)
    ap.add_argument("--change-rules", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(42)
    symbols = [f"S{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}{chr(65 + i // 676)}"
               for i in range(args.symbols)]
    base = {s: rng.uniform(10, 500) for s in symbols}
    prices = dict(base)
    ticks = []
    for i in range(args.ticks):
        s = symbols[rng.randrange(len(symbols))]
        prices[s] *= 2.718281828459045 ** rng.gauss(0, 0.004)
        ticks.append(Tick(symbol=s, price=round(prices[s], 2), ts=T0 + i * 0.002))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        results = {path: asyncio.run(pipeline(path, tmp, args, ticks, symbols, base))
                   for path in ("old", "new")}
        changes = asyncio.run(rule_changes(tmp, args, symbols, base))
    print(f"1. pipeline: {args.ticks:,} ticks over {args.symbols} symbols, {args.rules:,} rules, "
          f"source chunks of {args.chunk}; SQLite outbox; one process, one core")
    print(f"{'':<5} {'ticks/s':>10} {'ticks/CPU s':>12} {'evaluated':>17} {'':>13} "
          f"{'committed':>17}")
    print(f"{'path':<5} {'(wall)':>10} {'':>12} {'p50 ms':>8} {'p99 ms':>8} {'firing ticks':>13} "
          f"{'p50 ms':>8} {'p99 ms':>8} {'firings':>8} {'quote rows written':>19}")
    for path, r in results.items():
        print(f"{path:<5} {r['rate']:>10,.0f} {r['cpu_rate']:>12,.0f} {r['p50']:>8.3f} {r['p99']:>8.3f} "
              f"{r['fire_ticks']:>13,} {r['fire_p50']:>8.3f} {r['fire_p99']:>8.3f} "
              f"{r['firings']:>8,} {r['written']:>19,}")
    old, new = results["old"], results["new"]
    print(f"same firings on the same ticks: {'yes' if old['fired'] == new['fired'] else 'NO'}; "
          f"last trade in the quote: {'yes' if old['quote_ok'] and new['quote_ok'] else 'NO'}")
    print(f"throughput {new['cpu_rate'] / old['cpu_rate']:.1f}x the old path per CPU second "
          f"({new['rate'] / old['rate']:.1f}x wall; goal >= 200,000 ticks/s on one core: "
          f"{'met' if new['cpu_rate'] >= 200_000 else 'NOT met'}); p99 on firing ticks "
          f"{new['fire_p99']:.2f} ms (goal <= 5 ms: "
          f"{'met' if new['fire_p99'] <= 5 else 'NOT met'})")
    c = changes
    print(f"\n2. rule changes at {c['rules']:,} rules ({c['n']} changes from another process: "
          "create, threshold, condition, snooze, unsnooze, delete, restore)")
    print(f"applied from the change log: p50 {c['applied_p50']:.3f} ms, p99 "
          f"{c['applied_p99']:.3f} ms, max {c['applied_max']:.3f} ms (goal <= 1 ms: "
          f"{'met' if c['applied_p99'] <= 1 else 'NOT met'}); the same change in this "
          f"process: p99 {c['in_process_p99']:.4f} ms")
    print(f"baseline: re-read and compare every rule {c['compare_all'] * 1e3:,.0f} ms; "
          f"full reload {c['full_load'] * 1e3:,.0f} ms "
          f"({c['compare_all'] / (c['applied_p50'] / 1e3):,.0f}x the log's p50)")
    print(f"(the other process's own write of a change: p50 {c['write_p50']:.2f} ms); "
          f"incremental index equals a fresh load: {'yes' if c['same'] else 'NO'}")


if __name__ == "__main__":
    main()
