"""The review_architecture tool."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, tool

from tools.architecture.review import ArchitectureReviewer


def make_architecture_tools(reviewer: ArchitectureReviewer) -> list[BaseTool]:
    @tool
    async def review_architecture(inventory_path: str | None = None) -> dict[str, Any]:
        """Review the system inventory (YAML): findings (redundant workflows, legacy still
        primary, polling, missing observability, duplicated API access, unshielded rate
        limits, stack fragmentation, single points of failure) and an ordered migration
        plan. Without a path it reviews the configured inventory."""
        review = await reviewer.review(inventory_path)
        plan = "\n".join(f"{a.step}. {a.title}" for a in review.plan)
        return {"summary": f"{review.summary()}\n{review.narrative}\nPlan:\n{plan}",
                "codes": review.codes,
                "findings": [f.model_dump() for f in review.findings],
                "plan": [a.model_dump() for a in review.plan]}

    return [review_architecture]
