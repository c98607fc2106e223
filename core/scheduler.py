"""APScheduler in-process, jobs persisted in the SQL database (SQLAlchemy job store).

Jobs are stored by textual reference (``core.scheduler:run_registered`` + a job name), as
APScheduler requires for persistent stores; the runtime registers the live callable for
each name at start-up. Listeners record every run and failure for the health page."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_REGISTRY: dict[str, Callable[..., Awaitable[Any]]] = {}


async def run_registered(name: str, *args: Any) -> None:
    job = _REGISTRY.get(name)
    if job is None:
        log.warning("scheduled job has no live callable (not registered in this process)",
                    job=name)
        return
    await job(*args)


@dataclass
class JobStats:
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_run: float | None = None
    last_error: str = ""


@dataclass
class Scheduler:
    db_url: str
    stats: dict[str, JobStats] = field(default_factory=dict)
    _scheduler: Any = None

    def __post_init__(self) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.db_url, tablename="scheduler_jobs")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
            timezone="UTC",
        )
        self._scheduler.add_listener(self._on_event,
                                     EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def _on_event(self, event: Any) -> None:
        stats = self.stats.setdefault(event.job_id, JobStats())
        stats.last_run = time.time()
        if getattr(event, "exception", None) is not None:
            stats.failures += 1
            stats.consecutive_failures += 1
            stats.last_error = f"{type(event.exception).__name__}: {event.exception}"
            log.error("scheduled job failed", job=event.job_id, error=stats.last_error)
        elif getattr(event, "code", None) == 2 ** 14:  # EVENT_JOB_MISSED
            stats.last_error = "missed its run time"
        else:
            stats.runs += 1
            stats.consecutive_failures = 0

    def add(self, name: str, fn: Callable[[], Awaitable[Any]], trigger: str, **trigger_args: Any
            ) -> None:
        _REGISTRY[name] = fn
        self.stats.setdefault(name, JobStats())
        self._scheduler.add_job("core.scheduler:run_registered", trigger, args=[name], id=name,
                                name=name, replace_existing=True, **trigger_args)

    def register(self, name: str, fn: Callable[..., Awaitable[Any]]) -> None:
        """A callable that one-off jobs (``at``) refer to by name."""
        _REGISTRY[name] = fn

    def at(self, job_id: str, name: str, run_at: float, *args: Any) -> None:
        """Run the registered ``name`` once at ``run_at`` (persisted like every job)."""
        from datetime import UTC, datetime

        self._scheduler.add_job("core.scheduler:run_registered", "date",
                                run_date=datetime.fromtimestamp(run_at, UTC), args=[name, *args],
                                id=job_id, name=job_id, replace_existing=True)

    def jobs(self) -> list[dict[str, Any]]:
        return [{"id": j.id, "next_run": j.next_run_time} for j in self._scheduler.get_jobs()]

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
