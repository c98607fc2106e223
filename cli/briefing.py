"""`copilot briefing`: the briefing now, without raising a decision."""

from __future__ import annotations

import typer

from cli.common import app, with_runtime


@app.command()
def briefing() -> None:
    """The briefing now: movers, alerts, drafts and pending decisions by kind.

    The scheduled briefings' sections plus the pending decisions grouped by kind, printed
    without raising a decision."""
    from core.auth import Caller

    async def go(rt):
        return await rt.run_tool("briefing", {}, Caller.local_owner())

    typer.echo(with_runtime(go)["summary"].replace("**", ""))  # markdown bold, for chat
