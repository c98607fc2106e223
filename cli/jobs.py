"""`copilot jobs`: the scheduled jobs and their next run, on the owner's clock."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import app, with_runtime


@app.command()
def jobs(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """List the scheduled jobs (briefings on the exchange clock, content slots, scheduled
    posts, housekeeping) with their next run in COPILOT_TIMEZONE."""
    from core.markettime import format_local, format_span

    async def go(rt):
        return await rt.job_plan(), rt.clock(), rt.settings.timezone

    rows, now, tz = with_runtime(go)
    if as_json:
        typer.echo(json.dumps({"timezone": tz, "jobs": [
            {"name": r.name, "trigger": r.trigger,
             "next_run": r.next_run.isoformat() if r.next_run else None,  # UTC
             "next_run_local": format_local(r.next_run, tz, year=True) if r.next_run else None}
            for r in rows]}))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table("job", "when", f"next run ({tz})", "in", title="scheduled jobs")
    for r in rows:
        at = format_local(r.next_run, tz) if r.next_run else "never"
        wait = format_span(r.next_run.timestamp() - now) if r.next_run else ""
        table.add_row(r.name, escape(r.trigger), at, wait)
    Console().print(table)
