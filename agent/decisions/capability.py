"""The decisions component: the decision port (every other capability raises its
questions through it), the memory of past choices, the daily briefings, housekeeping
(expiry and reminders) and the decision tools."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.decisions.grammar import GRAMMAR
from agent.decisions.service import DecisionService
from core.capability import Capability, Job, Kernel
from core.decisions import Decision, DecisionEvent, DecisionKind, Option
from core.ports import BriefingSection, CheckResult, HealthCheck
from memory.decisions import DecisionMemory
from memory.embeddings import make_embedder


def build_memory(kernel: Kernel) -> DecisionMemory:
    settings = kernel.settings
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return DecisionMemory(make_embedder(settings.embedder, key), path=settings.chroma_path,
                          host=settings.chroma_host)


class DecisionsCapability(Capability):
    name = "decisions"
    tables = (Decision, DecisionEvent)
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, checkpointer: BaseCheckpointSaver[Any],
                 sections: Callable[[], list[BriefingSection]] = list) -> None:
        self.kernel = kernel
        settings = kernel.settings
        self.sections = sections  # every capability's part of the briefing
        self.service = DecisionService(
            kernel.db, build_memory(kernel), checkpointer, bus=kernel.bus, clock=kernel.clock,
            ttl_hours=settings.decision_ttl_hours, undo_minutes=settings.undo_window_minutes,
            autopilot_n=settings.autopilot_min_agreeing,
            autopilot_similarity=settings.autopilot_similarity)
        self.service.register_kind(DecisionKind("briefing"))

    def tools(self) -> list[BaseTool]:
        from agent.decisions.tools import make_decision_tools

        return make_decision_tools(self.service)

    def checks(self) -> list[HealthCheck]:
        from core.ports import FnCheck

        def memory() -> CheckResult:
            m = self.service.memory
            if m is None:
                return CheckResult("degraded", "no decision memory")
            return CheckResult("ok", f"{m.embedder.name} embeddings, "
                                     f"{m.store('alert_fired').count()} alert decisions remembered")

        return [FnCheck("memory", memory)]

    def briefing(self) -> list[BriefingSection]:
        async def pending() -> str:
            return f"**Pending decisions:** {len(self.service.pending())}"

        return [pending]

    async def briefing_decision(self, session: str) -> Decision:
        """Movers, alerts fired, drafts waiting, pending decisions: whatever each
        capability adds, as one decision to acknowledge (or turn into a recap post)."""
        lines = [text for section in self.sections() if (text := await section())]
        day = datetime.fromtimestamp(self.kernel.clock(), UTC).strftime("%Y-%m-%d")
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
            Job("briefing_pre_open", pre_open, "cron",
                {"day_of_week": "mon-fri", "hour": 13, "minute": 45}),
            Job("briefing_after_close", after_close, "cron",
                {"day_of_week": "mon-fri", "hour": 21, "minute": 15}),
            Job("decision_housekeeping", housekeeping, "interval", {"minutes": 5}),
        ]

    async def start(self) -> None:
        await self.service.repair()
