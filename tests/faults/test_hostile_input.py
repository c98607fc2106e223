"""Bad input gets one clear sentence and loses nothing.

Hostile inventories through `copilot review` and the review_architecture tool, absurd
alert numbers through the CLI, the service and the tools, and the top-level handler of
every command (one sentence, where the log is, the right exit code, never a traceback)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app, run_cli
from core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]
GUARD_S = 60  # generous: each case answers at once; this only stops a hang


def invoke(args: list[str]):
    """``CliRunner().invoke(app, args)`` in a thread that must finish within GUARD_S (a
    read that blocks — a FIFO — would otherwise hang the suite)."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(CliRunner().invoke(app, args)),
                              daemon=True)
    worker.start()
    worker.join(GUARD_S)
    assert not worker.is_alive(), f"copilot {' '.join(args)} still running after {GUARD_S} s"
    return out[0]


def assert_one_sentence(result, *, codes=(1,), mentions: str | None = None) -> str:
    text = result.output.strip()
    assert result.exit_code in codes, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert text.count("\n") == 0, f"more than one line: {text!r}"
    assert text.endswith("."), text
    assert 10 < len(text) < 400, text
    if mentions is not None:
        assert mentions in text, text
    return text


# ---- hostile inventories -----------------------------------------------------------------
VALID = "name: x\ncomponents:\n  - name: api\n    kind: service\n"


def _alias_bomb() -> str:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\nname: bomb\ncomponents: *i\n"


