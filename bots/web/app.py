"""The control center's ASGI app: login, the pages (each module adds its routes), live
updates, /metrics, and what every response gets (security headers, a loopback-only Host
check, one sentence instead of a traceback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import structlog
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bots.web.auth import BROWSER, LOGIN_COOKIE, SCRIPT, SESSION_COOKIE, SESSION_S, WebAuth
from bots.web.live import LiveHub
from core.auth import Caller
from core.errors import CopilotError
from core.markettime import format_clock, format_local

log = structlog.get_logger(__name__)
HERE = Path(__file__).parent
NAV = [("decisions", "Decisions"), ("alerts", "Alerts"), ("health", "Health"),
       ("content", "Content"), ("architecture", "Architecture")]
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"), (b"cache-control", b"no-store"),
]
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1", "[::1]"}


class NeedLogin(Exception):
    """No valid session or token: browsers go to the login form, scripts get 401."""


class BadCsrf(Exception):
    """A form without this session's CSRF token: refused (403)."""


@dataclass
class Web:
    copilot: Any  # agent.copilot.Copilot
    auth: WebAuth
    hub: LiveHub
    templates: Environment
    secure_cookies: bool
    log_dir: Path

    # ---- who is asking ------------------------------------------------------------------
    async def owner(self, request: Request) -> Caller:
        if self.auth.bearer_ok(request.headers.get("authorization")):
            request.state.csrf = ""
            return SCRIPT
        nonce = self.auth.session_nonce(request.cookies.get(SESSION_COOKIE))
        if nonce is None:
            raise NeedLogin()
        if request.method == "POST":
            form = await request.form()
            if not self.auth.csrf_ok(nonce, str(form.get("csrf") or "")):
                raise BadCsrf()
        request.state.csrf = self.auth.csrf(nonce)
        return BROWSER

    # ---- answers ------------------------------------------------------------------------
    def render(self, request: Request, name: str, **context: Any) -> HTMLResponse:
        tz = self.copilot.settings.timezone
        now = self.copilot.clock()

        def when(ts: float | None, year: bool = False) -> str:
            return format_local(ts, tz, year=year, now=None if year else now) if ts else ""

        html = self.templates.get_template(name).render(
            request=request, csrf=getattr(request.state, "csrf", ""), nav=NAV,
            said=request.query_params.get("said", ""), err=request.query_params.get("err", ""),
            when=when, tz=tz, now=now, demo=self.copilot.demo_data, **context)
        return HTMLResponse(html)

    def finish(self, request: Request, back: str, message: str, ok: bool = True) -> Response:
        """After an action: scripts get JSON, browsers go back to the page with the
        sentence shown on top (Post/Redirect/Get)."""
        if request.state.csrf == "" or "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"ok": ok, "message": message}, status_code=200 if ok else 400)
        key = "said" if ok else "err"
        return RedirectResponse(f"{back}?{urlencode({key: message[:600]})}", status_code=303)

    async def act(self, request: Request, back: str,
                  fn: Callable[[Caller, Any], Awaitable[str]]) -> Response:
        """Run one action as the owner and tell its outcome in one sentence."""
        caller = await self.owner(request)
        form = await request.form()
        try:
            message = await fn(caller, form)
        except CopilotError as exc:
            return self.finish(request, back, str(exc), ok=False)
        except (ValueError, KeyError) as exc:
            return self.finish(request, back, f"That form was incomplete ({exc}).", ok=False)
        except Exception:  # noqa: BLE001 - a bug: logged, one sentence on the page
            log.exception("control center action failed", path=request.url.path)
            return self.finish(request, back, "Something went wrong on my side; it is in the "
                                              f"log ({self.log_dir}).", ok=False)
        return self.finish(request, back, self.copilot.redact(message))


def page(web: Web, name: str, build: Callable[[Request], Awaitable[dict[str, Any]]]
         ) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        await web.owner(request)
        return web.render(request, name, page=name.removesuffix(".html"),
                          **await build(request))

    return endpoint


