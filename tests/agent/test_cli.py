from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_ask_json_prints_the_tool_call():
    result = runner.invoke(app, ["ask", "quote MSFT", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tool_calls"] == [{"name": "get_quote", "args": {"symbol": "MSFT"}}]
    assert set(data) == {"answer", "tool_calls", "decisions"}
    assert "MSFT is at $" in data["answer"]


def test_config_masks_secrets(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "sk-very-secret" not in result.stdout
    assert "COPILOT_DATA_DIR" in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from cli import app; "
        "heavy = [m for m in ('langgraph', 'langchain_openai', 'chromadb', 'torch', 'discord')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_chat_answers_and_quits(monkeypatch):
    result = runner.invoke(app, ["chat"], input="what's AAPL at?\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "AAPL is at $" in result.stdout
    assert "demo data" in result.stdout
