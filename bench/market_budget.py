"""Replays a simulated trading day against Finnhub's free limits (60 calls/min, 30/s).

    .venv/bin/python bench/market_budget.py [--seed 1] [--hours 6.5]

Two set-ups answer the same questions on a simulated clock:
- on-demand: what users do today. A quote is fetched when asked (60 s cache), and a cron
  job polls alert symbols every minute. Calls are not limited on our side.
- prefetch: the co-pilot. Every call goes through the provider's limiter; every 15 s the
  prefetcher spends the remaining budget (keeping a reserve of 5) on the symbols most
  likely to be asked: decayed recent questions, the watchlist, symbols with alerts.

The fake Finnhub counts a violation (its HTTP 429) whenever a call exceeds either limit.
Prints API calls, violations and the share of reads served from a cache fresher than
60 s. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.errors import RateLimited  # noqa: E402
from core.limits import CircuitBreaker, SlidingWindowLimiter  # noqa: E402
from core.market import Quote  # noqa: E402
from core.storage import make_engine  # noqa: E402
from core.symbols import UNIVERSE  # noqa: E402
from tools.market.capability import MarketCapability  # noqa: E402
from tools.market.prefetch import Prefetcher  # noqa: E402
from tools.market.providers.guarded import GuardedProvider  # noqa: E402
from tools.market.service import MarketService  # noqa: E402

LIMITS = [(60, 60.0), (30, 1.0)]


class Clock:
    def __init__(self) -> None:
        self.now = 1795530600.0

    def __call__(self) -> float:
        return self.now


class FakeFinnhub:
    name = "finnhub"
    limits = LIMITS

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: deque[float] = deque()
        self.total = 0
        self.violations = 0

    async def quote(self, symbol: str) -> Quote:
        now = self.clock()
        self.total += 1
        while self.calls and self.calls[0] <= now - 60:
            self.calls.popleft()
        last_second = sum(1 for t in self.calls if t > now - 1)
        if len(self.calls) >= 60 or last_second >= 30:
            self.violations += 1
            raise RateLimited("finnhub answered HTTP 429.")
        self.calls.append(now)
        return Quote(symbol=symbol, price=100.0, as_of=datetime.fromtimestamp(now, UTC),
                     source=self.name)

    async def daily(self, symbol, days):
        raise NotImplementedError

    async def search(self, query):
        return []


def make_day(seed: int, hours: float):
    rng = random.Random(seed)
    symbols = [s for s in UNIVERSE if "-" not in s and "." not in s][:50]
    symbols += [f"ZZ{chr(65 + i)}" for i in range(50 - len(symbols))]
    weights = [1 / (i + 1) ** 1.1 for i in range(len(symbols))]  # Zipf
    watch = symbols[:10] + rng.sample(symbols[10:], 10)
    alerts = symbols[:5] + rng.sample(symbols[20:], 5)
    events: list[tuple[float, list[str]]] = []
    t = 0.0
    while t < hours * 3600:
        t += rng.expovariate(1 / 8)  # a question every 8 s on average
        if rng.random() < 0.08:
            events.append((t, list(watch)))  # "how's my watchlist?"
        else:
            events.append((t, rng.choices(symbols, weights)[:1]))
    return watch, alerts, events


async def simulate(mode: str, seed: int, hours: float, data_dir: str) -> dict:
    clock = Clock()
    start = clock.now
    watch, alerts, events = make_day(seed, hours)
    fake = FakeFinnhub(clock)
    engine = make_engine(f"sqlite:///{data_dir}/{mode}.db", MarketCapability.tables)
    if mode == "prefetch":
        limiter = SlidingWindowLimiter(LIMITS, clock)
        provider = GuardedProvider(fake, limiter, CircuitBreaker(clock), attempts=1)
        svc = MarketService([provider], engine=engine, clock=clock, quote_ttl_s=60,
                            stale_while_revalidate_s=240, default_watchlist=watch)
        prefetcher = Prefetcher(svc, limiter, alert_symbols=lambda: alerts, interval_s=15)
    else:
        svc = MarketService([fake], engine=engine, clock=clock, quote_ttl_s=60,
                            stale_while_revalidate_s=0, default_watchlist=watch)
        prefetcher = None
    reads = fresh = failed = 0
    next_job = start
    for offset, asked in events:
        at = start + offset
        while next_job <= at:  # background jobs due before this question
            clock.now = next_job
            if prefetcher:
                await prefetcher.run_once()
                next_job += prefetcher.interval_s
            else:
                for sym in alerts:  # the old cron alert job
                    try:
                        await svc.quote(sym, interest=False)
                    except RateLimited:
                        pass
                next_job += 60
        clock.now = at
        for sym in asked:
            reads += 1
            try:
                result = await svc.quote(sym)
            except RateLimited:
                failed += 1
                continue
            if result.from_cache and result.age_s < 60:
                fresh += 1
        if svc._refreshing:
            await asyncio.gather(*svc._refreshing.values())
    return {"calls": fake.total - fake.violations, "violations": fake.violations,
            "reads": reads, "fresh": fresh / reads, "failed": failed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hours", type=float, default=6.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        print(f"simulated day: {args.hours} h, 50 symbols (Zipf 1.1), 20-symbol watchlist, "
              f"10 alert symbols, Finnhub free limits 60/min + 30/s")
        print(f"{'mode':<10} {'reads':>6} {'API calls':>10} {'violations':>11} "
              f"{'fresh cache reads':>18} {'unanswered':>11}")
        for mode in ("on-demand", "prefetch"):
            r = asyncio.run(simulate(mode, args.seed, args.hours, tmp))
            print(f"{mode:<10} {r['reads']:>6} {r['calls']:>10} {r['violations']:>11} "
                  f"{r['fresh']:>17.1%} {r['failed']:>11}")


if __name__ == "__main__":
    main()
