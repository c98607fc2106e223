"""What the alerts capability lets go of as it ages (``COPILOT_RETENTION_DAYS``, 90 by
default): firings, their deliveries, notifications and the console's inbox. Never a
notification still pending or dead (a dead letter waits for the owner's retry or drop),
never a delivery not yet claimed or whose notification is one of those, never a firing
that still has such a delivery."""

from __future__ import annotations

from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.engine import Engine

from core.retention import Retention, cutoff, delete_where
from tools.alerts.console import ConsoleNotice
from tools.alerts.models import Delivery, Firing, Notification

KEPT = ("pending", "dead")  # undelivered: never deleted


def prune_alerts(engine: Engine, before: float) -> int:
    """Delete what is older than ``before`` and no longer owed to anyone."""
    f, d, n = (m.__table__ for m in (Firing, Delivery, Notification))  # type: ignore[union-attr]
    owed = select(n.c.id).where(n.c.status.in_(KEPT))
    gone = delete_where(engine, Delivery, and_(
        d.c.created_at < before, d.c.notification_id.is_not(None),
        not_(d.c.notification_id.in_(owed))))
    gone += delete_where(engine, Notification, and_(
        n.c.created_at < before, n.c.status.not_in(KEPT)))
    gone += delete_where(engine, Firing, and_(
        f.c.created_at < before, not_(exists().where(d.c.firing_id == f.c.id))))
    c = ConsoleNotice.__table__  # type: ignore[attr-defined]
    # the console's inbox: shown or not, a console opened after that long wants today's
    gone += delete_where(engine, ConsoleNotice, or_(
        c.c.created_at < before, and_(c.c.shown_at.is_not(None), c.c.shown_at < before)))
    return gone


def alert_retention(engine: Engine, days: float) -> Retention:
    def prune(now: float) -> int:
        before = cutoff(now, days)
        return 0 if before is None else prune_alerts(engine, before)

    return Retention("alerts", prune)
