"""langgraph.json: each graph loads from its factory the way LangGraph's server does (the
module path and attribute named there), has no checkpointer of its own, and runs once the
server's checkpointer is set: the chat agent answers with the owner's tools, the decision
workflow parks at an Agent Inbox interrupt and records the answer it is resumed with."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from core.decisions import Option

ROOT = Path(__file__).resolve().parents[2]


def load(spec: str):  # noqa: ANN201 - as the server does: "./path/to/file.py:attribute"
    path, attr = spec.split(":")
    module_spec = importlib.util.spec_from_file_location("studio_graphs", ROOT / path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module, getattr(module, attr)


@pytest.fixture
def graphs():
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert set(config["graphs"]) == {"copilot", "decisions"}
    assert config["dependencies"] == ["."]
    return config["graphs"]


async def test_the_chat_agent_loads_from_its_factory_and_answers(graphs):
    module, factory = load(graphs["copilot"])
    try:
        graph = await factory({"configurable": {}})
        assert graph.checkpointer is None
        assert {"model", "tools"} <= set(graph.nodes)
        assert "create_alert" in graph.nodes["tools"].bound.tools_by_name
        graph = graph.copy(update={"checkpointer": InMemorySaver()})  # as the server does
        out = await graph.ainvoke({"messages": [HumanMessage("what's AAPL at?")]},
                                  {"configurable": {"thread_id": "studio-1"}})
        assert "AAPL is at $" in out["messages"][-1].content
        made = await graph.ainvoke(
            {"messages": [HumanMessage("alert me when TSLA crosses above 9000")]},
            {"configurable": {"thread_id": "studio-2"}})
        rt = await module.copilot()
        assert [r.symbol for r in rt.alerts.service.rules()] == ["TSLA"], \
            made["messages"][-1].content  # the owner's tools, acting for the owner
    finally:
        await module.close()


async def test_the_decision_workflow_loads_and_resumes_like_agent_inbox(graphs):
    module, factory = load(graphs["decisions"])
    try:
        graph = await factory({"configurable": {}})
        assert graph.checkpointer is None
        assert {"recommend", "ask", "act", "record"} <= set(graph.nodes)
        rt = await module.copilot()
        d = await rt.decisions.raise_decision(
            "briefing", "Morning briefing", [
                Option(id="ok", label="Looks good", action="noop", args={"summary": "Noted."}),
                Option(id="later", label="Later", action="noop", args={"summary": "Later."})],
            default="ok")
        graph.checkpointer = InMemorySaver()
        thread = {"configurable": {"thread_id": f"studio-decision-{d.id}"}}
        first = await graph.ainvoke({"decision_id": d.id}, thread)
        request = first["__interrupt__"][0].value
        assert request["action_request"]["action"] == "briefing"
        assert {"allow_accept", "allow_respond", "allow_edit", "allow_ignore"} <= \
            set(request["config"])
        await graph.ainvoke(Command(resume=[{"type": "response", "args": "later"}]), thread)
        after = rt.decision(d.id)
        assert (after.status, after.chosen) == ("decided", "later")
    finally:
        await module.close()
