"""Top-level commands: chat, ask, config, run, health, review, eval."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.common import app, check_inventory, fail, load_settings, run_async, with_runtime


@app.command()
def chat() -> None:
    """Chat with the co-pilot in the terminal."""

    async def main() -> None:
        from agent.runtime import open_runtime
        from bots.console import ConsoleChat

        async with open_runtime(load_settings()) as rt:
            await ConsoleChat(rt).run()

    run_async(main())


THREAD_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="What to ask, in plain English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    thread: Annotated[str | None, typer.Option(
        "--thread", metavar="NAME",
        help="Continue the conversation NAME (started by the first ask that names it).",
    )] = None,
) -> None:
    """Run one agent turn and print the answer: on a fresh thread, or with --thread NAME
    continuing that conversation (scripts and evals hold a conversation this way)."""
    import re
    from contextlib import AbstractContextManager, nullcontext

    if thread is not None and not re.fullmatch(THREAD_NAME, thread):
        fail("--thread NAME takes letters, digits, '.', '_' and '-' (up to 64, starting "
             "with a letter or digit).")
    settings = load_settings()

    async def main():
        from agent.runtime import open_runtime

        async with open_runtime(settings) as rt:
            return await rt.ask(message, thread_id=f"cli-{thread}" if thread else None)

    # one turn at a time per conversation across processes too (the runtime serialises
    # turns within one): a second `ask --thread NAME` waits for the first to finish
    turn: AbstractContextManager[object] = nullcontext()
    if thread is not None:
        from filelock import FileLock

        locks = settings.data_dir / "threads"
        locks.mkdir(parents=True, exist_ok=True)
        turn = FileLock(str(locks / f"cli-{thread}.lock"))
    with turn:
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

    from bots.web.auth import hook_secret

    settings = load_settings()
    table = Table("setting", "value", title="victor-copilot settings")
    values = settings.masked()
    if settings.hook_secret is None or not settings.hook_secret.get_secret_value().strip():
        # the generated secret is the owner's to paste into TradingView: shown in full
        kept = hook_secret(settings)
        values["COPILOT_HOOK_SECRET"] = f"{kept.value} (generated; kept in {kept.path})"
    values["COPILOT_QUIET_HOURS"] = _quiet_hours(settings.quiet_hours, settings.timezone)
    for key, value in values.items():
        table.add_row(key, "" if value is None else str(value))
    Console().print(table)


def _quiet_hours(text: str | None, tz: str) -> str:
    """The setting with its meaning on the owner's clock (or 'off')."""
    import time

    from core.quiethours import QuietHours

    quiet = QuietHours.of(text, tz)
    if quiet is None:
        return f"off (e.g. 22:00-07:00: alerts recorded but not sent overnight, on {tz})"
    return quiet.explain(time.time())


@app.command()
def run(
    no_console: Annotated[bool, typer.Option("--no-console",
                                             help="Run headless even in a terminal.")] = False,
) -> None:
    """Start everything: ticks, alerts, jobs, and the Discord bot (or the console chat).

    Market ticks, the alert engine and dispatcher, and the scheduled jobs (briefings,
    prefetch, health checks, content slots) run in the background; the front end is the
    Discord bot when DISCORD_TOKEN is set, else the console chat in a terminal, else
    none (headless) until SIGTERM. Only one `copilot run` may use the same data."""
    from cli.serve import serve

    code = run_async(serve(load_settings(), console=not no_console))
    if code:
        raise typer.Exit(code)


