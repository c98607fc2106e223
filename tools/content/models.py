"""Content drafts and the audience's reactions to them."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel


class Channel(StrEnum):
    discord = "discord"
    blog = "blog"
    email = "email"


class Status(StrEnum):
    draft = "draft"
    approved = "approved"
    scheduled = "scheduled"
    publishing = "publishing"  # claimed by a publisher: nobody else may send it
    published = "published"
    failed = "failed"


class ContentDraft(SQLModel, table=True):
    __tablename__ = "content_drafts"
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(index=True)
    topic: str
    symbol: str | None = Field(default=None, index=True)
    tone: str = "neutral"
    title: str = ""
    body: str  # markdown (discord, blog) or plain text (email)
    html: str = ""  # blog and email
    excerpt: str = ""
    tags_json: str = "[]"
    status: str = Field(default=Status.draft.value, index=True)
    source_json: str = "{}"  # the data it was drafted from: the grounding reference
    scheduled_for: float | None = None
    published_at: float | None = None
    external_id: str | None = None  # WordPress post id, Discord message id, Message-ID
    external_url: str | None = None
    attempts: int = 0
    # when the last send began, kept until it ended with an answer: set, the send is in
    # doubt (it may have gone out), so the draft is looked up, never resent blindly
    sent_at: float | None = None
    last_error: str = ""
    created_at: float = 0.0
    polished: bool = False

    @property
    def tags(self) -> list[str]:
        return json.loads(self.tags_json)

    @property
    def source(self) -> dict[str, Any]:
        return json.loads(self.source_json)

    def line(self, tz: str) -> str:
        """'#3 [blog] NVDA earnings — scheduled for Tue 01 Dec 2026 09:00 EST' (``tz``: the
        owner's zone)."""
        when = ""
        if self.status == "scheduled" and self.scheduled_for:
            from core.markettime import format_local

            when = " for " + format_local(self.scheduled_for, tz, year=True)
        return f"#{self.id} [{self.channel}] {self.title or self.topic} — {self.status}{when}"


class Feedback(SQLModel, table=True):
    """A reaction or reply to a published post, with its VADER sentiment."""

    __tablename__ = "content_feedback"
    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(index=True)
    kind: str  # reaction | reply
    text: str = ""
    user_id: str = ""
    sentiment: float = 0.0  # VADER compound, -1..1
    at: float = 0.0
