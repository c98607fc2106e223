"""SQLite-backed market cache with TTL and stale-while-revalidate, and the interest
tracker that tells the prefetcher which symbols will be asked about."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.market import Quote
from tools.market.tables import CacheEntry, SymbolInterest


@dataclass
class Cached:
    value: str
    fetched_at: float
    source: str
    age_s: float


@dataclass(slots=True)
class Entry:
    """A cache row in memory: a plain object (a SQLModel row costs ~50 µs to build, and
    the write-behind rebuilds one per traded symbol a second)."""

    key: str
    value: str
    source: str
    fetched_at: float

    @classmethod
    def of(cls, row: CacheEntry) -> Entry:
        return cls(row.key, row.value, row.source, row.fetched_at)


QUOTE = "quote:"
WRITE_EVERY_S = 1.0  # trades reach the database at most this often per symbol
FOLD_CHUNK = 64  # quotes rebuilt per turn of the event loop by the writer


class MarketCache:
    """Key-value JSON cache in SQL. Freshness is the caller's policy: ``get`` returns the
    entry with its age, whatever it is.

    Trades from the real-time stream (``trade``) are kept in memory, one tuple per symbol:
    a tick costs a dict store, not a JSON parse and dump. The cached quote is rebuilt from
    the latest trade when it is read (so this process always sees the last trade) and by
    ``write_behind`` about once a second, which writes every changed quote in one
    transaction (so other processes see it at most about a second late); ``flush`` writes
    the rest at shutdown."""

    def __init__(self, engine: Engine, clock: Callable[[], float]) -> None:
        self.engine = engine
        self.clock = clock
        self._memo: dict[str, Entry] = {}  # write-through, avoids a query per read
        self._quotes: dict[str, Quote] = {}  # the memo's quotes, parsed once
        self._trades: dict[str, tuple[float, float, float]] = {}  # symbol: price, ts, at
        self._unsaved: set[str] = set()  # keys rebuilt from trades, not yet written
        self.written = 0  # quotes written behind (for benches and health)

    def get(self, key: str) -> Cached | None:
        entry = self._memo.get(key)
        if entry is None:
            with Session(self.engine) as s:
                row = s.get(CacheEntry, key)
                if row is None:
                    return None
                entry = Entry.of(row)
            self._memo[key] = entry
        if self._trades and key.startswith(QUOTE):
            trade = self._trades.pop(key[len(QUOTE):], None)
            if trade is not None:
                entry = self._fold(key, entry, trade)
        return Cached(entry.value, entry.fetched_at, entry.source,
                      max(0.0, self.clock() - entry.fetched_at))

    def put(self, key: str, value: str, source: str, fetched_at: float | None = None) -> None:
        entry = CacheEntry(key=key, value=value, source=source,
                           fetched_at=self.clock() if fetched_at is None else fetched_at)
        with Session(self.engine) as s:
            s.merge(entry)
            s.commit()
        self._memo[key] = Entry(key, value, source, entry.fetched_at)
        self._quotes.pop(key, None)
        self._unsaved.discard(key)
        if key.startswith(QUOTE):  # a fresh answer supersedes the trades before it
            self._trades.pop(key[len(QUOTE):], None)

    # ---- trades ---------------------------------------------------------------------
    def trade(self, symbol: str, price: float, ts: float) -> None:
        """A trade on ``symbol`` (price checked by the caller): O(1), no I/O."""
        self._trades[symbol] = (price, ts, self.clock())

    def _fold(self, key: str, entry: Entry, trade: tuple[float, float, float]) -> Entry:
        """The cached quote moved to the trade's price (change from the previous close);
        a trade older than the quote is dropped."""
        quote = self._quotes.get(key)
        if quote is None:
            quote = self._quotes[key] = Quote.model_validate_json(entry.value)
        price, ts, at = trade
        if ts < quote.as_of.timestamp():
            return entry
        prev = quote.prev_close or quote.price
        quote = quote.model_copy(update={
            "price": price, "change": round(price - prev, 4),
            "change_pct": round((price - prev) / prev * 100, 4) if prev else 0.0,
            "as_of": datetime.fromtimestamp(ts, UTC)})
        self._quotes[key] = quote
        entry = self._memo[key] = Entry(key, quote.model_dump_json(), entry.source, at)
        self._unsaved.add(key)
        return entry

    def fold(self, symbols: list[str] | None = None) -> None:
        """Rebuild cached quotes from the pending trades (of ``symbols``, or all); trades
        on symbols with no quote in memory wait for ``load``."""
        memo, trades = self._memo, self._trades
        for symbol in list(trades) if symbols is None else symbols:
            key = QUOTE + symbol
            entry = memo.get(key)
            if entry is not None and symbol in trades:
                self._fold(key, entry, trades.pop(symbol))

    def unsaved(self) -> list[Entry]:
        """Copies of the rebuilt quotes not yet written (and forget them as unsaved)."""
        rows = [Entry(k, e.value, e.source, e.fetched_at)
                for k in self._unsaved if (e := self._memo.get(k)) is not None]
        self._unsaved.clear()
        return rows

    def save(self, rows: list[Entry]) -> None:
        """Write rebuilt quotes in one transaction; a newer row (another process fetched
        the quote since) is kept. Thread-safe: touches only the database."""
        if not rows:
            return
        stmt = (update(CacheEntry)
                .where(col(CacheEntry.key) == bindparam("k"),
                       col(CacheEntry.fetched_at) <= bindparam("at"))
                .values(value=bindparam("v"), fetched_at=bindparam("at"),
                        source=bindparam("src")))
        with self.engine.begin() as conn:
            conn.execute(stmt, [{"k": r.key, "v": r.value, "at": r.fetched_at,
                                 "src": r.source} for r in rows])
        self.written += len(rows)

    def missing(self) -> list[str]:
        """Keys of symbols traded with no quote in memory (maybe one in the database)."""
        return [QUOTE + s for s in self._trades if QUOTE + s not in self._memo]

    def load(self, keys: list[str]) -> list[CacheEntry]:
        """Read these entries from the database (thread-safe; ``remember`` them after)."""
        if not keys:
            return []
        with Session(self.engine) as s:
            rows = list(s.exec(select(CacheEntry).where(col(CacheEntry.key).in_(keys))))
            for row in rows:
                s.expunge(row)
        return rows

    def remember(self, rows: list[CacheEntry]) -> None:
        for row in rows:
            if row.key not in self._memo:
                self._memo[row.key] = Entry.of(row)

    async def write_behind(self, every_s: float = WRITE_EVERY_S) -> None:
        """Until cancelled: every ``every_s``, rebuild the traded quotes (a few at a time,
        so ticks keep flowing) and write them in a thread, in one transaction."""
        while True:
            await asyncio.sleep(every_s)
            await self.write_pending()

    async def write_pending(self) -> int:
        symbols = list(self._trades)
        for i in range(0, len(symbols), FOLD_CHUNK):
            self.fold(symbols[i:i + FOLD_CHUNK])
            await asyncio.sleep(0)
        rows = self.unsaved()
        missing = self.missing()
        await asyncio.to_thread(self.save, rows)
        self.remember(await asyncio.to_thread(self.load, missing))
        return len(rows)

    def flush(self) -> int:
        """Write every pending trade now (at shutdown)."""
        self.fold()
        rows = self.unsaved()
        self.save(rows)
        return len(rows)


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
