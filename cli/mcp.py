"""`copilot mcp`: serve the co-pilot's tools over MCP (stdio) to other agents."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, load_settings, run_async


@app.command()
def mcp(
    privileged: Annotated[bool, typer.Option(
        "--privileged", help="Also offer the tools that change things (alerts, drafts, "
                             "publishing, decisions); they still check that the owner asks.",
    )] = False,
) -> None:
    """Serve the co-pilot's tools over MCP on stdio (for Claude Desktop, Cursor or your own
    agent): read-only ones (quotes, charts, alerts and drafts listed, health, reviews,
    pending decisions) unless --privileged. Works beside `copilot run`."""
    settings = load_settings()

    async def main() -> None:
        from agent.runtime import open_runtime
        from bots.mcp import serve_stdio

        async with open_runtime(settings) as rt:
            await serve_stdio(rt, privileged)

    run_async(main())
