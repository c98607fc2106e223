"""The Typer app and the helpers every command uses. Heavy imports stay inside commands
so that `copilot --help` starts instantly.

Errors have one shape for every command (``report_error``): a ``CopilotError`` prints its
own sentence and exits 1 (a ``ConfigurationError`` exits 2); anything else is a bug or an
infrastructure failure, logged with its traceback to ``$COPILOT_DATA_DIR/logs/copilot.jsonl``
and shown as one sentence that says where the log is, exit 1; Ctrl-C exits 130 quietly.
Every printed message passes the redaction that guards the logs. ``run_async`` applies
it inside a command; ``main`` (the `copilot` entry point) applies it around all of them."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer

app = typer.Typer(
    help="victor-copilot: a personal AI co-pilot for trading, building and publishing.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_ERROR, EXIT_CONFIG, EXIT_INTERRUPTED = 1, 2, 130


def load_settings():
    """The settings, or a ``ConfigurationError`` naming the environment variable that
    cannot be read (never pydantic's multi-line report)."""
    from pydantic import ValidationError

    from core.errors import ConfigurationError
    from core.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"]) or "a setting"
        msg = " ".join(str(err["msg"]).split()).removeprefix("Value error, ").rstrip(".")
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigurationError(f"The setting {name} cannot be used: {msg}{more}.") from None


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


# ---- one error handler for every command ------------------------------------------------
def _data_dir() -> Path:
    """The data dir even when the settings cannot be loaded (the crash may be that)."""
    from core.settings import Settings, default_data_dir

    try:
        return Settings().data_dir
    except Exception:  # noqa: BLE001 - fall back to the raw variable
        raw = os.environ.get("COPILOT_DATA_DIR")
        return Path(raw) if raw else default_data_dir()


def _secrets() -> list[str]:
    """What the redaction must hide, from the settings or, failing that, from the raw
    environment (every variable whose name says it is a secret)."""
    from core.logs import SECRET_KEYS, settings_secrets
    from core.settings import Settings

    try:
        return settings_secrets(Settings())
    except Exception:  # noqa: BLE001 - the settings themselves may be what failed
        return [v for k, v in os.environ.items() if SECRET_KEYS.search(k) and v]


def _redact(text: str) -> str:
    from core.logs import Redactor

    return Redactor(_secrets()).text(text)


def report_error(exc: BaseException) -> int:
    """Print ``exc`` as one sentence on stderr and return the exit code. Unexpected
    errors are logged (redacted traceback) to the log file first."""
    from core.errors import ConfigurationError, CopilotError

    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):  # `copilot ... | head`: the reader left
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_ERROR
    if isinstance(exc, CopilotError):
        message = " ".join(_redact(str(exc)).split()) or type(exc).__name__
        typer.secho(message, fg=typer.colors.RED, err=True)
        return EXIT_CONFIG if isinstance(exc, ConfigurationError) else EXIT_ERROR
    from core.logs import log_file_path, record_crash

    log = log_file_path(_data_dir())
    try:
        log = record_crash(log.parent, exc, _secrets())
    except Exception:  # noqa: BLE001 - reporting must not fail in turn
        pass
    typer.secho(f"Something went wrong ({type(exc).__name__}); the details are in {log}.",
                fg=typer.colors.RED, err=True)
    return EXIT_ERROR


def run_async(coro):
    """Run a coroutine inside a command; any error becomes one sentence and an exit code
    (see ``report_error``)."""
    try:
        return asyncio.run(coro)
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except (Exception, KeyboardInterrupt, asyncio.CancelledError) as exc:
        raise typer.Exit(report_error(exc)) from None


def run_sync(fn, *args):
    """``fn(*args)`` inside a command that needs no runtime: the same one-sentence errors
    as ``run_async``."""
    try:
        return fn(*args)
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except (Exception, KeyboardInterrupt) as exc:
        raise typer.Exit(report_error(exc)) from None


def with_runtime(fn):
    async def main():
        from agent.runtime import open_runtime

        async with open_runtime(load_settings()) as rt:
            return await fn(rt)

    return run_async(main())


def check_inventory(path: str | None) -> None:
    """Refuse a bad inventory file (missing, a FIFO, a device, huge, binary, an alias
    bomb...) in one sentence before the runtime starts, so `copilot review` answers within
    a fraction of a second instead of after the whole co-pilot has been built."""
    from core.errors import CopilotError
    from tools.architecture.inventory import load_inventory

    try:
        target = path or load_settings().inventory_path
        if target:
            load_inventory(target)
    except CopilotError as exc:
        raise typer.Exit(report_error(exc)) from None


def fmt_time(ts: float | None, tz: str) -> str:
    """An instant in a table, on the owner's clock (``COPILOT_TIMEZONE``)."""
    from core.markettime import format_local

    return format_local(ts, tz, year=True) if ts else ""


# ---- the entry point -----------------------------------------------------------------------
def run_cli(argv: Sequence[str] | None = None) -> int:
    """Run the `copilot` command line and return its exit code; nothing escapes as a
    traceback. Typer itself turns usage errors into its message and exit 2, and Ctrl-C
    into exit 130; everything else that escapes a command is handled here."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="copilot")
    except SystemExit as exc:
        code = exc.code
        if code is None or isinstance(code, int):
            return code or 0
        typer.secho(" ".join(_redact(str(code)).split()), fg=typer.colors.RED, err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (Exception, asyncio.CancelledError) as exc:  # the top-level handler
        return report_error(exc)
    return 0


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The `copilot` console script."""
    code = run_cli(argv)
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError, OSError):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
