"""The market capability: providers in fallback order (each behind its quota — shared by
every process on the same data and kept across restarts — its breaker and the provider
deadline; demo data when no key is set), the cached service, the tick stream, prefetch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import structlog
from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.errors import CopilotError
from core.events import TICKS
from core.limits import CircuitBreaker
from core.ports import BriefingSection, CheckResult, HealthCheck
from tools.market.grammar import GRAMMAR
from tools.market.prefetch import Prefetcher
from tools.market.providers.base import MarketProvider, TickSource
from tools.market.providers.guarded import GuardedProvider, until_text
from tools.market.providers.offline import OfflineProvider
from tools.market.quotas import open_quota
from tools.market.service import MarketService
from tools.market.tables import CacheEntry, ListItem, SymbolInterest, WatchItem
from tools.market.ticks import TICK_BATCH, TICK_QUEUE, TickPump

log = structlog.get_logger(__name__)


def build_providers(kernel: Kernel) -> tuple[list[MarketProvider], TickSource | None]:
    """The providers whose keys are set, in fallback order, each behind its shared quota
    (kept in the database, so every process on the same data counts against it), its
    breaker and the provider deadline; base URLs come from settings (proxies, tests)."""
    settings, clock, http = kernel.settings, kernel.clock, kernel.http
    choice = settings.market_provider
    raw: list[Any] = []
    tick_source: TickSource | None = None
    fh_key = settings.finnhub_api_key.get_secret_value() if settings.finnhub_api_key else None
    av_key = (settings.alphavantage_api_key.get_secret_value()
              if settings.alphavantage_api_key else None)
    if fh_key and choice in ("auto", "finnhub"):
        from tools.market.providers.finnhub import FinnhubProvider, FinnhubTradeStream

        raw.append(FinnhubProvider(http, fh_key, base_url=settings.finnhub_base_url, clock=clock))
        tick_source = FinnhubTradeStream(fh_key, url=settings.finnhub_ws_url)
    if av_key and choice in ("auto", "alphavantage", "finnhub"):
        from tools.market.providers.alphavantage import AlphaVantageProvider

        raw.append(AlphaVantageProvider(http, av_key, base_url=settings.alphavantage_base_url,
                                        clock=clock))
    providers: list[MarketProvider] = [
        GuardedProvider(p, open_quota(p.name, p.limits, engine=kernel.db,
                                      data_dir=settings.data_dir, clock=clock, label=p.label),
                        CircuitBreaker(clock), deadline_s=settings.provider_deadline_s,
                        timezone=settings.timezone)
        for p in raw
    ]
    if not providers:
        offline = OfflineProvider(clock=clock, tick_interval_s=settings.offline_tick_interval_s)
        return [offline], offline
    return providers, tick_source  # Alpha Vantage alone has no real-time stream


# the circuit breaker's states as the owner reads them ("closed" reads like a closed market)
BREAKER_WORDS = {"closed": "answering", "open": "paused after repeated failures",
                 "half-open": "trying again"}


class MarketCapability(Capability):
    name = "market"
    tables = (CacheEntry, SymbolInterest, WatchItem, ListItem)
    guest_tools = frozenset({"get_quote", "get_price_history", "price_chart", "compare_returns",
                             "market_status"})
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, stream_symbols: Callable[[], Iterable[str]] = set) -> None:
        self.kernel = kernel
        settings = kernel.settings
        providers, self.tick_source = build_providers(kernel)
        self.service = MarketService(
            providers, engine=kernel.db, charts_dir=settings.charts_dir, clock=kernel.clock,
            quote_ttl_s=settings.quote_ttl_s, history_ttl_s=settings.history_ttl_s,
            default_watchlist=settings.watchlist_default,
            deadline_s=settings.provider_deadline_s, timezone=settings.timezone)
        self.prefetcher = Prefetcher(self.service, getattr(providers[0], "limiter", None),
                                     alert_symbols=stream_symbols)
        self.others = stream_symbols  # symbols other capabilities need streamed
        self.tick_pump: TickPump | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def tools(self) -> list[BaseTool]:
        from tools.market.tools import make_market_tools

        return make_market_tools(self.service)

    def symbols(self) -> list[str]:
        return sorted(set(self.service.watchlist()) | set(self.others()))

    def jobs(self) -> list[Job]:
        if self.prefetcher.limiter is None:  # demo data costs nothing: no prefetch
            return []
        return [Job("market_prefetch", self.prefetcher.run_once, "interval",
                    {"seconds": self.prefetcher.interval_s})]

    def checks(self) -> list[HealthCheck]:
        from core.ports import FnCheck

        return [FnCheck("market", self._check, restart=self.reset_breakers)]

    def _check(self) -> CheckResult:
        """Each provider: breaker state, calls left in its shared quota (every process's
        calls count), a block the provider imposed, and the last call's failure."""
        parts, worst = [], "ok"
        providers = self.service.providers
        rank = {"ok": 0, "degraded": 1, "down": 2}

        def worse(level: str) -> None:
            nonlocal worst
            worst = level if rank[level] > rank[worst] else worst

        for p in providers:
            breaker = getattr(p, "breaker", None)
            limiter = getattr(p, "limiter", None)
            state = BREAKER_WORDS.get(breaker.state if breaker else "closed", "answering")
            part = f"{getattr(p, 'label', p.name)}: {state}"
            if limiter is not None:
                try:
                    left, blocked = limiter.remaining(), limiter.blocked_until
                except CopilotError as exc:
                    part += f", quota unknown ({exc})"
                    worse("degraded")
                else:
                    part += f", {left} calls left"
                    if blocked > self.kernel.clock():
                        until = until_text(blocked, self.kernel.clock(),
                                           self.kernel.settings.timezone)
                        part += f", blocked until {until}"
                    if left == 0:
                        worse("degraded")
            last_error = getattr(p, "last_error", None)
            if last_error:
                part += f", last call failed: {last_error.rstrip('.')}"
                worse("degraded")
            if state == "open":
                worse("down" if len(providers) == 1 else "degraded")
            parts.append(part)
        return CheckResult(worst, "; ".join(parts))

    async def reset_breakers(self) -> str:
        for provider in self.service.providers:
            breaker = getattr(provider, "breaker", None)
            if breaker is not None:
                breaker.success()
        return "Reset the market providers' circuit breakers; the next call tries them again."

    def briefing(self) -> list[BriefingSection]:
        return [self._movers]

    async def _movers(self) -> str:
        movers = []
        for symbol in self.service.watchlist():
            try:
                q = (await self.service.quote(symbol, interest=False)).quote
            except Exception:  # noqa: BLE001 - one bad symbol must not cancel the briefing
                continue
            movers.append((abs(q.change_pct), q))
        if not movers:
            return ""
        movers.sort(key=lambda m: m[0], reverse=True)
        return ("**Watchlist movers:** " + ", ".join(
            f"{q.symbol} {q.change_pct:+.2f}% (${q.price:,.2f})" for _, q in movers[:5])
            + (" — demo data" if movers[0][1].demo else ""))

    async def start(self) -> None:
        bus = self.kernel.bus
        # ticks in batches: each is a dict store; the writer persists them about once a second
        self._unsubscribe = bus.subscribe(TICKS, self.service.on_ticks, name="quote-cache",
                                          maxsize=TICK_QUEUE, batch=TICK_BATCH, lossless=True)
        self.kernel.supervisor.spawn("quote-writer", self.service.cache.write_behind)
        if self.tick_source is not None:
            self.tick_pump = TickPump(self.tick_source, bus, self.symbols)
            self.kernel.supervisor.spawn("ticks", self.tick_pump.run)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            try:
                self.service.cache.flush()  # the last trades, for the next start and the CLI
            except Exception as exc:  # noqa: BLE001 - a stop must finish; the quotes can wait
                log.warning("could not write the last quotes", error=repr(exc))
