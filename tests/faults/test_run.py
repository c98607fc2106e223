"""`copilot run` in a hostile world: one test per row of the issue's table that the run
loop, the dispatcher and the decisions own. Real processes and local servers where the
row is about processes; the runtime in-process where it is about state."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from agent.runtime import open_runtime
from core.auth import Caller
from core.decisions import Decision, Option
from core.lease import read_instance
from core.market import Tick
from core.settings import Settings
from core.storage import make_engine
from tests.helpers.smtp import free_port
from tests.helpers.webhook import WebhookReceiver
from tools.alerts.models import Notification

ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META", "AMZN", "NFLX", "GOOGL"]


def copilot(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


async def wait_for(predicate, timeout: float = 10.0, step: float = 0.02):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(step)
    return predicate()


async def fire_all(rt, symbols: list[str]) -> None:  # noqa: ANN001
    """One `above` rule per symbol, then a tick that fires each."""
    for symbol in symbols:
        await rt.alerts.service.create(symbol=symbol, condition="above", threshold=1)
    for symbol in symbols:
        await rt.alerts.engine.handle(Tick(symbol=symbol, price=100.0, ts=rt.clock()))


# ---- row: an unexpected exception in the dispatcher / an invalid target ----------------

def test_a_webhook_url_that_cannot_work_is_refused_at_start_with_exit_2(tmp_path):
    out = subprocess.run(copilot("run", "--no-console"), capture_output=True, text=True,
                         env=env(COPILOT_ALERT_WEBHOOK_URL="http://127.0.0.1:99999/hook"),
                         cwd=tmp_path, timeout=60, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "COPILOT_ALERT_WEBHOOK_URL is not a usable" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


async def test_a_target_that_raises_anything_never_blocks_the_others(monkeypatch):
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    monkeypatch.setenv("DISCORD_TOKEN", "x")  # makes discord a default target

    async def broken(text: str, payload: dict) -> None:
        raise KeyError("a bug in the sender")

    async with open_runtime(Settings()) as rt:
        rt.register_alert_sender("discord", broken)
        await rt.start()
        await fire_all(rt, SYMBOLS)
        shown = await wait_for(lambda: len(rt.alerts.console.unshown()) == 9)
        assert shown, rt.alerts.console.unshown()
        with Session(rt.kernel.db) as s:
            discord = s.exec(select(Notification).where(Notification.target == "discord")).all()
        assert len(discord) == 9 and all(n.status == "pending" for n in discord)
        assert all("KeyError" in n.last_error for n in discord if n.attempts)
        assert rt.kernel.supervisor.states["dispatcher"].restarts == 0


# ---- row: SQLite write-locked -----------------------------------------------------------

async def test_a_write_locked_database_delays_delivery_and_loses_nothing(monkeypatch):
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    settings = Settings()
    if settings.database_url:
        pytest.skip("about SQLite's write lock; PostgreSQL locks rows, not the database")
    async with open_runtime(settings) as rt:
        await rt.start()
        for symbol in SYMBOLS[:5]:
            await rt.alerts.service.create(symbol=symbol, condition="above", threshold=1)
        locked, release = threading.Event(), threading.Event()

        def hold_lock() -> None:
            conn = sqlite3.connect(settings.sqlite_path, timeout=1)
            conn.execute("BEGIN IMMEDIATE")  # the write lock, as another writer would hold it
            locked.set()
            release.wait(10)
            conn.rollback()
            conn.close()

        holder = threading.Thread(target=hold_lock)
        holder.start()
        locked.wait(5)
        ticks = [asyncio.create_task(rt.alerts.engine.handle(Tick(symbol=s, price=50.0,
                                                                  ts=rt.clock())))
                 for s in SYMBOLS[:5]]
        beats = 0
        for _ in range(20):  # the loop keeps running while the database is locked
            await asyncio.sleep(0.05)
            beats += 1
        release.set()
        holder.join()
        await asyncio.gather(*ticks)
        assert beats == 20
        shown = await wait_for(lambda: len(rt.alerts.console.unshown()) == 5, timeout=15)
        assert shown, rt.alerts.console.unshown()
        assert rt.kernel.supervisor.states["dispatcher"].state == "running"


# ---- rows: a second `copilot run`; no TTY, no Discord -----------------------------------

def test_a_second_run_is_refused_and_the_first_runs_headless_until_sigterm(tmp_path):
    data = tmp_path / "data"
    e = env(COPILOT_DATA_DIR=str(data))
    first = subprocess.Popen(copilot("run"), env=e, cwd=tmp_path, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        db = None
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until it holds the lease and beats
            if (data / "copilot.db").exists():
                db = db or make_engine(f"sqlite:///{data / 'copilot.db'}")
                instance = read_instance(db)
                if instance is not None and instance.pid == first.pid:
                    break
            assert first.poll() is None, first.communicate()
            time.sleep(0.2)
        second = subprocess.run(copilot("run", "--no-console"), env=e, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60,  # a cold start
                                stdin=subprocess.DEVNULL)
        assert second.returncode == 1
        assert f"already running on this data (pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        time.sleep(1.0)
        assert first.poll() is None  # headless: still running with no terminal
        health = subprocess.run(copilot("health"), env={**e, "COLUMNS": "300"}, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert f"copilot run (pid {first.pid}" in health.stdout
    finally:
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=15)  # a graceful stop, well within 10 s + start
    assert first.returncode == 0, err
    assert "headless" in err and "Traceback" not in err
    if db is not None:
        assert read_instance(db) is None  # the lease and its record are released
        db.dispose()


# ---- row: a webhook down for 300 s, then back ----------------------------------------

async def test_a_300_s_webhook_outage_loses_nothing(settings, fixed_clock):
    import httpx

    from tools.alerts.capability import AlertsCapability
    from tools.alerts.dispatcher import Dispatcher
    from tools.alerts.engine import AlertEngine
    from tools.alerts.service import AlertService
    from tools.alerts.targets import WebhookTarget

    sql = make_engine(settings.db_url, AlertsCapability.tables)
    engine = AlertEngine(sql, clock=fixed_clock)
    service = AlertService(sql, None, engine, clock=fixed_clock, default_targets=("webhook",))
    with WebhookReceiver() as hook:
        hook.down = True
        async with httpx.AsyncClient() as http:
            d = Dispatcher(sql, {"webhook": WebhookTarget(http, hook.url)}, clock=fixed_clock,
                           group_wait_s=0, retry_max_s=300, max_age_s=86400)
            fired = []
            for symbol in SYMBOLS:
                await service.create(symbol=symbol, condition="above", threshold=1)
                fired += engine.process(Tick(symbol=symbol, price=5, ts=fixed_clock()))
            for _ in range(30):  # 300 s of outage, the dispatcher trying every 10 s
                await d.step()
                fixed_clock.advance(10)
            assert hook.accepted_firings() == [] and len(hook.requests) >= 9
            hook.down = False
            for _ in range(40):  # back: within the 300 s retry cap everything goes out
                await d.step()
                fixed_clock.advance(10)
    assert sorted(hook.accepted_firings()) == sorted(f.firing_id for f in fired)
    with Session(sql) as s:
        assert {n.status for n in s.exec(select(Notification))} == {"sent"}


# ---- row: an alert added from another shell on a symbol that is not streamed ------------

async def test_an_alert_added_by_another_process_fires_on_a_new_symbol(monkeypatch, tmp_path):
    monkeypatch.setenv("COPILOT_TICK_INTERVAL", "0.05")
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    settings = Settings()
    async with open_runtime(settings) as rt:
        await rt.start()
        assert "AMD" not in rt.market.tick_pump.streaming  # type: ignore[union-attr]
        added = await asyncio.to_thread(
            subprocess.run, copilot("alerts", "add", "AMD", "above", "1", "--frequency", "every_time"),
            env=env(),
            cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert added.returncode == 0, added.stderr
        shown = await wait_for(lambda: [t for t in rt.alerts.console.unshown() if "AMD" in t],
                               timeout=15)
        assert shown and "AMD is at or above $1.00" in shown[0]
        # a repeating rule stays live, so its symbol stays streamed (a one-shot one that
        # fired would rightly leave the stream)
        assert "AMD" in rt.market.tick_pump.streaming  # type: ignore[union-attr]


# ---- row: the console idle: nothing dropped, nothing lost across a restart -------------

async def test_console_notices_are_never_capped_and_survive_a_restart():
    settings = Settings()
    async with open_runtime(settings) as rt:
        for i in range(1500):
            await rt.alerts.console.send({"text": f"alert {i}"}, f"key-{i}")
        await rt.alerts.console.send({"text": "alert 0"}, "key-0")  # a resend: once only
    async with open_runtime(settings) as rt:  # a restart: nobody has seen them yet
        inbox = rt.notices()
        texts = [n.text for n in inbox.drain()]
        assert texts == [f"alert {i}" for i in range(1500)]
        assert inbox.drain() == []  # shown once


# ---- rows: Discord login failing / unreachable at start ---------------------------------

async def test_a_rejected_discord_token_stops_run_with_exit_2(monkeypatch):
    from cli.serve import serve
    from core.errors import ConfigurationError

    monkeypatch.setenv("DISCORD_TOKEN", "rejected")

    async def run_bot(rt) -> None:  # noqa: ANN001
        raise ConfigurationError("Discord rejected DISCORD_TOKEN.")

    monkeypatch.setattr("bots.discord.bot.run_bot", run_bot)
    assert await asyncio.wait_for(serve(Settings(), console=False), 30) == 2


async def test_discord_unreachable_at_start_keeps_alerts_running(monkeypatch):
    from cli import serve as serve_module

    monkeypatch.setenv("DISCORD_TOKEN", "fine")
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    attempts = 0

    async def run_bot(rt) -> None:  # noqa: ANN001
        nonlocal attempts
        attempts += 1
        raise OSError("Discord is unreachable")

    monkeypatch.setattr("bots.discord.bot.run_bot", run_bot)
    task = asyncio.create_task(serve_module.serve(Settings(), console=False))
    assert await wait_for(lambda: attempts >= 2, timeout=15)
    assert not task.done()  # still serving: the bot is retried in the background
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ---- row: the LLM endpoint unreachable ---------------------------------------------------

async def test_an_unreachable_model_answers_one_sentence_and_nothing_stops(monkeypatch):
    port = free_port()
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("COPILOT_LLM_TIMEOUT", "2")
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    async with open_runtime(Settings()) as rt:
        await rt.start()
        turn = await rt.ask("what's AAPL at?")
        assert f"The model at http://127.0.0.1:{port}/v1 is unreachable" in turn.answer
        assert "The offline model answered instead" in turn.answer  # labelled fallback
        assert "AAPL is at $" in turn.answer and "Traceback" not in turn.answer
        guest = await rt.ask("what's AAPL at?", caller=Caller("guest", is_owner=False))
        assert "is unreachable" in guest.answer and "AAPL is at" not in guest.answer
        await fire_all(rt, ["AAPL"])  # the rest of the runtime carries on
        assert await wait_for(lambda: rt.alerts.console.unshown())
        assert all(s.state == "running" for s in rt.kernel.supervisor.snapshot()
                   if s.name in ("dispatcher", "ticks", "scheduler"))


# ---- row: quitting right after a decision was raised ------------------------------------

async def test_a_decision_cut_short_while_being_raised_is_repaired_and_can_be_answered():
    settings = Settings()
    async with open_runtime(settings) as rt:
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above", threshold=1)
        with Session(rt.kernel.db) as s:  # the row exists; the workflow never ran
            d = Decision(kind="alert_fired", title="TSLA alert fired", options_json=
                         "[" + ",".join(o.model_dump_json() for o in [
                             Option(id="snooze", label="Snooze", action="snooze_alert",
                                    args={"alert_id": rule.id, "minutes": 60}),
                             Option(id="dismiss", label="Dismiss")]) + "]",
                         recommended="dismiss", created_at=rt.clock(),
                         expires_at=rt.clock() + 3600)
            s.add(d)
            s.commit()
            s.refresh(d)
        with pytest.raises(Exception, match="no option 'later'"):
            await rt.decide(d.id or 0, "later", Caller.local_owner())
        done = await rt.decide(d.id or 0, "snooze", Caller.local_owner())  # no KeyError
        assert done.status == "decided" and "Snoozed alert" in done.outcome
        from core.errors import NotFound

        with pytest.raises(NotFound, match="There is no decision 999"):
            await rt.decide(999, "1", Caller.local_owner())


# ---- dead letters: a health check, a decision, `copilot alerts dead` -------------------

async def test_dead_letters_open_a_decision_and_can_be_retried(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from cli import app

    port = free_port()  # nothing listens: every send fails
    monkeypatch.setenv("COPILOT_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{port}/hook")
    monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
    monkeypatch.setenv("COPILOT_ALERT_MAX_AGE", "0.5")
    monkeypatch.setenv("COPILOT_ALERT_RETRY_MAX", "0.1")
    async with open_runtime(Settings()) as rt:
        rt.alerts.dispatcher.base_backoff_s = 0.05
        await rt.start()
        await fire_all(rt, ["AAPL"])
        decision = await wait_for(lambda: rt.decisions.pending("delivery_failed"), timeout=15)
        assert decision and "could not be delivered to webhook" in decision[0].title
        run = await rt.health.monitor.run("deliveries")
        assert run.status == "down" and "1 dead letter" in run.detail
        listed = await asyncio.to_thread(CliRunner().invoke, app, ["alerts", "dead"])
        assert "webhook" in listed.stdout and "AAPL" in listed.stdout
        done = await rt.decide(decision[0].id or 0, "retry", Caller.local_owner())
        assert "Retrying 1 undelivered alert" in done.outcome
        with Session(rt.kernel.db) as s:
            note = s.exec(select(Notification).where(Notification.target == "webhook")).one()
        assert note.status in ("pending", "dead") and note.attempts >= 1
        assert rt.alerts.console.unshown()  # the console got it all along
