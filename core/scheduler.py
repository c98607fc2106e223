"""APScheduler in-process, jobs persisted in the SQL database (SQLAlchemy job store).

Jobs are stored by textual reference (``core.scheduler:run_registered`` + a job name), as
APScheduler requires for persistent stores; the runtime registers the live callable for
each name at start-up. Listeners record every run and failure for the health page.

Besides APScheduler's triggers ("interval", "cron", "date") a job may run on the exchange
clock: trigger "session" with ``event`` ("open" or "close") and ``offset_minutes`` fires
once per trading session at that moment (holidays skipped, early closes respected), on the
sessions of ``day_of_week`` ("mon-fri", "fri") when given. Cron jobs run on UTC unless
they name a ``timezone`` (the owner's, for the times he set)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.triggers.base import BaseTrigger

from core.calendar import calendar_named

log = structlog.get_logger(__name__)

_REGISTRY: dict[str, Callable[..., Awaitable[Any]]] = {}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays(spec: str | None) -> frozenset[int]:
    """Cron's day-of-week words as weekday numbers: "mon-fri", "mon,wed,fri", "sat-sun",
    "*" (every day); Monday is 0."""
    if spec is None or spec.strip() in ("", "*"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in spec.lower().split(","):
        first, _, last = part.strip().partition("-")
        if first[:3] not in DAY_NAMES or (last and last[:3] not in DAY_NAMES):
            raise ValueError(f"{spec!r} is not a day-of-week list such as 'mon-fri' or "
                             "'mon,wed,fri'")
        a, b = DAY_NAMES.index(first[:3]), DAY_NAMES.index((last or first)[:3])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


async def run_registered(name: str, *args: Any) -> None:
    job = _REGISTRY.get(name)
    if job is None:
        log.warning("scheduled job has no live callable (not registered in this process)",
                    job=name)
        return
    await job(*args)


class SessionTrigger(BaseTrigger):
    """Fires at each trading session's open or close plus ``offset_minutes`` (negative:
    before). Only its settings are pickled into the job store; the calendar is looked up
    by name when the next run is computed."""

    def __init__(self, event: str = "open", offset_minutes: float = 0.0,
                 calendar: str = "XNYS", day_of_week: str | None = None) -> None:
        if event not in ("open", "close"):
            raise ValueError(f"event must be 'open' or 'close', not {event!r}")
        self.event, self.offset_minutes, self.calendar = event, float(offset_minutes), calendar
        self.day_of_week = day_of_week
        self._days = weekdays(day_of_week)

    def next_after(self, at: datetime) -> datetime:
        """The first fire time strictly after ``at`` (on a session of ``day_of_week``)."""
        cal = calendar_named(self.calendar)
        offset = timedelta(minutes=self.offset_minutes)
        edge = cal.next_open if self.event == "open" else cal.next_close
        for _ in range(32):  # a week of sessions at most, whatever the days asked
            moment = edge(at - offset)
            if moment.astimezone(cal.zone).weekday() in self._days:
                return moment + offset
            at = moment + offset
        raise ValueError(f"no {self.calendar} session falls on {self.day_of_week!r}")

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime
                           ) -> datetime | None:
        if previous_fire_time is not None:
            return self.next_after(previous_fire_time)
        return self.next_after(now - timedelta(microseconds=1))

    def __getstate__(self) -> dict[str, Any]:
        return {"event": self.event, "offset_minutes": self.offset_minutes,
                "calendar": self.calendar, "day_of_week": self.day_of_week}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.event, self.offset_minutes = state["event"], state["offset_minutes"]
        self.calendar = state.get("calendar", "XNYS")
        self.day_of_week = state.get("day_of_week")
        self._days = weekdays(self.day_of_week)

    def __str__(self) -> str:
        minutes = self.offset_minutes
        when = (f"{abs(minutes):g} min {'before' if minutes < 0 else 'after'} " if minutes
                else "at ")
        days = f", {self.day_of_week}" if self.day_of_week else ""
        return f"session[{when}the {self.event}{days}, {self.calendar}]"

    def __repr__(self) -> str:
        return (f"SessionTrigger(event={self.event!r}, offset_minutes={self.offset_minutes!r}, "
                f"calendar={self.calendar!r}, day_of_week={self.day_of_week!r})")


def make_trigger(trigger: str, **args: Any) -> BaseTrigger:
    """An APScheduler trigger object for a job declaration, "session" included."""
    if trigger == "session":
        return SessionTrigger(**args)
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.date import DateTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    kinds: dict[str, Any] = {"cron": CronTrigger, "interval": IntervalTrigger,
                             "date": DateTrigger}
    if trigger not in kinds:
        raise ValueError(f"unknown trigger {trigger!r}")
    if trigger == "date":
        return kinds[trigger](**args)
    return kinds[trigger](**{"timezone": UTC, **args})


def next_run(trigger: str, args: dict[str, Any], now: float) -> datetime | None:
    """When a declared job would run next, seen from ``now`` (for `copilot jobs`)."""
    at = datetime.fromtimestamp(now, UTC)
    fire: datetime | None = make_trigger(trigger, **args).get_next_fire_time(None, at)
    return fire


@dataclass(frozen=True)
class PlannedRun:
    """One job and when it runs next (None: never again)."""

    name: str
    trigger: str
    next_run: datetime | None


def plan(declared: list[tuple[str, str, dict[str, Any]]], stored: list[dict[str, Any]],
         now: float) -> list[PlannedRun]:
    """The declared jobs (name, trigger, args) with their next run seen from ``now``, plus
    the one-off jobs only the store knows of (a scheduled post), soonest first."""
    rows = []
    for name, trigger, args in declared:
        shown = str(make_trigger(trigger, **args)) if trigger == "session" else \
            f"{trigger}[{', '.join(f'{k}={v}' for k, v in args.items())}]"
        rows.append(PlannedRun(name, shown, next_run(trigger, args, now)))
    names = {name for name, _, _ in declared}
    rows += [PlannedRun(j["id"], j["trigger"], j["next_run"]) for j in stored
             if j["id"] not in names]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.next_run or far, r.name))


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
    _aps: Any = None

    @property
    def _scheduler(self) -> Any:
        """APScheduler and its SQL job store, built on first use: a process that never
        schedules anything (`copilot ask`) does not import it or open a second engine."""
        if self._aps is None:
            self._aps = self._build()
        return self._aps

    def _build(self) -> Any:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.db_url, tablename="scheduler_jobs")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 600},
            timezone="UTC",
        )
        scheduler.add_listener(self._on_event,
                               EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        return scheduler

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
        if trigger == "session":
            self._scheduler.add_job("core.scheduler:run_registered",
                                    SessionTrigger(**trigger_args), args=[name], id=name,
                                    name=name, replace_existing=True)
            return
        self._scheduler.add_job("core.scheduler:run_registered", trigger, args=[name], id=name,
                                name=name, replace_existing=True, **trigger_args)

    def register(self, name: str, fn: Callable[..., Awaitable[Any]]) -> None:
        """A callable that one-off jobs (``at``) refer to by name."""
        _REGISTRY[name] = fn

    def at(self, job_id: str, name: str, run_at: float, *args: Any) -> None:
        """Run the registered ``name`` once at ``run_at`` (persisted like every job)."""
        self._scheduler.add_job("core.scheduler:run_registered", "date",
                                run_date=datetime.fromtimestamp(run_at, UTC), args=[name, *args],
                                id=job_id, name=job_id, replace_existing=True)

    def jobs(self) -> list[dict[str, Any]]:
        """Every job with its next run (None while the scheduler is not started) and its
        trigger, as text."""
        return [{"id": j.id, "next_run": getattr(j, "next_run_time", None),
                 "trigger": str(j.trigger)} for j in self._scheduler.get_jobs()]

    async def stored(self) -> list[dict[str, Any]]:
        """The jobs kept in the database (what `copilot run` armed, one-off jobs included).
        A scheduler that is not running opens its store paused, reads, and closes it:
        nothing runs."""
        if self.running:
            return self.jobs()
        self._scheduler.start(paused=True)
        try:
            return self.jobs()
        finally:
            self._scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # APScheduler's asyncio flavour stops on the loop

    @property
    def running(self) -> bool:
        return self._aps is not None and bool(self._aps.running)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        if self.running:
            self._aps.shutdown(wait=False)
