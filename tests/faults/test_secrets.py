"""Secrets never leak: not into LangGraph checkpoints, answers, tool results, the log file,
`copilot config`, or an error report.

The LLM endpoint is the test helper's OpenAI-compatible server on 127.0.0.1, made to echo
the API key it is sent (the ``Authorization`` header) in its replies and in an error body,
as a misbehaving or malicious endpoint would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app, run_cli
from tests.helpers.openai_server import FakeOpenAIServer

# shaped like no known credential pattern: only the exact-value redaction can catch it
KEY = "victorKEY-4f9a8b7c6d5e3f2a1b0c"


class EchoKeyServer(FakeOpenAIServer):
    """The helper's server, but every reply repeats the caller's API key, and with
    ``fail_status`` every request fails with the key in the error body."""

    def __init__(self, route, fail_status: int | None = None) -> None:
        super().__init__(route)
        self.fail_status = fail_status
        self.keys_seen: list[str] = []
        server = self
        base = self.httpd.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def do_POST(self):  # noqa: N802 - http.server API
                server.keys_seen.append(self.headers.get("Authorization", "").removeprefix("Bearer "))
                if server.fail_status is None:
                    return super().do_POST()
                self.rfile.read(int(self.headers["Content-Length"]))
                data = json.dumps({"error": {
                    "message": f"Incorrect API key provided: {server.keys_seen[-1]}.",
                    "type": "invalid_request_error", "code": "invalid_api_key"}}).encode()
                self.send_response(server.fail_status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd.RequestHandlerClass = Handler

    def reply(self, body: dict) -> dict:
        payload = super().reply(body)
        message = payload["choices"][0]["message"]
        key = self.keys_seen[-1]
        if message.get("content"):
            message["content"] += f" (you sent the key {key})"
        for call in message.get("tool_calls") or []:  # the key in a tool call's arguments
            args = json.loads(call["function"]["arguments"])
            if "note" in args:
                args["note"] = f"key {key}"
            call["function"]["arguments"] = json.dumps(args)
        return payload


def data_bytes(data_dir: Path, pattern: str) -> bytes:
    """Every byte of the files matching ``pattern`` (the SQLite file and its -wal/-shm)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob(pattern)) if p.is_file())


def assert_nowhere(settings, *texts: str) -> None:
    key = KEY.encode()
    checkpoints = data_bytes(settings.data_dir, "checkpoints.db*")
    assert checkpoints, "the turn wrote no checkpoint"
    assert key not in checkpoints
    log = settings.data_dir / "logs" / "copilot.jsonl"
    assert log.exists()
    assert key not in log.read_bytes()
    assert key not in data_bytes(settings.data_dir, "copilot.db*")
    for text in texts:
        assert KEY not in text


@pytest.fixture
def llm_env(monkeypatch):
    def use(server: FakeOpenAIServer) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_LLM_MODEL", "local-test")

    return use


async def test_key_echoed_in_replies_and_tool_results_is_not_checkpointed(llm_env, tmp_path):
    from agent.runtime import open_runtime
    from core.settings import Settings

    inventory = tmp_path / "stack.yaml"  # the tool result will carry its name: the key
    inventory.write_text(f"name: leak-{KEY}\ncomponents:\n  - name: api\n    kind: service\n")

    def route(text: str):
        if "review" in text:
            return "review_architecture", {"inventory_path": str(inventory)}
        if "alert" in text:
            return "create_alert", {"symbol": "AAPL", "condition": "above", "threshold": 300,
                                    "note": "placeholder"}
        return None

    with EchoKeyServer(route) as server:
        llm_env(server)
        settings = Settings()
        async with open_runtime(settings) as rt:
            chat = await rt.ask("hello", thread_id="t")
            review = await rt.ask("review my stack", thread_id="t")
            pasted = await rt.ask(f"oops, I pasted my key {KEY}", thread_id="p")
            alert = await rt.ask("set an alert on AAPL", thread_id="a")  # the helper answers
            states = [await rt.graph.aget_state({"configurable": {"thread_id": t}})  # one tool
                      for t in ("t", "a", "p")]                                   # per thread
            notes = [r.note for r in rt.alerts.service.rules()]

    assert server.keys_seen and set(server.keys_seen) == {KEY}  # the key was really sent
    assert "[REDACTED]" in chat.answer  # the echo arrived, redacted
    assert review.tool_calls[0]["name"] == "review_architecture"
    assert "leak-[REDACTED]" in review.answer  # the tool result was redacted
    assert alert.tool_calls[0]["args"]["note"] == "key [REDACTED]"
    assert notes == ["key [REDACTED]"]  # the tool never received the key either
    dumped = json.dumps([m.model_dump() for state in states for m in state.values["messages"]],
                        default=str)
    assert KEY not in dumped and "[REDACTED]" in dumped
    # the model never sees the key again in a later prompt
    assert all(KEY not in json.dumps(r["messages"]) for r in server.requests)
    assert_nowhere(settings, chat.answer, review.answer, alert.answer, pasted.answer)


