"""The Health page: every component with its state and latency history (SVG), the
incidents (acknowledge or silence an open one), silences in force, and the background
tasks of the running instance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web.charts import latency_chart
from bots.web.inbox import path_id
from core.errors import NotFound

if TYPE_CHECKING:
    from bots.web.app import Web


def routes(web: Web) -> list[Route]:
    from bots.web.app import page

    control = web.copilot.control

    async def health(request: Request) -> dict[str, Any]:
        rows = control.components()
        for row in rows:
            row["chart"] = latency_chart(row["history"], label=f"{row['component']} latency")
        opened, closed = control.incidents()
        return {"components": rows, "open_incidents": opened, "closed_incidents": closed,
                "tasks": control.tasks(), "silences": control.silences()}

    def incident_action(tool: str, **extra: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            incident_id = path_id(request)

            async def run(caller: Any, form: Any) -> str:
                found = [i for i in control.incidents()[0] if i.id == incident_id]
                if not found:
                    raise NotFound(f"There is no open incident {incident_id}.")
                args = {"component": found[0].component, **extra}
                return str((await web.copilot.run_tool(tool, args, caller))["summary"])

            return await web.act(request, "/health", run)

        return endpoint

    async def check_now(request: Request) -> Response:
        async def run(caller: Any, form: Any) -> str:
            await control.check_now()
            return "Checked every component just now."

        return await web.act(request, "/health", run)

    return [Route("/health", page(web, "health.html", health)),
            Route("/health/check", check_now, methods=["POST"]),
            Route("/health/incidents/{id}/ack", incident_action("acknowledge"),
                  methods=["POST"]),
            Route("/health/incidents/{id}/silence", incident_action("silence", minutes=60),
                  methods=["POST"])]
