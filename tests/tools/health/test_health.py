"""Checks against local servers that answer slowly, wrongly and not at all; incidents;
redaction through every log path; job failures; tools, CLI and metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import structlog
from sqlmodel import Session, select
from typer.testing import CliRunner

from agent.runtime import open_runtime
from cli import app
from core.auth import Caller
from core.logs import LogEntry, configure_logging
from core.settings import Settings
from tests.helpers.smtp import free_port
from tools.health.checks import HttpCheck


class Service:
    """A small HTTP service on a fixed 127.0.0.1 port that can be stopped and restarted."""

    def __init__(self, port: int, status: int = 200, delay_s: float = 0.0) -> None:
        self.port, self.status, self.delay_s = port, status, delay_s
        self.httpd: ThreadingHTTPServer | None = None

    def start(self) -> Service:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                time.sleep(service.delay_s)
                self.send_response(service.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"


async def test_http_check_ok_slow_wrong_and_silent():
    async with httpx.AsyncClient() as http:
        ok = Service(free_port()).start()
        slow = Service(free_port(), delay_s=0.3).start()
        wrong = Service(free_port(), status=500).start()
        hanging = Service(free_port(), delay_s=2.0).start()
        try:
            assert (await HttpCheck("ok", ok.url, http).check()).status == "ok"
            r = await HttpCheck("slow", slow.url, http, slow_ms=100).check()
            assert r.status == "degraded" and r.detail.startswith("slow:")
            r = await HttpCheck("wrong", wrong.url, http).check()
            assert (r.status, r.detail) == ("down", "HTTP 500, expected 200")
            r = await HttpCheck("hang", hanging.url, http, timeout_s=0.2).check()
            assert (r.status, r.detail) == ("down", "no answer within 0.2 s")
            r = await HttpCheck("closed", f"http://127.0.0.1:{free_port()}/", http).check()
            assert r.status == "down" and r.detail.startswith("unreachable")
        finally:
            for s in (ok, slow, wrong, hanging):
                s.stop()


async def test_stopped_service_opens_one_incident_decision_and_recovery_closes_it(monkeypatch):
    port = free_port()
    service = Service(port).start()
    monkeypatch.setenv("COPILOT_HEALTH_ENDPOINTS", json.dumps(
        [{"name": "website", "url": f"http://127.0.0.1:{port}/health", "timeout": 0.5,
          "interval": 30}]))
    monkeypatch.setenv("COPILOT_INCIDENT_THRESHOLD", "3")
    async with open_runtime(Settings()) as rt:
        inbox = rt.notices()
        assert (await rt.health.monitor.run("website")).status == "ok"
        service.stop()
        for i in range(1, 6):  # five intervals with the service down
            await rt.health.monitor.run("website")
            incidents = rt.health.monitor.incidents("open")
            assert len(incidents) == (0 if i < 3 else 1)
        decisions = [d for d in rt.decisions.recent() if d.kind == "health_incident"]
        assert len(decisions) == 1 and decisions[0].status == "pending"
        assert decisions[0].title == "website is down"
        assert [o.id for o in decisions[0].options] == ["acknowledge", "silence"]
        assert incidents[0].failures == 5 and incidents[0].decision_id == decisions[0].id

        service.start()
        assert (await rt.health.monitor.run("website")).status == "ok"
        assert rt.health.monitor.incidents("open") == []
        closed = rt.decisions.get(decisions[0].id)
        assert closed.status == "closed" and "recovered" in closed.outcome
        await rt.kernel.bus.drain()
        assert any("website recovered after" in n.text for n in inbox.drain())
    service.stop()


async def test_silence_action_from_the_incident_decision(monkeypatch):
    monkeypatch.setenv("COPILOT_HEALTH_ENDPOINTS", json.dumps(
        [{"name": "api", "url": f"http://127.0.0.1:{free_port()}/", "timeout": 0.2}]))
    monkeypatch.setenv("COPILOT_INCIDENT_THRESHOLD", "1")
    async with open_runtime(Settings()) as rt:
        await rt.health.monitor.run("api")
        d = next(d for d in rt.decisions.pending() if d.kind == "health_incident")
        done = await rt.decisions.decide(d.id, "silence", Caller.local_owner())
        assert done.outcome.startswith("Silenced api until ")
        silence = rt.kernel.silences.muted({"component": "api"})
        assert silence is not None and silence.kind == "silence"
        assert silence.until == pytest.approx(done.decided_at + 3600)


def test_a_token_never_reaches_any_log_sink(tmp_path, capsys, monkeypatch, settings):
    from core.logs import settings_secrets
    from core.storage import make_engine

    token = "MTAxNTU1NjY2Nzc3ODg4OTk5.GhIjKl.abcdefghijklmnopqrstuvwxyz0123"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    s = Settings()
    engine = make_engine(s.db_url, [LogEntry])
    configure_logging("DEBUG", tmp_path / "logs", engine, settings_secrets(s))
    log = structlog.get_logger("copilot.test")
    log.warning("login failed", token=token, headers={"Authorization": f"Bot {token}"})
    log.error("provider said", body=f"invalid key sk-test-0123456789abcdef for {token}")
    logging.getLogger("discord.http").error("gateway url wss://gw?token=%s", token)
    logging.getLogger("httpx").warning("GET https://api.example/v1?apikey=%s", "sk-test-0123456789abcdef")
    try:
        raise RuntimeError(f"connect failed with {token}")
    except RuntimeError:
        log.exception("crash")
        logging.getLogger("copilot.std").exception("std crash")
    for handler in logging.getLogger().handlers:
        handler.flush()
    console = capsys.readouterr().err
    file_text = (tmp_path / "logs" / "copilot.jsonl").read_text()
    with Session(engine) as session:
        sql_text = json.dumps([e.model_dump() for e in session.exec(select(LogEntry))])
    for sink in (console, file_text, sql_text):
        assert "login failed" in sink and "crash" in sink
        assert token not in sink and "sk-test-0123456789abcdef" not in sink
        assert "[REDACTED]" in sink
    assert len(file_text.splitlines()) >= 6


async def test_job_failure_surfaces_in_health(settings):
    async with open_runtime(settings) as rt:
        async def broken() -> None:
            raise RuntimeError("feed is gone")

        await rt.start()
        rt.kernel.scheduler.add("broken_feed", broken, "interval", seconds=3600)
        from datetime import UTC, datetime

        rt.kernel.scheduler._scheduler.modify_job("broken_feed", next_run_time=datetime.now(UTC))
        for _ in range(100):
            if rt.kernel.scheduler.stats["broken_feed"].failures:
                break
            await asyncio.sleep(0.02)
        run = await rt.health.monitor.run("scheduler")
        assert run.status == "degraded"
        assert "broken_feed failed 1x: RuntimeError: feed is gone" in run.detail
        errors = await rt.ask("any errors in the last hour")
        assert "scheduled job failed" in errors.answer


async def test_health_tool_and_dashboard(settings):
    async with open_runtime(settings) as rt:
        result = await rt.ask("how are my systems doing")
        assert result.tool_calls[0]["name"] == "system_health"
        assert "database: ok" in result.answer and "disk:" in result.answer
        one = await rt.ask("is the database healthy")
        assert "database: ok" in one.answer and "disk" not in one.answer


def test_health_dashboard_cli():
    out = CliRunner().invoke(app, ["health"])
    assert out.exit_code == 0 and "database" in out.stdout and "No open incidents." in out.stdout


async def test_metrics_endpoint_on_loopback(monkeypatch):
    port = free_port()
    monkeypatch.setenv("COPILOT_METRICS_PORT", str(port))
    async with open_runtime(Settings()) as rt:
        await rt.start()
        await rt.health.monitor.run("database")
        async with httpx.AsyncClient() as http:
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'copilot_component_up{component="database"} 1.0' in text
    assert "copilot_ticks_total" in text and "copilot_pending_decisions" in text


def test_tracing_is_off_without_a_key(settings):
    import os

    from agent.runtime import enable_tracing

    enable_tracing(settings)
    assert os.environ["LANGSMITH_TRACING"] == "false"


@pytest.fixture(autouse=True)
def _reset_logging():
    yield
    configure_logging("INFO", None, None, console=False)


async def test_restart_action_posts_to_the_services_hook(monkeypatch):
    from tests.helpers.webhook import WebhookReceiver

    with WebhookReceiver() as hook:
        monkeypatch.setenv("COPILOT_HEALTH_ENDPOINTS", json.dumps(
            [{"name": "api", "url": f"http://127.0.0.1:{free_port()}/", "timeout": 0.2,
              "restart_url": hook.url}]))
        monkeypatch.setenv("COPILOT_INCIDENT_THRESHOLD", "1")
        async with open_runtime(Settings()) as rt:
            await rt.health.monitor.run("api")
            d = next(d for d in rt.decisions.pending() if d.kind == "health_incident")
            assert [o.id for o in d.options] == ["acknowledge", "silence", "restart"]
            done = await rt.decisions.decide(d.id, "restart", Caller.local_owner())
    assert done.outcome == "Asked api to restart (HTTP 200)."
    assert len(hook.requests) == 1
