"""Delivers the outbox. Each pending delivery is claimed into a ``Notification`` (grouped
per target and symbol after ``group_wait_s``) whose id is fixed before the first send, then
sent with that id as the idempotency key and marked sent. A crash between send and mark
means a resend of the identical message with the same key: never a loss, and the receiver
can drop the duplicate. Failures retry with jittered exponential backoff."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tools.alerts.models import Delivery, Firing, Notification
from tools.alerts.targets import DeliveryFailed, DeliveryTarget

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(self, engine: Engine, targets: dict[str, DeliveryTarget],
                 clock: Callable[[], float] = time.time, group_wait_s: float = 2.0,
                 max_attempts: int = 8, base_backoff_s: float = 1.0, max_backoff_s: float = 300.0,
                 rng: random.Random | None = None) -> None:
        self.sql = engine
        self.targets = targets
        self.clock = clock
        self.group_wait_s = group_wait_s
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self.sent = 0
        self.failures = 0

    def wake(self) -> None:
        self._wake.set()

    # ---- claim: deliveries -> notifications (one transaction) ------------------------
    def claim(self, flush: bool = False) -> int:
        now = self.clock()
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
                firings: list[dict[str, Any]] = [
                    {"firing_id": f.id, "rule_id": f.rule_id, "symbol": f.symbol,
                     "price": f.price, "ts": f.tick_ts, "message": f.message}
                    for _, f in rows
                ]
                text = firings[0]["message"] if len(firings) == 1 else (
                    f"🔔 {len(firings)} alerts on {symbol}:\n"
                    + "\n".join(f"• {f['message'].removeprefix('🔔 ')}" for f in firings)
                )
                note = Notification(target=target, symbol=symbol, created_at=now,
                                    next_attempt_at=now,
                                    body=json.dumps({"symbol": symbol, "text": text,
                                                     "firings": firings}))
                s.add(note)
                s.flush()
                for delivery, _ in rows:
                    delivery.notification_id = note.id
                    s.add(delivery)
                made += 1
            s.commit()
        return made

    # ---- send ------------------------------------------------------------------------
    async def deliver_due(self) -> int:
        now = self.clock()
        with Session(self.sql) as s:
            due = s.exec(select(Notification).where(
                Notification.status == "pending", Notification.next_attempt_at <= now,
            ).order_by(col(Notification.id))).all()
        delivered = 0
        for note in due:
            delivered += await self._send(note)
        return delivered

    async def _send(self, note: Notification) -> int:
        target = self.targets.get(note.target)
        payload: dict[str, Any] = json.loads(note.body)
        payload["key"] = note.idempotency_key
        error = ""
        if target is None:
            error = f"no target named {note.target!r} is configured"
        else:
            try:
                await target.send(payload, note.idempotency_key)
            except DeliveryFailed as exc:
                error = str(exc)
        with Session(self.sql) as s:
            row = s.get(Notification, note.id)
            if row is None or row.status != "pending":
                return 0
            row.attempts += 1
            if not error:
                row.status, row.sent_at = "sent", self.clock()
                self.sent += 1
            else:
                self.failures += 1
                row.last_error = error
                if row.attempts >= self.max_attempts:
                    row.status = "dead"
                    log.error("alert delivery gave up", target=row.target, error=error)
                else:
                    backoff = min(self.max_backoff_s, self.base_backoff_s * 2 ** row.attempts)
                    row.next_attempt_at = self.clock() + self.rng.uniform(backoff / 2, backoff)
                    log.warning("alert delivery failed; will retry", target=row.target,
                                error=error, attempt=row.attempts)
            s.add(row)
            s.commit()
        return 0 if error else 1

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
        self.claim(flush=flush)
        return await self.deliver_due()

    async def run(self, until_empty: bool = False) -> None:
        """Deliver forever (woken by the engine), or until the outbox is empty."""
        while True:
            self._wake.clear()
            await self.step()
            if until_empty and self.pending() == 0:
                return
            due = self._next_due()
            timeout = None if due is None else max(0.0, due - self.clock())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=timeout if timeout else
                                       (0.05 if due is not None else None))
            except TimeoutError:
                pass
