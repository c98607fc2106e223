"""Silences and acknowledgements from the owner's side: the actions decision options run
("Silence for 1 hour", "Acknowledge", and their undo) and the tools to silence by matcher,
acknowledge, list and lift. The matcher model itself is the kernel's
(``core.silences``); the capabilities that own the labels decide what a silence mutes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from core.auth import caller_from_config, require_owner
from core.decisions import Action, ActionResult, Precondition
from core.errors import CopilotError
from core.silences import Silence, SilenceBook, at_text


def silence_text(s: Silence, at: Callable[[float], str] = at_text) -> str:
    if s.kind == "ack":
        return (f"Acknowledged {s.subject()}: no more reminders until it is resolved or "
                f"changes (#{s.id}).")
    return f"Silenced {s.subject()} until {at(s.until or s.starts_at)} (#{s.id})."


def silence_actions(book: SilenceBook) -> tuple[dict[str, Action], dict[str, Precondition]]:
    """``silence`` {matchers, minutes}, ``acknowledge`` {matchers}, ``unsilence``
    {silence_id}: each undoable, each checked before it is offered or run."""

    async def silence(args: dict[str, Any]) -> ActionResult:
        s = book.silence(book.matchers(args.get("matchers") or {}),
                         float(args.get("minutes", 60)), comment=str(args.get("comment", "")))
        return ActionResult(silence_text(s, book.at), undo=("unsilence", {"silence_id": s.id}))

    async def acknowledge(args: dict[str, Any]) -> ActionResult:
        s = book.acknowledge(book.matchers(args.get("matchers") or {}),
                             comment=str(args.get("comment", "")))
        return ActionResult(silence_text(s, book.at), undo=("unsilence", {"silence_id": s.id}))

    async def unsilence(args: dict[str, Any]) -> ActionResult:
        s = book.lift(int(args["silence_id"]))
        what = "acknowledgement" if s.kind == "ack" else "silence"
        return ActionResult(f"Lifted the {what} on {s.subject()} (#{s.id}); you will be told "
                            "again.")

    async def valid(args: dict[str, Any]) -> str | None:
        try:
            book.matchers(args.get("matchers") or {})
        except CopilotError as exc:
            return str(exc)
        return None

    return ({"silence": silence, "acknowledge": acknowledge, "unsilence": unsilence},
            {"silence": valid, "acknowledge": valid})


def make_silence_tools(book: SilenceBook) -> list[BaseTool]:
    def matchers(component: str | None, symbol: str | None,
                 alert_id: int | None) -> dict[str, str]:
        return book.matchers({"component": component, "symbol": symbol,
                              "rule": None if alert_id is None else str(alert_id)})

    @tool
    def silence(config: RunnableConfig, minutes: int = 60, component: str | None = None,
                symbol: str | None = None, alert_id: int | None = None,
                comment: str = "") -> dict[str, Any]:
        """Silence notifications for `minutes` (1 minute to 30 days) by matcher: a health
        `component` ("website"), a ticker `symbol` (every alert on TSLA) and/or one
        `alert_id`. While silenced nothing is raised or delivered for it (firings are
        still recorded); when the silence ends and the problem is still there, you are
        told once."""
        require_owner(caller_from_config(config), "silence notifications")
        s = book.silence(matchers(component, symbol, alert_id), minutes, comment=comment)
        return {"summary": silence_text(s, book.at), "silence": s.as_dict()}

    @tool
    def acknowledge(config: RunnableConfig, component: str | None = None,
                    symbol: str | None = None, alert_id: int | None = None) -> dict[str, Any]:
        """Acknowledge a problem: no more reminders about a health `component`, a ticker
        `symbol` or an `alert_id` until it is resolved or changes (a different failure,
        an edited alert)."""
        require_owner(caller_from_config(config), "acknowledge")
        s = book.acknowledge(matchers(component, symbol, alert_id))
        return {"summary": silence_text(s, book.at), "silence": s.as_dict()}

    @tool
    def silences(config: RunnableConfig) -> dict[str, Any]:
        """The silences and acknowledgements in force, with when each ends."""
        require_owner(caller_from_config(config), "see silences")
        now = book.clock()
        rows = book.active()
        if not rows:
            return {"summary": "Nothing is silenced or acknowledged.", "silences": []}
        return {"summary": "\n".join(s.describe(now, book.timezone) for s in rows),
                "silences": [s.as_dict() for s in rows]}

    @tool
    def unsilence(silence_id: int, config: RunnableConfig) -> dict[str, Any]:
        """Lift a silence or an acknowledgement now (by its number)."""
        require_owner(caller_from_config(config), "lift silences")
        s = book.lift(silence_id)
        return {"summary": f"Lifted #{s.id} on {s.subject()}; you will be told again.",
                "silence": s.as_dict()}

    return [silence, acknowledge, silences, unsilence]
