"""The agent graph: call the model, run the tools it asks for, loop until it answers.

    START -> model -> (tool calls?) -> tools -> model -> ... -> END
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from core.errors import CopilotError
from prompts import load_prompt


def tool_error_message(error: CopilotError) -> str:
    """User-facing errors go back to the model as the tool's answer; anything else
    (a bug, an infrastructure failure) is not caught here and ends the run."""
    return str(error)


def build_graph(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    checkpointer: Any = None,
    system_prompt: str | None = None,
):
    """Compile the agent. Tests pass their own model and checkpointer."""
    bound = model.bind_tools(list(tools))
    prompt = system_prompt or load_prompt("system")

    async def call_model(state: MessagesState, config: RunnableConfig) -> dict:
        system = SystemMessage(prompt.replace("{now}", datetime.now(UTC).isoformat(timespec="minutes")))
        response = await bound.ainvoke([system, *state["messages"]], config)
        return {"messages": [response]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(list(tools), handle_tool_errors=tool_error_message))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=checkpointer)
