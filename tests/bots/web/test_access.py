"""The control center is the owner's only: the token, the session cookie, CSRF, the
loopback Host check, security headers, no secret in any page, scripts with a Bearer
token, live events over SSE, /metrics; and `copilot run` serving it (the token printed
once, a busy port refused in one sentence)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time

import httpx

from bots.web.auth import login_token
from core.auth import Caller
from core.market import Tick
from core.settings import Settings
from tests.bots.web.conftest import ROOT, TOKEN, serve_copilot

BEARER = {"Authorization": f"Bearer {TOKEN}"}
PAGES = ["/decisions", "/decisions/log", "/alerts", "/health", "/content", "/architecture"]


def client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=10)


def cookie(response: httpx.Response, name: str) -> str:
    """A cookie the server set (httpx keeps Secure cookies for https only, as it should;
    a browser keeps them for http://127.0.0.1 too, so the tests carry them by hand)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


async def log_in(http: httpx.AsyncClient) -> str:
    """A browser's login: the form (its login cookie), then the token; the session cookie
    goes on every later request, and the page's CSRF token is returned."""
    form = await http.get("/login")
    login_csrf = cookie(form, "copilot_login")
    assert f'value="{login_csrf}"' in form.text
    done = await http.post("/login", data={"token": TOKEN, "csrf": login_csrf,
                                           "next": "//evil.example/x"},
                           headers={"cookie": f"copilot_login={login_csrf}"})
    assert done.status_code == 303 and done.headers["location"] == "/decisions"
    flags = done.headers["set-cookie"].lower()
    assert "httponly" in flags and "secure" in flags and "samesite=strict" in flags
    http.headers["cookie"] = f"copilot_session={cookie(done, 'copilot_session')}"
    page = await http.get("/decisions")
    return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


async def test_nothing_without_the_token_and_everything_with_it(web_env):
    async with serve_copilot() as served, client(served.url) as http:
        for path in [*PAGES, "/events", "/metrics", "/api/decisions"]:
            assert (await http.get(path)).status_code == 401, path
        browser = await http.get("/alerts", headers={"accept": "text/html"})
        assert browser.status_code == 303 and browser.headers["location"] == "/login?next=/alerts"
        wrong = await http.get("/alerts", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        for path in PAGES:
            page = await http.get(path, headers=BEARER)
            assert page.status_code == 200, path
            assert TOKEN not in page.text and "Traceback" not in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert page.headers["x-frame-options"] == "DENY"
        bad = await http.post("/login", data={"token": "guess", "csrf": "x"})
        assert bad.status_code == 403  # no login cookie: a cross-site form
        nonce = cookie(await http.get("/login"), "copilot_login")
        guessed = await http.post("/login", data={"token": "guess", "csrf": nonce},
                                  headers={"cookie": f"copilot_login={nonce}"})
        assert guessed.status_code == 401
        assert "copilot_session" not in str(guessed.headers.get_list("set-cookie"))


async def test_forms_need_the_sessions_csrf_token_and_scripts_use_bearer(web_env):
    async with serve_copilot() as served, client(served.url) as http:
        csrf = await log_in(http)
        form = {"symbol": "AAPL", "condition": "above", "threshold": "9000"}
        forged = await http.post("/alerts/new", data=form)
        assert forged.status_code == 403 and served.rt.alerts.service.rules() == []
        stale = await http.post("/alerts/new", data={**form, "csrf": "0" * 40})
        assert stale.status_code == 403
        made = await http.post("/alerts/new", data={**form, "csrf": csrf})
        assert made.status_code == 303 and made.headers["location"].startswith("/alerts?said=")
        assert [r.threshold for r in served.rt.alerts.service.rules()] == [9000.0]
        closing = await http.post("/alerts/new", data={
            "symbol": "watchlist", "condition": "moving_down_pct", "threshold": "5",
            "frequency": "once_per_bar_close", "csrf": csrf})
        assert closing.status_code == 303
        made_rule = served.rt.alerts.service.rules()[-1]
        assert (made_rule.symbol, made_rule.frequency) == ("@watchlist", "once_per_bar_close")
        page = await http.get("/alerts", headers={"accept": "text/html"})
        assert "anything on the watchlist" in page.text and "once_per_bar_close" in page.text
        async with client(served.url) as script:
            answer = await script.post("/alerts/1/pause", headers=BEARER)
            assert answer.status_code == 200 and answer.json()["ok"] is True
            refused = await script.post("/alerts/99/pause", headers=BEARER)
            assert refused.status_code == 400
            assert "There is no active alert 99" in refused.json()["message"]
        out = await http.post("/logout", data={"csrf": csrf})
        assert out.status_code == 303 and 'copilot_session=""' in out.headers["set-cookie"]
        del http.headers["cookie"]
        assert (await http.get("/decisions")).status_code == 401


async def test_only_loopback_host_names_reach_it(web_env):
    async with serve_copilot() as served, client(served.url) as http:
        rebound = await http.get("/login", headers={"host": "evil.example:8765"})
        assert rebound.status_code == 421
        assert (await http.get("/login", headers={"host": "localhost"})).status_code == 200


async def test_live_events_and_metrics(web_env):
    async with serve_copilot() as served, client(served.url) as http:
        rt = served.rt
        await rt.run_tool("create_alert", {"symbol": "NVDA", "condition": "above",
                                           "threshold": 9000}, Caller.local_owner())
        events: list[dict] = []

        async def listen() -> None:
            async with http.stream("GET", "/events", headers=BEARER) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                async for line in stream.aiter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                        if any(e["topic"] == "decision_raised" for e in events):
                            return

        task = asyncio.create_task(listen())
        deadline = time.monotonic() + 10
        while not served.listeners and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await rt.alerts.engine.handle(Tick(symbol="NVDA", price=9001.0, ts=rt.clock()))
        await asyncio.wait_for(task, 10)
        topics = [e["topic"] for e in events]
        assert "alert_fired" in topics and "decision_raised" in topics
        fired = next(e for e in events if e["topic"] == "alert_fired")
        assert "NVDA" in fired["text"] and "alerts" in fired["pages"]
        metrics = (await http.get("/metrics", headers=BEARER)).text
        assert "copilot_alert_firings_total 1.0" in metrics
        assert 'copilot_decisions{status="pending"} 1.0' in metrics
        assert "copilot_task_restarts_total" in metrics and "copilot_bus_errors_total" in metrics


def test_the_login_token_is_made_once_kept_private_and_a_setting_wins(monkeypatch):
    settings = Settings()
    first = login_token(settings)
    assert first.generated and len(first.value) >= 32
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    again = login_token(settings)
    assert (again.value, again.generated) == (first.value, False)
    monkeypatch.setenv("COPILOT_WEB_TOKEN", "from-the-environment")
    assert login_token(Settings()).value == "from-the-environment"
    assert Settings().masked()["COPILOT_WEB_TOKEN"] == "****"


def _run(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cli", "run", "--no-console"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _banner(proc: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "Control center:" in line or not line:
            return line
    raise AssertionError("".join(lines))


def test_copilot_run_serves_it_and_prints_the_token_once():
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_HTTP_PORT": "0"}
    env.pop("COPILOT_WEB_TOKEN", None)
    token_file = Settings().data_dir / "web-token"
    proc = _run(env)
    try:
        line = _banner(proc)
        token = token_file.read_text().strip()
        assert "shown only this once" in line and token in line
        url = line.split("Control center: ", 1)[1].split(" ", 1)[0]
        login = httpx.get(url + "login", timeout=10)
        assert login.status_code == 200 and token not in login.text
        assert httpx.get(url + "health", headers={"Authorization": f"Bearer {token}"},
                         timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    proc = _run(env)
    try:
        line = _banner(proc)
        assert token not in line and f"log in with the token in {token_file}" in line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_a_busy_port_is_refused_in_one_sentence():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_HTTP_PORT": str(port)}
        out = subprocess.run([sys.executable, "-m", "cli", "run", "--no-console"], env=env,
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=60)
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout
