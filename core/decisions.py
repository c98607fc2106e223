"""The decision port: how a capability puts a question to the owner, and the records that
list and audit decisions.

A capability registers a ``DecisionKind`` (its name and the actions its options may run,
each returning an ``ActionResult`` with the action that undoes it) and raises decisions
through ``DecisionPort``. The decisions component implements the port: every decision is
a LangGraph workflow on its own checkpointed thread whose interrupt payload is Agent
Inbox's ``HumanInterrupt``; the ``Decision`` row is the projection that lists and audits it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

from pydantic import BaseModel
from pydantic import Field as PydField
from sqlmodel import Field, SQLModel


class Option(BaseModel):
    id: str  # stable per kind ("snooze", "publish"), so memory can compare choices
    label: str
    action: str = "noop"  # an action registered by some decision kind
    args: dict[str, Any] = PydField(default_factory=dict)


@dataclass
class ActionResult:
    summary: str
    undo: tuple[str, dict[str, Any]] | None = None  # (action name, args)


Action = Callable[[dict[str, Any]], Awaitable[ActionResult]]
# why an option cannot work right now (a sentence for the owner), or None when it can
Precondition = Callable[[dict[str, Any]], Awaitable[str | None]]
# other ways to get what a failed option meant (publish on another channel): its args in,
# options out (each is checked like any option before it is offered)
Alternatives = Callable[[dict[str, Any]], Awaitable[list["Option"]]]
FAILED = "That didn't work: "  # how a failed action's outcome begins (memory reads it)
REOPEN = "reopen"  # the undo of a choice that ran no action: the question is asked again


@dataclass
class DecisionKind:
    """A kind of question and the actions its options run (registered by name, so an
    option of one kind may run an action another capability registered)."""

    name: str
    actions: dict[str, Action] = field(default_factory=dict)
    description: str = ""
    # per action name: checked when a decision is raised (the option is left out) and
    # again when it is chosen (the choice fails, says why and raises a follow-up)
    preconditions: dict[str, Precondition] = field(default_factory=dict)
    repeat_word: str = "Raised"  # "Fired 8 times since 09:42 UTC"
    # per action name: what a follow-up offers besides "retry" when that action failed
    alternatives: dict[str, Alternatives] = field(default_factory=dict)


# ---- Agent Inbox payloads (langgraph's HumanInterrupt / HumanResponse) -----------------

class ActionRequest(TypedDict):
    action: str
    args: dict[str, Any]


class HumanInterruptConfig(TypedDict):
    allow_ignore: bool
    allow_respond: bool
    allow_edit: bool
    allow_accept: bool


class HumanInterrupt(TypedDict):
    action_request: ActionRequest
    config: HumanInterruptConfig
    description: str | None


class HumanResponse(TypedDict, total=False):
    type: Literal["accept", "ignore", "response", "edit"]
    args: Any
    # ours, which Agent Inbox leaves out: who answered (the owner when absent), and for
    # answers the system gives (expiry, closing) the status and the reason
    by: str
    status: str
    note: str


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
    # one open decision per subject: a repeat of a pending decision's group updates it
    group_key: str | None = Field(default=None, index=True)
    occurrences: int = 1
    last_at: float | None = None
    follow_up_of: int | None = None  # the decision whose chosen option failed
    allow_edit: bool = False  # the owner may edit the option's args (a draft's text)
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
            "undo_until": self.undo_until, "occurrences": self.occurrences,
            "last_at": self.last_at, "follow_up_of": self.follow_up_of,
        }

    @property
    def failed(self) -> bool:
        return self.outcome.startswith(FAILED)

    @property
    def reopens(self) -> bool:
        """Its undo asks the question again (the choice itself ran no action)."""
        return bool(self.undo_json) and json.loads(self.undo_json or "[]")[:1] == [REOPEN]

    def told(self, undo: str = "undo {id}", tz: str | None = None,
             now: float | None = None) -> str:
        """One line telling an outcome nobody watched happen (autopilot, expiry, a
        question that went away), with its undo while the window is open; ``undo`` is
        how the front end says it (``/undo {id}``)."""
        picked = self.option(self.chosen) if self.chosen else None
        label = picked.label if picked is not None else None
        head = f"Decision {self.id} ({self.title})"
        if self.status == "expired":
            return f"⌛ {head} expired unanswered; nothing was done."
        if self.status == "closed":
            return f"{head} closed: {self.outcome}"
        who = "🤖 Autopilot" if self.decided_by == "autopilot" else "You"
        line = f"{who} chose “{label or 'Dismiss'}” on {head[0].lower()}{head[1:]}: " \
               f"{self.outcome}"
        if self.undo_json and self.undo_until is not None:
            from core.silences import at_text

            again = " (asks it again)" if self.reopens else ""
            line += f" Undo until {at_text(self.undo_until, tz, now)}{again}: " \
                    f"`{undo.format(id=self.id)}`."
        return line

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


class DecisionPort(Protocol):
    """What capabilities may do with decisions."""

    def register_kind(self, kind: DecisionKind) -> None: ...

    async def raise_decision(self, kind: str, title: str, options: Sequence[Option], *,
                             context: str = "", symbol: str | None = None,
                             source_key: str | None = None, default: str | None = None,
                             allow_edit: bool = False, ttl_s: float | None = None,
                             group_key: str | None = None, renotify: bool = False) -> Decision:
        """Raise a decision (the same ``source_key`` never raises two) and park it at its
        interrupt; autopilot may resolve it at once. While a decision of the same
        ``group_key`` is pending, it is updated (count, latest context) instead, and with
        ``renotify`` shown to the owner again (a reminder)."""
        ...

    async def close(self, decision_id: int, reason: str) -> Decision:
        """The question went away by itself (e.g. the service recovered)."""
        ...

    def get(self, decision_id: int) -> Decision: ...

    def pending(self, kind: str | None = None) -> list[Decision]: ...

    async def close_group(self, group_key: str, reason: str) -> list[int]:
        """Close the pending decisions of a subject that went away (an alert deleted)."""
        ...
