"""LangChain tools over the content service. Drafts are the owner's: drafting spends
model tokens, publishing posts publicly, and unpublished drafts are private."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from core.auth import caller_from_config, require_owner
from core.markettime import format_local
from tools.content.editing import Revision
from tools.content.models import ContentDraft
from tools.content.service import ContentService


def describe(d: ContentDraft, tz: str) -> str:
    """A draft for the owner: what it is, where it stands (times on his clock, ``tz``),
    then its text."""
    head = f"Draft {d.id} · {d.channel} · {d.status} · {d.tone} tone"
    lines = [head, f"Title: {d.title or d.topic}"]
    if d.symbol:
        lines.append(f"About: {d.symbol}")
    if d.status == "scheduled" and d.scheduled_for:
        lines.append(f"Scheduled for {format_local(d.scheduled_for, tz, year=True)}")
    if d.status == "published":
        when = f" on {format_local(d.published_at, tz, year=True)}" if d.published_at else ""
        lines.append(f"Published{when}" + (f": {d.external_url}" if d.external_url else ""))
    if d.last_error:
        lines.append(f"Note: {d.last_error}")
    return "\n".join(lines) + "\n\n" + d.body.rstrip()


def draft_info(d: ContentDraft) -> dict[str, Any]:
    return {"draft_id": d.id, "title": d.title, "status": d.status, "channel": d.channel,
            "tone": d.tone, "symbol": d.symbol, "scheduled_for": d.scheduled_for,
            "external_url": d.external_url, "body": d.body}


def revision_summary(rev: Revision) -> str:
    d = rev.draft
    notes = " ".join(rev.notes)
    if not rev.changed:
        return notes or f"Draft {d.id} is unchanged."
    done = ", ".join(rev.changes[:-1]) + (" and " if len(rev.changes) > 1 else "") \
        + rev.changes[-1]
    text = f"Draft {d.id}: {done}." + (f" {notes}" if notes else "")
    return f"{text}\n\n{d.body.rstrip()}"


def make_content_tools(service: ContentService) -> list[BaseTool]:
    tz = service.timezone
    @tool
    async def draft_content(topic: str, config: RunnableConfig,
                            channel: Literal["discord", "blog", "email"] = "discord",
                            symbol: str | None = None, tone: str | None = None) -> dict[str, Any]:
        """Draft a post from market data: a Discord post, a blog article or an email
        newsletter about `topic`, optionally about one ticker `symbol`, in a `tone`."""
        require_owner(caller_from_config(config), "draft content")
        d = await service.draft(topic, channel, symbol, tone, notify=False)
        note = f" ({d.last_error})" if d.last_error else ""
        result: dict[str, Any] = {
            "summary": f"Draft {d.id} ({d.channel}) is ready: “{d.title}”.{note}\n\n{d.body}",
            "draft_id": d.id, "channel": d.channel, "symbol": d.symbol, "body": d.body}
        if service.on_ready is not None:  # its publish / skip question, with buttons
            decision = await service.on_ready(d)
            result["decision_id"] = decision.id
            result["options"] = [o.id for o in decision.options]
            if decision.status == "pending":
                result["summary"] += (f"\n\nDecision {decision.id}: "
                                      + " / ".join(o.id for o in decision.options) + "?")
            else:
                result["summary"] += f"\n\nDecision {decision.id}: {decision.outcome}"
        return result

    @tool
    def list_drafts(config: RunnableConfig, status: str | None = None) -> dict[str, Any]:
        """List content drafts, optionally by status (draft, approved, scheduled,
        published, failed)."""
        require_owner(caller_from_config(config), "see drafts")
        drafts = service.drafts(status)
        if not drafts:
            return {"summary": "No drafts" + (f" with status {status}." if status else "."),
                    "drafts": []}
        return {"summary": "Drafts:\n" + "\n".join(d.line(tz) for d in drafts),
                "drafts": [{"id": d.id, "channel": d.channel, "title": d.title,
                            "status": d.status} for d in drafts]}

    @tool
    def schedule_content(draft_id: int, when: str, config: RunnableConfig) -> dict[str, Any]:
        """Schedule a draft to be published at `when` ("tomorrow 9am", "in 2 hours",
        "next monday at the open", "friday 4pm ET", "2026-12-01 14:30"; read on the owner's
        clock unless a zone is named; a past or ambiguous time is answered with a
        question)."""
        require_owner(caller_from_config(config), "schedule content")
        d = service.schedule(draft_id, when)
        return {"summary": f"Scheduled: {d.line(tz)}.", "draft_id": d.id,
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

    @tool
    def show_draft(draft_id: int, config: RunnableConfig) -> dict[str, Any]:
        """Show one draft: its text, status, channel, tone and when it is scheduled."""
        require_owner(caller_from_config(config), "see drafts")
        d = service.get(draft_id)
        return {"summary": describe(d, tz), **draft_info(d)}

    @tool
    async def edit_draft(draft_id: int, config: RunnableConfig, instruction: str | None = None,
                         body: str | None = None, tone: str | None = None,
                         title: str | None = None) -> dict[str, Any]:
        """Edit a draft. `body` replaces its text (every number must come from the draft's
        data), `tone` writes it again in that tone (neutral, bullish, bearish, cautious,
        educational, hype, casual), `title` renames it, and `instruction` is a request in
        words ("make it shorter", "punchier", "add the disclaimer")."""
        require_owner(caller_from_config(config), "edit drafts")
        rev = await service.revise(draft_id, instruction=instruction, body=body, tone=tone,
                                   title=title)
        return {"summary": revision_summary(rev), "changed": rev.changed,
                "changes": rev.changes, "notes": rev.notes, **draft_info(rev.draft)}

    @tool
    async def delete_draft(draft_id: int, config: RunnableConfig) -> dict[str, Any]:
        """Delete a draft that is not published; its pending content decision is closed."""
        require_owner(caller_from_config(config), "delete drafts")
        gone = await service.delete(draft_id)
        d = gone.draft
        text = f"Deleted draft {d.id} (“{d.title or d.topic}”, {d.channel})."
        if d.status == "scheduled":
            text += " It won't be published."
        if gone.closed:
            ids = ", ".join(str(i) for i in gone.closed)
            text += f" Closed its pending decision {ids}."
        return {"summary": text, "draft_id": d.id, "closed_decisions": gone.closed}

    return [draft_content, list_drafts, show_draft, edit_draft, delete_draft,
            schedule_content, publish_content]
