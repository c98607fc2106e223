"""The graphs LangGraph's own tooling serves (`langgraph.json`: `langgraph dev`, LangGraph
Studio, Agent Inbox): the chat agent and the decision workflow, each from a factory.

They follow the LangGraph server's conventions: compiled without a checkpointer or store
(the server brings its own and sets them on the graph), one co-pilot opened per server
process on the same settings as every other front end (`.env`, COPILOT_DATA_DIR), so the
tools and decisions are the owner's real ones. `langgraph dev` listens on 127.0.0.1 and
is the owner's own tool, so its runs act for the local owner, as the console does."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import merge_configs

from agent.copilot import Copilot
from agent.decisions.graph import build_decision_graph
from agent.graph import build_graph
from core.auth import Caller

_opened: tuple[AsyncExitStack, Copilot] | None = None
_lock: asyncio.Lock | None = None


async def copilot() -> Copilot:
    """The co-pilot behind the served graphs, opened once per process."""
    global _opened, _lock
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _opened is None:
            from agent.runtime import open_runtime

            stack = AsyncExitStack()
            rt = await stack.enter_async_context(open_runtime())
            _opened = (stack, rt)
        return _opened[1]


async def close() -> None:
    """Close the co-pilot (tests; the server simply exits)."""
    global _opened
    if _opened is not None:
        stack, _ = _opened
        _opened = None
        await stack.aclose()


def _servable(graph: Any) -> Any:
    """As the LangGraph server wants it: no checkpointer (it sets its own on a copy, so the
    input guard ``build_graph`` puts on the instance goes; the state's reducers still
    redact every message), and runs that act for the local owner."""
    for name in ("stream", "astream"):
        graph.__dict__.pop(name, None)
    graph.checkpointer = None
    graph.config = merge_configs(graph.config, {"configurable": {"caller": Caller.local_owner()}})
    return graph


async def chat_agent(config: RunnableConfig | None = None) -> Any:
    """The chat agent: the model, every tool (and those of COPILOT_MCP_SERVERS)."""
    rt = await copilot()
    graph = build_graph(rt.model, [*rt.tools, *rt.mcp_tools], redact=rt.redact,
                        timezone=rt.settings.timezone)
    return _servable(graph)


async def decision_workflow(config: RunnableConfig | None = None) -> Any:
    """The decision workflow (recommend -> ask/auto -> act -> record): run it with
    ``{"decision_id": N}`` and it parks at an Agent Inbox ``HumanInterrupt``; resume it
    with Agent Inbox's response list."""
    rt = await copilot()
    return _servable(build_decision_graph(rt.decisions))
