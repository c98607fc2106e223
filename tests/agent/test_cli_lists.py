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


async def test_the_quick_sqlite_reads_match_the_services(settings, fixed_clock):
    """On SQLite the decisions and drafts lists read with the stdlib driver; what they
    show is what the services' own list methods return (every status filter, the order,
    the limit, a scheduled draft's line)."""
    from agent.runtime import open_runtime
    from cli import rows
    from core.auth import Caller
    from core.decisions import Decision

    async with open_runtime(settings, clock=fixed_clock) as rt:
        await rt.alerts.start()
        rt.kernel.bus.start()
        for sym in ("TSLA", "NVDA", "AAPL"):
            await rt.alerts.service.create(symbol=sym, condition="above", threshold=1)
        from core.events import TICKS
        from core.market import Tick

        for sym in ("TSLA", "NVDA", "AAPL"):
            await rt.kernel.bus.publish(TICKS, Tick(symbol=sym, price=2.0, ts=fixed_clock()))
        await rt.kernel.bus.drain()
        first = rt.decisions.pending()[0]
        await rt.decide(first.id, "dismiss", Caller.local_owner())
        a = await rt.content.service.draft("NVDA earnings", "discord", "NVDA", None, notify=False)
        await rt.content.service.draft("AAPL week", "blog", "AAPL", None, notify=False)
        rt.content.service.schedule(a.id, "tomorrow 9am")
        for status, limit in ((None, 30), ("pending", 30), ("decided", 30), (None, 2)):
            quick = rows.recent_decisions(status, limit)
            want = rt.decisions.recent(status, limit)
            assert [r.id for r in quick] == [d.id for d in want] and quick
            for r, d in zip(quick, want, strict=True):
                for column in Decision.model_fields:
                    assert getattr(r, column) == getattr(d, column), column
        for status in (None, "draft", "scheduled"):
            quick = rows.drafts(status)
            want = rt.content.service.drafts(status)
            assert [r.line("America/New_York") for r in quick] == \
                [d.line("America/New_York") for d in want] and quick
        assert "scheduled for" in rows.drafts("scheduled")[0].line("America/New_York")
        # alerts: fired ones (inactive), a list rule, a frequency, a paused one
        from tools.alerts.pausing import pause
        from tools.alerts.wording import is_paused

        svc = rt.alerts.service
        await svc.create(symbol="watchlist", condition="rsi_above", threshold=70)
        await svc.create(symbol="MSFT", condition="moving_down_pct", threshold=2,
                         window_minutes=30, frequency="every_time")
        paused, _ = await svc.create(symbol="TSLA", condition="below", threshold=1.5)
        pause(svc, paused.id)
        for symbol, inactive in ((None, False), (None, True), ("tsla", False), ("tsla", True)):
            quick = rows.alert_rules(symbol, inactive)
            want = svc.rules(symbol, include_inactive=inactive)
            assert [(r.id, r.describe(), is_paused(r), r.active, r.fire_count, r.note)
                    for r in quick] == \
                [(r.id, r.describe(), is_paused(r), r.active, r.fire_count, r.note)
                 for r in want] and quick
        assert any(is_paused(r) for r in rows.alert_rules("TSLA", False))
        # on SQLite the quick read ran (on PostgreSQL the services' path does)
        quick_read = settings.db_url.startswith("sqlite")
        assert all(isinstance(r, rows.Row) == quick_read
                   for r in [*rows.drafts(None), *rows.recent_decisions(None, 30),
                             *rows.alert_rules(None, True)])


def test_alerts_list_on_a_table_an_older_version_made(settings):
    """A table without the columns added since (period, upper) is no crash: the quick
    read fails, and the service's path adds them and lists the rule."""
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("the quick read is SQLite's")
    import sqlite3

    path = settings.db_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alert_rules (id INTEGER PRIMARY KEY, symbol VARCHAR NOT NULL, "
                 "condition VARCHAR NOT NULL, threshold FLOAT NOT NULL, window_minutes INTEGER, "
                 "frequency VARCHAR NOT NULL, cooldown_s FLOAT NOT NULL, expires_at FLOAT, "
                 "snoozed_until FLOAT, note VARCHAR NOT NULL, owner VARCHAR NOT NULL, "
                 "targets VARCHAR NOT NULL, active BOOLEAN NOT NULL, created_at FLOAT NOT NULL, "
                 "last_fired_at FLOAT, fire_count INTEGER NOT NULL)")
    conn.execute("INSERT INTO alert_rules VALUES (1, 'AAPL', 'above', 250, NULL, 'once', 300, "
                 "NULL, NULL, '', 'owner', 'console', 1, 0, NULL, 0)")
    conn.commit()
    conn.close()
    listed = CliRunner().invoke(app, ["alerts", "list"])
    assert listed.exit_code == 0, listed.output
    assert "AAPL at or above $250.00" in listed.output
