"""Alert rules as the owner manages them: create (validated, and refused when it would be a
harmful guess at the current price), edit, list, delete (one or many), snooze, and the
history of what fired with each delivery's state.

Every change appends the rule's id to the change log (and bumps the version) in the
database, so a running engine in another process updates just that rule in its index; an
engine in this process is updated directly."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.calendar import CRYPTO, is_crypto
from core.errors import InvalidInput, NotFound
from core.market import MarketData, normalize_symbol
from core.markettime import DEFAULT_ZONE
from core.storage import update_row
from core.when import parse_since, parse_until
from tools.alerts import changes
from tools.alerts.engine import AlertEngine
from tools.alerts.frequencies import stored_frequency
from tools.alerts.history import DeliveryState, FiringRecord, delivery_state
from tools.alerts.models import (
    MAX_SNOOZE_MINUTES,
    AlertRule,
    AlertSpec,
    Delivery,
    Firing,
    Notification,
    already_holds,
    finite_number,
    list_name,
    parse_spec,
)
from tools.alerts.templates import check_template, parse_targets, threshold_kind

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
                 cooldown_s: float = 300.0, timezone: str = DEFAULT_ZONE,
                 available_targets: tuple[str, ...] | None = None) -> None:
        self.sql = engine
        self.market = market
        self.alert_engine = alert_engine
        self.clock = clock
        self.default_targets = default_targets
        self.cooldown_s = cooldown_s
        self.timezone = timezone  # the owner's: phrases are read and times shown on it
        self.on_changed: Callable[[AlertRule], Any] | None = None  # a rule was edited
        self.available_targets = available_targets  # None: any well-formed name
        self.on_targets: Callable[[tuple[str, ...]], Any] | None = None  # names in use

    def _bump(self, *rule_ids: int | None) -> None:
        """Log which rules changed (none named: any may have, and engines re-read all)."""
        changes.record(self.sql, rule_ids, self.clock())

    def _expiry(self, expires_at: str | datetime | None, action: str,
                symbol: str | None = None) -> datetime | None:
        """An ISO date-time or a natural phrase ("friday", "eod", "friday's close", "for 2
        days"), read on the owner's clock and the symbol's exchange calendar, as an aware
        UTC datetime; past or unreadable is one sentence."""
        if expires_at is None or isinstance(expires_at, datetime):
            return expires_at
        if not isinstance(expires_at, str):
            raise InvalidInput(f"Can't {action} that alert: expires_at must be a date-time "
                               "such as '2026-12-01 14:30' or a phrase such as 'friday'.")
        if not expires_at.strip():
            return None
        try:
            # the NYSE calendar unless crypto (built only when a phrase names the open/close)
            ts = parse_until(expires_at, self.clock(), tz=self.timezone,
                             calendar=CRYPTO if symbol and is_crypto(symbol) else None)
        except InvalidInput as exc:
            reason = str(exc)
            if reason.startswith("'"):
                reason = f"the expiry {reason}"
            raise InvalidInput(f"Can't {action} that alert: {reason}") from None
        return datetime.fromtimestamp(ts, UTC)

    async def _price(self, symbol: str) -> float | None:
        if self.market is None or list_name(symbol):  # a list has no one price
            return None
        return (await self.market.quote(symbol)).quote.price  # an unknown symbol fails here

    async def create(self, *, symbol: str, condition: str, threshold: float,
                     window_minutes: int | None = None, frequency: str = "once",
                     expires_at: str | datetime | None = None, note: str = "",
                     owner: str = "owner", targets: str | tuple[str, ...] | None = None,
                     guard: bool = False, period: int | None = None,
                     upper: float | None = None,
                     template: str | None = None) -> tuple[AlertRule, float | None]:
        """Validate and store a rule; returns it with the current price (when known).

        ``guard``: refuse (``WouldMisfire``) a rule that would be a harmful guess at the
        current price — a level that already holds, a crossing from the wrong side."""
        spec: AlertSpec = parse_spec(
            symbol=symbol, condition=condition, threshold=threshold,
            window_minutes=window_minutes, frequency=frequency,
            expires_at=self._expiry(expires_at, "create", symbol), note=(note or "").strip(),
            period=period, upper=upper,
        )
        if spec.expires_at is not None and spec.expires_at.timestamp() <= self.clock():
            raise InvalidInput("Can't create that alert: expires_at is in the past.")
        names = parse_targets(targets, self.available_targets) or self.default_targets
        stored = stored_frequency(spec.frequency.value, self.cooldown_s)
        message = check_template(template)
        price = await self._price(spec.symbol)
        if guard and price is not None:
            misfire = already_holds(spec.symbol, spec.condition.value, spec.threshold, price)
            if misfire is not None:
                raise WouldMisfire(*misfire, price=price, verb="create")
        self._check_list(spec.symbol)
        rule = AlertRule(
            symbol=spec.symbol, condition=spec.condition.value, threshold=spec.threshold,
            window_minutes=spec.window_minutes, frequency=stored[0], cooldown_s=stored[1],
            expires_at=spec.expires_at.timestamp() if spec.expires_at else None,
            note=spec.note, owner=owner, targets=",".join(names), template=message,
            period=spec.period, upper=spec.upper, created_at=self.clock())
        with Session(self.sql) as s:
            s.add(rule)
            s.commit()
            s.refresh(rule)
        self._bump(rule.id)
        if self.on_targets is not None:
            self.on_targets(names)
        if self.alert_engine is not None:
            self.alert_engine.add(rule)
        return rule, price

    async def update(self, alert_id: int, *, threshold: float | None = None,
                     condition: str | None = None, frequency: str | None = None,
                     window_minutes: int | None = None,
                     expires_at: str | datetime | None = None, note: str | None = None,
                     guard: bool = False, period: int | None = None,
                     upper: float | None = None, targets: str | tuple[str, ...] | None = None,
                     template: str | None = None
                     ) -> tuple[AlertRule, AlertRule, float | None]:
        """Edit an active rule in place, validated like ``create``; returns (the rule as
        it is now, as it was, the current price). The engine follows at once in this
        process and within a second elsewhere; crossings and windows keep their history.
        ``expires_at``: a date-time or phrase, or "never" to remove the expiry; ``note``:
        "" removes it."""
        before = self._active(alert_id)
        if all(v is None for v in (threshold, condition, frequency, window_minutes,
                                   expires_at, note, period, upper, targets, template)):
            raise InvalidInput(f"Tell me what to change on alert {alert_id}: threshold, "
                               "condition, frequency, window_minutes, expires_at, note, "
                               "targets or template.")
        names = parse_targets(targets, self.available_targets, "update")
        message = check_template(template, "update") if template is not None else None
        new_condition = condition if condition is not None else before.condition
        if threshold is None and isinstance(new_condition, str) and \
                threshold_kind(new_condition) != threshold_kind(before.condition):
            unit = {"percent": "a percentage", "dollars": "a move in dollars",
                    "price": "a price level", "sessions": "the average's length in sessions",
                    "rsi": "an RSI level", "multiple": "a multiple of the average volume"
                    }[threshold_kind(new_condition)]
            raise InvalidInput(f"Can't update that alert: {new_condition} needs {unit} as "
                               "its threshold; give the new threshold too.")
        if isinstance(expires_at, str) and expires_at.strip().lower() in NO_EXPIRY:
            expiry: datetime | None = None
        elif expires_at is None:
            expiry = (datetime.fromtimestamp(before.expires_at, UTC)
                      if before.expires_at is not None else None)
        else:
            expiry = self._expiry(expires_at, "update", before.symbol)
            if expiry is not None and expiry.timestamp() <= self.clock():
                raise InvalidInput("Can't update that alert: expires_at is in the past.")
        window = window_minutes if window_minutes is not None else before.window_minutes
        spec = parse_spec(
            "update", symbol=before.symbol, condition=new_condition,
            threshold=threshold if threshold is not None else before.threshold,
            window_minutes=window, frequency=frequency or before.frequency_name,
            expires_at=expiry, note=(note if note is not None else before.note).strip(),
            **_operator_args(new_condition, before, period, upper),
        )
        freq, cooldown = stored_frequency(spec.frequency.value, self.cooldown_s)
        if frequency is None:  # an edit of something else keeps the rule's own cooldown
            cooldown = before.cooldown_s
        price = None
        if condition is not None or threshold is not None:
            price = await self._price(spec.symbol)
        if guard and price is not None:
            misfire = already_holds(spec.symbol, spec.condition.value, spec.threshold, price)
            if misfire is not None:
                raise WouldMisfire(*misfire, price=price, verb="update")
        rule = self._update_active(
            alert_id, condition=spec.condition.value, threshold=spec.threshold,
            window_minutes=spec.window_minutes, frequency=freq, cooldown_s=cooldown,
            expires_at=spec.expires_at.timestamp() if spec.expires_at else None,
            note=spec.note, period=spec.period, upper=spec.upper,
            targets=",".join(names) if names else before.targets,
            template=message if message is not None else before.template)
        self._bump(rule.id)
        if names and self.on_targets is not None:
            self.on_targets(names)
        if self.alert_engine is not None:
            self.alert_engine.add(rule)
        if self.on_changed is not None:  # an acknowledgement of the old alert ends
            self.on_changed(rule)
        return rule, before, price

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

    def _active(self, alert_id: int) -> AlertRule:
        rule = self.get(alert_id)
        if not rule.active:
            raise NotFound(f"There is no active alert {alert_id}; 'list alerts' shows them.")
        return rule

    def delete(self, alert_id: int) -> AlertRule:
        rule = self._update_active(alert_id, active=False)
        self._bump(rule.id)
        if self.alert_engine is not None:
            self.alert_engine.remove(alert_id)
        return rule

    def restore(self, alert_id: int) -> AlertRule:
        """Undo a delete."""
        _check_id(alert_id)
        rule = update_row(self.sql, AlertRule, alert_id, active=True,
                          not_found=f"There is no alert {alert_id}.")
        self._bump(rule.id)
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
        self._bump(rule.id)
        if self.alert_engine is not None:
            if until and until > self.clock():
                self.alert_engine.snooze(alert_id, until)
            else:
                self.alert_engine.add(rule)
        return rule

    def delete_many(self, alert_ids: list[int]) -> list[AlertRule]:
        """Delete the ones still active (a bulk delete confirmed later: some may be gone)."""
        deleted = []
        for alert_id in alert_ids:
            try:
                deleted.append(self.delete(alert_id))
            except NotFound:
                continue
        return deleted

    def restore_many(self, alert_ids: list[int]) -> list[AlertRule]:
        return [self.restore(alert_id) for alert_id in alert_ids]

    def active_symbols(self) -> list[str]:
        """The tickers alerts watch (named lists' members too; the watchlist is streamed
        anyway)."""
        rules = self.rules()
        out = {r.symbol for r in rules if not r.list_name}
        for name in {r.list_name for r in rules if r.list_name not in (None, "watchlist")}:
            out.update(self._members(name or ""))
        return sorted(out)

    def _members(self, name: str) -> list[str]:
        members = getattr(self.alert_engine, "members", None)
        return members(name) if callable(members) else []

    def _check_list(self, symbol: str) -> None:
        """An alert over a named list that has no ticker would watch nothing: asked."""
        name = list_name(symbol)
        if name and name != "watchlist" and self.alert_engine is not None \
                and not self._members(name):
            raise InvalidInput(f"Your {name} list has no tickers yet: add some first ('add "
                               f"NVDA to my {name} list'), then set the alert.")

    def recent_firings(self, since: float, symbol: str | None = None) -> list[Firing]:
        with Session(self.sql) as s:
            q = select(Firing).where(Firing.created_at >= since).order_by(col(Firing.id))
            if symbol:
                q = q.where(Firing.symbol == symbol)
            return list(s.exec(q).all())

    def history(self, symbol: str | None = None, since: str | float | None = None,
                limit: int = 50) -> tuple[list[FiringRecord], int, float | None]:
        """What fired, newest first, each with its deliveries' states; returns (records,
        how many fired in all since then, the start of the look-back)."""
        start: float | None
        if since is None or (isinstance(since, str) and not since.strip()):
            start = None
        elif isinstance(since, str):
            start = parse_since(since, self.clock(), tz=self.timezone)
        else:
            start = float(since)
        sym = normalize_symbol(symbol) if symbol else None
        with Session(self.sql) as s:
            q = select(Firing)
            count = select(func.count()).select_from(Firing)
            if start is not None:
                q = q.where(Firing.tick_ts >= start)
                count = count.where(Firing.tick_ts >= start)
            if sym:
                q = q.where(Firing.symbol == sym)
                count = count.where(Firing.symbol == sym)
            total = int(s.exec(count).one())
            firings = list(s.exec(q.order_by(col(Firing.tick_ts).desc(), col(Firing.id).desc())
                                  .limit(limit)).all())
            ids = [f.id for f in firings]
            rows = s.exec(
                select(Delivery, Notification)
                .join(Notification, col(Notification.id) == col(Delivery.notification_id),
                      isouter=True)
                .where(col(Delivery.firing_id).in_(ids))
                .order_by(col(Delivery.id))).all() if ids else []
        states: dict[int, list[DeliveryState]] = {}
        for delivery, note in rows:
            states.setdefault(delivery.firing_id, []).append(delivery_state(delivery, note))
        return ([FiringRecord(f, states.get(f.id or 0, [])) for f in firings], total, start)


def _operator_args(condition: object, before: AlertRule, period: int | None,
                   upper: float | None) -> dict[str, Any]:
    """An edit keeps the rule's period and upper bound while its condition still uses
    them (a new condition of another family starts without them)."""
    from tools.alerts.operators import CHANNEL_CONDITIONS, OPERATORS

    same = condition == before.condition or (
        condition in CHANNEL_CONDITIONS and before.condition in CHANNEL_CONDITIONS)
    keep = same and condition in OPERATORS
    return {"period": period if period is not None else (before.period if keep else None),
            "upper": upper if upper is not None else (before.upper if keep else None)}


NO_EXPIRY = ("never", "none", "no expiry", "no expiration", "forever", "clear", "remove")


class WouldMisfire(InvalidInput):
    """A new or edited rule would be a harmful guess at the current price (it would fire
    at once, or its crossing cannot happen as asked). Said as one question; ``force``
    (the tools) keeps the rule anyway."""

    def __init__(self, fact: str, question: str, *, price: float, verb: str = "create") -> None:
        self.fact, self.question, self.price = fact, question, price
        super().__init__(f"{fact}. {question} Say '{verb} it anyway' to keep it.")

    def with_hint(self, hint: str) -> str:
        """The same question with another way to insist (a CLI flag, a slash option)."""
        return f"{self.fact}. {self.question} {hint}"
