"""Market service: quotes, history, charts and the watchlist over a provider chain,
served from a cache that says how fresh every answer is."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import symbols as universe
from core.errors import CopilotError, ProviderError, RateLimited
from core.market import Bar, Quote, QuoteResult, SymbolInfo, Tick, normalize_symbol
from core.storage import kv_get, kv_set
from tools.market.cache import InterestTracker, MarketCache
from tools.market.errors import SymbolNotFound
from tools.market.providers.base import MarketProvider
from tools.market.tables import WatchItem

log = structlog.get_logger(__name__)


class MarketService:
    def __init__(
        self,
        providers: list[MarketProvider],
        engine: Engine,
        charts_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        quote_ttl_s: float = 60.0,
        stale_while_revalidate_s: float = 240.0,
        history_ttl_s: float = 6 * 3600.0,
        default_watchlist: list[str] | None = None,
    ) -> None:
        if not providers:
            raise ValueError("MarketService needs at least one provider")
        self.providers = providers
        self.engine = engine
        self.charts_dir = charts_dir
        self.clock = clock
        self.quote_ttl_s = quote_ttl_s
        self.swr_s = stale_while_revalidate_s
        self.history_ttl_s = history_ttl_s
        self.cache = MarketCache(engine, clock)
        self.interest = InterestTracker(engine, clock)
        self.default_watchlist = default_watchlist or []
        self._refreshing: dict[str, asyncio.Task] = {}
        self.reads = 0
        self.fresh_reads = 0

    @property
    def demo(self) -> bool:
        return all(getattr(p, "name", "") == "offline" for p in self.providers)

    # ---- quotes ---------------------------------------------------------------------
    async def quote(self, raw_symbol: str, *, interest: bool = True) -> QuoteResult:
        symbol = normalize_symbol(raw_symbol)
        if interest:
            self.interest.touch(symbol)
        self.reads += 1
        cached = self.cache.get(f"quote:{symbol}")
        if cached and cached.age_s <= self.quote_ttl_s:
            self.fresh_reads += 1
            return self._result(cached.value, from_cache=True)
        if cached and cached.age_s <= self.quote_ttl_s + self.swr_s:
            self._revalidate(symbol)
            return self._result(cached.value, from_cache=True)
        try:
            quote = await self.fetch_quote(symbol)
        except (RateLimited, ProviderError) as exc:
            if cached is None:
                raise
            return self._result(cached.value, from_cache=True,
                                note=f"{exc} Showing the last price I have.")
        self.fresh_reads += 1
        return QuoteResult(quote=quote, age_s=self._age(quote))

    def _age(self, quote: Quote) -> float:
        return max(0.0, self.clock() - quote.as_of.timestamp())

    def _result(self, raw: str, from_cache: bool, note: str = "") -> QuoteResult:
        quote = Quote.model_validate_json(raw)
        return QuoteResult(quote=quote, age_s=self._age(quote), from_cache=from_cache, note=note)

    def _revalidate(self, symbol: str) -> None:
        if symbol in self._refreshing:
            return

        async def refresh() -> None:
            try:
                await self.fetch_quote(symbol)
            except CopilotError as exc:
                log.info("background refresh failed", symbol=symbol, error=str(exc))
            finally:
                self._refreshing.pop(symbol, None)

        self._refreshing[symbol] = asyncio.get_running_loop().create_task(refresh())

    async def fetch_quote(self, symbol: str) -> Quote:
        """Ask the providers in order; cache and return the first answer."""
        quote = await self._first(lambda p: p.quote(symbol), symbol)
        self.cache.put(f"quote:{symbol}", quote.model_dump_json(), quote.source)
        return quote

    async def _first(self, call, symbol: str):
        errors: list[CopilotError] = []
        for provider in self.providers:
            try:
                return await call(provider)
            except SymbolNotFound as exc:
                if not exc.suggestions:
                    exc = SymbolNotFound(symbol, await self._suggest(symbol))
                raise exc from None
            except (RateLimited, ProviderError) as exc:
                log.info("provider failed, trying the next", provider=provider.name,
                         error=str(exc))
                errors.append(exc)
        limited = [e for e in errors if isinstance(e, RateLimited)]
        raise (limited[0] if limited else errors[-1])

    async def _suggest(self, symbol: str) -> list[str]:
        local = [s.symbol for s in universe.search(symbol, 3)]
        if local or self.demo:
            return local
        try:
            return [s.symbol for s in (await self.providers[0].search(symbol))[:3]]
        except CopilotError:
            return []

    def on_tick(self, tick: Tick) -> None:
        """Trades from the real-time stream keep cached quotes current at no API cost."""
        cached = self.cache.get(f"quote:{tick.symbol}")
        if cached is None:
            return
        quote = Quote.model_validate_json(cached.value)
        prev = quote.prev_close or quote.price
        from datetime import UTC, datetime

        quote.price = tick.price
        quote.change = round(tick.price - prev, 4)
        quote.change_pct = round((tick.price - prev) / prev * 100, 4) if prev else 0.0
        quote.as_of = datetime.fromtimestamp(tick.ts, UTC)
        self.cache._memo[f"quote:{tick.symbol}"].value = quote.model_dump_json()
        self.cache._memo[f"quote:{tick.symbol}"].fetched_at = self.clock()

    # ---- history and charts ---------------------------------------------------------
    async def history(self, raw_symbol: str, days: int = 30) -> list[Bar]:
        symbol = normalize_symbol(raw_symbol)
        if not 1 <= days <= 3650:
            from core.errors import InvalidInput

            raise InvalidInput("days must be between 1 and 3650.")
        self.interest.touch(symbol, 0.5)
        key = f"daily:{symbol}"
        cached = self.cache.get(key)
        if cached and cached.age_s <= self.history_ttl_s:
            bars = [Bar.model_validate(b) for b in json.loads(cached.value)]
            if len(bars) >= days:
                return bars[-days:]
        try:
            bars = await self._first(lambda p: p.daily(symbol, max(days, 100)), symbol)
        except (RateLimited, ProviderError):
            if cached:
                return [Bar.model_validate(b) for b in json.loads(cached.value)][-days:]
            raise
        self.cache.put(key, json.dumps([b.model_dump(mode="json") for b in bars]),
                       getattr(self.providers[0], "name", ""))
        return bars[-days:]

    async def chart(self, raw_symbol: str, days: int = 90) -> Path:
        from tools.market.chart import render_chart

        bars = await self.history(raw_symbol, days)
        symbol = normalize_symbol(raw_symbol)
        if self.charts_dir is None:
            raise ProviderError("No charts directory is configured.")
        path = self.charts_dir / f"{symbol}-{days}d-{bars[-1].day.isoformat()}.png"
        await asyncio.to_thread(render_chart, symbol, bars, path, self.demo)
        return path

    async def search(self, query: str) -> list[SymbolInfo]:
        local = universe.search(query)
        if local or self.demo:
            return local
        return await self._first(lambda p: p.search(query), query)

    # ---- watchlist ------------------------------------------------------------------
    def _seed_watchlist(self) -> None:
        if kv_get(self.engine, "watchlist_seeded"):
            return
        with Session(self.engine) as s:
            for sym in self.default_watchlist:
                s.merge(WatchItem(symbol=sym, added_at=self.clock()))
            s.commit()
        kv_set(self.engine, "watchlist_seeded", "1")

    def watchlist(self) -> list[str]:
        self._seed_watchlist()
        with Session(self.engine) as s:
            return [w.symbol for w in s.exec(select(WatchItem).order_by(col(WatchItem.added_at)))]

    async def watch(self, raw_symbol: str) -> bool:
        """Add a symbol (checked with the provider first); False when already there."""
        symbol = normalize_symbol(raw_symbol)
        self._seed_watchlist()
        with Session(self.engine) as s:
            if s.get(WatchItem, symbol):
                return False
        await self.quote(symbol)  # unknown symbols fail here, with suggestions
        with Session(self.engine) as s:
            s.add(WatchItem(symbol=symbol, added_at=self.clock()))
            s.commit()
        return True

    def unwatch(self, raw_symbol: str) -> bool:
        symbol = normalize_symbol(raw_symbol)
        self._seed_watchlist()
        with Session(self.engine) as s:
            item = s.get(WatchItem, symbol)
            if item is None:
                return False
            s.delete(item)
            s.commit()
        return True
