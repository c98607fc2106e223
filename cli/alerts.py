"""`copilot alerts ...`"""

from __future__ import annotations

from typing import Annotated, NoReturn

import typer

from cli.common import app, load_settings, run_sync, with_runtime

# an alert number as SQL can hold it: anything else is a usage error, not a crash
AlertId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The alert's number.")]

alerts_app = typer.Typer(help="Price alerts: list, add, edit, rm, pause, resume, snooze, history, dead.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("list")
def alerts_list(
    symbol: Annotated[str | None, typer.Argument(help="Only this ticker.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include fired/deleted ones.")] = False,
) -> None:
    """List alerts."""
    from rich.console import Console
    from rich.table import Table

    from cli.rows import alert_rules
    from tools.alerts.wording import is_paused

    rules = run_sync(alert_rules, symbol, all_)
    table = Table("id", "rule", "active", "fired", "note", title="alerts")
    for r in rules:
        state = ("paused" if is_paused(r) else "yes") if r.active else "no"
        table.add_row(str(r.id), r.describe(), state, str(r.fire_count), r.note)
    Console().print(table if rules else "No alerts.")


CONDITIONS = ("above | below | cross_above | cross_below | cross | pct_change | moving_up_pct | "
              "moving_down_pct | moving_up | moving_down | above_sma | below_sma | "
              "cross_above_sma | cross_below_sma | cross_sma (and _ema) | rsi_above | rsi_below "
              "| volume_spike | inside_channel | outside_channel | entering_channel | "
              "exiting_channel | up_pct_from_close | down_pct_from_close | up_from_close | "
              "down_from_close")
PERIOD_HELP = "Sessions for rsi_* (default 14) and volume_spike (default 20)."
UPPER_HELP = "A channel's upper bound (the threshold is its lower one)."
FREQUENCIES = ("once | once_per_day (= once_per_session) | every_time | once_per_minute | "
               "once_per_bar_close (checked on each session's close)")
TARGETS_HELP = ("Where it is delivered, comma-separated: console, discord (a DM), "
                "discord:<channel id>, webhook; default: all configured.")
TEMPLATE_HELP = ("The message, with {{ticker}} {{price}} {{condition}} {{threshold}} {{time}} "
                 "{{note}} {{change_pct}}; '' restores the standard text.")
EXPIRES_HELP = "ISO date-time or a phrase: friday, eod, 'for 2 days', 'in 3 hours'."


def _misfire_note(rule, price) -> str:
    """Said after the CLI keeps a rule exactly as typed although it would fire at once."""
    from tools.alerts.models import already_holds

    if price is None:
        return ""
    why = already_holds(rule.symbol, rule.condition, rule.threshold, price)
    return f"Note: {why[0]}." if why else ""


@alerts_app.command("add")
def alerts_add(
    symbol: Annotated[str, typer.Argument(help="A ticker (left out with --list).")],
    condition: Annotated[str, typer.Argument(help=CONDITIONS)],
    threshold: Annotated[float | None, typer.Argument(
        help="A price; for pct_change/moving_*_pct/*_pct_from_close a percentage; for "
             "moving_up/down and up/down_from_close dollars; "
             "for *_sma/*_ema the average's sessions; for rsi_* the RSI level; for "
             "volume_spike the multiple of the average volume; for channels the lower bound.")
    ] = None,
    list_: Annotated[str | None, typer.Option(
        "--list", help="One rule over a list (watchlist, or a named one: semis): it fires "
                       "for each symbol on it.")
    ] = None,
    window: Annotated[int | None, typer.Option(
        help="Minutes (1-1440), for the moves; default 60.")] = None,
    frequency: Annotated[str, typer.Option(help=FREQUENCIES)] = "once",
    expires: Annotated[str | None, typer.Option(help=EXPIRES_HELP)] = None,
    note: Annotated[str, typer.Option()] = "",
    period: Annotated[int | None, typer.Option(help=PERIOD_HELP)] = None,
    upper: Annotated[float | None, typer.Option(help=UPPER_HELP)] = None,
    targets: Annotated[str | None, typer.Option(help=TARGETS_HELP)] = None,
    template: Annotated[str | None, typer.Option(help=TEMPLATE_HELP)] = None,
) -> None:
    """Add an alert, e.g. `copilot alerts add AAPL cross_above 210`,
    `copilot alerts add AAPL moving_down_pct 2 --window 30 --expires friday`,
    `copilot alerts add AAPL cross_sma 50`, `copilot alerts add TSLA rsi_above 70`,
    `copilot alerts add NVDA volume_spike 3` or
    `copilot alerts add AAPL exiting_channel 190 --upper 210`; over the watchlist (one
    rule, a firing per symbol): `copilot alerts add --list watchlist moving_down_pct 5`."""
    if list_ is not None:  # no ticker: the arguments shift left by one
        if threshold is not None:
            _fail("With --list, give the condition and the threshold only "
                  "(copilot alerts add --list watchlist moving_down_pct 5).")
        try:
            symbol, condition, threshold = list_, symbol, float(condition)
        except ValueError:
            _fail(f"The threshold must be a number, not {condition!r}.")
        from tools.market.lists import list_key

        symbol = "@" + run_sync(list_key, symbol)  # 'semis' -> '@semis', the stored form
    elif threshold is None:
        _fail("Give a ticker, a condition and a threshold (copilot alerts add AAPL above 210), "
              "or --list watchlist with a condition and a threshold.")

    async def go(rt):
        return await rt.alerts.service.create(
            symbol=symbol, condition=condition, threshold=threshold, window_minutes=window,
            frequency=frequency, expires_at=expires, note=note, period=period, upper=upper,
            targets=targets, template=template)

    from tools.alerts.templates import routing_text

    rule, price = with_runtime(go)
    now = f" ({rule.symbol} is at ${price:,.2f})" if price is not None else ""
    routing = routing_text(rule) if targets or template else ""
    typer.echo(f"Alert {rule.id} set: {rule.details(load_settings().timezone)}{routing}{now}.")
    if note_ := _misfire_note(rule, price):
        typer.echo(note_)


@alerts_app.command("edit")
def alerts_edit(
    alert_id: AlertId,
    threshold: Annotated[float | None, typer.Option(help="A new level, percentage or dollars.")
                         ] = None,
    condition: Annotated[str | None, typer.Option(help=CONDITIONS)] = None,
    frequency: Annotated[str | None, typer.Option(help=FREQUENCIES)
                         ] = None,
    window: Annotated[int | None, typer.Option(help="Minutes (1-1440), for the moves.")] = None,
    expires: Annotated[str | None, typer.Option(help=EXPIRES_HELP + " 'never' removes it.")
                       ] = None,
    note: Annotated[str | None, typer.Option(help="'' removes it.")] = None,
    period: Annotated[int | None, typer.Option(help=PERIOD_HELP)] = None,
    upper: Annotated[float | None, typer.Option(help=UPPER_HELP)] = None,
    targets: Annotated[str | None, typer.Option(help=TARGETS_HELP)] = None,
    template: Annotated[str | None, typer.Option(help=TEMPLATE_HELP)] = None,
) -> None:
    """Change an alert in place, e.g. `copilot alerts edit 4 --threshold 215 --expires eod`;
    the running co-pilot picks it up within a second."""

    async def go(rt):
        return await rt.alerts.service.update(
            alert_id, threshold=threshold, condition=condition, frequency=frequency,
            window_minutes=window, expires_at=expires, note=note, period=period, upper=upper,
            targets=targets, template=template)

    from tools.alerts.templates import routing_text

    rule, before, price = with_runtime(go)
    tz = load_settings().timezone
    routing = routing_text(rule) if targets or template is not None else ""
    typer.echo(f"Alert {rule.id} updated: {rule.details(tz)}{routing}.")
    if before.details(tz) != rule.details(tz):
        typer.echo(f"Was: {before.details(tz)}.")
    if note_ := _misfire_note(rule, price):
        typer.echo(note_)


@alerts_app.command("history")
def alerts_history(
    symbol: Annotated[str | None, typer.Argument(help="Only this ticker.")] = None,
    since: Annotated[str | None, typer.Option(
        help="today, yesterday, 24h, 1h, 2d, this week or an ISO date-time.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many rows.")] = 50,
) -> None:
    """What fired, newest first: time, price and each delivery's state."""
    from rich.console import Console
    from rich.table import Table

    from cli.common import fmt_time

    async def go(rt):
        return rt.alerts.service.history(symbol, since, limit=limit)

    records, total, start = with_runtime(go)
    tz = load_settings().timezone
    if not records:
        where = f" on {symbol.upper()}" if symbol else ""
        period = f" since {fmt_time(start, tz)}" if start is not None else ""
        typer.echo(f"No alerts fired{where}{period}.")
        return
    table = Table("time", "alert", "symbol", "price", "what", "deliveries",
                  title=f"alert history ({len(records)} of {total}, newest first)")
    for rec in records:
        f = rec.firing
        what = f.message.removeprefix("🔔 ").split(": now ")[0].removeprefix(f.symbol + " ")
        table.add_row(fmt_time(f.tick_ts, tz), str(f.rule_id), f.symbol, f"{f.price:,.2f}", what,
                      ", ".join(d.text() for d in rec.deliveries) or "-")
    Console().print(table)


@alerts_app.command("rm")
def alerts_rm(
    alert_id: Annotated[int | None, typer.Argument(
        min=1, max=2**63 - 1, help="The alert's number.")] = None,
    symbol: Annotated[str | None, typer.Option(
        "--symbol", help="Delete every active alert on this ticker (asks first).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask.")] = False,
) -> None:
    """Delete an alert, or every alert on a ticker (`--symbol TSLA`, after a confirmation)."""
    if (alert_id is None) == (symbol is None):
        typer.secho("Give an alert number or --symbol TICKER (one of them).",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    if alert_id is not None:
        async def one(rt):
            return rt.alerts.service.delete(alert_id)

        typer.echo(f"Deleted alert {with_runtime(one).id}.")
        return

    async def many(rt):
        service = rt.alerts.service
        rules = service.rules(symbol)
        if not rules:
            return None, []
        n = len(rules)
        question = (f"Delete your {n} {rules[0].symbol} alert{'s' if n != 1 else ''}? "
                    + " ".join(f"#{r.id}" for r in rules))
        if not yes:
            for r in rules:
                typer.echo(f"#{r.id} {r.describe()}")
            try:
                if not typer.confirm(question, default=False):
                    return False, rules
            except typer.Abort:
                return False, rules
        return True, service.delete_many([r.id for r in rules])

    done, rules = with_runtime(many)
    if done is None:
        typer.echo(f"No active alerts on {symbol.upper()}.")  # type: ignore[union-attr]
    elif not done:
        typer.secho("Nothing deleted.", err=True)
        raise typer.Exit(1)
    else:
        typer.echo(f"Deleted {len(rules)} alert{'s' if len(rules) != 1 else ''}: "
                   + " ".join(f"#{r.id}" for r in rules) + ".")


@alerts_app.command("snooze")
def alerts_snooze(alert_id: AlertId, minutes: Annotated[int, typer.Argument()] = 60) -> None:
    """Silence an alert for MINUTES (default 60)."""

    async def go(rt):
        return rt.alerts.service.snooze(alert_id, minutes)

    rule = with_runtime(go)
    typer.echo(f"Snoozed alert {rule.id} for {minutes} min.")


def _pause(verb: str, alert_id: int | None, symbol: str | None) -> None:
    from tools.alerts import pausing

    if (alert_id is None) == (symbol is None):
        typer.secho("Give an alert number or --symbol TICKER (one of them).",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    async def go(rt):
        return getattr(pausing, verb)(rt.alerts.service, alert_id, symbol)

    done = with_runtime(go)
    where = f" on {symbol.upper()}" if symbol else ""
    if not done:
        typer.echo(f"No alerts{where} to {verb}.")
        return
    past = "Paused" if verb == "pause" else "Resumed"
    typer.echo(f"{past} {len(done)} alert{'s' if len(done) != 1 else ''}{where}: "
               f"{pausing.ids_text(done)}.")


OptionalId = Annotated[int | None, typer.Argument(min=1, max=2**63 - 1,
                                                  help="The alert's number.")]
SymbolOption = Annotated[str | None, typer.Option("--symbol", help="Every alert on this ticker.")]


@alerts_app.command("pause")
def alerts_pause(alert_id: OptionalId = None, symbol: SymbolOption = None) -> None:
    """Pause an alert, or every alert on a ticker (`--symbol TSLA`): kept, but silent
    until resumed."""
    _pause("pause", alert_id, symbol)


@alerts_app.command("resume")
def alerts_resume(alert_id: OptionalId = None, symbol: SymbolOption = None) -> None:
    """Resume a paused alert, or every paused alert on a ticker (`--symbol TSLA`)."""
    _pause("resume", alert_id, symbol)


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

    tz = load_settings().timezone
    for n in out:
        table.add_row(str(n.id), n.target, n.symbol, str(n.attempts), n.last_error,
                      fmt_time(n.created_at, tz))
    Console().print(table if out else "No dead letters: every alert was delivered.")


@alerts_app.command("deliver", hidden=True)
def alerts_deliver() -> None:
    """Deliver everything in the outbox, then exit (used by tests and cron fallbacks)."""

    async def go(rt):
        await rt.alerts.dispatcher.run(until_empty=True)
        return rt.alerts.dispatcher.sent

    typer.echo(f"delivered {with_runtime(go)} notification(s)")


def _fail(sentence: str) -> NoReturn:
    typer.secho(sentence, fg="red", err=True)
    raise typer.Exit(2)
