"""Pause and resume alerts, one or every alert on a ticker.

A paused alert is an alert snoozed until ``PAUSED_UNTIL`` (the end of year 9999): the
engine already knows how to keep a snoozed rule out of its index and put it back when the
snooze is lifted, across processes, so pausing needs no second mechanism there. It stays
active (listed, editable) but never fires until resumed."""

from __future__ import annotations

from core.errors import InvalidInput, NotFound
from core.market import normalize_symbol
from tools.alerts.models import AlertRule
from tools.alerts.service import AlertService
from tools.alerts.wording import PAUSED_UNTIL, is_paused


def _targets(service: AlertService, alert_id: int | None,
             symbol: str | None, verb: str) -> list[AlertRule]:
    if (alert_id is None) == (not symbol):
        raise InvalidInput(f"Which alerts should I {verb}? Give an alert number or a ticker "
                           "(one of them); 'list alerts' shows them.")
    if alert_id is not None:
        rule = service.get(alert_id)
        if not rule.active:
            raise NotFound(f"There is no active alert {alert_id}; 'list alerts' shows them.")
        return [rule]
    return service.rules(normalize_symbol(symbol or ""))


def pause(service: AlertService, alert_id: int | None = None,
          symbol: str | None = None) -> list[AlertRule]:
    """Pause one alert, or every active alert on ``symbol``; returns the ones paused now
    (an alert already paused is left as it is)."""
    rules = _targets(service, alert_id, symbol, "pause")
    return [service.set_snooze(r.id or 0, PAUSED_UNTIL) for r in rules if not is_paused(r)]


def resume(service: AlertService, alert_id: int | None = None,
           symbol: str | None = None) -> list[AlertRule]:
    """Resume one paused alert, or every paused alert on ``symbol``; a snooze ends too
    (resume means: watch again now). Returns the ones resumed."""
    rules = _targets(service, alert_id, symbol, "resume")
    if alert_id is not None and not rules[0].snoozed_until:
        raise InvalidInput(f"Alert {alert_id} is not paused.")
    return [service.set_snooze(r.id or 0, None) for r in rules if r.snoozed_until]


def ids_text(rules: list[AlertRule]) -> str:
    return " ".join(f"#{r.id}" for r in rules)
