"""The daily housekeeping job: every capability's retention rules (``core.retention``),
run once a day at 04:30 on the owner's clock (`copilot jobs` lists it as
``housekeeping``), plus the kernel's own table (the SQL log of warnings and errors).
One rule failing is logged and the others still run."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import structlog

from core.capability import Capability, Job, Kernel
from core.logs import LogEntry
from core.retention import Retention, cutoff, delete_where

log = structlog.get_logger(__name__)
HOUR, MINUTE = 4, 30  # a quiet moment on the owner's clock


class Housekeeping(Capability):
    name = "housekeeping"

    def __init__(self, kernel: Kernel, rules: Callable[[], list[Retention]],
                 extra: list[Retention] | None = None) -> None:
        self.kernel = kernel
        self.rules = rules  # every component's rules, asked at each run
        self.extra = list(extra or [])  # rules of the agent (conversation threads)
        self.last: dict[str, int] = {}

    def retention(self) -> list[Retention]:
        days = self.kernel.settings.log_retention_days

        def logs(now: float) -> int:
            before = cutoff(now, days)
            if before is None:
                return 0
            return delete_where(self.kernel.db, LogEntry, LogEntry.__table__.c.at < before)  # type: ignore[attr-defined]

        return [Retention("log_entries", logs), *self.extra]

    def jobs(self) -> list[Job]:
        return [Job("housekeeping", self.run, "cron",
                    {"hour": HOUR, "minute": MINUTE,
                     "timezone": self.kernel.settings.timezone})]

    async def run(self, now: float | None = None) -> dict[str, int]:
        """Run every rule once; how many rows each removed."""
        now = self.kernel.clock() if now is None else now
        report: dict[str, int] = {}
        for rule in self.rules():
            try:
                result: Any
                if inspect.iscoroutinefunction(rule.prune):
                    result = await rule.prune(now)
                else:
                    result = await asyncio.to_thread(rule.prune, now)
                report[rule.name] = int(result)
            except Exception:  # noqa: BLE001 - one rule's failure never stops the others
                log.exception("retention rule failed", rule=rule.name)
                report[rule.name] = -1
        self.last = report
        log.info("housekeeping done", **report)
        return report
