"""Alert rules as the owner manages them: create (validated), list, delete, snooze.

Every change bumps a version in the database so a running engine in another process
reloads its index; an engine in this process is updated directly."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.market import MarketData
from core.storage import kv_get, kv_set, update_row
from tools.alerts.engine import VERSION_KEY, AlertEngine
from tools.alerts.models import (
    MAX_SNOOZE_MINUTES,
    AlertRule,
    AlertSpec,
    Firing,
    finite_number,
    parse_spec,
)

MAX_ID = 2**63 - 1  # what SQL can store; a bigger number cannot name an alert


def _check_id(alert_id: object) -> None:
    if isinstance(alert_id, bool) or not isinstance(alert_id, int) or not 0 < alert_id <= MAX_ID:
        shown = str(alert_id) if len(str(alert_id)) <= 20 else "with that number"
        raise NotFound(f"There is no alert {shown}; 'list alerts' shows them.")


class AlertService:
    def __init__(self, engine: Engine, market: MarketData | None = None,
                 alert_engine: AlertEngine | None = None,
                 clock: Callable[[], float] = time.time,
                 default_targets: tuple[str, ...] = ("console",),
                 cooldown_s: float = 300.0) -> None:
        self.sql = engine
        self.market = market
        self.alert_engine = alert_engine
        self.clock = clock
        self.default_targets = default_targets
        self.cooldown_s = cooldown_s

    def _bump(self) -> None:
        kv_set(self.sql, VERSION_KEY, str(int(kv_get(self.sql, VERSION_KEY, "0") or 0) + 1))

    async def create(self, *, symbol: str, condition: str, threshold: float,
                     window_minutes: int | None = None, frequency: str = "once",
                     expires_at: str | datetime | None = None, note: str = "",
                     owner: str = "owner", targets: tuple[str, ...] | None = None,
                     ) -> tuple[AlertRule, float | None]:
        """Validate and store a rule; returns it with the current price (when known)."""
        spec: AlertSpec = parse_spec(
            symbol=symbol, condition=condition, threshold=threshold,
            window_minutes=window_minutes, frequency=frequency, expires_at=expires_at,
            note=note or "",
        )
        if spec.expires_at is not None and spec.expires_at.timestamp() <= self.clock():
            raise InvalidInput("Can't create that alert: expires_at is in the past.")
        price = None
        if self.market is not None:
            price = (await self.market.quote(spec.symbol)).quote.price  # unknown symbol fails
        rule = AlertRule(
            symbol=spec.symbol, condition=spec.condition.value, threshold=spec.threshold,
            window_minutes=spec.window_minutes, frequency=spec.frequency.value,
            cooldown_s=self.cooldown_s,
            expires_at=spec.expires_at.timestamp() if spec.expires_at else None,
            note=spec.note, owner=owner, targets=",".join(targets or self.default_targets),
            created_at=self.clock(),
        )
        with Session(self.sql) as s:
            s.add(rule)
            s.commit()
            s.refresh(rule)
        self._bump()
        if self.alert_engine is not None:
            self.alert_engine.add(rule)
        return rule, price

    def rules(self, symbol: str | None = None, include_inactive: bool = False) -> list[AlertRule]:
        with Session(self.sql) as s:
            q = select(AlertRule).order_by(col(AlertRule.id))
            if symbol:
                q = q.where(AlertRule.symbol == symbol.upper())
            if not include_inactive:
                q = q.where(AlertRule.active == True)  # noqa: E712
            return list(s.exec(q).all())

    def get(self, alert_id: int) -> AlertRule:
        _check_id(alert_id)
        with Session(self.sql) as s:
            rule = s.get(AlertRule, alert_id)
        if rule is None:
            raise NotFound(f"There is no alert {alert_id}; 'list alerts' shows them.")
        return rule

    def _update_active(self, alert_id: int, **values: Any) -> AlertRule:
        _check_id(alert_id)
        return update_row(self.sql, AlertRule, alert_id, where=lambda r: r.active, **values,
                          not_found=f"There is no active alert {alert_id}; 'list alerts' "
                                    "shows them.")

    def delete(self, alert_id: int) -> AlertRule:
        rule = self._update_active(alert_id, active=False)
        self._bump()
        if self.alert_engine is not None:
            self.alert_engine.remove(alert_id)
        return rule

    def restore(self, alert_id: int) -> AlertRule:
        """Undo a delete."""
        _check_id(alert_id)
        rule = update_row(self.sql, AlertRule, alert_id, active=True,
                          not_found=f"There is no alert {alert_id}.")
        self._bump()
        if self.alert_engine is not None:
            self.alert_engine.add(rule)
        return rule

    def snooze(self, alert_id: int, minutes: float) -> AlertRule:
        number = finite_number(minutes)
        if number is None or not 1 <= number <= MAX_SNOOZE_MINUTES:
            raise InvalidInput(f"Snooze for between 1 minute and 30 days "
                               f"({MAX_SNOOZE_MINUTES:,} minutes).")
        return self.set_snooze(alert_id, self.clock() + number * 60)

    def set_snooze(self, alert_id: int, until: float | None) -> AlertRule:
        rule = self._update_active(alert_id, snoozed_until=until)
        self._bump()
        if self.alert_engine is not None:
            if until and until > self.clock():
                self.alert_engine.snooze(alert_id, until)
            else:
                self.alert_engine.add(rule)
        return rule

    def active_symbols(self) -> list[str]:
        return sorted({r.symbol for r in self.rules()})

    def recent_firings(self, since: float, symbol: str | None = None) -> list[Firing]:
        with Session(self.sql) as s:
            q = select(Firing).where(Firing.created_at >= since).order_by(col(Firing.id))
            if symbol:
                q = q.where(Firing.symbol == symbol)
            return list(s.exec(q).all())
