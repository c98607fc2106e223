"""LangChain tools over the decision service."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from agent.decisions.service import DecisionService
from core.auth import caller_from_config
from core.errors import InvalidInput


def make_decision_tools(service: DecisionService) -> list[BaseTool]:
    @tool
    def pending_decisions() -> dict[str, Any]:
        """Decisions waiting for the owner, with their options and the recommendation."""
        items = service.pending()
        if not items:
            return {"summary": "Nothing is waiting for you.", "decisions": []}
        return {"summary": "\n\n".join(d.prompt_text() for d in items),
                "decisions": [d.as_dict() for d in items]}

    @tool
    async def decide(decision_id: int, option: str, config: RunnableConfig) -> dict[str, Any]:
        """Answer a pending decision with one of its options (id, number or label)."""
        d = await service.decide(decision_id, option, caller_from_config(config))
        undo = " You can undo it for a while." if d.undo_until else ""
        return {"summary": f"Decision {d.id}: {d.outcome}{undo}", "decision": d.as_dict()}

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

    return [pending_decisions, decide, recall_decisions, autopilot]
