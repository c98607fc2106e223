"""The seam every capability plugs into.

A capability is one folder under ``tools/`` (or ``agent/decisions``) with one
``capability.py`` that builds its service from typed kernel parts and declares what it
brings: tables, tools (and which of them a guest may use), its share of the offline
grammar, scheduled jobs, health checks, retention rules for its tables, briefing
sections, decision kinds with their actions, the symbols it needs streamed, and its
``start``/``stop``. The composition root
builds the components in order and collects these declarations; nothing else has to
change to add one.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from core.bus import InProcessBus
from core.decisions import DecisionKind
from core.grammar import Grammar
from core.ports import BriefingSection, HealthCheck
from core.retention import Retention
from core.scheduler import Scheduler
from core.settings import Settings
from core.silences import SilenceBook
from core.supervisor import Supervisor

if TYPE_CHECKING:
    import httpx
    from langchain_core.tools import BaseTool

Clock = Callable[[], float]


@dataclass
class Job:
    """A scheduled job: ``trigger`` is APScheduler's ("interval", "cron"), ``args`` its
    arguments (``minutes=5``, ``day_of_week="mon-fri", hour=21``)."""

    name: str
    fn: Callable[[], Awaitable[Any]]
    trigger: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Kernel:
    """The parts every capability is built from. One per process."""

    settings: Settings
    db: Engine
    bus: InProcessBus
    supervisor: Supervisor
    scheduler: Scheduler
    http: httpx.AsyncClient
    clock: Clock = time.time
    # silences and acknowledgements: what not to tell the owner (Alertmanager's matchers)
    silences: SilenceBook = field(init=False)

    def __post_init__(self) -> None:
        self.silences = SilenceBook(self.db, self.clock, self.settings.timezone)


class Capability:
    """Base class: every declaration defaults to "nothing"."""

    name: str = ""
    tables: tuple[type[SQLModel], ...] = ()
    guest_tools: frozenset[str] = frozenset()  # tools a non-owner may use at all
    grammar: Grammar | None = None

    def tools(self) -> list[BaseTool]:
        return []

    def jobs(self) -> list[Job]:
        return []

    def checks(self) -> list[HealthCheck]:
        return []

    def retention(self) -> list[Retention]:
        """What of its own rows it lets go of as they age (run daily by
        ``core.housekeeping``); never a pending or undelivered row."""
        return []

    def briefing(self) -> list[BriefingSection]:
        return []

    def decision_kinds(self) -> list[DecisionKind]:
        return []

    def stream_symbols(self) -> Iterable[str]:
        """Symbols whose live ticks this capability needs."""
        return ()

    async def start(self) -> None:
        """Background work for `copilot run` (one-shot commands never call it)."""

    async def stop(self) -> None:
        """Undo ``start``; called once, in reverse order of start."""


class Components(list[Capability]):
    """The built capabilities, in build order, with their declarations collected."""

    def tables(self) -> list[type[SQLModel]]:
        return [t for c in self for t in c.tables]

    def tools(self) -> list[BaseTool]:
        return [t for c in self for t in c.tools()]

    def guest_tools(self) -> frozenset[str]:
        return frozenset(name for c in self for name in c.guest_tools)

    def grammars(self) -> list[Grammar]:
        return [c.grammar for c in self if c.grammar is not None]

    def jobs(self) -> list[Job]:
        return [j for c in self for j in c.jobs()]

    def checks(self) -> list[HealthCheck]:
        return [h for c in self for h in c.checks()]

    def retention(self) -> list[Retention]:
        return [r for c in self for r in c.retention()]

    def briefing(self) -> list[BriefingSection]:
        return [s for c in self for s in c.briefing()]

    def decision_kinds(self) -> list[DecisionKind]:
        return [k for c in self for k in c.decision_kinds()]

    def stream_symbols(self) -> set[str]:
        return {s for c in self for s in c.stream_symbols()}