async def test_key_in_an_error_body_is_not_answered_logged_or_checkpointed(llm_env):
    from agent.runtime import open_runtime
    from core.settings import Settings

    with EchoKeyServer(lambda text: None, fail_status=401) as server:
        llm_env(server)
        settings = Settings()
        async with open_runtime(settings) as rt:
            result = await rt.ask("hello")
    assert server.keys_seen == [KEY]
    assert "401" in result.answer
    assert_nowhere(settings, result.answer)


def test_cli_ask_with_a_key_echoing_endpoint_prints_no_key(llm_env):
    from core.settings import Settings

    with EchoKeyServer(lambda text: None) as server:
        llm_env(server)
        ok = CliRunner().invoke(app, ["ask", "hello", "--json"])
        server.fail_status = 500
        failed = CliRunner().invoke(app, ["ask", "hello"])
    assert ok.exit_code == 0, ok.output
    assert "[REDACTED]" in json.loads(ok.stdout)["answer"]
    assert failed.exit_code == 0 and "HTTP 500" in failed.output
    assert "Traceback" not in ok.output + failed.output
    assert_nowhere(Settings(), ok.output, failed.output)


def test_an_unexpected_error_carrying_the_key_is_one_sentence_and_logged_redacted(
        monkeypatch, capsys, settings):
    from core.settings import Settings

    monkeypatch.setenv("OPENAI_API_KEY", KEY)

    def boom(self):
        raise RuntimeError(f"upstream said: bad key {KEY}")

    monkeypatch.setattr(Settings, "masked", boom)
    code = run_cli(["config"])
    err = capsys.readouterr().err
    log = settings.data_dir / "logs" / "copilot.jsonl"
    assert code == 1
    assert "Traceback" not in err and KEY not in err
    assert err.strip().count("\n") == 0  # one sentence
    assert "RuntimeError" in err and str(log) in err  # what, and where the details are
    record = json.loads(log.read_text().splitlines()[-1])
    assert "Traceback" in record["exception"] and "boom" in record["exception"]
    assert KEY not in log.read_text() and "[REDACTED]" in record["error"]


URL_SECRETS = {
    "FINNHUB_WS_URL": ("wss://victor:wsPassw0rd-71@ws.finnhub.io/stream?token=finnTok3n99",
                       ["wsPassw0rd-71", "finnTok3n99"]),
    "COPILOT_ALERT_WEBHOOK_URL": (
        "https://hooks.example.com/api/webhooks/1234567/hookS3cretPath0123456789abc?apikey=Ak3y55",
        ["hookS3cretPath0123456789abc", "Ak3y55"]),
    "WORDPRESS_URL": ("https://admin:wpPa55word!@blog.example.com/wp-json?key=wpK3y77&x=1",
                      ["wpPa55word!", "wpK3y77"]),
    "DATABASE_URL": ("postgresql+psycopg://app:dbS3cret@127.0.0.1:1/copilot", ["dbS3cret"]),
    "COPILOT_HEALTH_ENDPOINTS": (json.dumps([{
        "name": "site", "url": "https://ops:h3althPw@status.example.com/health?access_token=hTok9",
        "restart_url": "https://status.example.com/restart#sig=r3startSig"}]),
        ["h3althPw", "hTok9", "r3startSig"]),
}


def test_config_masks_credentials_in_every_url_setting(monkeypatch):
    for name, (value, _) in URL_SECRETS.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["config"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    secrets = [s for _, found in URL_SECRETS.values() for s in found]
    leaked = [s for s in secrets if s in result.output]
    assert leaked == []
    # what is not secret is still shown, so the owner can check the setting
    for visible in ("ws.finnhub.io/stream", "hooks.example.com/api/webhooks/1234567",
                    "blog.example.com/wp-json", "x=1", "status.example.com/health", "****"):
        assert visible in result.output


def test_settings_secrets_cover_url_credentials_for_the_log_redactor(monkeypatch):
    from core.logs import Redactor, settings_secrets
    from core.settings import Settings

    for name, (value, _) in URL_SECRETS.items():
        monkeypatch.setenv(name, value)
    found = set(settings_secrets(Settings()))
    redactor = Redactor(found)
    for _, secrets in URL_SECRETS.values():
        for secret in secrets:
            assert secret in found
            assert secret not in redactor.text(f"connecting with {secret} now")
