"""Runs the checks, keeps their history, and turns N consecutive failures into an
incident (and a decision for the owner); recovery closes it and says so."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlmodel import Session, col, select

from core.errors import NotFound
from core.logs import LogEntry
from core.ports import CheckResult, HealthCheck
from core.storage import update_row
from tools.health.models import CheckRun, Incident

log = structlog.get_logger(__name__)
SPARK = "▁▂▃▄▅▆▇█"


def fingerprint(detail: str) -> str:
    """What kind of failure a check's detail says, without the numbers that vary from
    one check to the next: "HTTP 500, expected 200" and "no answer within 5 s" differ,
    "slow: 2300 ms" and "slow: 2410 ms" do not."""
    return re.sub(r"(?<!HTTP )\b\d+(?:\.\d+)?", "#", detail).strip()


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return "".join(SPARK[min(7, int((v - lo) / span * 7))] for v in values)


class HealthMonitor:
    def __init__(self, engine: Any, checks: list[HealthCheck], threshold: int = 3,
                 clock: Callable[[], float] = time.time,
                 sources: Callable[[], list[HealthCheck]] = list) -> None:
        self.sql = engine
        self._own = {c.name: c for c in checks}
        self.sources = sources  # other capabilities' checks, asked each time
        self.threshold = threshold
        self.clock = clock
        self.failures: dict[str, int] = {}
        self.latest: dict[str, CheckRun] = {}
        # set by the capability: raise an incident decision / follow an open one (repeat,
        # changed failure, silence ended) / tell the owner it recovered
        self.on_incident: Callable[[Incident], Awaitable[Any]] | None = None
        self.on_still_down: Callable[[Incident, CheckRun], Awaitable[Any]] | None = None
        self.on_recovery: Callable[[Incident, str], Awaitable[Any]] | None = None

    @property
    def restart_actions(self) -> dict[str, Callable[[], Awaitable[str]]]:
        """What "Restart" runs, per component that has a restart hook."""
        return {name: hook for name, c in self.checks.items()
                if (hook := getattr(c, "restart", None)) is not None}

    @property
    def checks(self) -> dict[str, HealthCheck]:
        return {**self._own, **{c.name: c for c in self.sources()}}

    def add(self, check: HealthCheck) -> None:
        self._own[check.name] = check

    async def run(self, name: str) -> CheckRun:
        check = self.checks.get(name)
        if check is None:
            raise NotFound(f"No health check named {name!r}; known: {', '.join(self.checks)}.")
        result: CheckResult = await check.check()
        run = CheckRun(component=name, status=result.status, latency_ms=result.latency_ms,
                       detail=result.detail, at=self.clock())
        with Session(self.sql) as s:
            s.add(run)
            s.commit()
            s.refresh(run)
        self.latest[name] = run
        await self._track(name, run)
        return run

    async def run_all(self) -> list[CheckRun]:
        return [await self.run(name) for name in list(self.checks)]

    def open_incident(self, component: str) -> Incident | None:
        with Session(self.sql) as s:
            return s.exec(select(Incident).where(Incident.component == component,
                                                 Incident.status == "open")).first()

    async def _track(self, name: str, run: CheckRun) -> None:
        if run.status == "down":
            self.failures[name] = self.failures.get(name, 0) + 1
            incident = self.open_incident(name)
            if incident is None and self.failures[name] >= self.threshold:
                incident = Incident(component=name, opened_at=self.clock(),
                                    failures=self.failures[name], last_error=run.detail,
                                    fingerprint=fingerprint(run.detail))
                with Session(self.sql) as s:
                    s.add(incident)
                    s.commit()
                    s.refresh(incident)
                log.error("incident opened", component=name, detail=run.detail)
                if self.on_incident is not None:
                    decision = await self.on_incident(incident)
                    if decision is not None:
                        self.update(incident.id or 0, decision_id=decision.id)
            elif incident is not None:
                self.update(incident.id or 0, failures=self.failures[name],
                            last_error=run.detail)
                if self.on_still_down is not None:  # with the incident as it was before
                    await self.on_still_down(incident, run)
            return
        self.failures[name] = 0
        if run.status == "ok":
            incident = self.open_incident(name)
            if incident is not None:
                closed = self.update(incident.id or 0, status="closed", closed_at=self.clock())
                minutes = (closed.closed_at - closed.opened_at) / 60  # type: ignore[operator]
                message = f"{name} recovered after {minutes:.0f} min; incident {closed.id} closed."
                log.warning("incident closed", component=name, minutes=round(minutes, 1))
                if self.on_recovery is not None:
                    await self.on_recovery(closed, message)

    def update(self, incident_id: int, **values: Any) -> Incident:
        return update_row(self.sql, Incident, incident_id,
                          not_found=f"There is no incident {incident_id}.", **values)

    # ---- reading ----------------------------------------------------------------------
    def history(self, component: str, limit: int = 20) -> list[CheckRun]:
        with Session(self.sql) as s:
            rows = s.exec(select(CheckRun).where(CheckRun.component == component)
                          .order_by(col(CheckRun.id).desc()).limit(limit)).all()  # type: ignore[union-attr]
        return list(reversed(rows))

    def incidents(self, status: str | None = "open") -> list[Incident]:
        with Session(self.sql) as s:
            q = select(Incident).order_by(col(Incident.id))
            if status:
                q = q.where(Incident.status == status)
            return list(s.exec(q).all())

    def summary(self) -> list[dict[str, Any]]:
        rows = []
        for name in self.checks:
            history = self.history(name)
            last = history[-1] if history else None
            rows.append({
                "component": name, "status": last.status if last else "unknown",
                "detail": last.detail if last else "not checked yet",
                "latency_ms": last.latency_ms if last else None,
                "spark": sparkline([h.latency_ms or 0.0 for h in history]),
                "uptime": (sum(h.status == "ok" for h in history) / len(history)) if history else None,
                "at": last.at if last else None,
            })
        return rows

    def recent_errors(self, component: str | None = None, since_minutes: float = 60,
                      limit: int = 50) -> list[LogEntry]:
        since = self.clock() - since_minutes * 60
        with Session(self.sql) as s:
            q = select(LogEntry).where(LogEntry.at >= since).order_by(col(LogEntry.id).desc()).limit(limit)
            if component:
                q = q.where(col(LogEntry.component).contains(component))
            return list(s.exec(q).all())
