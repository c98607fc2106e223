"""What the engine keeps of a rule (``RuleView``), what about a rule makes it re-admit it
(``_signature``), and the message a firing carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.market import Tick
from tools.alerts.models import AlertRule, money
from tools.alerts.operators import OPERATORS
from tools.alerts.outbox import OutboxRow


@dataclass(slots=True)
class RuleView:
    id: int
    symbol: str
    condition: str
    threshold: float
    window_minutes: int | None
    frequency: str
    cooldown_s: float
    expires_at: float | None
    note: str
    targets: tuple[str, ...]
    indexed: bool = False
    rearm_at: float = 0.0  # the latest re-arm wins (a snooze outlasts a cooldown)
    period: int | None = None  # indicator and channel operators (operators.py)
    upper: float | None = None
    # the rule's id in the database: ``id`` itself, except for a list rule's member views,
    # which the engine keys by a negative id of their own (one per symbol on the list)
    rule_id: int = 0

    @classmethod
    def of(cls, rule: AlertRule) -> RuleView:
        return cls(rule.id or 0, rule.symbol, rule.condition, rule.threshold,
                   rule.window_minutes, rule.frequency, rule.cooldown_s, rule.expires_at,
                   rule.note, tuple(t for t in rule.targets.split(",") if t),
                   period=rule.period, upper=rule.upper, rule_id=rule.id or 0)

    @property
    def keeps_active(self) -> bool:
        """A firing leaves the rule active: it repeats, or it is one symbol of a list."""
        return self.frequency != "once" or self.id != self.rule_id


SNOOZED = 7  # where snoozed_until sits in a signature


def _signature(rule: AlertRule) -> tuple[object, ...]:
    """What, if changed in the database, means the engine must re-admit the rule."""
    return (rule.symbol, rule.condition, rule.threshold, rule.window_minutes, rule.frequency,
            rule.cooldown_s, rule.expires_at, rule.snoozed_until, rule.note, rule.targets,
            rule.period, rule.upper)


def _message(v: RuleView, price: float, reading: str = "") -> str:
    if v.condition in OPERATORS:
        from tools.alerts.models import condition_text

        said = condition_text(v.symbol, v.condition, v.threshold, None, v.period, v.upper)
        extra = f", {reading}" if reading else ""
        note = f" — {v.note}" if v.note else ""
        return f"🔔 {said}: now {money(price)}{extra} (alert {v.rule_id}){note}"
    level = money(v.threshold)
    window = v.window_minutes or 60
    if v.condition == "cross":
        way = " above" if price > v.threshold else " below" if price < v.threshold else ""
        crossed = f"crossed{way} {level}"
    else:
        crossed = ""
    what = {
        "above": f"is at or above {level}",
        "below": f"is at or below {level}",
        "cross_above": f"crossed above {level}",
        "cross_below": f"crossed below {level}",
        "cross": crossed,
        "pct_change": f"moved {v.threshold:g}%+ within {window} min",
        "moving_up_pct": f"rose {v.threshold:g}%+ from its low within {window} min",
        "moving_down_pct": f"fell {v.threshold:g}%+ from its high within {window} min",
        "moving_up": f"rose {level}+ from its low within {window} min",
        "moving_down": f"fell {level}+ from its high within {window} min",
    }[v.condition]
    note = f" — {v.note}" if v.note else ""
    return f"🔔 {v.symbol} {what}: now {money(price)} (alert {v.rule_id}){note}"


@dataclass
class RuleChanges:
    """Rules read from the database for ``apply_changes``: those named by ``ids`` (a
    missing one was deleted), or, with ``ids`` None, every active rule."""

    version: str
    cursor: int
    ids: set[int] | None
    rows: list[Any]  # AlertRule, or a row of its columns (read by attribute alike)


@dataclass
class Batch:
    """One tick's firings between evaluation and the outbox commit."""

    tick: Tick
    views: list[RuleView]
    rows: list[OutboxRow]
    now: float

