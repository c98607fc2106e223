"""`copilot content ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, with_runtime

content_app = typer.Typer(help="Content: drafts and audience stats.", no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("list")
def content_list(status: Annotated[str | None, typer.Option()] = None) -> None:
    """Drafts and their status."""

    async def go(rt):
        return rt.content.service.drafts(status)

    drafts = with_runtime(go)
    typer.echo("\n".join(d.line() for d in drafts) if drafts else "No drafts.")


@content_app.command("draft")
def content_draft(
    topic: str,
    channel: Annotated[str, typer.Option(help="discord | blog | email")] = "discord",
    symbol: Annotated[str | None, typer.Option()] = None,
    tone: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Draft a post and print it."""

    async def go(rt):
        return await rt.content.service.draft(topic, channel, symbol, tone, notify=False)

    d = with_runtime(go)
    typer.echo(f"Draft {d.id} ({d.channel}): {d.title}\n\n{d.body}")


@content_app.command("stats")
def content_stats() -> None:
    """Audience engagement per topic and symbol (reactions, replies, VADER sentiment)."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.content.service.stats()

    rows = with_runtime(go)
    table = Table("symbol", "topic", "posts", "reactions", "replies", "sentiment", "engagement",
                  title="content engagement")
    for g in rows:
        table.add_row(g["symbol"], g["topic"], str(g["posts"]), str(g["reactions"]),
                      str(g["replies"]), f"{g['sentiment']:+.2f}", f"{g['engagement']:.2f}")
    Console().print(table if rows else "Nothing published yet.")
