"""`copilot mcp` through a real MCP client over stdio: it lists the read-only tools, calls
them, refuses the privileged ones unless started with --privileged, and then creates an
alert that the co-pilot's own database holds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parents[2]


def params(*extra: str) -> StdioServerParameters:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_TICK_INTERVAL": "3600"}
    return StdioServerParameters(command=sys.executable, args=["-m", "cli", "mcp", *extra],
                                 env=env, cwd=str(ROOT))


def text(result) -> str:  # noqa: ANN001
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def test_copilot_mcp_lists_and_calls_read_only_tools():
    async with stdio_client(params()) as (read, write), ClientSession(read, write) as session:
        info = await session.initialize()
        assert info.serverInfo.name == "victor-copilot"
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert {"get_quote", "list_alerts", "system_health", "pending_decisions"} <= set(tools)
        assert not {"create_alert", "publish_content", "decide", "undo"} & set(tools)
        assert tools["get_quote"].inputSchema["required"] == ["symbol"]
        assert "config" not in tools["list_alerts"].inputSchema["properties"]
        quote = await session.call_tool("get_quote", {"symbol": "AAPL"})
        assert not quote.isError and "AAPL is at $" in text(quote)
        refused = await session.call_tool("create_alert", {"symbol": "AAPL",
                                                           "condition": "above",
                                                           "threshold": 9000})
        assert refused.isError and "--privileged" in text(refused)
        bad = await session.call_tool("get_quote", {"symbol": "NOTAREALTICKER1"})
        assert bad.isError and "Traceback" not in text(bad)


async def test_privileged_tools_only_with_the_flag_and_they_change_the_copilot():
    async with stdio_client(params("--privileged")) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        names = {t.name for t in (await session.list_tools()).tools}
        assert {"create_alert", "decide", "publish_content"} <= names
        made = await session.call_tool("create_alert", {"symbol": "MSFT", "condition": "above",
                                                        "threshold": 9000})
        assert not made.isError and "Alert 1" in text(made), text(made)
        listed = await session.call_tool("list_alerts", {})
        assert "MSFT" in text(listed)
    from sqlmodel import Session, select

    from core.settings import Settings
    from core.storage import make_engine
    from tools.alerts.models import AlertRule

    engine = make_engine(Settings().db_url)
    with Session(engine) as s:
        rules = s.exec(select(AlertRule)).all()
    engine.dispose()
    assert [(r.symbol, r.threshold) for r in rules] == [("MSFT", 9000.0)]
