"""The decision workflow: one LangGraph thread per decision, checkpointed, so a pending
decision survives restarts and any process can resume it.

    START -> recommend -> (autopilot agrees?) -> auto ---------> act -> record -> END
                                      \\-> ask (interrupt) -/    \\-> note -> ask

``recommend`` consults the memory of past choices; ``ask`` parks the thread at an
``interrupt()`` whose payload is Agent Inbox's ``HumanInterrupt``; the resume value is a
``HumanResponse`` (or Agent Inbox's list of them, see ``inbox.py``); ``act`` runs the
chosen option's action, or finds a free-text instruction, which ``note`` records before
the thread asks again; ``record`` writes the SQL projection, the audit trail and the memory, and tells
the bus. The steps themselves live in ``DecisionService``: this file is the picture.
"""

from __future__ import annotations

from typing import Any, Protocol, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agent.decisions.inbox import as_response
from core.decisions import HumanInterrupt, HumanResponse


class DecisionState(TypedDict, total=False):
    decision_id: int
    allow_edit: bool
    request: HumanInterrupt
    autopilot: bool  # the owner let autopilot decide this kind, and memory agrees
    response: HumanResponse
    result: dict[str, Any]  # option, summary, undo, error


class DecisionSteps(Protocol):
    async def recommend(self, decision_id: int, allow_edit: bool) -> tuple[HumanInterrupt, bool]: ...

    async def act(self, request: HumanInterrupt, response: HumanResponse) -> dict[str, Any]: ...

    async def note(self, decision_id: int, response: HumanResponse, instruction: str) -> None: ...

    async def record(self, decision_id: int, response: HumanResponse,
                     result: dict[str, Any]) -> None: ...


def build_decision_graph(steps: DecisionSteps, checkpointer: Any = None) -> Any:
    async def recommend(state: DecisionState) -> dict[str, Any]:
        request, autopilot = await steps.recommend(state["decision_id"],
                                                   state.get("allow_edit", False))
        return {"request": request, "autopilot": autopilot}

    def route(state: DecisionState) -> str:
        return "auto" if state.get("autopilot") else "ask"

    async def auto(state: DecisionState) -> dict[str, Any]:
        return {"response": {"type": "accept", "by": "autopilot"}}

    async def ask(state: DecisionState) -> dict[str, Any]:
        return {"response": as_response(interrupt(state["request"]))}

    async def act(state: DecisionState) -> dict[str, Any]:
        return {"result": await steps.act(state["request"], state["response"])}

    def answered(state: DecisionState) -> str:
        return "note" if "instruction" in state["result"] else "record"

    async def note(state: DecisionState) -> dict[str, Any]:
        await steps.note(state["decision_id"], state["response"],
                         state["result"]["instruction"])
        return {}

    async def record(state: DecisionState) -> dict[str, Any]:
        await steps.record(state["decision_id"], state["response"], state["result"])
        return {}

    graph = StateGraph(DecisionState)
    graph.add_node("recommend", recommend)
    graph.add_node("auto", auto)
    graph.add_node("ask", ask)
    graph.add_node("act", act)
    graph.add_node("note", note)
    graph.add_node("record", record)
    graph.add_edge(START, "recommend")
    graph.add_conditional_edges("recommend", route, {"auto": "auto", "ask": "ask"})
    graph.add_edge("auto", "act")
    graph.add_edge("ask", "act")
    graph.add_conditional_edges("act", answered, {"note": "note", "record": "record"})
    graph.add_edge("note", "ask")
    graph.add_edge("record", END)
    return graph.compile(checkpointer=checkpointer)
