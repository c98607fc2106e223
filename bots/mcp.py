"""`copilot mcp`: the co-pilot's tools for other agents (Claude Desktop, Cursor, your own),
over the Model Context Protocol on stdio.

Like every front end it only translates: MCP's list_tools is our tools' names, docstrings
and argument schemas; call_tool is ``Copilot.run_tool`` as the local owner (the process
that spawned us runs as him, as the CLI does), so every owner check in the tools still
applies. Read-only tools by default; the ones that change something (create an alert,
publish, answer a decision...) only with ``--privileged``. Tools the co-pilot itself loaded
from other MCP servers are never passed on."""

from __future__ import annotations

from typing import Any

import structlog
from langchain_core.tools import BaseTool

from core.auth import Caller
from core.errors import CopilotError

log = structlog.get_logger(__name__)
MCP_OWNER = Caller(user_id="mcp", is_owner=True, name="owner (MCP over stdio)")
# what reads without changing anything (market data, lists, histories, health, reviews)
READ_ONLY = frozenset({
    "get_quote", "get_price_history", "price_chart", "compare_returns", "market_status",
    "list_alerts", "alert_history", "list_drafts", "show_draft", "system_health",
    "recent_errors", "review_architecture", "pending_decisions", "recall_decisions",
    "digest", "briefing", "silences",
})


def exposed(copilot: Any, privileged: bool) -> list[BaseTool]:
    """The co-pilot's own tools this server offers."""
    return [t for t in copilot.tools if privileged or t.name in READ_ONLY]


def schema(tool: BaseTool) -> dict[str, Any]:
    """The arguments the model fills in (the run config the tools read is left out)."""
    out: dict[str, Any] = tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
    out.pop("title", None)
    out.setdefault("type", "object")
    out.setdefault("properties", {})
    return out


def build_server(copilot: Any, privileged: bool = False) -> Any:
    import mcp.types as types
    from mcp.server.lowlevel import Server

    tools = {t.name: t for t in exposed(copilot, privileged)}
    server: Any = Server("victor-copilot")

    @server.list_tools()  # type: ignore[misc]
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(name=t.name, description=t.description or t.name,
                           inputSchema=schema(t)) for t in tools.values()]

    @server.call_tool()  # type: ignore[misc]
    async def call_tool(name: str, arguments: dict[str, Any]) -> list[types.TextContent]:
        if name not in tools:
            hint = " (start `copilot mcp --privileged` for the tools that change things)" \
                if name in {t.name for t in copilot.tools} else ""
            raise ValueError(f"{name} is not offered by this server{hint}.")
        try:
            result = await copilot.run_tool(name, dict(arguments or {}), MCP_OWNER)
        except CopilotError as exc:
            raise ValueError(str(exc)) from None
        except Exception:  # noqa: BLE001 - a bug: logged, one sentence to the client
            log.exception("mcp tool failed", tool=name)
            raise ValueError(f"{name} failed on the co-pilot's side; it is in its log "
                             f"({copilot.settings.data_dir / 'logs'}).") from None
        text = str(result.get("summary", result)) if isinstance(result, dict) else str(result)
        return [types.TextContent(type="text", text=copilot.redact(text))]

    return server


async def serve_stdio(copilot: Any, privileged: bool = False) -> None:
    """Serve until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    server = build_server(copilot, privileged)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
