"""The alert engine: reacts to every tick on the bus, evaluates only that symbol's rules
through ``RuleIndex``, and writes each firing with its deliveries in one transaction
(the outbox) before anything is sent. Frequencies, cooldowns, snoozes and expiry are
timers that take a rule out of the index and put it back when due. Rules over a list and
``once_per_bar_close`` rules are registered by ``ListsAndCloses`` (fanout.py)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable

import structlog
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from core.bus import EventBus
from core.calendar import calendar_for
from core.events import ALERT_FIRED, TICKS, AlertFired
from core.market import Tick
from core.storage import kv_get
from tools.alerts import changes
from tools.alerts.changes import VERSION_KEY
from tools.alerts.fanout import ListsAndCloses, exchange_operators, next_period, rearms_by
from tools.alerts.index import RuleIndex
from tools.alerts.lists import list_name, migrate_firing_key
from tools.alerts.models import AlertRule
from tools.alerts.operators import OPERATORS
from tools.alerts.outbox import OutboxRow, OutboxWriter
from tools.alerts.views import SNOOZED, Batch, RuleChanges, RuleView, _message, _signature

TICK_BATCH = 256  # ticks handed over at once: what queued meanwhile (a lone tick at once)
TICK_QUEUE = 1_024  # ticks behind before the source is held back (lossless: core/bus.py)
BUSY_POLLS, BUSY_POLL_S, INF = 20, 0.0005, float("inf")  # SQLite busy: polled, then a thread
RULES_BY_ID = sa_select(AlertRule.__table__).where(  # type: ignore[attr-defined]
    AlertRule.__table__.c.id.in_(bindparam("ids", expanding=True)))  # type: ignore[attr-defined]

log = structlog.get_logger(__name__)
__all__ = ["VERSION_KEY", "AlertEngine", "Batch", "FiredAlert", "RuleChanges", "RuleView",
           "next_period"]
FiredAlert = AlertFired  # the bus payload; the name the engine's callers know


class AlertEngine(ListsAndCloses):
    def __init__(self, engine: Engine, bus: EventBus | None = None,
                 clock: Callable[[], float] = time.time,
                 on_outbox: Callable[[], None] | None = None,
                 members: Callable[[str], list[str]] | None = None) -> None:
        self.sql = engine
        self.bus = bus
        self.clock = clock
        self.on_outbox = on_outbox
        self.index = RuleIndex()
        self.operators = exchange_operators()  # indicator and channel rules, beside the index
        self.outbox = OutboxWriter(engine)
        self.rules: dict[int, RuleView] = {}
        # (due, seq, action, the view it was set for): a timer of a view since replaced
        # (the rule was edited, deleted, restored) is stale and skipped
        self._timers: list[tuple[float, int, str, RuleView]] = []
        self._seq = itertools.count()
        self._version: str | None = None
        self._cursor = 0  # the rule change log read up to here
        self._sigs: dict[int, tuple[object, ...]] = {}
        self.ticks = 0
        self.firings = 0
        self._unsubscribe: Callable[[], None] | None = None
        self.members = members  # the symbols on a list, by its name ("watchlist")
        self._reset_fanout()

    # ---- rule set -----------------------------------------------------------------
    def load(self) -> int:
        """(Re)build the index from the active rules in the database."""
        migrate_firing_key(self.sql)  # older databases: firings keyed per symbol too
        self.index = RuleIndex()
        self.operators = exchange_operators()
        self.rules.clear()
        self._sigs.clear()
        self._timers.clear()
        self._reset_fanout()
        # read before the rules: a change made meanwhile is applied again by ``sync``
        self._version = kv_get(self.sql, VERSION_KEY, "0")
        self._cursor = changes.head(self.sql)
        now = self.clock()
        with Session(self.sql) as s:
            rows = s.exec(select(AlertRule).where(AlertRule.active == True)).all()  # noqa: E712
            for rule in rows:
                self._admit(rule, now)
        for symbol in {v.symbol for v in self.rules.values()
                       if v.frequency in ("once_per_day", "once_per_bar_close")
                       and not list_name(v.symbol)}:
            calendar_for(symbol)  # built now (seconds, once) rather than at the first firing
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
        if not self._admit_list(rule, now):  # a list rule's own view only expires
            self._arm(view, rule, rule.last_fired_at, now)

    def add(self, rule: AlertRule) -> None:
        self.remove(rule.id or 0)
        self._admit(rule, self.clock())

    def remove(self, rule_id: int) -> None:
        view = self.rules.pop(rule_id, None)
        self._sigs.pop(rule_id, None)
        if view is not None:
            self._unindex(view)
        self._remove_members(rule_id)

    def snooze(self, rule_id: int, until: float) -> None:
        view = self.rules.get(rule_id)
        if view is not None:
            self._unindex(view)
            self._timer(until, "rearm", rule_id)
            self._snooze_members(rule_id, until)
            sig = self._sigs.get(rule_id)
            if sig is not None:  # the database says so too: ``sync`` has nothing to redo
                self._sigs[rule_id] = (*sig[:SNOOZED], until, *sig[SNOOZED + 1:])

    def _index(self, v: RuleView) -> None:
        if v.id in self._lists:
            return  # a list rule's own view: its members are indexed
        if not v.indexed and v.frequency == "once_per_bar_close":
            self._index_close(v)
        if not v.indexed and v.condition in OPERATORS:
            self.operators.add(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
            v.indexed = True
        if not v.indexed:
            self.index.add(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
            v.indexed = True

    def _unindex(self, v: RuleView) -> None:
        if v.indexed and v.frequency == "once_per_bar_close":
            self._unindex_close(v)
        if v.indexed and v.condition in OPERATORS:
            self.operators.remove(v.id, v.symbol, v.condition, v.threshold, v.period, v.upper)
            v.indexed = False
        if v.indexed:
            self.index.remove(v.id, v.symbol, v.condition, v.threshold, v.window_minutes)
            v.indexed = False

    def _timer(self, at: float, action: str, rule_id: int) -> None:
        view = self.rules.get(rule_id)
        if view is None:
            return
        if action == "rearm":
            view.rearm_at = max(view.rearm_at, at)
        heapq.heappush(self._timers, (at, next(self._seq), action, view))

    def _run_timers(self, now: float) -> None:
        expired: list[int] = []
        while self._timers and self._timers[0][0] <= now:
            at, _, action, timed = heapq.heappop(self._timers)
            rule_id = timed.id
            view = self.rules.get(rule_id)
            if view is not timed or (action == "rearm" and at < view.rearm_at):
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
            self.remove(rule_id)

    def changed_elsewhere(self) -> bool:
        """Whether another process (e.g. `copilot alerts add`) changed the rules since the
        last look: one small read, safe to run in a thread."""
        return kv_get(self.sql, VERSION_KEY, "0") != self._version

    def refresh_if_changed(self) -> None:
        if self.changed_elsewhere():
            self.sync()

    def sync(self) -> int:
        """Bring the index in line with the database (``read_changes`` then
        ``apply_changes``; ``copilot run`` does the reading in a thread)."""
        return self.apply_changes(self.read_changes())

    def read_changes(self) -> RuleChanges:
        """What changed since the last look, read from the database only (no engine state
        touched, so it may run in a thread): the rules the change log names, O(changes).
        A version bumped without the log, or a log pruned past our cursor, reads every
        active rule instead."""
        with self.sql.connect() as conn:  # one connection, Core reads: no ORM session
            version = conn.execute(changes.KV_VALUE, {"key": VERSION_KEY}).scalar() or "0"
            cursor, ids = changes.since(conn, self._cursor)
            explained = version.isdigit() and int(version) <= cursor
            if ids is None or (not explained and version != self._version):
                with Session(self.sql) as s:
                    rows = list(s.exec(select(AlertRule).where(AlertRule.active == True)))  # noqa: E712
                return RuleChanges(version, cursor, None, rows)
            # rows with the rule's columns as attributes: all the index reads of a rule
            found = list(conn.execute(RULES_BY_ID, {"ids": sorted(ids)})) if ids else []
        return RuleChanges(str(cursor) if explained else version, cursor, ids, found)

    def apply_changes(self, found: RuleChanges) -> int:
        """Update the index for each rule that changed (created, edited, snoozed, deleted,
        restored): O(log n) each; crossings keep their last price and windows their
        history. Memory only: runs in the event loop, between ticks."""
        now = self.clock()
        rows = {r.id or 0: r for r in found.rows}
        ids = found.ids if found.ids is not None else set(self.rules) | set(rows)
        changed = 0
        for rule_id in ids:
            rule = rows.get(rule_id)
            if rule is None or not rule.active:
                if rule_id in self.rules:
                    self.remove(rule_id)
                    changed += 1
            elif rule_id not in self.rules or self._sigs.get(rule_id) != _signature(rule):
                self.remove(rule_id)
                self._admit(rule, now)
                changed += 1
        self._cursor = max(self._cursor, found.cursor)
        self._version = found.version
        if changed:  # debug: a bulk edit from the CLI would print a line per rule
            log.debug("alert rules changed elsewhere; index updated", rules=changed,
                      how="log" if found.ids is not None else "every rule")
        return changed

    def sync_all(self) -> int:
        """Compare every active rule in the database with the index: the fallback, and the
        baseline the rule-change bench measures. O(n)."""
        with Session(self.sql) as s:
            rows = list(s.exec(select(AlertRule).where(AlertRule.active == True)))  # noqa: E712
        return self.apply_changes(RuleChanges(self._version or "0", self._cursor, None, rows))

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
            if self.rules.get(v.id) is v:  # not edited or deleted meanwhile
                self._index(v)

    async def handle(self, tick: Tick) -> None:
        """The bus handler for one tick (``handle_many`` with a batch of one)."""
        await self.handle_many([tick])

    async def handle_many(self, ticks: list[Tick]) -> None:
        """The bus handler: evaluation in the loop (index lookups), then the firings of
        the batch in one outbox commit. A rule that fired is committed before any later
        tick of the batch that could find it re-armed (a cooldown shorter than the batch's
        span, a backlog replayed after a reconnect), so a batch fires exactly what one tick
        at a time would."""
        if not ticks:
            return
        latest = max(t.ts for t in ticks) if len(ticks) > 1 else ticks[0].ts
        batches: list[Batch] = []
        evaluate = self.evaluate
        for tick in ticks:
            batch = evaluate(tick)
            if batch is None:
                continue
            batches.append(batch)
            if latest >= rearms_by(batch):
                await self._write(batches)
                batches = []
        if batches:
            await self._write(batches)

    async def _write(self, batches: list[Batch]) -> None:
        """Commit these batches' firings in one transaction — in the loop when SQLite is
        free, else polled briefly (the quote writer's commit takes milliseconds), else in a
        thread so a busy database never freezes the loop; a locked database is waited out
        and the same rows are written once it frees up — then publish them."""
        rows = [row for b in batches for row in b.rows]
        now = batches[-1].now
        delay, polls = 0.05, 0
        while True:
            try:
                found = self.outbox.try_write(rows, now)  # SQLite, not busy
                if found is None and polls < BUSY_POLLS:
                    polls += 1
                    await asyncio.sleep(BUSY_POLL_S)
                    continue
                ids = found if found is not None else \
                    await asyncio.to_thread(self.outbox.write, rows, now)
                break
            except OperationalError as exc:
                log.warning("outbox busy; retrying the firing", error=str(exc.orig), in_s=delay)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
            except BaseException:
                for batch in batches:
                    self._restore(batch)
                raise
        fired: list[FiredAlert] = []
        for batch in batches:
            n = len(batch.rows)
            fired += self._commit(batch, ids[:n])
            ids = ids[n:]
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
        rows = [OutboxRow(v.rule_id, v.symbol, tick.price, ts,
                          _message(v, tick.price, self._reading(v, tick.price)),
                          v.targets, v.keeps_active) for v in views]
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
        fired = [FiredAlert(fid, v.rule_id, v.symbol, tick.price, tick.ts, row.message,
                            v.condition, v.threshold, v.note, repeats=v.keeps_active)
                 for fid, v, row in zip(ids, batch.views, batch.rows, strict=True)]
        for v in batch.views:
            if v.frequency == "once":
                self.remove(v.id)  # the outbox made it inactive, even if edited meanwhile
            elif self.rules.get(v.id) is not v:
                continue  # edited while the outbox committed: the edit's view stands
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
        self._unsubscribe = bus.subscribe(TICKS, self.handle_many, name="alert-engine",
                                          maxsize=TICK_QUEUE, batch=TICK_BATCH, lossless=True)

    def detach(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None

    def close(self) -> None:
        self.detach()
        self.outbox.close()
