"""An alert's own message and destinations: a template with ``{{placeholder}}`` slots
(filled by plain substitution, never evaluated) and the targets it is delivered to."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import InvalidInput
from core.markettime import format_local
from tools.alerts.models import AlertRule, Firing, condition_text, money
from tools.alerts.operators import MA_CONDITIONS

PLACEHOLDERS = ("ticker", "price", "condition", "threshold", "time", "note", "change_pct")
MAX_TEMPLATE = 500
_SLOT = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
# console, discord (a DM to the owner), webhook, discord:<channel id>
_TARGET = re.compile(r"^(console|discord|webhook|discord:\d{15,20})$")
TARGETS_HELP = "console, discord (a DM), discord:<channel id> or webhook"


def check_template(template: str | None, action: str = "create") -> str:
    """The template as stored ("" for none); one sentence for an unknown placeholder."""
    text = (template or "").strip()
    if len(text) > MAX_TEMPLATE:
        raise InvalidInput(f"Can't {action} that alert: the template is limited to "
                           f"{MAX_TEMPLATE} characters.")
    unknown = sorted({m.group(1) for m in _SLOT.finditer(text)} - set(PLACEHOLDERS))
    if unknown:
        known = " ".join("{{" + p + "}}" for p in PLACEHOLDERS)
        raise InvalidInput(f"Can't {action} that alert: {{{{{unknown[0]}}}}} is not a "
                           f"placeholder; the template may use {known}.")
    return text


def parse_targets(targets: str | Iterable[str] | None, available: Iterable[str] | None = None,
                  action: str = "create") -> tuple[str, ...] | None:
    """"console, discord:123…" or a list as target names (None: the defaults); one
    sentence for a name that is not a target, or a webhook that is not configured."""
    if targets is None:
        return None
    items = targets.split(",") if isinstance(targets, str) else list(targets)
    names = tuple(dict.fromkeys(str(t).strip().lower() for t in items if str(t).strip()))
    if not names:
        raise InvalidInput(f"Can't {action} that alert: name at least one target "
                           f"({TARGETS_HELP}).")
    for name in names:
        if not _TARGET.match(name):
            raise InvalidInput(f"Can't {action} that alert: {name[:40]!r} is not a target; "
                               f"use {TARGETS_HELP}.")
    if available is not None and "webhook" in names and "webhook" not in set(available):
        raise InvalidInput(f"Can't {action} that alert: no webhook is configured "
                           "(COPILOT_ALERT_WEBHOOK_URL).")
    return names


@dataclass
class Slots:
    ticker: str
    price: str
    condition: str
    threshold: str
    time: str
    note: str
    change_pct: str


def render(template: str, slots: Slots) -> str:
    """Each known ``{{slot}}`` replaced by its text; anything else left exactly as typed."""
    values = vars(slots)
    return _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def slots(rule: AlertRule, symbol: str, price: float, ts: float, tz: str,
          prev_close: float | None) -> Slots:
    """The placeholders' texts for a firing of ``rule`` at ``price``."""
    kind = threshold_kind(rule.condition)
    t = rule.threshold
    threshold = {"price": money(t), "dollars": money(t), "percent": f"{t:g}%",
                 "multiple": f"{t:g}x"}.get(kind, f"{t:g}")
    change = (f"{(price / prev_close - 1) * 100:+.2f}%" if prev_close else "n/a")
    return Slots(ticker=symbol, price=money(price),
                 condition=condition_text(symbol, rule.condition, t, rule.window_minutes,
                                          rule.period, rule.upper),
                 threshold=threshold, time=format_local(ts, tz), note=rule.note,
                 change_pct=change)


def firing_text(rule: AlertRule | None, firing: Firing, tz: str, market: object) -> str | None:
    """A firing's text from its alert's template; None when it has none (the standard
    text). ``{{change_pct}}`` is from the previous close of the last quote the market
    service holds (``last_quote``), "n/a" when it holds none."""
    if rule is None or not rule.template:
        return None
    last = getattr(market, "last_quote", None)
    quote = last(firing.symbol) if callable(last) else None
    return render(rule.template, slots(rule, firing.symbol, firing.price, firing.tick_ts, tz,
                                       getattr(quote, "prev_close", None)))


def routing_text(rule: AlertRule) -> str:
    """"; to console, discord:…; message: …" — said when an alert's targets or template
    were given, so the answer confirms them."""
    text = f"; to {', '.join(rule.targets.split(','))}"
    return text + (f"; message: {rule.template}" if rule.template else "")


def threshold_kind(condition: str) -> str:
    """'percent', 'dollars' (a move), 'sessions' (a moving average's length), 'rsi' (a
    level 0-100), 'multiple' (of the average volume) or 'price' (a level)."""
    from tools.alerts.models import DOLLAR_MOVES, PERCENT_MOVES

    if condition in MA_CONDITIONS:
        return "sessions"
    if condition in ("rsi_above", "rsi_below"):
        return "rsi"
    if condition == "volume_spike":
        return "multiple"
    if condition in PERCENT_MOVES:
        return "percent"
    return "dollars" if condition in DOLLAR_MOVES else "price"
