"""Delivers the outbox. Each pending delivery is claimed into a ``Notification`` (grouped
per target and symbol after ``group_wait_s``) whose id is fixed before the first send, then
sent with that id as the idempotency key and marked sent. A crash between send and mark
means a resend of the identical message with the same key: never a loss, and a receiver
that honours the key drops the duplicate.

Targets are isolated: each has its own sender task, so a slow or failing webhook never
holds up the console or Discord. A failed send is retried with jittered exponential
backoff capped at ``retry_max_s`` until the notification is ``max_age_s`` old; only then
is it dead (a dead letter: ``on_dead`` tells the owner). Database work runs off the event
loop, and a busy or locked database is waited out, never fatal."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from tools.alerts.models import Delivery, Firing, Notification
from tools.alerts.targets import DeliveryTarget

log = structlog.get_logger(__name__)
SEND_TIMEOUT_S = 30.0  # a target that hangs longer has failed this attempt


class Dispatcher:
    def __init__(self, engine: Engine, targets: dict[str, DeliveryTarget],
                 clock: Callable[[], float] = time.time, group_wait_s: float = 2.0,
                 base_backoff_s: float = 1.0, retry_max_s: float = 300.0,
                 max_age_s: float = 86400.0, rng: random.Random | None = None,
                 on_dead: Callable[[list[Notification]], Awaitable[Any]] | None = None,
                 mute: Callable[[Firing], tuple[str, str] | None] | None = None,
                 render: Callable[[Firing], str | None] | None = None) -> None:
        self.sql = engine
        self.targets = targets
        self.clock = clock
        self.group_wait_s = group_wait_s
        self.base_backoff_s = base_backoff_s
        self.retry_max_s = retry_max_s
        self.max_age_s = max_age_s
        self.rng = rng or random.Random()
        self.on_dead = on_dead
        self.mute = mute  # (status, why) for a firing not to tell, None to tell it
        self.render = render  # a firing's text from its alert's template, None: as stored
        self._wake = asyncio.Event()
        self._senders: dict[str, asyncio.Task[None]] = {}
        self.sent = 0
        self.failures = 0
        self.dead = 0

    def wake(self) -> None:
        self._wake.set()

    # ---- claim: deliveries -> notifications (one transaction) ------------------------
    def claim(self, flush: bool = False) -> int:
        """Group due deliveries per target and symbol into notifications; firings a
        silence or an acknowledgement covers (``mute``) go into one that is never sent,
        its status saying why (silenced / acknowledged)."""
        now = self.clock()
        verdicts: dict[int, tuple[str, str] | None] = {}  # per firing, once per claim
        with Session(self.sql) as s:
            groups = s.exec(
                select(Delivery.target, Delivery.symbol, func.min(Delivery.created_at))
                .where(Delivery.notification_id == None)  # noqa: E711
                .group_by(Delivery.target, Delivery.symbol)
            ).all()
            made = 0
            for target, symbol, oldest in groups:
                if not flush and oldest > now - self.group_wait_s:
                    continue
                rows = s.exec(
                    select(Delivery, Firing).join(Firing, col(Firing.id) == col(Delivery.firing_id))
                    .where(Delivery.notification_id == None, Delivery.target == target,  # noqa: E711
                           Delivery.symbol == symbol)
                    .order_by(col(Delivery.id))
                ).all()
                batches: dict[tuple[str, str] | None, list[tuple[Delivery, Firing]]] = {}
                for delivery, firing in rows:
                    fid = firing.id or 0
                    if fid not in verdicts:
                        verdicts[fid] = self.mute(firing) if self.mute is not None else None
                    batches.setdefault(verdicts[fid], []).append((delivery, firing))
                for muted, batch in batches.items():
                    note = _notification(target, symbol, [f for _, f in batch], now,
                                         self.render)
                    if muted is not None:
                        note.status, note.last_error = muted
                    s.add(note)
                    s.flush()
                    for delivery, _ in batch:
                        delivery.notification_id = note.id
                        s.add(delivery)
                    made += muted is None
            s.commit()
        return made

    # ---- send ------------------------------------------------------------------------
    def _due(self, target: str | None = None) -> list[Notification]:
        with Session(self.sql) as s:
            q = select(Notification).where(Notification.status == "pending",
                                           Notification.next_attempt_at <= self.clock())
            if target is not None:
                q = q.where(Notification.target == target)
            return list(s.exec(q.order_by(col(Notification.id))).all())

    async def deliver_due(self) -> int:
        """Send everything due now, each target on its own (used by `step`)."""
        due = await asyncio.to_thread(self._due)
        by_target: dict[str, list[Notification]] = {}
        for note in due:
            by_target.setdefault(note.target, []).append(note)

        async def send_all(notes: list[Notification]) -> int:
            return sum([await self._send(n) for n in notes])

        return sum(await asyncio.gather(*(send_all(n) for n in by_target.values())))

    async def _send(self, note: Notification) -> int:
        target = self.targets.get(note.target)
        payload: dict[str, Any] = json.loads(note.body)
        payload["key"] = note.idempotency_key
        error = ""
        if target is None:
            error = f"no target named {note.target!r} is configured"
        else:
            try:
                await asyncio.wait_for(target.send(payload, note.idempotency_key),
                                       SEND_TIMEOUT_S)
            except asyncio.CancelledError:
                raise  # stopping: the notification stays due and is sent again, same key
            except TimeoutError:
                error = f"no answer within {SEND_TIMEOUT_S:g} s"
            except Exception as exc:  # noqa: BLE001 - any failure of one target is a retry
                error = str(exc) or type(exc).__name__
        died = await self._retry_busy(self._record, note, error)
        if died is not None and self.on_dead is not None:
            await self.on_dead([died])
        return 0 if error else 1

    def _record(self, note: Notification, error: str) -> Notification | None:
        """Mark the attempt; returns the notification when it just died."""
        with Session(self.sql) as s:
            row = s.get(Notification, note.id)
            if row is None or row.status != "pending":
                return None
            row.attempts += 1
            now = self.clock()
            if not error:
                row.status, row.sent_at = "sent", now
                self.sent += 1
            else:
                self.failures += 1
                row.last_error = error[:500]
                if now - row.created_at >= self.max_age_s:
                    row.status = "dead"
                    self.dead += 1
                    log.error("alert delivery gave up", target=row.target, error=error,
                              attempts=row.attempts)
                else:
                    backoff = min(self.retry_max_s, self.base_backoff_s * 2 ** row.attempts)
                    row.next_attempt_at = now + self.rng.uniform(backoff / 2, backoff)
                    log.warning("alert delivery failed; will retry", target=row.target,
                                error=error, attempt=row.attempts)
            s.add(row)
            s.commit()
            s.refresh(row)
            return row if row.status == "dead" else None

    async def _retry_busy(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` in a thread; a busy/locked database is waited out, with backoff."""
        delay = 0.05
        while True:
            try:
                return await asyncio.to_thread(fn, *args)
            except OperationalError as exc:
                log.warning("database busy; retrying", error=str(exc.orig), in_s=delay)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)

    # ---- dead letters ----------------------------------------------------------------
    def dead_letters(self) -> list[Notification]:
        with Session(self.sql) as s:
            return list(s.exec(select(Notification).where(Notification.status == "dead")
                               .order_by(col(Notification.id))).all())

    def retry_dead(self) -> int:
        """Give every dead letter a fresh life (a new max age from now), same key."""
        now = self.clock()
        with Session(self.sql) as s:
            rows = s.exec(select(Notification).where(Notification.status == "dead")).all()
            for row in rows:
                row.status, row.next_attempt_at, row.created_at = "pending", now, now
                s.add(row)
            s.commit()
        self.wake()
        return len(rows)

    def drop_dead(self) -> int:
        with Session(self.sql) as s:
            rows = s.exec(select(Notification).where(Notification.status == "dead")).all()
            for row in rows:
                row.status = "dropped"
                s.add(row)
            s.commit()
        return len(rows)

    # ---- loop ------------------------------------------------------------------------
    def _next_due(self) -> float | None:
        with Session(self.sql) as s:
            oldest = s.exec(select(func.min(Delivery.created_at)).where(
                Delivery.notification_id == None)).one()  # noqa: E711
            retry = s.exec(select(func.min(Notification.next_attempt_at)).where(
                Notification.status == "pending")).one()
        candidates = [t for t in (
            oldest + self.group_wait_s if oldest is not None else None, retry) if t is not None]
        return min(candidates) if candidates else None

    def pending(self) -> int:
        with Session(self.sql) as s:
            unclaimed = s.exec(select(func.count()).select_from(Delivery).where(
                Delivery.notification_id == None)).one()  # noqa: E711
            unsent = s.exec(select(func.count()).select_from(Notification).where(
                Notification.status == "pending")).one()
        return int(unclaimed) + int(unsent)

    async def step(self, flush: bool = False) -> int:
        await self._retry_busy(self.claim, flush)
        return await self.deliver_due()

    async def _sender(self, target: str) -> None:
        """One target's queue: its due notifications, in order, one at a time."""
        while True:
            due = await self._retry_busy(self._due, target)
            if not due:
                return
            for note in due:
                await self._send(note)

    def _kick(self) -> None:
        for name in self.targets:
            task = self._senders.get(name)
            if task is None or task.done():
                self._senders[name] = asyncio.create_task(self._sender(name),
                                                          name=f"deliver:{name}")

    async def run(self, until_empty: bool = False) -> None:
        """Deliver forever (woken by the engine), or until the outbox is empty."""
        try:
            while True:
                self._wake.clear()
                await self._retry_busy(self.claim)
                if until_empty:
                    await self.deliver_due()
                    if await self._retry_busy(self.pending) == 0:
                        return
                else:
                    self._kick()
                due = await self._retry_busy(self._next_due)
                timeout = None if due is None else max(0.05, due - self.clock())
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=timeout)
                except TimeoutError:
                    pass
        finally:
            for task in self._senders.values():
                task.cancel()
            await asyncio.gather(*self._senders.values(), return_exceptions=True)
            self._senders.clear()


def _notification(target: str, symbol: str, rows: list[Firing], now: float,
                  render: Callable[[Firing], str | None] | None = None) -> Notification:
    """One message for these firings, its payload frozen now (a template rendered once:
    a retry resends the very same text)."""
    firings: list[dict[str, Any]] = [
        {"firing_id": f.id, "rule_id": f.rule_id, "symbol": f.symbol, "price": f.price,
         "ts": f.tick_ts, "message": (render(f) if render else None) or f.message}
        for f in rows]
    text = firings[0]["message"] if len(firings) == 1 else (
        f"🔔 {len(firings)} alerts on {symbol}:\n"
        + "\n".join(f"• {f['message'].removeprefix('🔔 ')}" for f in firings))
    return Notification(target=target, symbol=symbol, created_at=now, next_attempt_at=now,
                        body=json.dumps({"symbol": symbol, "text": text, "firings": firings}))