# ---- login ---------------------------------------------------------------------------
def login_routes(web: Web) -> list[Route]:
    def login_form(request: Request, error: str = "", status: int = 200) -> Response:
        nonce = request.cookies.get(LOGIN_COOKIE) or web.auth.new_session().split(".")[1]
        response = web.render(request, "login.html", page="login", login_csrf=nonce,
                              error=error, next=_safe_next(request.query_params.get("next")))
        response.status_code = status
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=600, httponly=True,
                            samesite="strict", secure=web.secure_cookies)
        return response

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return login_form(request)
        form = await request.form()
        given = str(form.get("csrf") or "")
        if not given or given != request.cookies.get(LOGIN_COOKIE):
            return login_form(request, "The form expired; try again.", 403)
        if not web.auth.token_ok(str(form.get("token") or "")):
            await asyncio.sleep(0.2)  # a little friction for guessing (the token is 192 bits anyway)
            return login_form(request, "That token is not right.", 401)
        response = RedirectResponse(_safe_next(str(form.get("next") or "")), status_code=303)
        response.set_cookie(SESSION_COOKIE, web.auth.new_session(), max_age=SESSION_S,
                            httponly=True, samesite="strict", secure=web.secure_cookies)
        response.delete_cookie(LOGIN_COOKIE)
        return response

    async def logout(request: Request) -> Response:
        await web.owner(request)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return [Route("/login", login, methods=["GET", "POST"]),
            Route("/logout", logout, methods=["POST"])]


def _safe_next(value: str | None) -> str:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/decisions"


# ---- the app --------------------------------------------------------------------------
def build_app(copilot: Any, token: str, *, secure_cookies: bool = True,
              loopback_only: bool = True) -> Starlette:
    from bots.web import alerts, architecture, content, health, hooks, inbox
    from bots.web.auth import hook_secret

    templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                            autoescape=select_autoescape(["html"]))
    tz = copilot.settings.timezone
    hub = LiveHub(lambda topic, fn, name: copilot.subscribe(topic, fn, name=name),
                  redact=copilot.redact, stamp=lambda: format_clock(time.time(), tz))
    web = Web(copilot, WebAuth(token, clock=time.time), hub, templates, secure_cookies,
              copilot.settings.data_dir / "logs")

    async def home(request: Request) -> Response:
        return RedirectResponse("/decisions", status_code=303)

    async def events(request: Request) -> Response:
        await web.owner(request)
        return StreamingResponse(hub.stream(), media_type="text/event-stream",
                                 headers={"x-accel-buffering": "no"})

    async def metrics(request: Request) -> Response:
        await web.owner(request)
        from agent.metrics import metrics_text

        body, content_type = metrics_text(copilot)
        return Response(body, media_type=content_type)

    routes = [Route("/", home), *login_routes(web), Route("/events", events),
              Route("/metrics", metrics),
              Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    for module in (inbox, alerts, health, content, architecture):
        routes += module.routes(web)
    routes += hooks.routes(web, hook_secret(copilot.settings).value)

    async def need_login(request: Request, exc: Exception) -> Response:
        if "text/html" in request.headers.get("accept", "") and request.method == "GET":
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return PlainTextResponse("Log in first: a session cookie from /login, or "
                                 "'Authorization: Bearer <token>'.", status_code=401)

    async def bad_csrf(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("That form is stale (its CSRF token does not match your "
                                 "session); reload the page and try again.", status_code=403)

    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("control center request failed", path=request.url.path,
                  error=type(exc).__name__)
        return PlainTextResponse("Something went wrong on my side; it is in the log "
                                 f"({web.log_dir}).", status_code=500)

    app = Starlette(routes=routes, exception_handlers={
        NeedLogin: need_login, BadCsrf: bad_csrf, 500: crashed})
    app.state.web = web
    app.add_middleware(Guard, loopback_only=loopback_only)  # type: ignore[arg-type]
    return app


class Guard:
    """Security headers on every response; when bound to loopback, requests must name a
    loopback host (a DNS-rebinding page cannot reach the control center)."""

    def __init__(self, app: ASGIApp, loopback_only: bool = True) -> None:
        self.app = app
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # hooks come through a tunnel or proxy naming its own host; their secret guards them
        if self.loopback_only and not scope["path"].startswith("/hooks/"):
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in LOOPBACK_NAMES:
                await PlainTextResponse("This control center answers on 127.0.0.1 only.",
                                        status_code=421)(scope, receive, send)
                return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)
