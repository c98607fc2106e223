"""Inbound alert hooks on the control center's server:

- ``POST /hooks/tradingview/<secret>``: TradingView cannot set headers, so the secret is
  in the path; the body is the alert's message as typed (JSON or plain text).
- ``POST /hooks/alert``: any sender's JSON ``{"id"?, "symbol", "price"?, "message"}`` with
  the secret in an ``X-Copilot-Secret`` header.

A wrong or missing secret is a 404 (as if nothing were here) and stores nothing; a body
too large is a 413, one that cannot be read a 400, too many hooks a 429, each with one
sentence. Accepted hooks answer 200 with the firing's id; a sender's id seen before
answers 200 too (``"duplicate": true``) and changes nothing. Hooks skip the login and the
loopback Host check (a tunnel or reverse proxy names its own host): the secret is their
authentication."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.errors import InvalidInput
from core.limits import SlidingWindowLimiter
from tools.alerts.inbound import MAX_BODY

if TYPE_CHECKING:
    from bots.web.app import Web

log = structlog.get_logger(__name__)
PREFIX = "/hooks/"
SECRET_HEADER = "x-copilot-secret"
ID_HEADERS = ("idempotency-key", "x-request-id")
MISSES_PER_MINUTE = 30  # wrong secrets: enough for a typo, too few for guessing


class TooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def routes(web: Web, secret: str) -> list[Route]:
    copilot = web.copilot
    per_minute = max(1, int(copilot.settings.hook_rate_per_minute))
    accepted = SlidingWindowLimiter([(per_minute, 60.0), (max(1, per_minute // 6), 1.0)],
                                    copilot.clock)
    misses = SlidingWindowLimiter([(MISSES_PER_MINUTE, 60.0)], copilot.clock)
    key = secret.encode()

    def secret_ok(given: str | None) -> bool:
        return bool(given) and hmac.compare_digest((given or "").strip().encode(), key)

    def not_found() -> Response:
        if not misses.try_acquire():
            return PlainTextResponse("Too many requests; wait a minute.", status_code=429)
        return PlainTextResponse("Not Found", status_code=404)

    async def receive(request: Request, source: str) -> Response:
        if not accepted.try_acquire():
            return PlainTextResponse(f"Too many hooks (at most {per_minute} a minute); "
                                     "this one was not taken, send it again later.",
                                     status_code=429)
        try:
            body = await read_body(request)
        except TooLarge:
            return PlainTextResponse(f"That hook's body is larger than {MAX_BODY // 1024} KiB.",
                                     status_code=413)
        sender_id = next((request.headers[h] for h in ID_HEADERS if request.headers.get(h)),
                         None)
        try:
            result = await copilot.control.receive_hook(source, body, sender_id)
        except InvalidInput as exc:
            return PlainTextResponse(str(exc), status_code=400)
        log.info("alert hook received", source=source, firing=result.firing_id,
                 duplicate=result.duplicate)
        return JSONResponse(result.as_json())

    async def tradingview(request: Request) -> Response:
        if not secret_ok(request.path_params.get("secret")):
            return not_found()
        return await receive(request, "tradingview")

    async def generic(request: Request) -> Response:
        if not secret_ok(request.headers.get(SECRET_HEADER)):
            return not_found()
        return await receive(request, "alert")

    return [Route("/hooks/tradingview/{secret}", tradingview, methods=["POST"]),
            Route("/hooks/alert", generic, methods=["POST"])]
