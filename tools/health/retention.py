"""What the health capability keeps as it ages: every check result for
COPILOT_HEALTH_RAW_DAYS (7), then one row per component and hour (the worst status, the
mean latency, how many results) for COPILOT_HEALTH_HOURLY_DAYS (90); closed incidents for
COPILOT_RETENTION_DAYS. An open incident is never deleted.

The roll-up keeps the hour's first row (updated to the summary) and deletes the others,
so a component's history stays in id order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from core.retention import DAY_S, Retention, cutoff, delete_ids, delete_where
from tools.health.models import CheckRun, Incident

HOUR_S = 3600.0
WORST = {"ok": 0, "degraded": 1, "down": 2}


def roll_up(engine: Engine, before: float) -> int:
    """Fold the raw results older than ``before`` (taken down to a whole hour) into one
    row per component and hour, a day at a time; how many rows went."""
    t = CheckRun.__table__  # type: ignore[attr-defined]
    end = before - before % HOUR_S
    gone = 0
    while True:
        with engine.connect() as conn:
            first = conn.execute(select(t.c.at).where(t.c.hourly.is_(False), t.c.at < end)
                                 .order_by(t.c.at).limit(1)).scalar()
        if first is None:
            return gone
        start = first - first % HOUR_S
        stop = min(end, start + DAY_S)
        gone += _roll_window(engine, start, stop)


def _roll_window(engine: Engine, start: float, stop: float) -> int:
    t = CheckRun.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.component, t.c.status, t.c.latency_ms,
                                   t.c.detail, t.c.at, t.c.samples)
                            .where(t.c.hourly.is_(False), t.c.at >= start, t.c.at < stop)
                            .order_by(t.c.id)).all()
    hours: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for row in rows:
        hours[(row.component, int(row.at // HOUR_S))].append(row)
    doomed: list[int] = []
    with engine.begin() as conn:
        for group in hours.values():
            keep, rest = group[0], group[1:]
            worst = max(group, key=lambda r: WORST.get(r.status, 2))
            latencies = [r.latency_ms for r in group if r.latency_ms is not None]
            bad = sum(r.status != "ok" for r in group)
            samples = sum(r.samples for r in group)
            detail = f"{samples} checks this hour, {bad} not ok"
            if bad:
                detail += f"; worst: {worst.detail}"[:300]
            conn.execute(update(t).where(t.c.id == keep.id).values(
                status=worst.status, hourly=True, samples=samples, detail=detail,
                latency_ms=sum(latencies) / len(latencies) if latencies else None))
            doomed += [r.id for r in rest]
    return delete_ids(engine, CheckRun, doomed)


def health_retention(engine: Engine, raw_days: float, hourly_days: float,
                     incident_days: float) -> Retention:
    def prune(now: float) -> int:
        gone = 0
        t = CheckRun.__table__  # type: ignore[attr-defined]
        if (drop := cutoff(now, hourly_days)) is not None:
            gone += delete_where(engine, CheckRun, t.c.at < drop)
        if (fold := cutoff(now, raw_days)) is not None:
            gone += roll_up(engine, fold)
        if (closed := cutoff(now, incident_days)) is not None:
            i = Incident.__table__  # type: ignore[attr-defined]
            gone += delete_where(engine, Incident, and_(
                i.c.status == "closed",
                or_(i.c.closed_at < closed, and_(i.c.closed_at.is_(None),
                                                 i.c.opened_at < closed))))
        return gone

    return Retention("health", prune)
