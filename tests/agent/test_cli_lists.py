"""The list commands read their rows without building the runtime (#19, fast commands):
no LangGraph, chromadb, LangChain or torch is imported, and they show what the runtime
holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("langgraph", "langchain_core", "chromadb", "torch", "langsmith", "discord")
PROBE = """
import json, sys
from cli.common import run_cli
code = run_cli(sys.argv[1:])
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"code": code, "heavy": heavy}}))
"""


@pytest.mark.parametrize("command", [["alerts", "list"], ["decisions", "list"],
                                     ["content", "list"], ["alerts", "list", "--all"]])
def test_a_list_command_imports_nothing_heavy(command):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *command],
                         capture_output=True, text=True, timeout=120, env=env)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"code": 0, "heavy": []}, out.stderr[-2000:]


def test_the_lists_show_what_the_runtime_wrote():
    runner = CliRunner()
    assert runner.invoke(app, ["alerts", "add", "NVDA", "above", "1000"]).exit_code == 0
    assert runner.invoke(app, ["content", "draft", "NVDA earnings"]).exit_code == 0
    alerts = runner.invoke(app, ["alerts", "list"])
    assert alerts.exit_code == 0 and "NVDA" in alerts.stdout and "1,000" in alerts.stdout
    drafts = runner.invoke(app, ["content", "list"])
    assert drafts.exit_code == 0 and "#1" in drafts.stdout and "draft" in drafts.stdout
    assert "No decisions yet." in runner.invoke(app, ["decisions", "list"]).stdout
