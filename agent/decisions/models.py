"""Decision records (the SQL decision log) and their audit trail."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydField
from sqlmodel import Field, SQLModel

KINDS = ("alert_fired", "content_ready", "health_incident", "architecture_finding", "briefing")


class Option(BaseModel):
    id: str  # stable per kind ("snooze", "publish"), so memory can compare choices
    label: str
    action: str = "noop"  # a name in the ActionRegistry
    args: dict[str, Any] = PydField(default_factory=dict)


class Decision(SQLModel, table=True):
    __tablename__ = "decisions"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    title: str
    context: str = ""
    symbol: str | None = Field(default=None, index=True)
    options_json: str = "[]"
    recommended: str | None = None
    rationale: str = ""
    cited_json: str = "[]"  # ids of the past decisions the rationale cites
    status: str = Field(default="pending", index=True)  # pending|decided|auto|expired|undone
    chosen: str | None = None
    decided_by: str | None = None  # owner | autopilot | system
    outcome: str = ""
    undo_json: str | None = None
    undo_until: float | None = None
    source_key: str | None = Field(default=None, unique=True)
    created_at: float = 0.0
    decided_at: float | None = None
    expires_at: float | None = None
    reminded_at: float | None = None

    @property
    def options(self) -> list[Option]:
        return [Option.model_validate(o) for o in json.loads(self.options_json)]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)

    @property
    def thread_id(self) -> str:
        return f"decision-{self.id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "title": self.title, "context": self.context,
            "symbol": self.symbol, "options": [o.model_dump() for o in self.options],
            "recommended": self.recommended, "rationale": self.rationale,
            "status": self.status, "chosen": self.chosen, "decided_by": self.decided_by,
            "outcome": self.outcome, "created_at": self.created_at,
            "decided_at": self.decided_at, "expires_at": self.expires_at,
            "undo_until": self.undo_until,
        }

    def prompt_text(self) -> str:
        """Markdown shown to the owner (console, Discord, inbox tooling)."""
        lines = [f"**Decision {self.id}: {self.title}**"]
        if self.context:
            lines.append(self.context)
        for i, o in enumerate(self.options, 1):
            star = " ⭐ recommended" if o.id == self.recommended else ""
            lines.append(f"{i}. {o.label}{star}")
        if self.rationale:
            lines.append(f"_{self.rationale}_")
        return "\n".join(lines)


class DecisionEvent(SQLModel, table=True):
    """Audit log: every raise, reminder, choice, autopilot action, undo and expiry."""

    __tablename__ = "decision_events"
    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(index=True)
    at: float
    event: str
    actor: str = "system"
    detail: str = ""
