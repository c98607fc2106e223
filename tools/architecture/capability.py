"""The architecture capability: reviews of the owner's inventory, and the weekly review
that raises a decision for each new finding (plan it / accept the risk / dismiss)."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.decisions import Decision, DecisionKind, DecisionPort, Option
from core.ports import TextModel
from tools.architecture.analyzers import Finding
from tools.architecture.grammar import GRAMMAR
from tools.architecture.review import ArchitectureReviewer, Narrator, Review, ReviewRecord

NARRATOR_PROMPT = (
    "You are a pragmatic software architect. In one short paragraph, explain to a solo "
    "developer what matters most in these review findings and why the plan's first step "
    "comes first. Use only facts from the JSON.")


def make_narrator(llm: TextModel) -> Narrator:
    async def narrator(review: dict[str, Any]) -> str:
        return await llm.complete(NARRATOR_PROMPT, json.dumps(
            {"findings": review["findings"], "plan": review["plan"]}))

    return narrator


class ArchitectureCapability(Capability):
    name = "architecture"
    tables = (ReviewRecord,)
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, decisions: DecisionPort,
                 llm: TextModel | None = None) -> None:
        self.decisions = decisions
        self.timezone = kernel.settings.timezone
        self.reviewer = ArchitectureReviewer(
            kernel.db, kernel.settings.inventory_path,
            make_narrator(llm) if llm is not None else None, clock=kernel.clock)

    def tools(self) -> list[BaseTool]:
        from tools.architecture.tools import make_architecture_tools

        return make_architecture_tools(self.reviewer)

    def decision_kinds(self) -> list[DecisionKind]:
        return [DecisionKind("architecture_finding")]  # its options only record the answer

    def jobs(self) -> list[Job]:
        if self.reviewer.default_path is None:
            return []

        async def weekly() -> None:
            await self.reviewer.weekly(self.raise_finding)

        # Sunday evening on the owner's clock
        return [Job("architecture_weekly", weekly, "cron",
                    {"day_of_week": "sun", "hour": 18, "minute": 0,
                     "timezone": self.timezone})]

    async def raise_finding(self, finding: Finding, review: Review) -> Decision:
        """A new finding becomes a decision: plan it, accept it, or dismiss."""
        step = next((a for a in review.plan if finding.code in a.because), None)
        options = [
            Option(id="plan", label=f"Plan it: {step.title}" if step else "Plan the fix",
                   action="noop", args={"summary": "Added to the migration plan."}),
            Option(id="accept", label="Accept the risk for now", action="noop",
                   args={"summary": "Risk accepted; I'll raise it again if it gets worse."}),
            Option(id="dismiss", label="Not a problem", action="noop",
                   args={"summary": "Dismissed."}),
        ]
        context = "\n".join([*(f"- {e}" for e in finding.evidence),
                             f"\n{finding.recommendation}"])
        return await self.decisions.raise_decision(
            "architecture_finding", f"[{finding.severity}] {finding.title}", options,
            context=context, source_key=f"finding:{finding.fingerprint}", default="plan")
