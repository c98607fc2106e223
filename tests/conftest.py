"""Shared fixtures. Every test gets its own data dir and no provider keys, so nothing
can reach a real service or share state with another test."""

from __future__ import annotations

import os
import socket

import pytest

SECRET_ENV = (
    "OPENAI_API_KEY", "COPILOT_LLM_BASE_URL", "COPILOT_LLM", "ALPHAVANTAGE_API_KEY",
    "FINNHUB_API_KEY", "DISCORD_TOKEN", "DATABASE_URL", "LANGSMITH_API_KEY", "CHROMA_HOST",
    "COPILOT_MARKET_PROVIDER", "COPILOT_EMBEDDER", "OWNER_IDS", "WORDPRESS_URL", "SMTP_HOST",
    "COPILOT_WEB_TOKEN", "COPILOT_MCP_SERVERS", "COPILOT_HTTP_HOST",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LANGSMITH_TEST_TRACKING", "false")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    # a fixed embedder where meaning does not matter; memory tests ask for MiniLM
    monkeypatch.setenv("COPILOT_EMBEDDER", "hashing")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # every `copilot run` a test starts serves its control center on a free port
    monkeypatch.setenv("COPILOT_HTTP_PORT", "0")
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    yield


@pytest.fixture(autouse=True)
def postgres_database(monkeypatch):
    """With COPILOT_TEST_POSTGRES_URL (a server URL such as
    postgresql+psycopg://user:pw@127.0.0.1/postgres) every test gets its own fresh
    PostgreSQL database instead of SQLite. Off unless set, so CI needs no server."""
    admin_url = os.environ.get("COPILOT_TEST_POSTGRES_URL")
    if not admin_url:
        yield None
        return
    import uuid

    from sqlalchemy import create_engine, text

    name = f"copilot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail loudly if any test opens a socket to anything but loopback."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise RuntimeError(f"test tried to reach {host}: tests talk to loopback only")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def settings():
    from core.settings import Settings

    s = Settings()
    s.ensure_dirs()
    return s


@pytest.fixture
def fixed_clock():
    """A settable clock: 2026-11-24 14:30 UTC, a Tuesday during US market hours."""

    class Clock:
        def __init__(self) -> None:
            self.now = 1795530600.0

        def __call__(self) -> float:
            return self.now

        def advance(self, seconds: float) -> None:
            self.now += seconds

    return Clock()


def pytest_configure(config):
    os.environ.setdefault("LANGSMITH_TEST_TRACKING", "false")
