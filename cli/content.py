"""`copilot content ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import EXIT_CONFIG, app, fail, load_settings, run_sync, with_runtime

# a draft number as SQL can hold it: anything else is a usage error, not a crash
DraftId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The draft's number.")]
MAX_BODY_BYTES = 1_000_000

content_app = typer.Typer(help="Content: drafts (list, show, draft, edit, rm) and audience "
                               "stats.", no_args_is_help=True)
app.add_typer(content_app, name="content")


def run_owner_tool(name: str, args: dict) -> dict:
    """Run one of the agent's tools as the local owner (the same checks and words as in
    the chat and on Discord)."""
    from core.auth import Caller

    async def go(rt):
        return await rt.run_tool(name, args, Caller.local_owner())

    return with_runtime(go)


@content_app.command("list")
def content_list(status: Annotated[str | None, typer.Option()] = None) -> None:
    """Drafts and their status."""

    from cli.rows import drafts as read_drafts

    drafts, tz = run_sync(read_drafts, status), load_settings().timezone
    typer.echo("\n".join(d.line(tz) for d in drafts) if drafts else "No drafts.")


@content_app.command("show")
def content_show(draft_id: DraftId) -> None:
    """One draft: its text, status, channel, tone and schedule."""
    typer.echo(run_owner_tool("show_draft", {"draft_id": draft_id})["summary"])


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


def read_body(path: str) -> str:
    """The new text from a file ('-' reads standard input), or one sentence why not."""
    import sys
    from pathlib import Path

    if path == "-":
        raw = sys.stdin.buffer.read(MAX_BODY_BYTES + 1)
    else:
        file = Path(path)
        if not file.is_file():
            fail(f"{path} is not a file; --body-file takes the path of a text file (or - for "
                 "standard input).", EXIT_CONFIG)
        try:
            with file.open("rb") as fh:
                raw = fh.read(MAX_BODY_BYTES + 1)
        except OSError as exc:
            fail(f"Can't read {path}: {exc.strerror or exc}.")
    if len(raw) > MAX_BODY_BYTES:
        fail(f"{path} is over {MAX_BODY_BYTES // 1_000_000} MB; a draft is a post, not a book.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text.")


@content_app.command("edit")
def content_edit(
    draft_id: DraftId,
    tone: Annotated[str | None, typer.Option(
        help="Write it again in this tone: neutral, bullish, bearish, cautious, educational, "
             "hype, casual.")] = None,
    title: Annotated[str | None, typer.Option(help="Rename it.")] = None,
    body_file: Annotated[str | None, typer.Option(
        "--body-file", metavar="PATH",
        help="Replace its text with this file's (- for standard input); every number must "
             "come from the draft's data.")] = None,
    instruction: Annotated[str | None, typer.Option(
        "--instruction", "-i", help="A request in words: 'make it shorter', 'punchier', "
                                   "'add the disclaimer'.")] = None,
) -> None:
    """Edit a draft: its tone, title, text or a request in words."""
    if tone is None and title is None and body_file is None and instruction is None:
        fail("Say what to change: --tone, --title, --body-file or --instruction.", EXIT_CONFIG)
    args: dict = {"draft_id": draft_id, "tone": tone, "title": title,
                  "instruction": instruction}
    if body_file is not None:
        args["body"] = read_body(body_file)
    typer.echo(run_owner_tool("edit_draft", args)["summary"])


@content_app.command("rm")
def content_rm(draft_id: DraftId) -> None:
    """Delete a draft that is not published (its pending decision is closed)."""
    typer.echo(run_owner_tool("delete_draft", {"draft_id": draft_id})["summary"])


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
