"""How market answers read: prices, changes and freshness in one line."""

from __future__ import annotations

from datetime import UTC, datetime

from core.market import Quote


def money(value: float) -> str:
    return f"${value:,.2f}"


def age_text(age_s: float) -> str:
    if age_s < 60:
        return "just now" if age_s < 5 else f"{int(age_s)} s old"
    if age_s < 3600:
        return f"{int(age_s // 60)} min old"
    if age_s < 86400:
        return f"{age_s / 3600:.1f} h old"
    return f"{age_s / 86400:.1f} days old"


def freshness(as_of: datetime, now: float) -> str:
    """'as of 14:02 UTC, 3 min old'."""
    stamp = as_of.astimezone(UTC).strftime("%H:%M UTC")
    age = max(0.0, now - as_of.timestamp())
    return f"as of {stamp}, {age_text(age)}"


def quote_line(q: Quote, now: float) -> str:
    sign = "+" if q.change >= 0 else ""
    demo = " — demo data" if q.demo else ""
    return (
        f"{q.symbol} is at {money(q.price)} ({sign}{q.change_pct:.2f}% today), "
        f"{freshness(q.as_of, now)}{demo}."
    )


def fallback_line(q: Quote, note: str) -> str:
    """The last known price when the provider failed, in one sentence: 'Finnhub had a
    server error (HTTP 500); showing the last price I have, 10 min old: AAPL at $231.95
    (-0.50% today) as of 14:20 UTC.'"""
    sign = "+" if q.change >= 0 else ""
    stamp = q.as_of.astimezone(UTC).strftime("%H:%M UTC")
    demo = " — demo data" if q.demo else ""
    return (f"{note.strip().rstrip('.')}: {q.symbol} at {money(q.price)} "
            f"({sign}{q.change_pct:.2f}% today) as of {stamp}{demo}.")
