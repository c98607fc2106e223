"""An alert rule in words, with nothing heavier than the standard library: `copilot
alerts list` reads its rows with ``sqlite3`` and words them here, without importing the
SQLModel tables (cli/rows.py)."""

from __future__ import annotations

from typing import Any

from tools.alerts.frequencies import frequency_name
from tools.alerts.lists import subject

DEFAULT_WINDOW = 60
PAUSED_UNTIL = 253402300799.0  # 9999-12-31T23:59:59Z: a pause is a snooze until then


def money(value: float) -> str:
    """$1,234.50; sub-dollar prices keep their significant digits ($0.000123)."""
    if abs(value) >= 1 or round(value, 2) == value:
        return f"${value:,.2f}"
    text = f"{value:.8f}".rstrip("0")
    return "$" + (text if len(text.split(".")[1]) >= 2 else f"{value:.2f}")


def condition_text(symbol: str, condition: str, threshold: float,
                   window_minutes: int | None, period: int | None = None,
                   upper: float | None = None) -> str:
    """The condition in words: "AAPL falls 2% from its high within 60 min"."""
    from tools.alerts.operators import OPERATORS, describe

    if condition in OPERATORS:
        return describe(symbol, condition, threshold, period, upper, money)
    level = money(threshold)
    window = window_minutes or DEFAULT_WINDOW
    return {
        "above": f"{symbol} at or above {level}",
        "below": f"{symbol} at or below {level}",
        "cross_above": f"{symbol} crosses above {level}",
        "cross_below": f"{symbol} crosses below {level}",
        "cross": f"{symbol} crosses {level} either way",
        "pct_change": f"{symbol} moves {threshold:g}% within {window} min",
        "moving_up_pct": f"{symbol} rises {threshold:g}% from its low within {window} min",
        "moving_down_pct": f"{symbol} falls {threshold:g}% from its high within {window} min",
        "moving_up": f"{symbol} rises {level} from its low within {window} min",
        "moving_down": f"{symbol} falls {level} from its high within {window} min",
    }[condition]



def rule_text(rule: Any) -> str:
    """A rule (an ``AlertRule`` or a row with its columns) in words, with its frequency
    when it is not 'once': "AAPL at or above $250.00 (every time)"."""
    text = condition_text(subject(rule.symbol), rule.condition, rule.threshold,
                          rule.window_minutes, rule.period, rule.upper)
    if rule.frequency == "once":
        return text
    return f"{text} ({frequency_name(rule.frequency, rule.cooldown_s).replace('_', ' ')})"


def is_paused(rule: Any) -> bool:
    return rule.snoozed_until is not None and rule.snoozed_until >= PAUSED_UNTIL