@app.command()
def health() -> None:
    """Check everything now: a dashboard with status, latency sparkline and incidents."""
    from rich.console import Console
    from rich.table import Table

    from core.markettime import format_local

    async def go(rt):
        await rt.health.monitor.run_all()
        return rt.health.monitor.summary(), rt.health.monitor.incidents("open"), rt.settings.timezone

    rows, incidents, tz = with_runtime(go)
    style = {"ok": "green", "degraded": "yellow", "down": "red"}
    table = Table("component", "status", "latency", "recent", "uptime", "detail",
                  title="victor-copilot health")
    for r in rows:
        latency = f"{r['latency_ms']:.1f} ms" if r["latency_ms"] is not None else "-"
        uptime = f"{r['uptime']:.0%}" if r["uptime"] is not None else "-"
        table.add_row(r["component"], f"[{style.get(r['status'], 'white')}]{r['status']}[/]",
                      latency, r["spark"], uptime, r["detail"])
    console = Console()
    console.print(table)
    if incidents:
        console.print("[bold red]Open incidents[/]")
        for i in incidents:
            console.print(f"  #{i.id} {i.component}: {i.failures} failures — {i.last_error} "
                          f"(since {format_local(i.opened_at, tz)})")
    else:
        console.print("No open incidents.")


@app.command()
def review(
    inventory: Annotated[str | None, typer.Argument(help="Inventory YAML (default: "
                                                         "COPILOT_INVENTORY).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="rich | md | json")] = "rich",
) -> None:
    """Review an architecture inventory: findings and a migration plan."""
    if fmt not in ("rich", "md", "json"):
        fail("--format must be rich, md or json.")

    async def go(rt):
        return await rt.architecture.reviewer.review(inventory)

    check_inventory(inventory)  # a bad file is refused before the runtime starts
    result = with_runtime(go)
    if fmt == "json":
        typer.echo(result.model_dump_json(indent=2))
        return
    if fmt == "md":
        typer.echo(result.markdown())
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]Architecture review: {result.inventory}[/]  ({result.source})")
    console.print(result.narrative)
    table = Table("severity", "code", "finding", "components", title="findings")
    colour = {"critical": "red", "high": "yellow", "medium": "cyan", "low": "white"}
    for f in result.findings:
        table.add_row(f"[{colour[f.severity]}]{f.severity}[/]", f.code, f.title,
                      ", ".join(f.components))
    console.print(table)
    console.print("[bold]Migration plan[/]")
    for a in result.plan:
        console.print(f"{a.step}. [bold]{a.title}[/]  [dim]({', '.join(a.because)})[/]")
        for step in a.steps:
            console.print(f"   • {step}")
        console.print(f"   [green]→ {a.outcome}[/]")


@app.command("eval")
def eval_cmd(
    suite: Annotated[list[str] | None, typer.Option("--suite", help="routing, routing_holdout, "
                     "trajectories, memory, review, grounding (repeatable; default: all)")] = None,
    dataset: Annotated[str | None, typer.Option(help="A JSONL file in the routing format.")] = None,
    model: Annotated[str, typer.Option(help="offline | openai")] = "offline",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    langsmith: Annotated[bool, typer.Option("--langsmith", help="Upload to LangSmith.")] = False,
) -> None:
    """Measure the agent: routing, trajectories, memory recall, review findings, grounding."""
    from rich.console import Console

    from agent.llm import make_chat_model
    from agent.runtime import grammars
    from evals.evaluators import SUITES
    from evals.runner import passes, render, report_dict, run, save, upload_langsmith

    settings = load_settings()
    names = suite or (["routing"] if dataset else list(SUITES))
    make_model = lambda: make_chat_model(settings, model, grammars())  # noqa: E731
    make_model()  # fail now, in one sentence, if the model can't be built
    console = Console(stderr=as_json)
    results, seconds = run_async(run(names, model, make_model, dataset, console,
                                     show_progress=not as_json))
    report = report_dict(model, results, seconds)
    path = save(report, settings.data_dir / "evals")
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        render(results, model, seconds, console)
        console.print(f"report: {path}")
    if langsmith:
        key = settings.langsmith_api_key.get_secret_value() if settings.langsmith_api_key else None
        typer.secho(upload_langsmith(report, key), err=True)
    if not all(passes(r) for r in results):
        raise typer.Exit(1)
