"""The Decisions page: the inbox (options, recommendation, the past decisions it cites;
answer, edit a draft's text, undo) and the audit log. ``/api/...`` serves scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from bots.web.app import Web


def path_id(request: Request) -> int:
    """The number in the path; 0 (which names nothing, so the service says so) when it
    is not one."""
    raw = str(request.path_params["id"])
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**63 else 0


def routes(web: Web) -> list[Route]:
    from bots.web.app import page

    control = web.copilot.control

    async def decisions(request: Request) -> dict[str, Any]:
        recent = control.recent_decisions(25)
        return {"cards": control.inbox(), "recent": recent,
                "undoable": {d.id for d in recent if control.can_undo(d)},
                "counts": control.decisions_by_status()}

    async def log_page(request: Request) -> dict[str, Any]:
        return {"events": control.audit_log(200)}

    async def answer(request: Request) -> Response:
        decision_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            text = form.get("body")
            d = await control.answer(decision_id, str(form["option"]), caller,
                                     edited_text=str(text) if text is not None else None)
            if d.status == "pending":
                return f"Decision {d.id} is still open: {d.outcome or 'noted.'}"
            return f"Decision {d.id}: {d.outcome}"

        return await web.act(request, "/decisions", run)

    async def undo(request: Request) -> Response:
        decision_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            result = await web.copilot.run_tool("undo", {"decision_id": decision_id}, caller)
            return str(result["summary"]).replace("**", "")

        return await web.act(request, "/decisions", run)

    async def api_pending(request: Request) -> Response:
        await web.owner(request)
        return JSONResponse({"decisions": [c.decision.as_dict() for c in control.inbox()]})

    return [Route("/decisions", page(web, "decisions.html", decisions)),
            Route("/decisions/log", page(web, "decisions_log.html", log_page)),
            Route("/decisions/{id}/answer", answer, methods=["POST"]),
            Route("/decisions/{id}/undo", undo, methods=["POST"]),
            Route("/api/decisions", api_pending)]
