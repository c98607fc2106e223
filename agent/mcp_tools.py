"""Tools from other MCP servers for the owner's agent (COPILOT_MCP_SERVERS), through
langchain-mcp-adapters: each server's tools, named ``<server>_<tool>`` so they never
shadow ours. They join the owner's graph only: a guest's turn never sees them, and
`copilot mcp` never passes them on. A server that cannot be reached costs its tools and a
line in the log and the ``mcp`` health check, never the start."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import structlog
from langchain_core.tools import BaseTool

from core.ports import CheckResult

log = structlog.get_logger(__name__)
LOAD_TIMEOUT_S = 15.0


@dataclass
class McpTools:
    tools: list[BaseTool] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # server -> why
    name: str = "mcp"
    interval_s: float = 300.0

    async def check(self) -> CheckResult:
        """The ``mcp`` health check: which servers' tools the agent has."""
        if self.failed:
            why = "; ".join(f"{k}: {v}" for k, v in self.failed.items())
            return CheckResult("degraded" if self.tools else "down",
                               f"{len(self.tools)} tools; not loaded: {why}")
        return CheckResult("ok", f"{len(self.tools)} tools from MCP servers")


def _connection(spec: dict[str, Any]) -> dict[str, Any]:
    """Our setting's entry as langchain-mcp-adapters' connection (stdio by default)."""
    out = dict(spec)
    out.setdefault("transport", "stdio" if "command" in out else "streamable_http")
    return out


async def load_mcp_tools(servers: dict[str, dict[str, Any]]) -> McpTools:
    """Every configured server's tools, each server on its own (one failing does not
    cost the others)."""
    loaded = McpTools()
    if not servers:
        return loaded
    from langchain_mcp_adapters.client import MultiServerMCPClient

    for name, spec in servers.items():
        try:
            client = MultiServerMCPClient({name: _connection(spec)},  # type: ignore[dict-item]
                                          tool_name_prefix=True)
            tools = await asyncio.wait_for(client.get_tools(), LOAD_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - any failure: its tools are left out
            reason = f"{type(exc).__name__}"
            if isinstance(exc, TimeoutError):
                reason = f"no answer within {LOAD_TIMEOUT_S:g} s"
            log.warning("MCP server not loaded", server=name, error=reason)
            loaded.failed[name] = reason
            continue
        loaded.tools += tools
        log.info("MCP tools loaded", server=name, tools=[t.name for t in tools])
    return loaded
