"""The control center under test: a started co-pilot serving its web UI on a free
loopback port, in the test's own event loop; and a headless Chromium (Debian's package,
driven by Playwright: nothing downloads a browser) for the tests that click."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "test-token-0123456789abcdefghij"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
ENABLE = ("No Chromium here: the browser tests need Debian's chromium (`apt-get install -y "
          "chromium`) and the playwright package (the browser extra: `pip install -e "
          "'.[dev,browser]'`; never `playwright install`), both of which .ci/run installs, or "
          "COPILOT_TEST_CHROMIUM=/path/to/it.")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("COPILOT_TEST_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Served:
    rt: Any
    url: str
    web: Any  # bots.web.server.WebServer
    token: str = TOKEN

    @property
    def listeners(self) -> int:
        """Pages connected for live updates."""
        return int(self.web.app.state.web.hub.listeners)


@pytest.fixture
def web_env(monkeypatch):
    monkeypatch.setenv("COPILOT_WEB_TOKEN", TOKEN)
    monkeypatch.setenv("COPILOT_HTTP_PORT", "0")
    monkeypatch.setenv("COPILOT_TICK_INTERVAL", "3600")  # ticks come from the test
    monkeypatch.setenv("COPILOT_INVENTORY", str(ROOT / "examples" / "victor-stack.yaml"))


@asynccontextmanager
async def serve_copilot() -> AsyncIterator[Served]:
    """`copilot run`'s start and its control center, in this event loop."""
    from agent.runtime import open_runtime
    from bots.web.server import open_web
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        await rt.start()
        web = open_web(rt)
        assert web is not None
        rt.kernel.supervisor.spawn("web", web.serve)
        await wait_until(lambda: web._server is not None and web._server.started)
        try:
            yield Served(rt, web.url.rstrip("/"), web)
        finally:
            await web.stop()


async def wait_until(predicate, timeout: float = 10.0, step: float = 0.05):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(step)
    return predicate()


@pytest.fixture
def artifacts(tmp_path_factory) -> Path:
    """Where the browser tests leave a screenshot of each page: $COPILOT_TEST_ARTIFACTS,
    else `screenshots/` in pytest's temp dir (the path is printed with -s)."""
    base = os.environ.get("COPILOT_TEST_ARTIFACTS")
    path = Path(base) if base else tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@asynccontextmanager
async def browser_page(served: Served) -> AsyncIterator[Any]:
    """A fresh headless Chromium (its own temporary profile) with one page, logged in."""
    path = chromium_path()
    missing = path is None
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        missing = True
    if missing:  # in CI (.ci/run installs it) a missing browser is a failure, not a skip
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(ENABLE)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def log_in(page: Any, served: Served) -> None:
    await page.goto(served.url + "/decisions")
    assert "/login" in page.url
    await page.fill("#token", served.token)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/decisions")
