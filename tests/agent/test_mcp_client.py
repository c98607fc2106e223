"""COPILOT_MCP_SERVERS: another MCP server's tools (a tiny one this test starts over
stdio) join the owner's agent, never a guest's; a server that cannot start costs only its
tools and says so in the `mcp` health check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput
from core.settings import Settings
from tests.helpers.openai_server import FakeOpenAIServer, Reply

SERVER = Path(__file__).resolve().parents[1] / "helpers" / "mcp_server.py"
GUEST = Caller(user_id="guest-1", is_owner=False)


def servers(**extra: dict) -> str:
    return json.dumps({"tiny": {"command": sys.executable, "args": [str(SERVER)]}, **extra})


def tool_names(graph) -> set[str]:  # noqa: ANN001
    return set(graph.nodes["tools"].bound.tools_by_name)


async def test_the_owner_gets_the_servers_tools_and_a_guest_never_does(monkeypatch):
    monkeypatch.setenv("COPILOT_MCP_SERVERS", servers())
    async with open_runtime(Settings()) as rt:
        assert {"tiny_shout", "tiny_add"} <= tool_names(rt.graph)
        assert not {"tiny_shout", "tiny_add"} & tool_names(rt.guest_graph)
        assert "tiny_shout" not in {t.name for t in rt.tools}  # never passed on by `copilot mcp`
        result = await rt.run_tool("tiny_shout", {"text": "buy the dip"}, Caller.local_owner())
        assert "BUY THE DIP" in str(result)
        with pytest.raises(InvalidInput):
            await rt.run_tool("tiny_shout", {"text": "hi"}, GUEST)
        check = await rt.health.monitor.run("mcp")
        assert check.status == "ok" and "2 tools" in check.detail


async def test_the_agent_calls_a_loaded_tool_and_reads_its_answer(monkeypatch):
    monkeypatch.setenv("COPILOT_MCP_SERVERS", servers())
    script = [Reply.tool("tiny_add", {"a": 2, "b": 40}), Reply("It is 42.")]
    with FakeOpenAIServer(script=script) as server:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_LLM_MODEL", "local-test")
        async with open_runtime(Settings()) as rt:
            result = await rt.ask("add 2 and 40 with the tiny server")
    assert result.tool_calls == [{"name": "tiny_add", "args": {"a": 2, "b": 40}}]
    offered = {t["function"]["name"] for t in server.chat_requests[0]["tools"]}
    assert "tiny_add" in offered
    tool_reply = server.chat_requests[1]["messages"][-1]
    assert tool_reply["role"] == "tool" and "42" in str(tool_reply["content"])


async def test_a_server_that_cannot_start_costs_only_its_tools(monkeypatch):
    broken = {"command": sys.executable, "args": ["-c", "import sys; sys.exit(3)"]}
    monkeypatch.setenv("COPILOT_MCP_SERVERS", servers(broken=broken))
    async with open_runtime(Settings()) as rt:
        assert "tiny_shout" in tool_names(rt.graph)
        check = await rt.health.monitor.run("mcp")
        assert check.status == "degraded" and "broken" in check.detail
