"""Market service: quotes, history, charts and the watchlist over a provider chain,
served from a cache that says how fresh every answer is."""

from __future__ import annotations

import asyncio
import functools
import json
import math
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core import symbols as universe
from core.errors import CopilotError, InvalidInput, ProviderError, RateLimited
from core.limits import deadline_scope
from core.market import Bar, Quote, QuoteResult, SymbolInfo, Tick, normalize_symbol
from core.storage import kv_get, kv_set
from tools.market.cache import InterestTracker, MarketCache
from tools.market.errors import SymbolNotFound
from tools.market.format import age_text
from tools.market.lists import NamedLists
from tools.market.providers.base import MarketProvider
from tools.market.sessions import PeriodHistory, base_bar, cut, market_today, period_sessions, resolve_period
from tools.market.tables import WatchItem

log = structlog.get_logger(__name__)
T = TypeVar("T")
P = ParamSpec("P")


def _unexpected(fn: Callable[..., Any], exc: Exception) -> CopilotError:
    log.exception("market service failed", call=fn.__name__)
    return CopilotError(f"Market data failed on my side ({type(exc).__name__}); "
                        "the details are in the log.")


def contained(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Only ``CopilotError``s leave the service: anything else (a bug, the database
    failing) is logged and becomes one sentence."""

    @functools.wraps(fn)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except CopilotError:
            raise
        except Exception as exc:  # noqa: BLE001 - the point of this wrapper
            raise _unexpected(fn, exc) from exc

    return guarded


def contained_sync(fn: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except CopilotError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unexpected(fn, exc) from exc

    return guarded


def clause(exc: BaseException) -> str:
    """An error's sentence without its full stop, to join into a longer sentence."""
    return str(exc).strip().rstrip(".")


def combined(errors: list[CopilotError]) -> CopilotError:
    """One error for every provider that failed, in one sentence."""
    if len(errors) == 1:
        return errors[0]
    text = "; ".join(clause(e) for e in errors) + "."
    if all(isinstance(e, RateLimited) for e in errors):
        times = [e.retry_at for e in errors if isinstance(e, RateLimited) and e.retry_at]
        return RateLimited(text, retry_at=min(times) if times else None)
    return ProviderError(text)


def usable(quote: Quote) -> bool:
    return (math.isfinite(quote.price) and quote.price > 0 and math.isfinite(quote.change)
            and math.isfinite(quote.change_pct))


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
        deadline_s: float = 10.0,
        timezone: str = "America/New_York",
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
        self.lists = NamedLists(engine, clock, self.watchlist)  # the watchlist's siblings
        self.deadline_s = deadline_s  # a whole provider chain answers within it
        self.timezone = timezone  # the owner's: every time shown is on his clock
        self._refreshing: dict[str, asyncio.Task] = {}
        self.reads = 0
        self.fresh_reads = 0

    @property
    def demo(self) -> bool:
        return all(getattr(p, "name", "") == "offline" for p in self.providers)

    def last_quote(self, symbol: str) -> Quote | None:
        # the last quote in the cache, whatever its age (no provider asked), or None
        cached = self.cache.get(f"quote:{symbol}")
        return Quote.model_validate_json(cached.value) if cached is not None else None

    def last_price(self, raw_symbol: str) -> float | None:
        """The last price known without asking a provider (the quote cache, whatever its
        age; demo data is computed), or None: a hint for reading "alert me at 250"."""
        try:
            symbol = normalize_symbol(raw_symbol)
        except CopilotError:
            return None
        if (quote := self.last_quote(symbol)) is not None:
            return quote.price
        for provider in self.providers:
            price_at = getattr(provider, "price_at", None)
            if getattr(provider, "name", "") == "offline" and price_at is not None:
                try:
                    return float(price_at(symbol, self.clock()))
                except Exception:  # noqa: BLE001 - an unknown symbol: no hint
                    return None
        return None

    # ---- quotes ---------------------------------------------------------------------
    @contained
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
        except ProviderError as exc:  # rate limited, failing, or answering garbage
            last = self._result(cached.value, from_cache=True) if cached else None
            if last is None:
                raise
            last.note = (f"{clause(exc)}; showing the last price I have, "
                         f"{age_text(last.age_s)}.")
            return last
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

    @contained
    async def fetch_quote(self, symbol: str, *, only_first: bool = False) -> Quote:
        """Ask the providers in order (or the first only); cache and return the answer."""
        quote = await self._first(lambda p: p.quote(symbol), symbol,
                                  self.providers[:1] if only_first else self.providers)
        if not usable(quote):
            raise ProviderError(f"{quote.source or 'The provider'} sent a price I can't use.")
        try:
            self.cache.put(f"quote:{symbol}", quote.model_dump_json(), quote.source)
        except Exception as exc:  # noqa: BLE001 - the answer is good even if caching fails
            log.warning("could not cache a quote", symbol=symbol, error=repr(exc))
        return quote

    async def _first(self, call: Callable[[MarketProvider], Awaitable[Any]], symbol: str,
                     providers: list[MarketProvider] | None = None) -> Any:
        """The first provider's answer, all within one deadline. A provider that really
        says the symbol is unknown ends the search; any other failure tries the next."""
        errors: list[CopilotError] = []
        with deadline_scope(self.deadline_s) as deadline:
            for provider in self.providers if providers is None else providers:
                if errors and deadline.expired:
                    break
                try:
                    return await call(provider)
                except SymbolNotFound as exc:
                    if not exc.suggestions:
                        exc = SymbolNotFound(symbol, await self._suggest(symbol))
                    raise exc from None
                except ProviderError as exc:
                    log.info("provider failed, trying the next", provider=provider.name,
                             error=str(exc))
                    errors.append(exc)
        raise combined(errors)

    async def _suggest(self, symbol: str) -> list[str]:
        hits = universe.search(symbol, 4)
        if hits or self.demo:
            return [s.symbol for s in hits if s.symbol != symbol][:3]
        try:
            found = await self.providers[0].search(symbol)
        except CopilotError:
            return []
        return [s.symbol for s in found if s.symbol != symbol][:3]

    def on_tick(self, tick: Tick) -> None:
        """Trades from the real-time stream keep cached quotes current at no API cost:
        in memory at once, in the database within about a second (``MarketCache``)."""
        price, ts = tick.price, tick.ts
        if price > 0 and math.isfinite(price) and math.isfinite(ts):
            self.cache.trade(tick.symbol, price, ts)

    def on_ticks(self, ticks: list[Tick]) -> None:
        """``on_tick`` for a batch (the bus's batch subscriber)."""
        trade, isfinite = self.cache.trade, math.isfinite
        for tick in ticks:
            price, ts = tick.price, tick.ts
            if price > 0 and isfinite(price) and isfinite(ts):
                trade(tick.symbol, price, ts)

    # ---- history and charts ---------------------------------------------------------
    @contained
    async def history(self, raw_symbol: str, days: int = 30) -> list[Bar]:
        symbol = normalize_symbol(raw_symbol)
        if not 1 <= days <= 3650:
            raise InvalidInput("days must be between 1 and 3650.")
        self.interest.touch(symbol, 0.5)
        from tools.market.sessions import closed_since

        key, cached = f"daily:{symbol}", self.cache.get(f"daily:{symbol}")
        if cached and cached.age_s <= self.history_ttl_s and not closed_since(  # a close since:
                symbol, cached.fetched_at, self.clock()):  # a new bar, and a partial one done
            bars = [Bar.model_validate(b) for b in json.loads(cached.value)]
            if len(bars) >= days:
                return bars[-days:]
        try:
            bars = await self._first(lambda p: p.daily(symbol, max(days, 100)), symbol)
        except ProviderError:
            if cached:
                return [Bar.model_validate(b) for b in json.loads(cached.value)][-days:]
            raise
        if not bars:
            raise ProviderError(f"No daily prices came back for {symbol}.")
        self.cache.put(key, json.dumps([b.model_dump(mode="json") for b in bars]),
                       getattr(self.providers[0], "name", ""))
        return bars[-days:]

    @contained
    async def history_period(self, raw_symbol: str, period: str) -> PeriodHistory:
        """Daily bars for exactly the calendar dates ``period`` names ("3 months", "ytd",
        "52-week", "since jan 1", "last week", "on 2026-10-01"), not a count of
        sessions; says which sessions it used."""
        symbol = normalize_symbol(raw_symbol)
        asked, cal = resolve_period(period, symbol, self.clock())
        sessions = period_sessions(cal, asked)
        if not sessions:
            raise InvalidInput(f"The {cal.label} had no trading session {asked.label} "
                               f"({asked.start} to {asked.end}).")
        # enough bars to reach back to the period's first session, whatever came after
        # (with room for a provider that also dates bars on holidays, as demo data does)
        since = len(cal.sessions(asked.start, market_today(cal, self.clock())))
        every = await self.history(symbol, min(3650, since + since // 10 + 10))
        bars = cut(every, asked, sessions)
        today = market_today(cal, self.clock())
        if not bars and today in sessions:  # "this week" on a Monday: today so far
            bars = await self._so_far(symbol, today)
        if not bars:
            raise ProviderError(f"No daily prices for {symbol} {asked.label} "
                                f"({asked.start} to {asked.end}) yet.")
        return PeriodHistory(symbol, asked, bars, sessions, cal.label,
                             base_bar(every, cal, asked))

    async def _so_far(self, symbol: str, today: date) -> list[Bar]:
        """Today's session so far, from the live quote, when the daily bars stop at
        yesterday (the period asked for includes today)."""
        try:
            q = (await self.quote(symbol, interest=False)).quote
        except CopilotError:
            return []
        high = max(x for x in (q.high, q.price) if x is not None)
        low = min(x for x in (q.low, q.price) if x is not None)
        return [Bar(day=today, open=q.open or q.price, high=high, low=low, close=q.price,
                    volume=int(q.volume or 0))]

    @contained
    async def chart(self, raw_symbol: str, days: int = 90, period: str | None = None) -> Path:
        """A PNG of the last ``days`` sessions, or of exactly the calendar ``period``."""
        symbol = normalize_symbol(raw_symbol)
        if period:
            return await self.chart_period(await self.history_period(symbol, period))
        bars = await self.history(raw_symbol, days)
        return await self._draw(symbol, bars, f"{days}d", f"last {len(bars)} sessions")

    @contained
    async def chart_period(self, found: PeriodHistory) -> Path:
        p = found.period
        return await self._draw(found.symbol, found.bars, f"{p.start}_{p.end}",
                                f"{p.label}, {found.used}")

    async def _draw(self, symbol: str, bars: list[Bar], tag: str, span: str) -> Path:
        from tools.market.chart import render_chart

        if self.charts_dir is None:
            raise ProviderError("No charts directory is configured.")
        path = self.charts_dir / f"{symbol}-{tag}-{bars[-1].day.isoformat()}.png"
        await asyncio.to_thread(render_chart, symbol, bars, path, self.demo, span)
        return path

    @contained
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

    @contained_sync
    def watchlist(self) -> list[str]:
        self._seed_watchlist()
        with Session(self.engine) as s:
            return [w.symbol for w in s.exec(select(WatchItem).order_by(col(WatchItem.added_at)))]

    @contained
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

    def list_members(self, name: str) -> list[str]:  # the watchlist, or a named list
        return self.lists.members(name)

    @contained_sync
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
