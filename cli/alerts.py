"""`copilot alerts ...`"""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, with_runtime

# an alert number as SQL can hold it: anything else is a usage error, not a crash
AlertId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The alert's number.")]

alerts_app = typer.Typer(help="Price alerts: list, add, rm, snooze, dead.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


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

    rules = with_runtime(go)
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

    rule, price = with_runtime(go)
    now = f" ({rule.symbol} is at ${price:,.2f})" if price is not None else ""
    typer.echo(f"Alert {rule.id} set: {rule.describe()}{now}.")


@alerts_app.command("rm")
def alerts_rm(alert_id: AlertId) -> None:
    """Delete an alert."""

    async def go(rt):
        return rt.alerts.service.delete(alert_id)

    typer.echo(f"Deleted alert {with_runtime(go).id}.")


@alerts_app.command("snooze")
def alerts_snooze(alert_id: AlertId, minutes: Annotated[int, typer.Argument()] = 60) -> None:
    """Silence an alert for MINUTES (default 60)."""

    async def go(rt):
        return rt.alerts.service.snooze(alert_id, minutes)

    rule = with_runtime(go)
    typer.echo(f"Snoozed alert {rule.id} for {minutes} min.")


@alerts_app.command("dead")
def alerts_dead(
    retry: Annotated[bool, typer.Option("--retry", help="Send them all again (same keys).")] = False,
    drop: Annotated[bool, typer.Option("--drop", help="Give up on them.")] = False,
) -> None:
    """Dead letters: notifications retried until COPILOT_ALERT_MAX_AGE without success."""
    from rich.console import Console
    from rich.table import Table

    if retry and drop:
        typer.secho("Choose --retry or --drop, not both.", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    async def go(rt):
        dispatcher = rt.alerts.dispatcher
        if retry:
            return dispatcher.retry_dead()
        if drop:
            return dispatcher.drop_dead()
        return dispatcher.dead_letters()

    out = with_runtime(go)
    if retry or drop:
        verb = "will be retried by copilot run" if retry else "dropped"
        typer.echo(f"{out} dead letter(s) {verb}.")
        return
    table = Table("id", "target", "symbol", "tries", "last error", "first tried",
                  title="dead letters")
    from cli.common import fmt_time

    for n in out:
        table.add_row(str(n.id), n.target, n.symbol, str(n.attempts), n.last_error,
                      fmt_time(n.created_at))
    Console().print(table if out else "No dead letters: every alert was delivered.")


@alerts_app.command("deliver", hidden=True)
def alerts_deliver() -> None:
    """Deliver everything in the outbox, then exit (used by tests and cron fallbacks)."""

    async def go(rt):
        await rt.alerts.dispatcher.run(until_empty=True)
        return rt.alerts.dispatcher.sent

    typer.echo(f"delivered {with_runtime(go)} notification(s)")
