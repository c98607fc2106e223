"""The Architecture page: the review of COPILOT_INVENTORY (findings with evidence and
recommendations, then the ordered migration plan) and when the weekly job last ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.routing import Route

if TYPE_CHECKING:
    from bots.web.app import Web


def routes(web: Web) -> list[Route]:
    from bots.web.app import page

    async def architecture(request: Request) -> dict[str, Any]:
        return {"view": await web.copilot.control.architecture()}

    return [Route("/architecture", page(web, "architecture.html", architecture))]
