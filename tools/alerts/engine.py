"""The alert engine: reacts to every tick on the bus, evaluates only that symbol's rules
through ``RuleIndex``, and writes each firing with its deliveries in one transaction
(the outbox) before anything is sent. Frequencies, cooldowns, snoozes and expiry are
timers that take a rule out of the index and put it back when due."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from core.bus import EventBus
from core.calendar import calendar_for
from core.events import ALERT_FIRED, TICKS, AlertFired
from core.market import Tick
from core.storage import kv_get
from tools.alerts.index import RuleIndex
from tools.alerts.models import AlertRule, money
from tools.alerts.operators import OPERATORS, OperatorIndex
from tools.alerts.outbox import OutboxRow, OutboxWriter

log = structlog.get_logger(__name__)
VERSION_KEY = "alerts_version"


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

    @classmethod
    def of(cls, rule: AlertRule) -> RuleView:
        return cls(rule.id or 0, rule.symbol, rule.condition, rule.threshold,
                   rule.window_minutes, rule.frequency, rule.cooldown_s, rule.expires_at,
                   rule.note, tuple(t for t in rule.targets.split(",") if t),
                   period=rule.period, upper=rule.upper)


FiredAlert = AlertFired  # the bus payload; the name the engine's callers know


@dataclass
class Batch:
    """One tick's firings between evaluation and the outbox commit."""

    tick: Tick
    views: list[RuleView]
    rows: list[OutboxRow]
    now: float


def next_period(symbol: str, ts: float) -> float:
    """When a ``once_per_day`` rule that fired at ``ts`` may fire again: the next trading
    session's open for equities (a holiday or weekend skipped), the next UTC midnight for
    crypto, which trades around the clock."""
    return calendar_for(symbol).rearm_after(datetime.fromtimestamp(ts, UTC)).timestamp()


