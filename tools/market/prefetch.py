"""Predictive prefetch: spend the API budget that is left on the symbols most likely to be
asked next, so questions are answered from a fresh cache instead of a live call.

Likelihood = decayed recent questions + fixed weights for the watchlist and for symbols
with active alerts. The limiter is the primary provider's shared quota (every process's
calls count against it), prefetch asks that provider only (a failing primary never burns
the fallback's daily quota), so it can never push a provider over its documented limit,
and ``reserve`` calls are always left for questions the prediction missed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog

from core.errors import CopilotError
from core.limits import Quota
from tools.market.service import MarketService

log = structlog.get_logger(__name__)


@dataclass
class Prefetcher:
    service: MarketService
    limiter: Quota | None
    alert_symbols: Callable[[], Iterable[str]] = lambda: ()
    reserve: int = 5
    interval_s: float = 15.0
    watchlist_weight: float = 2.0
    alert_weight: float = 3.0
    max_per_run: int = 25  # stay under Finnhub's 30/s burst limit in one run

    def ranked(self) -> list[tuple[float, str]]:
        scores = dict(self.service.interest.scores())
        for sym in self.service.watchlist():
            scores[sym] = scores.get(sym, 0.0) + self.watchlist_weight
        for sym in self.alert_symbols():
            scores[sym] = scores.get(sym, 0.0) + self.alert_weight
        return sorted(((s, sym) for sym, s in scores.items()), reverse=True)

    def due(self, symbol: str) -> bool:
        """Refresh when the cached quote would go stale before the next run."""
        cached = self.service.cache.get(f"quote:{symbol}")
        return cached is None or cached.age_s + self.interval_s > self.service.quote_ttl_s

    async def run_once(self) -> list[str]:
        budget = self.max_per_run
        if self.limiter is not None:
            try:  # the shared quota: what every process on this data has left
                left = self.limiter.remaining()
            except CopilotError as exc:
                log.info("prefetch skipped: quota unknown", error=str(exc))
                return []
            budget = min(budget, left - self.reserve)
        fetched: list[str] = []
        if budget <= 0:
            return fetched
        for _score, symbol in self.ranked():
            if len(fetched) >= budget:
                break
            if not self.due(symbol):
                continue
            try:
                await self.service.fetch_quote(symbol, only_first=True)
                fetched.append(symbol)
            except CopilotError as exc:
                log.info("prefetch skipped a symbol", symbol=symbol, error=str(exc))
        self.service.interest.flush()
        return fetched
