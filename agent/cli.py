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
    """Start everything: ticks, alerts, jobs, and the Discord bot (or the console chat).

    Market ticks, the alert engine and dispatcher, and the scheduled jobs (briefings,
    prefetch, health checks, content slots) run in the background; the front end is the
    Discord bot when DISCORD_TOKEN is set, else the console chat."""

    async def main() -> None:
        from agent.runtime import open_runtime
        from bots.console import ConsoleChat

        settings = _settings()
        async with open_runtime(settings) as rt:
            await rt.start()
            if settings.discord_token:
                from bots.discord.bot import run_bot

                await run_bot(rt)
            else:
                async def notes() -> list[str]:
                    return rt.notifications()

                await ConsoleChat(rt, between_turns=notes).run()

    run_async(main())


alerts_app = typer.Typer(help="Price alerts: list, add, rm, snooze.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


def _with_runtime(fn):
    async def main():
        from agent.runtime import open_runtime

        async with open_runtime(_settings()) as rt:
            return await fn(rt)

    return run_async(main())


@alerts_app.command("list")
def alerts_list(
    symbol: Annotated[str | None, typer.Argument(help="Only this ticker.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include fired/deleted ones.")] = False,
) -> None:
    """List alerts."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.alerts.service.rules(symbol, include_inactive=all_)

    rules = _with_runtime(go)
    table = Table("id", "rule", "active", "fired", "note", title="alerts")
    for r in rules:
        table.add_row(str(r.id), r.describe(), "yes" if r.active else "no", str(r.fire_count),
                      r.note)
    Console().print(table if rules else "No alerts.")


@alerts_app.command("add")
def alerts_add(
    symbol: str,
    condition: Annotated[str, typer.Argument(
        help="above | below | cross_above | cross_below | pct_change")],
    threshold: float,
    window: Annotated[int | None, typer.Option(help="Minutes, for pct_change.")] = None,
    frequency: Annotated[str, typer.Option(help="once | once_per_day | every_time")] = "once",
    expires: Annotated[str | None, typer.Option(help="ISO date-time.")] = None,
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """Add an alert, e.g. `copilot alerts add AAPL cross_above 210`."""

    async def go(rt):
        return await rt.alerts.service.create(
            symbol=symbol, condition=condition, threshold=threshold, window_minutes=window,
            frequency=frequency, expires_at=expires, note=note)

    rule, price = _with_runtime(go)
    now = f" ({rule.symbol} is at ${price:,.2f})" if price is not None else ""
    typer.echo(f"Alert {rule.id} set: {rule.describe()}{now}.")


@alerts_app.command("rm")
def alerts_rm(alert_id: int) -> None:
    """Delete an alert."""

    async def go(rt):
        return rt.alerts.service.delete(alert_id)

    typer.echo(f"Deleted alert {_with_runtime(go).id}.")


@alerts_app.command("snooze")
def alerts_snooze(alert_id: int, minutes: Annotated[int, typer.Argument()] = 60) -> None:
    """Silence an alert for MINUTES (default 60)."""

    async def go(rt):
        return rt.alerts.service.snooze(alert_id, minutes)

    rule = _with_runtime(go)
    typer.echo(f"Snoozed alert {rule.id} for {minutes} min.")


@alerts_app.command("deliver", hidden=True)
def alerts_deliver() -> None:
    """Deliver everything in the outbox, then exit (used by tests and cron fallbacks)."""

    async def go(rt):
        await rt.alerts.dispatcher.run(until_empty=True)
        return rt.alerts.dispatcher.sent

    typer.echo(f"delivered {_with_runtime(go)} notification(s)")


decisions_app = typer.Typer(help="Decisions: list, show, log (the audit log), undo.",
                            no_args_is_help=True)
app.add_typer(decisions_app, name="decisions")


def _when(ts: float | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else ""


@decisions_app.command("list")
def decisions_list(
    status: Annotated[str | None, typer.Option(help="pending|decided|auto|expired|undone")] = None,
    limit: Annotated[int, typer.Option()] = 30,
) -> None:
    """Recent decisions, newest first."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.decisions.recent(status, limit)

    rows = _with_runtime(go)
    table = Table("id", "kind", "title", "status", "chosen", "by", "created", title="decisions")
    for d in rows:
        table.add_row(str(d.id), d.kind, d.title, d.status, d.chosen or "", d.decided_by or "",
                      _when(d.created_at))
    Console().print(table if rows else "No decisions yet.")


@decisions_app.command("show")
def decisions_show(decision_id: int) -> None:
    """One decision: context, options, recommendation, outcome and its audit trail."""
    from rich.console import Console
    from rich.markdown import Markdown

    async def go(rt):
        return rt.decisions.get(decision_id), rt.decisions.events(decision_id)

    d, events = _with_runtime(go)
    console = Console()
    console.print(Markdown(d.prompt_text()))
    console.print(f"status: {d.status}  chosen: {d.chosen or '-'}  by: {d.decided_by or '-'}")
    if d.outcome:
        console.print(f"outcome: {d.outcome}")
    for e in reversed(events):
        console.print(f"  {_when(e.at)}  {e.event:<9} {e.actor:<9} {e.detail}")


@decisions_app.command("log")
def decisions_log(limit: Annotated[int, typer.Option()] = 50) -> None:
    """The audit log: every raise, reminder, choice, autopilot action, undo and expiry."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.decisions.events(limit=limit)

    table = Table("when", "decision", "event", "actor", "detail", title="decision audit log")
    for e in _with_runtime(go):
        table.add_row(_when(e.at), str(e.decision_id), e.event, e.actor, e.detail)
    Console().print(table)


@decisions_app.command("undo")
def decisions_undo(decision_id: int) -> None:
    """Undo what a decision did (within the undo window)."""
    from agent.auth import Caller

    async def go(rt):
        return await rt.decisions.undo(decision_id, Caller.local_owner())

    typer.echo(f"Decision {decision_id}: {_with_runtime(go).outcome}")


@app.command()
def health() -> None:
    """Check everything now: a dashboard with status, latency sparkline and incidents."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        await rt.health.run_all()
        return rt.health.summary(), rt.health.incidents("open")

    rows, incidents = _with_runtime(go)
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
                          f"(since {_when(i.opened_at)} UTC)")
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
        _fail("--format must be rich, md or json.")

    async def go(rt):
        return await rt.reviewer.review(inventory)

    result = _with_runtime(go)
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
    from evals.evaluators import SUITES
    from evals.runner import passes, render, report_dict, run, save, upload_langsmith

    settings = _settings()
    names = suite or (["routing"] if dataset else list(SUITES))
    make_model = lambda: make_chat_model(settings, model)  # noqa: E731
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


content_app = typer.Typer(help="Content: drafts and audience stats.", no_args_is_help=True)
app.add_typer(content_app, name="content")


@content_app.command("list")
def content_list(status: Annotated[str | None, typer.Option()] = None) -> None:
    """Drafts and their status."""

    async def go(rt):
        return rt.content.drafts(status)

    drafts = _with_runtime(go)
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
        return await rt.content.draft(topic, channel, symbol, tone, notify=False)

    d = _with_runtime(go)
    typer.echo(f"Draft {d.id} ({d.channel}): {d.title}\n\n{d.body}")


@content_app.command("stats")
def content_stats() -> None:
    """Audience engagement per topic and symbol (reactions, replies, VADER sentiment)."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.content.stats()

    rows = _with_runtime(go)
    table = Table("symbol", "topic", "posts", "reactions", "replies", "sentiment", "engagement",
                  title="content engagement")
    for g in rows:
        table.add_row(g["symbol"], g["topic"], str(g["posts"]), str(g["reactions"]),
                      str(g["replies"]), f"{g['sentiment']:+.2f}", f"{g['engagement']:.2f}")
    Console().print(table if rows else "Nothing published yet.")


def main() -> None:  # pragma: no cover - console script entry
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover
    main()