class AlertEngine:
    def __init__(self, engine: Engine, bus: EventBus | None = None,
                 clock: Callable[[], float] = time.time,
                 on_outbox: Callable[[], None] | None = None) -> None:
        self.sql = engine
        self.bus = bus
        self.clock = clock
        self.on_outbox = on_outbox
        self.index = RuleIndex()
        self.operators = _operators()  # indicator and channel rules, beside the index
        self.outbox = OutboxWriter(engine)
        self.rules: dict[int, RuleView] = {}
        self._timers: list[tuple[float, int, str, int]] = []
        self._seq = itertools.count()
        self._version: str | None = None
        self._sigs: dict[int, tuple[object, ...]] = {}
        self.ticks = 0
        self.firings = 0
        self._unsubscribe: Callable[[], None] | None = None

    # ---- rule set -----------------------------------------------------------------
    def load(self) -> int:
        """(Re)build the index from the active rules in the database."""
        self.index = RuleIndex()
        self.operators = _operators()
        self.rules.clear()
        self._timers.clear()
        now = self.clock()
        with Session(self.sql) as s:
            rows = s.exec(select(AlertRule).where(AlertRule.active == True)).all()  # noqa: E712
            for rule in rows:
                self._admit(rule, now)
        self._version = kv_get(self.sql, VERSION_KEY, "0")
        return len(self.rules)

    def _admit(self, rule: AlertRule, now: float) -> None:
        view = RuleView.of(rule)
        self.rules[view.id] = view
        self._sigs[view.id] = _signature(rule)
        if view.expires_at is not None:
            if view.expires_at <= now:
                self._deactivate([view.id])
                return
            self._timer(view.expires_at, "expire", view.id)
        rearm_at = rule.snoozed_until or 0.0
        if rule.last_fired_at is not None:
            if rule.frequency == "every_time":
                rearm_at = max(rearm_at, rule.last_fired_at + rule.cooldown_s)
            elif rule.frequency == "once_per_day":
                rearm_at = max(rearm_at, next_period(rule.symbol, rule.last_fired_at))
        if rearm_at > now:
            self._timer(rearm_at, "rearm", view.id)
        else:
            self._index(view)

    def add(self, rule: AlertRule) -> None:
        self.remove(rule.id or 0)
        self._admit(rule, self.clock())

    def remove(self, rule_id: int) -> None:
        view = self.rules.pop(rule_id, None)
        if view is not None:
            self._unindex(view)

    def snooze(self, rule_id: int, until: float) -> None:
        view = self.rules.get(rule_id)
        if view is not None:
            self._unindex(view)
            self._timer(until, "rearm", rule_id)

    def _index(self, v: RuleView) -> None:
        if not v.indexed and v.condition in OPERATORS:
            self.operators.add(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
            v.indexed = True
        if not v.indexed:
            self.index.add(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
            v.indexed = True

    def _unindex(self, v: RuleView) -> None:
        if v.indexed and v.condition in OPERATORS:
            self.operators.remove(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
            v.indexed = False
        if v.indexed:
            self.index.remove(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
            v.indexed = False

    def _timer(self, at: float, action: str, rule_id: int) -> None:
        view = self.rules.get(rule_id)
        if action == "rearm" and view is not None:
            view.rearm_at = max(view.rearm_at, at)
        heapq.heappush(self._timers, (at, next(self._seq), action, rule_id))

    def _run_timers(self, now: float) -> None:
        expired: list[int] = []
        while self._timers and self._timers[0][0] <= now:
            at, _, action, rule_id = heapq.heappop(self._timers)
            view = self.rules.get(rule_id)
            if view is None or (action == "rearm" and at < view.rearm_at):
                continue
            if action == "expire":
                self._unindex(view)
                self.rules.pop(rule_id, None)
                expired.append(rule_id)
            elif action == "rearm":
                self._index(view)
        if expired:
            self._deactivate(expired)

    def _deactivate(self, rule_ids: list[int]) -> None:
        with Session(self.sql) as s:
            s.exec(update(AlertRule).where(col(AlertRule.id).in_(rule_ids)).values(active=False))
            s.commit()
        for rule_id in rule_ids:
            self.rules.pop(rule_id, None)

    def changed_elsewhere(self) -> bool:
        """Whether another process (e.g. `copilot alerts add`) changed the rules since the
        last load: one small read, safe to run in a thread."""
        return kv_get(self.sql, VERSION_KEY, "0") != self._version

    def refresh_if_changed(self) -> None:
        if self.changed_elsewhere():
            self.sync()

    def sync(self) -> int:
        """Bring the index in line with the database, touching only the rules that
        changed: crossings keep their last price and windows their history."""
        version = kv_get(self.sql, VERSION_KEY, "0")
        now = self.clock()
        with Session(self.sql) as s:
            rows = {r.id or 0: r for r in s.exec(
                select(AlertRule).where(AlertRule.active == True))}  # noqa: E712
        changed = 0
        for rule_id in [i for i in self.rules if i not in rows]:
            self.remove(rule_id)
            changed += 1
        for rule_id, rule in rows.items():
            if rule_id not in self.rules or self._sigs.get(rule_id) != _signature(rule):
                self.remove(rule_id)
                self._admit(rule, now)
                changed += 1
        self._version = version
        if changed:
            log.info("alert rules changed elsewhere; index updated", rules=changed)
        return changed

    # ---- ticks --------------------------------------------------------------------
    def process(self, tick: Tick) -> list[FiredAlert]:
        """Evaluate one tick and commit its firings to the outbox, synchronously."""
        batch = self.evaluate(tick)
        if batch is None:
            return []
        try:
            ids = self.outbox.write(batch.rows, batch.now)
        except BaseException:
            self._restore(batch)
            raise
        return self._commit(batch, ids)

    def _restore(self, batch: Batch) -> None:
        """The commit failed: the rules stay armed, as if the tick had not come."""
        for v in batch.views:
            if v.id in self.rules:
                self._index(v)

    async def handle(self, tick: Tick) -> None:
        """The bus handler: evaluation in the loop (index lookups), the outbox commit in a
        thread, so a busy database never freezes the loop; a locked database is waited
        out and the same rows are written once it frees up."""
        batch = self.evaluate(tick)
        if batch is None:
            return
        delay = 0.05
        while True:
            try:
                ids = await asyncio.to_thread(self.outbox.write, batch.rows, batch.now)
                break
            except OperationalError as exc:
                log.warning("outbox busy; retrying the firing", error=str(exc.orig), in_s=delay)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
            except BaseException:
                self._restore(batch)
                raise
        fired = self._commit(batch, ids)
        if self.bus is not None:
            for alert in fired:
                await self.bus.publish(ALERT_FIRED, alert)

    def evaluate(self, tick: Tick) -> Batch | None:
        """The rules this tick fires, as outbox rows (nothing written yet)."""
        self.ticks += 1
        ts = tick.ts
        if self._timers and self._timers[0][0] <= ts:
            self._run_timers(ts)
        ids = self._candidates(tick)
        if not ids:
            return None
        views = [self.rules[i] for i in ids]
        expired = [v for v in views if v.expires_at is not None and v.expires_at <= ts]
        views = [v for v in views if v not in expired]
        for v in expired:
            self._unindex(v)
        if expired:
            self._deactivate([v.id for v in expired])
        if not views:
            return None
        rows = [OutboxRow(v.id, v.symbol, tick.price, ts,
                          _message(v, tick.price, self._reading(v, tick.price)),
                          v.targets, v.frequency != "once") for v in views]
        for v in views:  # out of the index now: a tick queued meanwhile cannot fire it again
            self._unindex(v)
        return Batch(tick, views, rows, self.clock())

    def _reading(self, v: RuleView, price: float) -> str:
        if v.condition not in OPERATORS:
            return ""
        return self.operators.value_text(v.symbol, v.condition, v.threshold, v.period, price)

    def _candidates(self, tick: Tick) -> list[int]:
        """The armed rules this tick fires (the index; a benchmark may scan instead)."""
        ids = self.index.evaluate(tick.symbol, tick.price, tick.ts)
        if tick.symbol in self.operators.books:  # indicators follow every tick of theirs
            ids += self.operators.evaluate(tick.symbol, tick.price, tick.ts, tick.volume)
        return ids

    def _commit(self, batch: Batch, ids: list[int]) -> list[FiredAlert]:
        tick = batch.tick
        fired = [FiredAlert(fid, v.id, v.symbol, tick.price, tick.ts, row.message, v.condition,
                            v.threshold, v.note, repeats=v.frequency != "once")
                 for fid, v, row in zip(ids, batch.views, batch.rows, strict=True)]
        for v in batch.views:
            if v.frequency == "once":
                self.rules.pop(v.id, None)
            elif v.frequency == "every_time":
                self._timer(tick.ts + v.cooldown_s, "rearm", v.id)
            else:
                self._timer(next_period(v.symbol, tick.ts), "rearm", v.id)
        self.firings += len(fired)
        if self.on_outbox:
            self.on_outbox()
        return fired

    def attach(self, bus: EventBus) -> None:
        self.bus = bus
        self._unsubscribe = bus.subscribe(TICKS, self.handle, name="alert-engine")

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        self.detach()
        self.outbox.close()


def _signature(rule: AlertRule) -> tuple[object, ...]:
    """What, if changed in the database, means the engine must re-admit the rule."""
    return (rule.symbol, rule.condition, rule.threshold, rule.window_minutes, rule.frequency,
            rule.cooldown_s, rule.expires_at, rule.snoozed_until, rule.note, rule.targets,
            rule.period, rule.upper)


def _operators() -> OperatorIndex:
    """Sessions roll at midnight on each symbol's exchange clock (UTC for crypto)."""
    return OperatorIndex(lambda symbol: calendar_for(symbol).zone)


def _message(v: RuleView, price: float, reading: str = "") -> str:
    if v.condition in OPERATORS:
        from tools.alerts.models import condition_text

        said = condition_text(v.symbol, v.condition, v.threshold, None, v.period, v.upper)
        extra = f", {reading}" if reading else ""
        note = f" — {v.note}" if v.note else ""
        return f"🔔 {said}: now {money(price)}{extra} (alert {v.id}){note}"
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
    return f"🔔 {v.symbol} {what}: now {money(price)} (alert {v.id}){note}"
