"""Comparisons: how several tickers did over the same calendar period ("NVDA vs AMD this
week"), or one ticker over two periods ("AAPL this week vs last week"), as a table of
returns — each from the close before the period to its last close — and, when asked, one
overlay chart of those returns."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InvalidInput, ProviderError
from core.market import normalize_symbol
from tools.market.format import money
from tools.market.service import MarketService
from tools.market.sessions import PeriodHistory

MAX_SYMBOLS = 8  # a table (and a chart) people can still read


@dataclass
class Row:
    symbol: str
    found: list[PeriodHistory | None]  # one per period; None when the provider had nothing
    reason: str = ""  # why a period is missing, one sentence

    def change(self, i: int) -> float | None:
        found = self.found[i]
        return None if found is None else found.change_pct


@dataclass
class Comparison:
    labels: list[str]  # the periods as asked ("this week", "last week")
    rows: list[Row] = field(default_factory=list)

    def best_first(self) -> list[Row]:
        def key(r: Row) -> float:
            change = r.change(0)
            return float("inf") if change is None else -change

        return sorted(self.rows, key=key)


def _symbols(symbols: list[str], versus: str | None) -> list[str]:
    seen: list[str] = []
    for raw in symbols:
        symbol = normalize_symbol(raw)
        if symbol not in seen:
            seen.append(symbol)
    if not seen or (len(seen) < 2 and not versus):
        raise InvalidInput("Give two tickers or more to compare (e.g. NVDA and AMD), or one "
                           "ticker and two periods (this week vs last week).")
    if len(seen) > MAX_SYMBOLS:
        raise InvalidInput(f"I compare at most {MAX_SYMBOLS} tickers at once.")
    return seen


async def compare(service: MarketService, symbols: list[str], period: str,
                  versus: str | None = None) -> Comparison:
    """Each symbol's return over ``period`` (and ``versus``), in calendar terms. An
    unknown ticker or unreadable period fails the whole answer (one sentence); a symbol
    the provider has no prices for is a row that says so."""
    periods = [period] + ([versus] if versus else [])
    result = Comparison(labels=[])
    for symbol in _symbols(symbols, versus):
        row = Row(symbol, [])
        for text in periods:
            try:
                row.found.append(await service.history_period(symbol, text))
            except ProviderError as exc:
                row.found.append(None)
                row.reason = str(exc)
        result.rows.append(row)
    for i, text in enumerate(periods):
        found = next((r.found[i] for r in result.rows if r.found[i] is not None), None)
        result.labels.append(found.period.label if found else text)
    return result


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}%"


def table_text(c: Comparison, demo: bool) -> str:
    """A markdown table of returns, best first, then what each period covered."""
    rows = c.best_first()
    names = " vs ".join(r.symbol for r in rows) if len(rows) > 1 else rows[0].symbol
    lines = [f"{names}, {' vs '.join(c.labels)} — returns"
             + (", best first:" if len(rows) > 1 else ":"),
             "| symbol | " + " | ".join(c.labels) + " | last close |",
             "|---" * (len(c.labels) + 2) + "|"]
    for r in rows:
        last = next((f for f in r.found if f is not None), None)
        close = f"{money(last.bars[-1].close)} ({last.bars[-1].day})" if last else "n/a"
        lines.append(f"| {r.symbol} | " + " | ".join(_pct(r.change(i)) for i in
                                                     range(len(c.labels))) + f" | {close} |")
    for i, label in enumerate(c.labels):
        markets: dict[str, PeriodHistory] = {}  # NYSE sessions and crypto days say apart
        for r in rows:
            f = r.found[i]
            if f is not None:
                markets.setdefault(f.market, f)
        for found in markets.values():
            p = found.period
            lines.append(f"{label} ({p.start} to {p.end}): from the close of "
                         f"{found.reference.day}; {found.used} ({found.market}).")
    lines += [f"{r.symbol}: {r.reason}" for r in rows if r.reason]
    if demo:
        lines.append("Demo data.")
    return "\n".join(lines)


async def overlay_chart(service: MarketService, c: Comparison) -> Path:
    """One chart of every symbol's return over the first period, each line from 0 %."""
    from tools.market.chart import render_overlay

    if service.charts_dir is None:
        raise ProviderError("No charts directory is configured.")
    series: dict[str, list[tuple[Any, float]]] = {}
    span = None
    for r in c.rows:
        found = r.found[0]
        if found is None:
            continue
        ref = found.reference.close
        points = [(found.reference.day, 0.0)] if found.base is not None else []
        series[r.symbol] = points + [(b.day, (b.close - ref) / ref * 100) for b in found.bars]
        span = span or found.period
    if span is None:
        raise ProviderError("No prices came back to chart.")
    path = service.charts_dir / f"compare-{'-'.join(series)}-{span.start}_{span.end}.png"
    title = f"{' vs '.join(series)} — {c.labels[0]} ({span.start} to {span.end}), return %"
    await asyncio.to_thread(render_overlay, series, title, path, service.demo)
    return path
