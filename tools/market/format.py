"""How market answers read: prices, changes and freshness in one line."""

from __future__ import annotations


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
