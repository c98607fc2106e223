"""Serving the control center from `copilot run`: uvicorn inside the co-pilot's own event
loop (signals stay the service's own), on a socket bound before anything else starts so a
busy port is told at once, supervised like every background task."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import structlog

from bots.web.auth import LoginToken, is_loopback, login_token
from core.errors import ConfigurationError

log = structlog.get_logger(__name__)


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # SIGTERM and Ctrl-C belong to `copilot run`, which stops us

    return Server


@dataclass
class WebServer:
    copilot: Any
    token: LoginToken
    host: str
    port: int
    _socket: socket.socket | None = None
    _server: Any = None
    app: Any = None  # the ASGI app being served (its state holds the live hub)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ConfigurationError(
                f"The control center cannot listen on {self.host}:{self.port} "
                f"({exc.strerror or exc}); set COPILOT_HTTP_PORT to a free port, 0 for any, "
                "or off.") from None
        sock.listen(128)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        self._socket = sock

    async def serve(self) -> None:
        """Serve until cancelled (the supervisor restarts it if it fails)."""
        import uvicorn

        from bots.web.app import build_app

        if self._socket is None:
            self.bind()
        # Secure cookies: browsers keep them on http://127.0.0.1 (a secure context), and
        # anywhere else the control center belongs behind TLS
        app = build_app(self.copilot, self.token.value, secure_cookies=True,
                        loopback_only=is_loopback(self.host))
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, proxy_headers=False)
        self.app = app
        self._server = _server_class()(config)
        try:
            await self._server.serve(sockets=[self._socket])
        finally:
            app.state.web.hub.close()
            self._socket = None  # uvicorn closed it; a restart binds again

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            await asyncio.sleep(0)


def open_web(copilot: Any) -> WebServer | None:
    """The control center of this `copilot run`, bound (not yet serving), or None when
    COPILOT_HTTP_PORT=off. ``ConfigurationError`` when the port cannot be had."""
    settings = copilot.settings
    if settings.http_port is None:
        return None
    server = WebServer(copilot, login_token(settings), settings.http_host, settings.http_port)
    server.bind()
    if not is_loopback(settings.http_host):
        log.warning("the control center listens beyond this machine; put it behind TLS",
                    host=settings.http_host)
    return server
