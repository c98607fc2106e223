"""The Typer app and the helpers every command uses. Heavy imports stay inside commands
so that `copilot --help` starts instantly."""

from __future__ import annotations

import asyncio

import typer

app = typer.Typer(
    help="victor-copilot: a personal AI co-pilot for trading, building and publishing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def load_settings():
    from core.settings import Settings

    return Settings()


def fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def run_async(coro):
    """Run a coroutine; user-facing errors become one red sentence and exit code 1."""
    from core.errors import CopilotError

    try:
        return asyncio.run(coro)
    except CopilotError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def with_runtime(fn):
    async def main():
        from agent.runtime import open_runtime

        async with open_runtime(load_settings()) as rt:
            return await fn(rt)

    return run_async(main())


def fmt_time(ts: float | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else ""
