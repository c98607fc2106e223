"""The decisions component: the decision port (every other capability raises its
questions through it), the memory of past choices, the daily briefings, housekeeping
(expiry and reminders) and the decision tools."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.decisions.digest import activity_lines, pending_lines, start_of_day
from agent.decisions.grammar import GRAMMAR
from agent.decisions.service import FOLLOW_UP, DecisionService
from agent.decisions.silencing import silence_actions
from core.calendar import NEW_YORK
from core.capability import Capability, Job, Kernel
from core.decisions import Decision, DecisionEvent, DecisionKind, Option
from core.markettime import format_local, local
from core.ports import BriefingSection, CheckResult, HealthCheck, TextModel
from core.retention import Retention
from core.silences import Silence
from memory.decisions import DecisionMemory
from memory.embeddings import make_embedder
from memory.rebuild import MemoryKeeper, MemoryStatus

# what the memory keeper's state means for the ``memory`` health check
CHECK_STATUS = {"ok": "ok", "down": "down"}
log = structlog.get_logger(__name__)


def build_memory(kernel: Kernel) -> DecisionMemory:
    settings = kernel.settings
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    embedder = make_embedder(settings.embedder, key, threads=settings.embed_threads)
    return DecisionMemory(embedder, path=settings.chroma_path, host=settings.chroma_host)


class DecisionsCapability(Capability):
    name = "decisions"
    tables = (Decision, DecisionEvent, Silence)  # silences: the kernel's book, kept here
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, checkpointer: BaseCheckpointSaver[Any],
                 sections: Callable[[], list[BriefingSection]] = list,
                 llm: TextModel | None = None) -> None:
        self.kernel = kernel
        self.checkpointer = checkpointer
        settings = kernel.settings
        self.sections = sections  # every capability's part of the briefing
        memory = build_memory(kernel)
        self.service = DecisionService(
            kernel.db, memory, checkpointer, bus=kernel.bus, clock=kernel.clock,
            ttl_hours=settings.decision_ttl_hours, undo_minutes=settings.undo_window_minutes,
            autopilot_n=settings.autopilot_min_agreeing,
            autopilot_similarity=settings.autopilot_similarity, llm=llm,
            timezone=settings.timezone)
        self.service.register_kind(DecisionKind("briefing"))
        self.service.register_kind(DecisionKind(
            FOLLOW_UP, description="A chosen option failed: retry, another option, or leave it."))
        # "Silence for 1 hour", "Acknowledge" and their undo, for every kind's options
        self.service.register_actions(*silence_actions(kernel.silences))
        # the SQL log is the truth; the keeper mends the vector memory from it
        self.keeper = MemoryKeeper(memory, kernel.db, clock=kernel.clock,
                                   timezone=settings.timezone)
        self.memory_check_s = 60.0  # how often the running instance looks at the store
        self.memory_retry_s = (5.0, 300.0)  # backoff while it is unusable
        self.memory_start_wait_s = 5.0  # how long start waits for a rebuild to finish
        self._memory_wake: asyncio.Event | None = None
        self._memory_pass: asyncio.Event | None = None
        self._warming: asyncio.Future[None] | None = None

    def retention(self) -> list[Retention]:
        from agent.decisions.retention import decision_retention

        s = self.kernel.settings
        return decision_retention(self.kernel.db, self.checkpointer,
                                  s.decision_retention_days, s.decision_checkpoint_days)

    def tools(self) -> list[BaseTool]:
        from agent.decisions.silencing import make_silence_tools
        from agent.decisions.tools import make_decision_tools

        return [*make_decision_tools(self.service, briefing=self.briefing_text,
                                     digest=self.digest_text),
                *make_silence_tools(self.kernel.silences)]

    def checks(self) -> list[HealthCheck]:
        from core.ports import FnCheck

        async def memory() -> CheckResult:
            status = self.keeper.status
            if self._memory_pass is None:  # not started (a one-shot command): look, don't mend
                status = await asyncio.to_thread(self.keeper.ensure, False)
            return CheckResult(CHECK_STATUS.get(status.state, "degraded"), status.detail)

        return [FnCheck("memory", memory, restart=self.rebuild_memory)]

    # ---- the vector memory, kept true to the decision log ------------------------------
    async def rebuild_memory(self) -> str:
        """The memory incident's Restart: check and mend the store now."""
        if self._memory_wake is not None:
            self._memory_wake.set()
            return "Checking the decision memory and rebuilding it from the log now."
        status = await asyncio.to_thread(self.keeper.ensure)
        return f"Decision memory: {status.detail}."

    async def keep_memory(self) -> None:
        """Check (and mend) the store now, then every ``memory_check_s``, at once when a
        read or write failed, with backoff while it stays unusable."""
        assert self._memory_wake is not None and self._memory_pass is not None
        wake, passed = self._memory_wake, self._memory_pass
        retry = self.memory_retry_s[0]
        while True:
            wake.clear()
            status = await asyncio.to_thread(self.keeper.ensure)
            passed.set()
            if status.state == "down":
                delay, retry = retry, min(self.memory_retry_s[1], retry * 2)
            else:
                delay, retry = self.memory_check_s, self.memory_retry_s[0]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)

    async def memory_ready(self, timeout: float | None = None) -> MemoryStatus:
        """The keeper's status once its first pass (check, and rebuild if needed) ended."""
        if self._memory_pass is not None:
            await asyncio.wait_for(self._memory_pass.wait(), timeout)
        return self.keeper.status

    def briefing(self) -> list[BriefingSection]:
        return [self.pending_section]

    async def pending_section(self) -> str:
        return "\n".join(self.pending_by_kind())

    async def section_lines(self) -> list[str]:
        """Every capability's part of the briefing, in build order; a section that fails
        is left out (and logged), never the whole briefing."""
        lines = []
        for section in self.sections():
            try:
                text = await section()
            except Exception:  # noqa: BLE001 - one capability must not cancel the briefing
                log.exception("briefing section failed", section=getattr(section, "__name__", ""))
                continue
            if text:
                lines.append(text)
        return lines

    def pending_by_kind(self) -> list[str]:
        """The pending decisions grouped by kind, biggest group first, with counts."""
        return pending_lines(self.service.by_kind(self.service.pending()))

    async def briefing_text(self) -> str:
        """The briefing on demand ("brief me"): the scheduled briefing's sections, the
        pending decisions grouped by kind among them. Raises no decision."""
        when = format_local(self.kernel.clock(), self.kernel.settings.timezone, year=True)
        return "\n".join([f"**Briefing, {when}**", *await self.section_lines()])

    async def digest_text(self, hours: float | None = None, undo: str = "undo {id}") -> str:
        """What's waiting (by kind, with counts) and what happened without the owner
        today, or in the last ``hours`` (autopilot's choices with their undo, expiries,
        questions gone)."""
        now = self.kernel.clock()
        if hours is None:
            since, word = start_of_day(now, self.kernel.settings.timezone), "today"
        else:
            since, word = now - hours * 3600, f"in the last {hours:g} h"
        return "\n".join([*self.pending_by_kind(),
                          *activity_lines(self.service.resolved_since(since), word, undo,
                                          self.kernel.settings.timezone)])

    async def briefing_decision(self, session: str) -> Decision:
        """Movers, alerts fired, drafts waiting, pending decisions: whatever each
        capability adds, as one decision to acknowledge (or turn into a recap post)."""
        lines = await self.section_lines()
        # the session's date on the exchange's clock, wherever the owner lives
        day = local(self.kernel.clock(), NEW_YORK).strftime("%Y-%m-%d")
        options = [
            Option(id="ack", label="Got it", action="noop", args={"summary": "Briefing read."}),
            Option(id="draft_recap", label="Draft a market recap post", action="draft_content",
                   args={"topic": f"{session} market recap", "channel": "discord"}),
        ]
        return await self.service.raise_decision(
            "briefing", f"{session.capitalize()} briefing {day}", options,
            context="\n".join(lines), source_key=f"briefing:{day}:{session}", default="ack",
            ttl_s=8 * 3600)

    def jobs(self) -> list[Job]:
        async def pre_open() -> None:
            await self.briefing_decision("pre-open")

        async def after_close() -> None:
            await self.briefing_decision("after-close")

        async def housekeeping() -> None:
            await self.service.expire_stale()
            await self.service.remind()

        return [
            # on the exchange clock: 15 min before each NYSE open and after each close
            # (holidays skipped, early closes respected, DST followed)
            Job("briefing_pre_open", pre_open, "session",
                {"event": "open", "offset_minutes": -15}),
            Job("briefing_after_close", after_close, "session",
                {"event": "close", "offset_minutes": 15}),
            Job("decision_housekeeping", housekeeping, "interval", {"minutes": 5}),
        ]

    async def start(self) -> None:
        """The memory is checked (and rebuilt from the log if it is missing, empty or
        damaged) in the background; start waits a few seconds for it so the first
        decisions are recommended from it, never longer. Then half-raised decisions are
        raised again."""
        loop = asyncio.get_running_loop()
        self._warming = self.warm_embedder()
        self._memory_wake, self._memory_pass = asyncio.Event(), asyncio.Event()
        wake = self._memory_wake
        memory = self.service.memory
        if memory is not None:
            def failed(_exc: Exception) -> None:  # called from a worker thread
                loop.call_soon_threadsafe(wake.set)

            memory.on_failure = failed
        self.keeper.resume()
        self.kernel.supervisor.spawn("memory", self.keep_memory)
        with contextlib.suppress(TimeoutError):
            await self.memory_ready(self.memory_start_wait_s)
        await self.service.repair()

    def warm_embedder(self) -> asyncio.Future[None] | None:
        """Load the embedding model in a worker thread now, so the first firing never
        waits for it (nor does the event loop). Not awaited: start goes on meanwhile."""
        memory = self.service.memory
        embedder = memory.embedder if memory is not None else None
        warm = getattr(embedder, "warm", None)
        if warm is None:
            return None
        prepare = getattr(embedder, "prepare", None)
        if prepare is not None:
            prepare()  # imports here: numpy must not be imported by two threads at once

        def load() -> None:
            try:
                warm()
            except Exception:  # noqa: BLE001 - the first use reports it in context
                log.exception("loading the embedding model failed")

        return asyncio.get_running_loop().run_in_executor(None, load)

    async def stop(self) -> None:
        self.keeper.cancel()
        if self.service.memory is not None:
            self.service.memory.on_failure = None
        self._memory_wake = self._memory_pass = None
