"""Owner-only access: one login token (COPILOT_WEB_TOKEN, or one generated at first start
and kept in the data dir), a signed session cookie for browsers, ``Authorization: Bearer``
for scripts, and a CSRF token on every form.

A session cookie is ``issued.nonce.signature`` (HMAC-SHA256 under a key derived from the
token), so changing the token logs every browser out and nothing is stored server-side.
The CSRF token of a session is another HMAC of its nonce; the login form, which has no
session yet, uses a double-submit cookie."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from core.auth import Caller
from core.settings import Settings

SESSION_COOKIE = "copilot_session"
LOGIN_COOKIE = "copilot_login"
SESSION_S = 30 * 24 * 3600
TOKEN_FILE = "web-token"
HOOK_SECRET_FILE = "hook-secret"
LOOPBACK = ("127.", "localhost", "::1", "[::1]")


@dataclass
class LoginToken:
    value: str
    path: Path | None  # where it is kept (None: it comes from COPILOT_WEB_TOKEN)
    generated: bool  # made just now: print it once


def login_token(settings: Settings) -> LoginToken:
    """COPILOT_WEB_TOKEN, else the token kept in the data dir, else a new one written
    there (readable by the owner only)."""
    return _kept(settings.web_token, settings.data_dir / TOKEN_FILE)


def hook_secret(settings: Settings) -> LoginToken:
    """COPILOT_HOOK_SECRET, else the one kept in the data dir, else a new one written
    there (readable by the owner only). URL-safe: it goes in TradingView's webhook URL."""
    return _kept(settings.hook_secret, settings.data_dir / HOOK_SECRET_FILE)


def _kept(configured: SecretStr | None, path: Path) -> LoginToken:
    if configured is not None and configured.get_secret_value().strip():
        return LoginToken(configured.get_secret_value().strip(), None, False)
    try:
        kept = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        kept = ""
    if kept:
        return LoginToken(kept, path, False)
    value = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value + "\n")
    return LoginToken(value, path, True)


def is_loopback(host: str) -> bool:
    return host.startswith(LOOPBACK)


class WebAuth:
    def __init__(self, token: str, clock: Callable[[], float] = time.time) -> None:
        self._token = token.encode()
        self._key = hashlib.sha256(b"copilot-web-session:" + self._token).digest()
        self.clock = clock

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.strip().encode(), self._token)

    def bearer_ok(self, header: str | None) -> bool:
        if not header or not header.lower().startswith("bearer "):
            return False
        return self.token_ok(header[7:])

    def new_session(self) -> str:
        body = f"{int(self.clock())}.{secrets.token_urlsafe(16)}"
        return f"{body}.{self._sign(body)}"

    def session_nonce(self, cookie: str | None) -> str | None:
        """The session's nonce when the cookie is ours and not expired, else None."""
        if not cookie or cookie.count(".") != 2:
            return None
        issued, nonce, sig = cookie.split(".")
        if not hmac.compare_digest(sig, self._sign(f"{issued}.{nonce}")):
            return None
        if not issued.isdigit() or self.clock() - int(issued) > SESSION_S:
            return None
        return nonce

    def csrf(self, nonce: str) -> str:
        return self._sign(f"csrf:{nonce}")[:40]

    def csrf_ok(self, nonce: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(self.csrf(nonce), given or "")


BROWSER = Caller(user_id="web", is_owner=True, name="owner (control center)")
SCRIPT = Caller(user_id="web-token", is_owner=True, name="owner (bearer token)")
