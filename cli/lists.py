"""`copilot lists ...`: the watchlist and the named lists beside it ("semis"), which an
alert can watch as one rule (`copilot alerts add --list semis moving_down_pct 5`)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, with_runtime

lists_app = typer.Typer(help="The watchlist and named lists: show, add, rm.",
                        no_args_is_help=False, invoke_without_command=True)
app.add_typer(lists_app, name="lists")

Name = Annotated[str, typer.Argument(help="'watchlist' or a list's name, such as semis.")]


def _run(args: dict) -> None:
    from core.auth import Caller

    async def go(rt):
        return [await rt.run_tool("watchlist", a, Caller.local_owner())
                for a in args.pop("each", [args])]

    for answer in with_runtime(go):
        typer.echo(answer["summary"])


@lists_app.callback()
def lists_main(ctx: typer.Context) -> None:
    """Without a command: the watchlist and every named list with its size."""
    if ctx.invoked_subcommand is None:
        _run({"action": "list"})


@lists_app.command("show")
def lists_show(name: Name) -> None:
    """The tickers on one list."""
    _run({"action": "list", "list_name": name})


@lists_app.command("add")
def lists_add(name: Name, symbols: Annotated[list[str], typer.Argument(
        help="One or more tickers (a new name makes the list).")]) -> None:
    """Put tickers on a list: `copilot lists add semis NVDA AMD AVGO`."""
    _run({"each": [{"action": "add", "symbol": s, "list_name": name} for s in symbols]})


@lists_app.command("rm")
def lists_rm(name: Name, symbols: Annotated[list[str], typer.Argument(help="Tickers.")]) -> None:
    """Take tickers off a list (a list with none left is gone)."""
    _run({"each": [{"action": "remove", "symbol": s, "list_name": name} for s in symbols]})
