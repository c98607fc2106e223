"""One decision = one LangGraph thread: ``ask`` interrupts with an Agent-Inbox-style
request and waits (checkpointed, so it survives restarts); ``act`` runs the chosen option.

    START -> ask (interrupt) -> act -> END
"""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agent.decisions.actions import ActionRegistry
from agent.errors import CopilotError


class DecisionState(TypedDict, total=False):
    decision_id: int
    request: dict[str, Any]  # HumanInterrupt: action_request, config, description
    response: dict[str, Any]  # HumanResponse: type accept|ignore|response|edit, args
    result: dict[str, Any]


def interrupt_request(decision: Any, allow_edit: bool) -> dict[str, Any]:
    """The interrupt payload, shaped like Agent Inbox's ``HumanInterrupt``."""
    return {
        "action_request": {
            "action": decision.kind,
            "args": {
                "decision_id": decision.id,
                "options": [o.model_dump() for o in decision.options],
                "recommended": decision.recommended,
            },
        },
        "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": allow_edit,
                   "allow_accept": decision.recommended is not None},
        "description": decision.prompt_text(),
    }


def chosen_option(request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    """Map a HumanResponse to the option dict to run (None for ignore)."""
    args = request["action_request"]["args"]
    options = {o["id"]: o for o in args["options"]}
    kind = response.get("type")
    if kind == "ignore":
        return None
    if kind == "accept":
        return options.get(args.get("recommended") or "")
    if kind == "edit":
        edit = response.get("args") or {}
        base = dict(options.get(edit.get("option", ""), {}))
        base["args"] = {**base.get("args", {}), **edit.get("args", {})}
        return base
    return options.get(str(response.get("args")))


def build_decision_graph(actions: ActionRegistry, checkpointer: Any):
    async def ask(state: DecisionState) -> dict[str, Any]:
        response = interrupt(state["request"])
        if not isinstance(response, dict):
            response = {"type": "response", "args": str(response)}
        return {"response": response}

    async def act(state: DecisionState) -> dict[str, Any]:
        option = chosen_option(state["request"], state["response"])
        if option is None:
            return {"result": {"option": None, "summary": "Dismissed without action.",
                               "undo": None}}
        try:
            outcome = await actions.run(option.get("action", "noop"), option.get("args", {}))
        except CopilotError as exc:  # the choice stands; the owner sees why it didn't work
            return {"result": {"option": option["id"], "summary": f"That didn't work: {exc}",
                               "undo": None, "error": str(exc)}}
        return {"result": {"option": option["id"], "summary": outcome.summary,
                           "undo": list(outcome.undo) if outcome.undo else None}}

    graph = StateGraph(DecisionState)
    graph.add_node("ask", ask)
    graph.add_node("act", act)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "act")
    graph.add_edge("act", END)
    return graph.compile(checkpointer=checkpointer)
