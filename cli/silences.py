"""`copilot silences ...`: silences and acknowledgements by matcher (a health component, a
ticker, an alert), as Alertmanager has them."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import app, with_runtime

silences_app = typer.Typer(
    help="Silences and acknowledgements: list, add (for a while), ack (until resolved), rm.",
    no_args_is_help=True)
app.add_typer(silences_app, name="silences")

Component = Annotated[str | None, typer.Option(help="A health check's name (website).")]
Symbol = Annotated[str | None, typer.Option(help="A ticker: every alert on it.")]
AlertId = Annotated[int | None, typer.Option("--alert", min=1, max=2**63 - 1,
                                             help="One alert's number.")]


def _run(name: str, args: dict) -> None:
    from core.auth import Caller

    async def go(rt):
        return await rt.run_tool(name, args, Caller.local_owner())

    typer.echo(with_runtime(go)["summary"])


@silences_app.command("list")
def silences_list() -> None:
    """The silences and acknowledgements in force, with when each ends."""
    _run("silences", {})


@silences_app.command("add")
def silences_add(
    minutes: Annotated[int, typer.Option(min=1, max=43200, help="How long.")] = 60,
    component: Component = None, symbol: Symbol = None, alert: AlertId = None,
    comment: Annotated[str, typer.Option(help="Why, for the record.")] = "",
) -> None:
    """Silence a component, a ticker or an alert for a while.

    Nothing is raised or delivered for what it matches; when it ends and the problem is
    still there, you are told once."""
    _run("silence", {"minutes": minutes, "component": component, "symbol": symbol,
                     "alert_id": alert, "comment": comment})


@silences_app.command("ack")
def silences_ack(component: Component = None, symbol: Symbol = None,
                 alert: AlertId = None) -> None:
    """Acknowledge: no more reminders until it is resolved or changes."""
    _run("acknowledge", {"component": component, "symbol": symbol, "alert_id": alert})


@silences_app.command("rm")
def silences_rm(silence_id: Annotated[int, typer.Argument(min=1, max=2**63 - 1)]) -> None:
    """Lift a silence or an acknowledgement now."""
    _run("unsilence", {"silence_id": silence_id})
