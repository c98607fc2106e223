"""LangChain tools over the decision service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from agent.decisions.digest import kind_label
from agent.decisions.service import DecisionService
from core.auth import caller_from_config, require_owner
from core.errors import InvalidInput

NOTHING_TO_UNDO = ("There's nothing to undo: no decision of the last {minutes:g} minutes can "
                   "still be undone.")


def make_decision_tools(service: DecisionService,
                        briefing: Callable[[], Awaitable[str]] | None = None,
                        digest: Callable[[int | None], Awaitable[str]] | None = None
                        ) -> list[BaseTool]:
    @tool
    def pending_decisions() -> dict[str, Any]:
        """Decisions waiting for the owner ("what's pending"): counts by kind, then each
        with its options and the recommendation."""
        items = service.pending()
        if not items:
            return {"summary": "Nothing is waiting for you.", "decisions": []}
        counts = ", ".join(f"{kind_label(k)} {len(v)}" for k, v in service.by_kind(items).items())
        head = f"{len(items)} waiting for you ({counts})."
        return {"summary": head + "\n\n" + "\n\n".join(d.prompt_text() for d in items),
                "decisions": [d.as_dict() for d in items]}

    @tool
    async def decide(decision_id: int, option: str, config: RunnableConfig) -> dict[str, Any]:
        """Answer a pending decision with one of its options (id, number or label)."""
        d = await service.decide(decision_id, option, caller_from_config(config))
        undo = " You can undo it for a while." if d.undo_until else ""
        return {"summary": f"Decision {d.id}: {d.outcome}{undo}", "decision": d.as_dict()}

    @tool
    async def decide_all(option: str, config: RunnableConfig, kind: str | None = None,
                         symbol: str | None = None, minutes: int | None = None
                         ) -> dict[str, Any]:
        """Answer every pending decision of one kind (alert_fired, content_ready,
        health_incident, ...; "alerts", "drafts", "incidents" work too) and/or one symbol
        the same way: option "dismiss" closes them without action ("dismiss all alert
        decisions"); any other option (e.g. "snooze") runs where a decision offers it,
        `minutes` setting its duration ("snooze all TSLA for an hour": option "snooze",
        symbol "TSLA", minutes 60)."""
        done, skipped = await service.decide_all(option, caller_from_config(config), kind,
                                                  symbol, minutes)
        what = " ".join(x for x in (symbol.upper() if symbol else "",
                                    kind.replace("_", " ") if kind else "") if x)
        if not done and not skipped:
            return {"summary": f"No pending {what + ' ' if what else ''}decisions to answer.",
                    "decisions": []}
        n = len(done)
        noun = "decision" if n == 1 else "decisions"
        dismissed = option.strip().lower() in ("dismiss", "ignore")
        head = f"Dismissed {n} {noun}" if dismissed else f"Answered {n} {noun} with “{option}”"
        lines = [f"#{d.id} {d.title}: {d.outcome}" for d in done]
        tail = (f" {len(skipped)} had no option {option!r} and wait for you: "
                + " ".join(f"#{i}" for i in skipped) + ".") if skipped else ""
        return {"summary": f"{head}:" + ("\n" + "\n".join(lines) if lines else " none.")
                           + tail,
                "decisions": [d.as_dict() for d in done], "skipped": skipped}

    @tool
    def recall_decisions(query: str, k: int = 5) -> dict[str, Any]:
        """Past decisions similar to `query`, with what was chosen each time."""
        if service.memory is None:
            return {"summary": "Decision memory is not available.", "results": []}
        found = service.memory.recall(query, max(1, min(k, 20)), kinds=service.kinds)
        if not found:
            return {"summary": "I don't remember any decisions like that yet.", "results": []}
        lines = [f"#{p.decision_id} ({p.kind}, {p.similarity:.2f}): {p.text}" for p in found]
        return {"summary": "Similar past decisions:\n" + "\n".join(lines),
                "results": [p.__dict__ for p in found]}

    @tool
    def autopilot(action: Literal["status", "enable", "disable"] = "status",
                  kind: str | None = None, config: RunnableConfig = None) -> dict[str, Any]:  # type: ignore[assignment]
        """Show autopilot status, or enable/disable it for one decision kind
        (alert_fired, content_ready, health_incident, architecture_finding, briefing)."""
        if action == "status":
            status = service.autopilot_status()
            on = [k for k, v in status.items() if v]
            text = ("Autopilot is on for: " + ", ".join(on)) if on else "Autopilot is off for everything."
            return {"summary": text + f" It acts only when your last {service.recommender.n} "
                               "similar decisions agree.", "status": status}
        if not kind:
            raise InvalidInput(f"Which kind? One of: {', '.join(service.kinds)}.")
        service.set_autopilot(kind, action == "enable", caller_from_config(config))
        return {"summary": f"Autopilot {'enabled' if action == 'enable' else 'disabled'} for "
                           f"{kind} decisions.", "status": service.autopilot_status()}

    @tool
    async def undo(config: RunnableConfig, decision_id: int | None = None) -> dict[str, Any]:
        """Undo what a decision did, within its undo window. Without `decision_id`, the
        most recent decision (yours or autopilot's) that can still be undone."""
        caller = caller_from_config(config)
        require_owner(caller, "undo decisions")
        if decision_id is None:
            latest = service.latest_undoable()
            if latest is None or latest.id is None:
                return {"summary": NOTHING_TO_UNDO.format(minutes=service.undo_s / 60),
                        "decision": None}
            decision_id = latest.id
        before = service.get(decision_id)
        d = await service.undo(decision_id, caller)
        by = " (autopilot's)" if before.decided_by == "autopilot" else ""
        if d.status == "pending":  # the choice ran nothing: the question is open again
            return {"summary": f"Undid decision {d.id}{by}, “{d.title}”: it is open again.\n"
                               + d.prompt_text(), "decision": d.as_dict()}
        what = d.outcome.rsplit("Undone: ", 1)[-1]
        return {"summary": f"Undid decision {d.id}{by}, “{d.title}”: {what}",
                "decision": d.as_dict()}

    tools: list[BaseTool] = [pending_decisions, decide, decide_all, undo, recall_decisions,
                             autopilot]
    if briefing is not None:
        @tool("briefing")
        async def briefing_tool(config: RunnableConfig) -> dict[str, Any]:
            """The briefing now ("brief me", "what's on my plate"): movers, alerts fired,
            drafts waiting and the decisions waiting for you, grouped by kind."""
            require_owner(caller_from_config(config), "see the briefing")
            assert briefing is not None
            text = await briefing()
            return {"summary": text, "pending": len(service.pending())}

        tools.append(briefing_tool)
    if digest is not None:
        @tool("digest")
        async def digest_tool(config: RunnableConfig,
                              hours: int | None = None) -> dict[str, Any]:
            """What's pending, grouped by kind with counts, and what happened without you
            today (or in the last `hours`): autopilot's choices with their undo, expiries,
            decisions that closed by themselves ("what did autopilot do today", "what
            happened in the last 3 hours")."""
            require_owner(caller_from_config(config), "see the digest")
            assert digest is not None
            if hours is not None and not 1 <= hours <= 24 * 30:
                raise InvalidInput("The digest looks back 1 hour to 30 days.")
            return {"summary": await digest(hours), "pending": len(service.pending())}

        tools.append(digest_tool)
    return tools
