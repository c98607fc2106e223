"""LangChain tools over the content service. Drafting, scheduling and publishing are the
owner's: they spend model tokens or post publicly."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from core.auth import caller_from_config, require_owner
from tools.content.service import ContentService


def make_content_tools(service: ContentService) -> list[BaseTool]:
    @tool
    async def draft_content(topic: str, config: RunnableConfig,
                            channel: Literal["discord", "blog", "email"] = "discord",
                            symbol: str | None = None, tone: str | None = None) -> dict[str, Any]:
        """Draft a post from market data: a Discord post, a blog article or an email
        newsletter about `topic`, optionally about one ticker `symbol`, in a `tone`."""
        require_owner(caller_from_config(config), "draft content")
        d = await service.draft(topic, channel, symbol, tone, notify=False)
        note = f" ({d.last_error})" if d.last_error else ""
        return {"summary": f"Draft {d.id} ({d.channel}) is ready: “{d.title}”.{note}\n\n{d.body}",
                "draft_id": d.id, "channel": d.channel, "body": d.body}

    @tool
    def list_drafts(config: RunnableConfig, status: str | None = None) -> dict[str, Any]:
        """List content drafts, optionally by status (draft, approved, scheduled,
        published, failed)."""
        require_owner(caller_from_config(config), "see drafts")
        drafts = service.drafts(status)
        if not drafts:
            return {"summary": "No drafts" + (f" with status {status}." if status else "."),
                    "drafts": []}
        return {"summary": "Drafts:\n" + "\n".join(d.line() for d in drafts),
                "drafts": [{"id": d.id, "channel": d.channel, "title": d.title,
                            "status": d.status} for d in drafts]}

    @tool
    def schedule_content(draft_id: int, when: str, config: RunnableConfig) -> dict[str, Any]:
        """Schedule a draft to be published at `when` ("tomorrow 9am", "in 2 hours",
        "2026-12-01 14:30"; times are UTC)."""
        require_owner(caller_from_config(config), "schedule content")
        d = service.schedule(draft_id, when)
        return {"summary": f"Scheduled: {d.line()}.", "draft_id": d.id,
                "scheduled_for": d.scheduled_for}

    @tool
    async def publish_content(draft_id: int, config: RunnableConfig) -> dict[str, Any]:
        """Publish a draft. You confirm it as a decision (publish / edit / skip) unless
        autopilot is on for content."""
        require_owner(caller_from_config(config), "publish content")
        d = service.get(draft_id)
        if d.status == "published":
            return {"summary": f"Draft {d.id} is already published"
                               + (f": {d.external_url}" if d.external_url else "."),
                    "draft_id": d.id}
        if service.on_ready is None:
            d = await service.publish(draft_id)
            return {"summary": f"Published draft {d.id}.", "draft_id": d.id}
        decision = await service.on_ready(d)
        if decision.status in ("auto", "decided"):
            return {"summary": f"Decision {decision.id}: {decision.outcome}",
                    "decision_id": decision.id}
        return {"summary": f"Draft {d.id} is waiting for your go: decision {decision.id} "
                           f"(1 = publish to {d.channel}, 2 = skip).",
                "decision_id": decision.id}

    return [draft_content, list_drafts, schedule_content, publish_content]