TEXT_CASES: dict[str, tuple[str | bytes, str]] = {
    # file name: (content, what the sentence must say)
    "huge.yaml": ("name: x\n" + "# padding padding padding\n" * 60_000, "at most 1 MB"),
    "binary.yaml": (b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary"),
    "latin1.yaml": (b"name: caf\xe9\ncomponents: []\n", "not UTF-8"),
    "empty.yaml": (b"", "empty"),
    "comments.yaml": ("# only a comment\n\n", "empty"),
    "deep.yaml": ("name: " + "[" * 200 + "]" * 200 + "\n", "deeper than 20 levels"),
    "deep_block.yaml": ("".join("  " * i + f"k{i}:\n" for i in range(30)) + "  " * 30 + "v\n",
                        "deeper than 20 levels"),
    "bomb.yaml": (_alias_bomb(), "alias"),
    "recursive.yaml": ("name: x\ncomponents: &c\n  - name: a\n    kind: job\n    tech: *c\n",
                       "recursive"),
    "list.yaml": ("- name: a\n- name: b\n", "expected a mapping"),
    "scalar.yaml": ("just a sentence\n", "expected a mapping"),
    "tabs.yaml": ("name: x\ncomponents:\n\t- name: a\n", "not valid YAML"),
    "unclosed.yaml": ("name: x\ncomponents: [ {name: a, kind: job\n", "not valid YAML"),
    "python_tag.yaml": ("name: !!python/object/apply:os.system ['echo pwned']\n",
                        "not valid YAML"),
    "two_docs.yaml": (VALID + "---\n" + VALID, "several YAML documents"),
    "dup_key.yaml": ("name: x\nname: y\n" + VALID.split("\n", 1)[1], "appears twice"),
    "wrong_types.yaml": ("name: [1, 2]\ncomponents: 5\n", "name"),
    "wrong_field_type.yaml": (VALID + "    cache: {a: b}\n", "components[0].cache"),
    "unknown_key.yaml": (VALID + "colour: red\n", "colour: Extra inputs are not permitted"),
    "bad_enum.yaml": (VALID.replace("service", "spaceship"), "components[0].kind"),
    "bad_ref.yaml": (VALID + "    calls: [" + "x" * 5000 + "]\n", "neither a component"),
    "bad_date.yaml": ("name: 2024-13-45\n" + VALID.split("\n", 1)[1], "cannot be read"),
    "many_nodes.yaml": ("name: x\ncomponents:\n"
                        + "".join(f"  - {{name: c{i}, kind: job}}\n" for i in range(8000)),
                        "more than 20,000"),
    "control_chars.yaml": ("name: x\x07\n", "not valid YAML"),
}


@pytest.fixture
def hostile(tmp_path) -> Path:
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, (content, _) in TEXT_CASES.items():
        data = content if isinstance(content, bytes) else content.encode()
        (folder / name).write_bytes(data)
    os.mkfifo(folder / "fifo.yaml")
    (folder / "dir.yaml").mkdir()
    (folder / "zero.yaml").symlink_to("/dev/zero")
    return folder


@pytest.mark.parametrize("name", sorted(TEXT_CASES))
def test_review_refuses_hostile_files_in_one_sentence(hostile, name):
    path = hostile / name
    text = assert_one_sentence(invoke(["review", str(path)]), mentions=str(path))
    assert TEXT_CASES[name][1] in text


@pytest.mark.parametrize(("target", "says"), [
    ("fifo.yaml", "named pipe"),
    ("dir.yaml", "directory"),
    ("zero.yaml", "device"),
    ("/dev/null", "device"),
    ("/dev/zero", "device"),
    ("missing.yaml", "No inventory at"),
])
def test_review_refuses_what_is_not_a_regular_file_without_blocking(hostile, target, says):
    path = target if target.startswith("/") else str(hostile / target)
    text = assert_one_sentence(invoke(["review", path]), mentions=path)
    assert says in text


def test_review_refuses_a_socket(tmp_path):
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert "socket" in assert_one_sentence(invoke(["review", str(path)]), mentions=str(path))
    finally:
        server.close()


def test_review_refuses_unreadable_names(tmp_path):
    long = str(tmp_path / ("x" * 5000 + ".yaml"))
    assert "too long" in assert_one_sentence(invoke(["review", long]))


def test_a_hostile_file_does_not_stop_a_good_one_and_alias_merges_still_work(hostile, tmp_path):
    assert invoke(["review", str(hostile / "bomb.yaml")]).exit_code == 1
    good = tmp_path / "good.yaml"
    good.write_text("name: fine\ncomponents:\n  - &api {name: api, kind: service}\n"
                    "  - {<<: *api, name: worker}\n")  # an anchor and a merge key: allowed
    result = invoke(["review", str(good), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inventory"] == "fine"


async def test_the_review_tool_answers_hostile_files_in_one_sentence(settings, hostile):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        tool = next(t for t in rt.tools if t.name == "review_architecture")
        for name in ("fifo.yaml", "bomb.yaml", "zero.yaml", "huge.yaml", "list.yaml"):
            with pytest.raises(InvalidInput, match=str(hostile / name)):
                await tool.ainvoke({"inventory_path": str(hostile / name)})
        # through the agent: the turn answers with the sentence and nothing breaks
        result = await rt.ask(f"review {hostile / 'bomb.yaml'}")
        assert result.tool_calls[0]["name"] == "review_architecture"
        assert "alias" in result.answer
        assert (await rt.ask("what's AAPL at?")).answer.startswith("AAPL is at $")


def test_the_console_script_refuses_a_fifo_without_blocking(hostile, tmp_path):
    """The real entry point (`python -m cli`, i.e. cli.main) in its own process."""
    env = {**os.environ, "COPILOT_DATA_DIR": str(tmp_path / "data")}
    for name in ("fifo.yaml", "bomb.yaml"):
        proc = subprocess.run([sys.executable, "-m", "cli", "review", str(hostile / name)],
                              capture_output=True, text=True, timeout=GUARD_S, cwd=ROOT, env=env)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.stderr.strip().count("\n") == 0 and str(hostile / name) in proc.stderr


# ---- alerts: absurd numbers ------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["AAPL", "above", "nan"],
    ["AAPL", "above", "inf"],
    ["--", "AAPL", "below", "-inf"],
    ["AAPL", "above", "1e308"],
    ["AAPL", "above", "5e-324"],
    ["AAPL", "above", "0"],
    ["--", "AAPL", "above", "-5"],
    ["AAPL", "above", "10000001"],
    ["AAPL", "pct_change", "5e-324"],
    ["AAPL", "pct_change", "150"],
    ["AAPL", "pct_change", "nan"],
    ["AAPL", "pct_change", "5", "--window", "0"],
    ["AAPL", "pct_change", "5", "--window", "1441"],
    ["AAPL", "pct_change", "5", "--window", "99999999999999999999999"],
    ["A" * 5000, "above", "10"],
    ["AAPL", "above", "10", "--note", "n" * 500],
    ["AAPL", "above", "10", "--expires", "yesterday-ish"],
])
def test_cli_refuses_absurd_alerts_in_one_sentence(args):
    assert_one_sentence(invoke(["alerts", "add", *args]))
    listed = invoke(["alerts", "list"])
    assert listed.exit_code == 0 and "No alerts." in listed.output  # nothing was stored


@pytest.mark.parametrize("minutes", ["0", "-5", "43201", "99999999999999999999999"])
def test_cli_refuses_absurd_snoozes_and_keeps_the_alert(minutes):
    assert invoke(["alerts", "add", "AAPL", "above", "500"]).exit_code == 0
    assert "30 days" in assert_one_sentence(invoke(["alerts", "snooze", "--", "1", minutes]))
    listed = invoke(["alerts", "list"])
    assert "AAPL at or above $500.00" in listed.output


@pytest.mark.parametrize("alert_id", ["0", "99999999999999999999999"])
def test_cli_alert_numbers_out_of_range_are_usage_errors(alert_id):
    result = invoke(["alerts", "rm", alert_id])
    assert result.exit_code == 2 and "Traceback" not in result.output


async def test_service_and_tools_refuse_absurd_values(settings):
    from agent.runtime import open_runtime
    from core.auth import Caller

    config = {"configurable": {"caller": Caller.local_owner()}}
    async with open_runtime(settings) as rt:
        service = rt.alerts.service
        tools = {t.name: t for t in rt.tools}
        for threshold in (float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, 10**400,
                          True, "nan", "inf", "1e308"):
            with pytest.raises(InvalidInput, match="^Can't create that alert: .*\\.$"):
                await service.create(symbol="AAPL", condition="above", threshold=threshold)
            if threshold == 10**400 or threshold is True:
                continue  # the tool's own schema refuses these (a sentence through the agent)
            with pytest.raises(InvalidInput):
                await tools["create_alert"].ainvoke(
                    {"symbol": "AAPL", "condition": "above", "threshold": threshold}, config)
        for pct in (5e-324, 0.0, 100.5, float("nan")):
            with pytest.raises(InvalidInput):
                await service.create(symbol="AAPL", condition="pct_change", threshold=pct)
        for window in (0, 1441, 1e308, float("nan"), 10**30, True):
            with pytest.raises(InvalidInput, match="window_minutes"):
                await service.create(symbol="AAPL", condition="pct_change", threshold=5,
                                     window_minutes=window)
        rule, _ = await service.create(symbol="AAPL", condition="above", threshold=500)
        for minutes in (0, 0.5, 5e-324, -1, 43_201, 1e308, float("nan"), float("inf"), 10**400):
            with pytest.raises(InvalidInput, match="Snooze for between 1 minute and 30 days"):
                service.snooze(rule.id, minutes)
        assert service.get(rule.id).snoozed_until is None  # nothing half-applied
        assert [r.id for r in service.rules()] == [rule.id]
        # sane values still work at the edges
        assert service.snooze(rule.id, 1).snoozed_until is not None
        edge, _ = await service.create(symbol="AAPL", condition="pct_change", threshold=100,
                                       window_minutes=1440)
        assert edge.window_minutes == 1440


async def test_a_model_sending_nan_strings_gets_sentences_not_a_crash(monkeypatch):
    """A real ChatOpenAI turn against the loopback helper whose tool calls carry "nan"."""
    from agent.runtime import open_runtime
    from core.settings import Settings
    from tests.helpers.openai_server import FakeOpenAIServer

    def route(text: str):
        if "window" in text:
            return "create_alert", {"symbol": "AAPL", "condition": "pct_change",
                                    "threshold": 5, "window_minutes": "nan"}
        if "snooze" in text:
            return "snooze_alert", {"alert_id": 1, "minutes": "nan"}
        return "create_alert", {"symbol": "AAPL", "condition": "above", "threshold": "nan"}

    with FakeOpenAIServer(route) as server:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        async with open_runtime(Settings()) as rt:
            price = await rt.ask("alert me at nan")
            window = await rt.ask("alert me on a move within nan window")
            snooze = await rt.ask("snooze alert 1 for nan minutes")
            assert rt.alerts.service.rules() == []
    assert "threshold must be a real number, not NaN or infinity" in price.answer
    assert "The arguments for create_alert are not valid: window_minutes" in window.answer
    assert "snooze_alert" in snooze.answer and "minutes" in snooze.answer
    for result in (price, window, snooze):
        assert "Something went wrong" not in result.answer


# ---- one top-level handler for every command ---------------------------------------------
def test_configuration_errors_exit_2_with_one_sentence(monkeypatch, capsys):
    monkeypatch.setenv("COPILOT_LLM_TIMEOUT", "soon")
    assert run_cli(["config"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "COPILOT_LLM_TIMEOUT" in err and "Traceback" not in err
    result = invoke(["alerts", "list"])
    assert result.exit_code == 2 and "COPILOT_LLM_TIMEOUT" in result.output


def test_unexpected_errors_are_one_sentence_with_the_log_and_a_logged_traceback(
        monkeypatch, capsys, settings):
    import cli.rows

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug deep inside")

    # what `alerts list` reads its rows with (sqlite3 on SQLite, the service elsewhere)
    monkeypatch.setattr(cli.rows, "alert_rules", bug)
    log = settings.data_dir / "logs" / "copilot.jsonl"
    assert run_cli(["alerts", "list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"Something went wrong (ZeroDivisionError); the details are in {log}."
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["level"] == "error" and "ZeroDivisionError: a bug deep inside" in \
        record["exception"] and "Traceback" in record["exception"]
    result = invoke(["alerts", "list"])  # the same through the app (run_async)
    assert_one_sentence(result, mentions=str(log))


def test_copilot_errors_exit_1_and_interrupts_exit_130_quietly(monkeypatch, capsys):
    from core.errors import NotFound
    from core.settings import Settings

    def missing(self):
        raise NotFound("There is no such thing.")

    monkeypatch.setattr(Settings, "masked", missing)
    assert run_cli(["config"]) == 1
    assert capsys.readouterr().err.strip() == "There is no such thing."

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(Settings, "masked", interrupted)
    assert run_cli(["config"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == "" and "Traceback" not in captured.out


def test_usage_errors_exit_2_and_main_exits_with_the_code(capsys):
    from cli import main

    assert run_cli(["no-such-command"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["alerts", "snooze", "1", "0"])
    assert exit_info.value.code == 1
    assert run_cli(["--help"]) == 0


def test_a_turn_that_hits_a_bug_prints_no_traceback(monkeypatch):
    import tools.market.service as market

    async def bug(self, *args, **kwargs):
        raise ZeroDivisionError("a bug in a tool")

    monkeypatch.setattr(market.MarketService, "quote", bug)
    result = invoke(["ask", "what's AAPL at?"])
    assert result.exit_code == 0
    assert "Traceback" not in result.output and "Something went wrong" in result.output
