"""The Alerts page: rules (create, edit, pause, resume, delete), what fired with each
delivery's state, and the dead letters (retry or drop them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web.inbox import path_id

if TYPE_CHECKING:
    from bots.web.app import Web

CONDITIONS = ["above", "below", "cross_above", "cross_below", "cross", "pct_change",
              "moving_up_pct", "moving_down_pct", "moving_up", "moving_down"]
FREQUENCIES = ["once", "once_per_day", "every_time", "once_per_bar_close"]


def _text(form: Any, name: str) -> str | None:
    value = str(form.get(name) or "").strip()
    return value or None


def _number(form: Any, name: str, kind: type = float) -> Any:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        from core.errors import InvalidInput

        raise InvalidInput(f"{name.replace('_', ' ')} must be a number, not {value[:20]!r}.") \
            from None


def routes(web: Web) -> list[Route]:
    from bots.web.app import page

    control = web.copilot.control
    tool = web.copilot.run_tool

    async def alerts(request: Request) -> dict[str, Any]:
        rules = control.alert_rules()
        return {"rules": rules, "paused": {r.id for r in rules if control.paused(r)},
                "history": control.alert_history(30), "dead": control.dead_letters(),
                "conditions": CONDITIONS, "frequencies": FREQUENCIES}

    async def create(request: Request) -> Response:
        async def run(caller: Any, form: Any) -> str:
            args = {"symbol": str(form.get("symbol") or "").strip(),
                    "condition": str(form.get("condition") or ""),
                    "threshold": _number(form, "threshold"),
                    "window_minutes": _number(form, "window_minutes", int),
                    "frequency": _text(form, "frequency") or "once",
                    "expires_at": _text(form, "expires_at"), "note": _text(form, "note"),
                    "force": form.get("force") == "on"}
            return str((await tool("create_alert", args, caller))["summary"])

        return await web.act(request, "/alerts", run)

    async def edit(request: Request) -> Response:
        alert_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            args = {"alert_id": alert_id, "threshold": _number(form, "threshold"),
                    "condition": _text(form, "condition"),
                    "frequency": _text(form, "frequency"),
                    "window_minutes": _number(form, "window_minutes", int),
                    "expires_at": _text(form, "expires_at"), "note": form.get("note"),
                    "force": form.get("force") == "on"}
            return str((await tool("update_alert", args, caller))["summary"])

        return await web.act(request, "/alerts", run)

    async def pause(request: Request) -> Response:
        alert_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            rule = control.pause_alert(alert_id, caller)
            return f"Paused alert {rule.id} ({rule.describe()}); resume it any time."

        return await web.act(request, "/alerts", run)

    async def resume(request: Request) -> Response:
        alert_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            rule = control.resume_alert(alert_id, caller)
            return f"Resumed alert {rule.id} ({rule.describe()})."

        return await web.act(request, "/alerts", run)

    async def delete(request: Request) -> Response:
        alert_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            return str((await tool("delete_alert", {"alert_id": alert_id}, caller))["summary"])

        return await web.act(request, "/alerts", run)

    async def dead(request: Request) -> Response:
        what = request.path_params["what"]

        async def run(caller: Any, form: Any) -> str:
            if what == "retry":
                return f"{control.retry_dead(caller)} dead letter(s) will be sent again."
            return f"Dropped {control.drop_dead(caller)} dead letter(s)."

        return await web.act(request, "/alerts", run)

    return [Route("/alerts", page(web, "alerts.html", alerts)),
            Route("/alerts/new", create, methods=["POST"]),
            Route("/alerts/{id}/edit", edit, methods=["POST"]),
            Route("/alerts/{id}/pause", pause, methods=["POST"]),
            Route("/alerts/{id}/resume", resume, methods=["POST"]),
            Route("/alerts/{id}/delete", delete, methods=["POST"]),
            Route("/alerts/dead/{what:str}", dead, methods=["POST"])]
