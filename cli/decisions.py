"""`copilot decisions ...`: the decision log and its audit trail."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, fmt_time, load_settings, run_sync, with_runtime

# a decision number as SQL can hold it: anything else is a usage error, not a crash
DecisionId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The decision's number.")]

decisions_app = typer.Typer(
    help="Decisions: list, show, answer, all (many at once), undo, digest, log (the audit log).",
    no_args_is_help=True)
app.add_typer(decisions_app, name="decisions")


@decisions_app.command("list")
def decisions_list(
    status: Annotated[str | None, typer.Option(help="pending|decided|auto|expired|undone")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 30,
) -> None:
    """Recent decisions, newest first."""
    import time

    from rich.console import Console
    from rich.table import Table

    from cli.rows import recent_decisions

    rows, now = run_sync(recent_decisions, status, limit), time.time()
    tz = load_settings().timezone
    table = Table("id", "kind", "title", "status", "chosen", "by", "created", "undo until",
                  title="decisions")
    for d in rows:
        undo = fmt_time(d.undo_until, tz) if d.undo_json and d.undo_until and \
            d.undo_until > now and d.status in ("decided", "auto") else ""
        table.add_row(str(d.id), d.kind, d.title + (f" (×{d.occurrences})"
                                                     if d.occurrences > 1 else ""),
                      d.status, d.chosen or "", d.decided_by or "", fmt_time(d.created_at, tz),
                      undo)
    Console().print(table if rows else "No decisions yet.")


@decisions_app.command("show")
def decisions_show(decision_id: DecisionId) -> None:
    """One decision: context, options, recommendation, outcome and its audit trail."""
    from rich.console import Console
    from rich.markdown import Markdown

    async def go(rt):
        return rt.decisions.get(decision_id), rt.decisions.events(decision_id)

    d, events = with_runtime(go)
    tz = load_settings().timezone
    console = Console()
    console.print(Markdown(d.prompt_text()))
    console.print(f"status: {d.status}  chosen: {d.chosen or '-'}  by: {d.decided_by or '-'}")
    if d.outcome:
        console.print(f"outcome: {d.outcome}")
    for e in reversed(events):
        console.print(f"  {fmt_time(e.at, tz)}  {e.event:<9} {e.actor:<9} {e.detail}")


@decisions_app.command("log")
def decisions_log(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """The audit log: every raise, reminder, choice, autopilot action, undo and expiry."""
    from rich.console import Console
    from rich.table import Table

    async def go(rt):
        return rt.decisions.events(limit=limit)

    table = Table("when", "decision", "event", "actor", "detail", title="decision audit log")
    events, tz = with_runtime(go), load_settings().timezone
    for e in events:
        table.add_row(fmt_time(e.at, tz), str(e.decision_id), e.event, e.actor, e.detail)
    Console().print(table)


@decisions_app.command("undo")
def decisions_undo(
    decision_id: Annotated[int | None, typer.Argument(
        min=1, max=2**63 - 1,
        help="The decision's number; without it, the latest one that can still be undone.",
    )] = None,
) -> None:
    """Undo what a decision did (within the undo window); without a number, the most
    recent decision (yours or autopilot's) that can still be undone."""
    from core.auth import Caller

    async def go(rt):
        return await rt.run_tool("undo", {"decision_id": decision_id}, Caller.local_owner())

    typer.echo(with_runtime(go)["summary"])


def _owner_tool(name: str, args: dict) -> str:
    from core.auth import Caller

    async def go(rt):
        return await rt.run_tool(name, args, Caller.local_owner())

    return str(with_runtime(go)["summary"]).replace("**", "")


@decisions_app.command("answer")
def decisions_answer(
    decision_id: DecisionId,
    option: Annotated[str, typer.Argument(help="The option's id, number or label.")],
) -> None:
    """Answer one pending decision with one of its options."""
    typer.echo(_owner_tool("decide", {"decision_id": decision_id, "option": option}))


@decisions_app.command("all")
def decisions_all(
    option: Annotated[str, typer.Argument(help="dismiss, or an option they offer (snooze...)")],
    kind: Annotated[str | None, typer.Option(
        help="Only this kind: alerts, drafts, incidents, findings, follow-ups...")] = None,
    symbol: Annotated[str | None, typer.Option(help="Only this ticker.")] = None,
    minutes: Annotated[int | None, typer.Option(
        min=1, max=43200, help="A duration for the option (snooze for 120 min).")] = None,
) -> None:
    """Answer every matching pending decision the same way.

    E.g. `copilot decisions all dismiss --kind alerts`, `copilot decisions all snooze
    --symbol TSLA --minutes 60`."""
    typer.echo(_owner_tool("decide_all", {"option": option, "kind": kind, "symbol": symbol,
                                          "minutes": minutes}))


@decisions_app.command("digest")
def decisions_digest(
    hours: Annotated[int | None, typer.Option(
        min=1, max=720, help="Look back this many hours instead of since midnight.")] = None,
) -> None:
    """What's pending, and what autopilot did today.

    Pending decisions by kind with counts; autopilot's choices (with their undo while it
    is open), expiries and decisions that closed by themselves today."""
    typer.echo(_owner_tool("digest", {"hours": hours}))
