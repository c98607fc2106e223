"""The engine's registration of what is not one rule on one symbol's tick path.

A rule over a list (its symbol '@watchlist') is registered under each member symbol as a
view of its own (a negative id; ``rule_id`` names the rule), so the tick path stays per
symbol and each symbol keeps its own once / cooldown / session state; ``follow_lists``
registers symbols added to the list later and drops those removed. A ``once_per_bar_close``
rule is not on the tick path: ``settle_closes`` checks it on the last price at each
session's close (the tick index keeps that price in the symbol's book). Indicator, channel
and from-the-close rules at the close have an operator index of their own
(``CloseOperators``) fed that one price per session, so its averages, RSI and crossings
are the daily bars' (a crossing is close to close)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.bus import EventBus
from core.calendar import calendar_for
from core.events import ALERT_FIRED, AlertFired
from tools.alerts.index import RuleIndex
from tools.alerts.lists import list_name
from tools.alerts.models import AlertRule, Firing
from tools.alerts.operators import OPERATORS, OperatorIndex
from tools.alerts.outbox import OutboxRow, OutboxWriter
from tools.alerts.views import Batch, RuleView, _message

if TYPE_CHECKING:
    from tools.alerts.engine import RuleChanges

log = structlog.get_logger(__name__)


def next_period(symbol: str, ts: float) -> float:
    """When a ``once_per_day`` rule that fired at ``ts`` may fire again: the next trading
    session's open for equities (a holiday or weekend skipped), the next UTC midnight for
    crypto, which trades around the clock."""
    return calendar_for(symbol).rearm_after(datetime.fromtimestamp(ts, UTC)).timestamp()


def rearms_by(batch: Batch) -> float:
    """The earliest time a rule this batch fired is armed again (inf: never)."""
    ts, soonest = batch.tick.ts, float("inf")
    for v in batch.views:
        if v.frequency == "every_time":
            soonest = min(soonest, ts + v.cooldown_s)
        elif v.frequency != "once":
            soonest = min(soonest, next_period(v.symbol, ts))
    return soonest


class ExchangeOperators(OperatorIndex):
    """The operator index on each symbol's exchange calendar: sessions roll at midnight
    on its clock, a day's close is its last price up to the session's close (an
    after-hours trade is not the close), and daily bars are seeded as of the next close,
    so a session that closed before they arrived is among the completed ones."""

    calendar = True

    def __init__(self) -> None:
        super().__init__(lambda symbol: calendar_for(symbol).zone)

    def close_after(self, symbol: str, ts: float) -> float | None:
        return calendar_for(symbol).next_close(datetime.fromtimestamp(ts, UTC)).timestamp()

    def seed_as_of(self, symbol: str, now: float) -> float:
        return (self.close_after(symbol, now) or now + 1.0) - 1.0


def exchange_operators() -> OperatorIndex:
    return ExchangeOperators()


class CloseOperators(ExchangeOperators):
    """Operator rules checked at each close, fed one price per session (the closing one),
    seeded as of the close awaited (``closing``)."""

    def __init__(self, closing: dict[str, float]) -> None:
        super().__init__()
        self.closing = closing

    def seed_as_of(self, symbol: str, now: float) -> float:
        at = self.closing.get(symbol)
        return super().seed_as_of(symbol, now) if at is None else at - 1.0


class ListsAndCloses:
    """Mixed into ``AlertEngine``: the state and registration of list and bar-close rules."""

    sql: Engine
    bus: EventBus | None
    clock: Callable[[], float]
    on_outbox: Callable[[], None] | None
    outbox: OutboxWriter
    index: RuleIndex
    operators: OperatorIndex
    rules: dict[int, RuleView]
    members: Callable[[str], list[str]] | None
    firings: int

    if TYPE_CHECKING:
        def _index(self, v: RuleView) -> None: ...
        def _unindex(self, v: RuleView) -> None: ...
        def _timer(self, at: float, action: str, rule_id: int) -> None: ...
        def changed_elsewhere(self) -> bool: ...
        def read_changes(self) -> RuleChanges: ...
        def apply_changes(self, found: RuleChanges) -> int: ...

    def _reset_fanout(self) -> None:
        # a list rule's member views by symbol; its row, to register a symbol added later
        self._lists: dict[int, dict[str, int]] = {}
        self._list_rules: dict[int, AlertRule] = {}
        self._keys: Iterator[int] = itertools.count(-1, -1)
        # bar closes: the rules, fed one price per symbol and session; the close awaited
        self.closes = RuleIndex()
        self._closing: dict[str, float] = {}
        self.close_ops = CloseOperators(self._closing)
        self.indicator_indexes: tuple[OperatorIndex, ...] = (self.operators, self.close_ops)

    def _arm(self, view: RuleView, rule: AlertRule, last_fired_at: float | None,
             now: float) -> None:
        """Index the view, or set its re-arm timer (a snooze, a cooldown, the session)."""
        rearm_at = rule.snoozed_until or 0.0
        if last_fired_at is not None:
            if rule.frequency == "every_time":
                rearm_at = max(rearm_at, last_fired_at + rule.cooldown_s)
            elif rule.frequency == "once_per_day":
                rearm_at = max(rearm_at, next_period(view.symbol, last_fired_at))
        if rearm_at > now:
            self._timer(rearm_at, "rearm", view.id)
        else:
            self._index(view)

    def _admit_list(self, rule: AlertRule, now: float) -> bool:
        """Register a list rule's members (False for a rule on one symbol)."""
        if not list_name(rule.symbol):
            return False
        self._lists[rule.id or 0] = {}
        self._list_rules[rule.id or 0] = rule
        self._admit_members(rule, self._members_of(rule) or [], now)
        return True

    def _remove_members(self, rule_id: int) -> None:
        self._list_rules.pop(rule_id, None)
        for key in self._lists.pop(rule_id, {}).values():
            self._drop_member(key)

    def _snooze_members(self, rule_id: int, until: float) -> None:
        for key in self._lists.get(rule_id, {}).values():
            if key in self.rules:
                self._unindex(self.rules[key])
                self._timer(until, "rearm", key)

    async def tend(self) -> None:
        """What ``copilot run`` does every second: rules changed by another process (read
        in a thread, only those changed; applied in the loop, O(log n) each), the lists'
        changes, the closes due."""
        if await asyncio.to_thread(self.changed_elsewhere):
            self.apply_changes(await asyncio.to_thread(self.read_changes))
        if self._list_rules:
            self.follow_lists()
        await self.handle_closes()

    # ---- lists ----------------------------------------------------------------------
    def _members_of(self, rule: AlertRule) -> list[str] | None:
        """The symbols on the rule's list; None when it cannot be read now."""
        name = list_name(rule.symbol)
        if name is None or self.members is None:
            return []
        try:
            return list(dict.fromkeys(self.members(name)))
        except Exception as exc:  # the list cannot be read now: the next look retries
            log.warning("alert list unreadable", list=name, error=str(exc))
            return None

    def _admit_members(self, rule: AlertRule, symbols: list[str], now: float) -> None:
        """A view per new symbol, armed from that symbol's own last firing of this rule
        (a ``once`` rule that fired for a symbol stays spent for it)."""
        members = self._lists[rule.id or 0]
        symbols = [s for s in symbols if s not in members]
        if not symbols:
            return
        with Session(self.sql) as s:
            fired = dict(s.exec(select(Firing.symbol, func.max(Firing.tick_ts))
                                .where(Firing.rule_id == rule.id)
                                .where(col(Firing.symbol).in_(symbols))
                                .group_by(Firing.symbol)).all())
        for symbol in symbols:
            key = next(self._keys)
            members[symbol] = key
            last = fired.get(symbol)
            if rule.frequency == "once" and last is not None:
                continue  # spent for this symbol
            view = RuleView.of(rule)
            view.id, view.symbol, view.expires_at = key, symbol, None  # the rule's view expires
            self.rules[key] = view
            self._arm(view, rule, last, now)

    def follow_lists(self) -> int:
        """Register the symbols added to a list since the last look, drop those removed;
        returns how many changed. Reads the lists through ``members`` (a small query)."""
        changed = 0
        now = self.clock()
        for rule_id, rule in list(self._list_rules.items()):
            members = self._lists.get(rule_id)
            if members is None:
                continue
            now_on = self._members_of(rule)
            if now_on is None:
                continue
            gone = [s for s in members if s not in set(now_on)]
            for symbol in gone:
                self._drop_member(members.pop(symbol))
            before = len(members)
            self._admit_members(rule, now_on, now)
            changed += len(gone) + len(members) - before
        return changed

    @property
    def has_lists(self) -> bool:
        return bool(self._list_rules)

    def _drop_member(self, key: int) -> None:
        view = self.rules.pop(key, None)
        if view is not None:
            self._unindex(view)

    # ---- bar closes -----------------------------------------------------------------
    def _index_close(self, v: RuleView) -> None:
        """Checked at each close, on the last price: the tick index keeps that price in
        the symbol's book (an empty book costs a tick two comparisons)."""
        if v.symbol not in self._closing:
            self._closing[v.symbol] = calendar_for(v.symbol).next_close(
                datetime.fromtimestamp(self.clock(), UTC)).timestamp()
        if v.condition in OPERATORS:
            self.close_ops.add(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
        else:
            self.closes.add(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
        self.index._book(v.symbol)
        v.indexed = True

    def _unindex_close(self, v: RuleView) -> None:
        if v.condition in OPERATORS:
            self.close_ops.remove(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
        else:
            self.closes.remove(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
        v.indexed = False

    def settle_closes(self, now: float | None = None) -> list[AlertFired]:
        """The ``once_per_bar_close`` rules of each symbol whose session closed by
        ``now``, checked on the last price seen before the check (``copilot run`` checks
        within a second or two of the close): at most one firing per rule, symbol and
        bar, written to the outbox at the close's time. A symbol with no price yet waits
        for the next close."""
        views, rows = self._due_closes(self.clock() if now is None else now)
        if not rows:
            return []
        return self._closed(views, rows, self.outbox.write(rows, self.clock()))

    def _due_closes(self, now: float) -> tuple[list[RuleView], list[OutboxRow]]:
        """The bar-close firings due by ``now`` (memory only, nothing written)."""
        views: list[RuleView] = []
        rows: list[OutboxRow] = []
        due = [(sym, at) for sym, at in self._closing.items() if at <= now]
        for symbol, close_at in due:
            book = self.index.books.get(symbol)
            price = book.last if book is not None else None
            self._closing[symbol] = calendar_for(symbol).next_close(
                datetime.fromtimestamp(max(close_at, now), UTC)).timestamp()
            if price is None:
                continue
            ops = self.close_ops
            ids = self.closes.evaluate(symbol, price, close_at)
            if symbol in ops.books:
                ids += ops.evaluate(symbol, price, close_at)
            for i in ids:
                v = self.rules.get(i)
                if v is None or (v.expires_at is not None and v.expires_at <= now):
                    continue
                views.append(v)
                reading = ops.value_text(symbol, v.condition, v.threshold, v.period, price) \
                    if v.condition in OPERATORS else ""
                rows.append(OutboxRow(v.rule_id, symbol, price, close_at,
                                      _message(v, price, reading) + " at the close", v.targets,
                                      True))
        return views, rows

    def _closed(self, views: list[RuleView], rows: list[OutboxRow],
                ids: list[int]) -> list[AlertFired]:
        fired = [AlertFired(fid, v.rule_id, v.symbol, row.price, row.tick_ts, row.message,
                            v.condition, v.threshold, v.note, repeats=True)
                 for fid, v, row in zip(ids, views, rows, strict=True)]
        self.firings += len(fired)
        if self.on_outbox:
            self.on_outbox()
        return fired

    async def handle_closes(self) -> list[AlertFired]:
        """``settle_closes`` with the outbox commit in a thread, then on the bus."""
        if not self._closing or min(self._closing.values()) > self.clock():
            return []
        views, rows = self._due_closes(self.clock())  # in the loop, between ticks
        if not rows:
            return []
        ids = await asyncio.to_thread(self.outbox.write, rows, self.clock())
        fired = self._closed(views, rows, ids)
        if self.bus is not None:
            for alert in fired:
                await self.bus.publish(ALERT_FIRED, alert)
        return fired
