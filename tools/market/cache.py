"""SQLite-backed market cache with TTL and stale-while-revalidate, and the interest
tracker that tells the prefetcher which symbols will be asked about."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tools.market.tables import CacheEntry, SymbolInterest


@dataclass
class Cached:
    value: str
    fetched_at: float
    source: str
    age_s: float


class MarketCache:
    """Key-value JSON cache in SQL. Freshness is the caller's policy: ``get`` returns the
    entry with its age, whatever it is."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.clock = clock
        self._memo: dict[str, CacheEntry] = {}  # write-through, avoids a query per read

    def get(self, key: str) -> Cached | None:
        entry = self._memo.get(key)
        if entry is None:
            with Session(self.engine) as s:
                entry = s.get(CacheEntry, key)
                if entry is None:
                    return None
                s.expunge(entry)
            self._memo[key] = entry
        return Cached(entry.value, entry.fetched_at, entry.source,
                      max(0.0, self.clock() - entry.fetched_at))

    def put(self, key: str, value: str, source: str, fetched_at: float | None = None) -> None:
        entry = CacheEntry(key=key, value=value, source=source,
                           fetched_at=self.clock() if fetched_at is None else fetched_at)
        with Session(self.engine) as s:
            s.merge(entry)
            s.commit()
        self._memo[key] = entry


class InterestTracker:
    """Exponentially decayed count of questions per symbol (half-life ``half_life_s``)."""

    def __init__(self, engine: Engine, clock: Callable[[], float], half_life_s: float = 3600.0):
        self.engine = engine
        self.clock = clock
        self.rate = math.log(2) / half_life_s
        self._scores: dict[str, tuple[float, float]] | None = None

    def _load(self) -> dict[str, tuple[float, float]]:
        if self._scores is None:
            with Session(self.engine) as s:
                self._scores = {r.symbol: (r.score, r.updated_at)
                                for r in s.exec(select(SymbolInterest))}
        return self._scores

    def _decayed(self, score: float, at: float, now: float) -> float:
        return score * math.exp(-self.rate * max(0.0, now - at))

    def touch(self, symbol: str, weight: float = 1.0) -> None:
        now = self.clock()
        scores = self._load()
        score, at = scores.get(symbol, (0.0, now))
        scores[symbol] = (self._decayed(score, at, now) + weight, now)

    def flush(self) -> None:
        """Persist scores (called by the prefetch job, not on every question)."""
        with Session(self.engine) as s:
            for symbol, (score, at) in self._load().items():
                s.merge(SymbolInterest(symbol=symbol, score=score, updated_at=at))
            s.commit()

    def scores(self) -> dict[str, float]:
        now = self.clock()
        return {sym: self._decayed(sc, at, now) for sym, (sc, at) in self._load().items()}
