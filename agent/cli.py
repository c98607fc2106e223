"""``copilot``: the command line. Thin over ``agent.runtime``; heavy imports stay inside
commands so that ``copilot --help`` starts instantly."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer

app = typer.Typer(
    help="victor-copilot: a personal AI co-pilot for trading, building and publishing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings():
    from agent.settings import Settings

    return Settings()


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def run_async(coro):
    """Run a coroutine; user-facing errors become one red sentence and exit code 1."""
    from agent.errors import CopilotError

    try:
        return asyncio.run(coro)
    except CopilotError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


@app.command()
def chat() -> None:
    """Chat with the co-pilot in the terminal."""

    async def main() -> None:
        from agent.runtime import open_runtime
        from bots.console import ConsoleChat

        async with open_runtime(_settings()) as rt:
            await ConsoleChat(rt).run()

    run_async(main())


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="What to ask, in plain English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run one agent turn on a fresh thread and print the answer."""

    async def main():
        from agent.runtime import open_runtime

        async with open_runtime(_settings()) as rt:
            return await rt.ask(message)

    result = run_async(main())
    if as_json:
        typer.echo(json.dumps(result.as_json(), default=str))
    else:
        for call in result.tool_calls:
            typer.secho(f"⚙ {call['name']}({json.dumps(call['args'])})", dim=True, err=True)
        typer.echo(result.answer)


@app.command()
def config() -> None:
    """Print the effective settings, secrets masked."""
    from rich.console import Console
    from rich.table import Table

    table = Table("setting", "value", title="victor-copilot settings")
    for key, value in _settings().masked().items():
        table.add_row(key, "" if value is None else str(value))
    Console().print(table)


@app.command()
def run() -> None:
    """Start the co-pilot: the Discord bot when DISCORD_TOKEN is set, else the console."""
    chat()


def main() -> None:  # pragma: no cover - console script entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
