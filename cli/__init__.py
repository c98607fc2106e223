"""`copilot`: the command line, thin over ``agent.runtime``.

Each module adds its commands to the one Typer ``app``; importing this package registers
them all, in the order `copilot --help` lists them. Nothing heavy is imported until a
command runs. ``main`` is the console script: it runs ``app`` under the one top-level
error handler (``cli.common.run_cli``), so no command prints a traceback."""

import importlib

from cli.common import app, main, run_cli

for _module in ("core", "alerts", "lists", "decisions", "silences", "content", "briefing",
                "jobs", "mcp"):
    importlib.import_module(f"cli.{_module}")

__all__ = ["app", "main", "run_cli"]
