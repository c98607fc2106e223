"""Offline provider: deterministic synthetic market data, labelled as demo data.

Prices are a seeded random walk per symbol: the same symbol and date always give the same
bar, on every machine. Intraday quotes move minute by minute around the day's open.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta

from core import symbols as universe
from core.market import Bar, Quote, SymbolInfo, Tick
from tools.market.errors import SymbolNotFound

ANCHOR = date(2024, 1, 1)
DAILY_VOL = 0.018


def _seed(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _base_price(symbol: str) -> float:
    row = universe.UNIVERSE.get(symbol)
    return row[3] if row else 20 + _seed("base", symbol) % 480


# per symbol: the walk's state and its closes so far, extended as later dates are asked
_WALKS: dict[str, tuple[float, list[float]]] = {}


def _closes(symbol: str, through: date) -> tuple[float, ...]:
    """Daily closes from ANCHOR through ``through`` (inclusive). The walk is computed once
    per symbol and extended as needed: each date's close depends only on its own seed and
    the day before, so the numbers are the same whatever was asked first."""
    n = max((through - ANCHOR).days + 1, 1)
    x, out = _WALKS.get(symbol, (0.0, []))
    if len(out) < n:
        base = _base_price(symbol)
        out = list(out)
        for i in range(len(out), n):
            rng = random.Random(_seed(symbol, ANCHOR + timedelta(days=i)))
            x = 0.985 * x + rng.gauss(0.0, DAILY_VOL)  # mean-reverting log(price / base)
            out.append(round(base * math.exp(x), 2))
        _WALKS[symbol] = (x, out)
    return tuple(out[:n])


class OfflineProvider:
    """Deterministic demo data; knows the symbols of ``core.symbols``."""

    name = "offline"

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        tick_interval_s: float = 1.0,
        strict_symbols: bool = True,
    ) -> None:
        self.clock = clock
        self.tick_interval_s = tick_interval_s
        self.strict_symbols = strict_symbols

    def _check(self, symbol: str) -> None:
        if self.strict_symbols and symbol not in universe.UNIVERSE:
            raise SymbolNotFound(symbol, [s.symbol for s in universe.search(symbol, 3)])

    def _bar(self, symbol: str, day: date) -> Bar:
        closes = _closes(symbol, day)
        close = closes[-1]
        prev = closes[-2] if len(closes) > 1 else close
        rng = random.Random(_seed("bar", symbol, day))
        open_ = round(prev * math.exp(rng.gauss(0, DAILY_VOL / 3)), 2)
        high = round(max(open_, close) * (1 + abs(rng.gauss(0, DAILY_VOL / 2))), 2)
        low = round(min(open_, close) * (1 - abs(rng.gauss(0, DAILY_VOL / 2))), 2)
        volume = int(1_000_000 * (1 + rng.random() * 4) * (200 / max(close, 1)) ** 0.3)
        return Bar(day=day, open=open_, high=high, low=low, close=close, volume=volume)

    def price_at(self, symbol: str, ts: float) -> float:
        """Intraday demo price: the day's open walked minute by minute toward the close."""
        now = datetime.fromtimestamp(ts, UTC)
        bar = self._bar(symbol, now.date())
        minute = now.hour * 60 + now.minute
        rng = random.Random(_seed("intraday", symbol, now.date(), minute // 5))
        frac = minute / 1440
        drift = bar.open + (bar.close - bar.open) * frac
        return round(drift * (1 + rng.gauss(0, DAILY_VOL / 6)), 2)

    async def quote(self, symbol: str) -> Quote:
        self._check(symbol)
        ts = self.clock()
        now = datetime.fromtimestamp(ts, UTC)
        today = self._bar(symbol, now.date())
        prev = _closes(symbol, now.date() - timedelta(days=1))[-1]
        price = self.price_at(symbol, ts)
        change = round(price - prev, 2)
        return Quote(
            symbol=symbol,
            price=price,
            change=change,
            change_pct=round(change / prev * 100, 2) if prev else 0.0,
            open=today.open,
            high=max(today.high, price),
            low=min(today.low, price),
            prev_close=prev,
            volume=today.volume,
            as_of=now,
            source=self.name,
            demo=True,
        )

    async def daily(self, symbol: str, days: int) -> list[Bar]:
        self._check(symbol)
        end = datetime.fromtimestamp(self.clock(), UTC).date() - timedelta(days=1)
        out: list[Bar] = []
        day = end
        while len(out) < days:
            if day.weekday() < 5 or symbol.endswith("-USD"):
                out.append(self._bar(symbol, day))
            day -= timedelta(days=1)
        return list(reversed(out))

    async def search(self, query: str) -> list[SymbolInfo]:
        return universe.search(query)

    async def ticks(self, symbols: list[str]) -> AsyncIterator[Tick]:
        """An endless stream of demo trades, one per symbol per interval."""
        rng = random.Random(_seed("ticks", *symbols))
        last = {s: self.price_at(s, self.clock()) for s in symbols}
        while True:
            for s in symbols:
                last[s] = round(last[s] * math.exp(rng.gauss(0, 0.0008)), 2)
                yield Tick(symbol=s, price=last[s], ts=self.clock(), volume=rng.randint(1, 500))
            await asyncio.sleep(self.tick_interval_s)
