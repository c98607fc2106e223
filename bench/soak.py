"""Soak: the real `copilot run`, headless, for a while; then 30 days of tables in
compressed time. Prints RSS and database sizes over time. Goal: flat after warm-up.

    .venv/bin/python bench/soak.py [--minutes 10] [--days 30] [--skip-run] [--skip-days]

Part 1 starts `copilot run --no-console` as a subprocess on a temporary data dir with
demo ticks (``COPILOT_TICK_INTERVAL`` 0.1 s over 10 symbols: about 100 ticks/s), 200
alert rules of which 5 fire every 20 s (a firing every 4 s or so, each one a delivery and
a decision), and a chat turn every few seconds on one thread (`copilot ask --thread`
subprocesses, on the same data). Every 30 s it prints the run's RSS, `copilot.db` and
`checkpoints.db` (with their WAL files) with their rows (the growing tables; checkpoints),
ticks and firings so far (from /metrics). Within minutes the tables only grow: what they
hold is kept for days (part 2 shows the plateau); the WAL files stop at a few MB.

Part 2 writes 30 days of rows as `copilot run` leaves them (10k health results, 2k
firings with their deliveries and notifications, 50 decisions with events and 500 log
lines a day), moving the clock a day at a time, and runs the housekeeping job after each
day; the baseline is the same rows with no housekeeping, side by side. Alerts keep
``--alert-days`` (default 7 here, 90 in production) so the plateau shows within 30 days.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "SPY", "AMZN", "GOOGL", "META", "AMD", "NFLX"]
CHAT = ["what's AAPL at?", "and MSFT?", "list my alerts", "how is nvidia doing",
        "system health", "hello", "pending decisions", "price of TSLA"]
DAY = 86400.0


def mb(*paths: Path) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / 1e6


def db_sizes(data: Path) -> tuple[float, float]:
    return (mb(data / "copilot.db", data / "copilot.db-wal"),
            mb(data / "checkpoints.db", data / "checkpoints.db-wal"))


def sqlite_mb(settings) -> float:  # noqa: ANN001
    return mb(settings.sqlite_path, Path(f"{settings.sqlite_path}-wal"))


def row_counts(data: Path) -> tuple[int, int]:
    """Rows in the growing tables of copilot.db; checkpoint rows in checkpoints.db."""
    import sqlite3

    tables = ("alert_firings", "alert_deliveries", "alert_notifications", "decisions",
              "decision_events", "health_checks", "log_entries", "console_notices")
    try:
        with sqlite3.connect(f"file:{data / 'copilot.db'}?mode=ro", uri=True) as conn:
            rows = sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables)
        with sqlite3.connect(f"file:{data / 'checkpoints.db'}?mode=ro", uri=True) as conn:
            checkpoints = conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0]
    except sqlite3.Error:
        return 0, 0
    return rows, checkpoints


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def metric(port: int, name: str) -> float | None:
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    except OSError:
        return None
    for line in text.decode().splitlines():
        if line.startswith(f"{name}_total ") or line.startswith(f"{name} "):
            return float(line.split()[-1])
    return None


async def make_rules(env: dict[str, str]) -> None:
    """200 rules: 5 that hold all the time and fire every cooldown, 195 far away."""
    os.environ.update(env)
    from agent.runtime import open_runtime
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        service = rt.alerts.service
        for i in range(200):
            symbol = SYMBOLS[i % len(SYMBOLS)]
            if i < 5:
                await service.create(symbol=symbol, condition="above", threshold=1.0,
                                     frequency="every_time")
            else:
                await service.create(symbol=symbol, condition="above",
                                     threshold=900_000.0 + i)


def soak(minutes: float, chat_every: float, keep: Path | None = None) -> None:
    # this checkout's code (the venv's `copilot` script may belong to another checkout)
    copilot = [sys.executable, "-m", "cli"]
    with tempfile.TemporaryDirectory() as tmp:
        data = keep or Path(tmp) / "data"
        port = free_port()
        env = {**os.environ, "COPILOT_DATA_DIR": str(data), "COPILOT_TICK_INTERVAL": "0.1",
               "COPILOT_WATCHLIST": ",".join(SYMBOLS), "COPILOT_ALERT_COOLDOWN": "20",
               "COPILOT_HTTP_PORT": "off", "COPILOT_METRICS_PORT": str(port),
               "COPILOT_LLM": "offline", "COPILOT_MARKET_PROVIDER": "offline",
               "COPILOT_EMBEDDER": os.environ.get("COPILOT_EMBEDDER", "hashing"),
               "LANGSMITH_TRACING": "false", "PYTHONPATH": str(ROOT)}
        asyncio.run(make_rules(env))
        run = subprocess.Popen([*copilot, "run", "--no-console"], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"soak: `copilot run` pid {run.pid}, {minutes:g} min, 200 rules, "
              f"10 symbols every 0.1 s, a chat turn every {chat_every:g} s")
        print(f"  {'t':>6}  {'RSS':>8}  {'copilot.db':>10}  {'rows':>6}  {'checkpoints':>11}  "
              f"{'rows':>5}  {'ticks/s':>7}  {'firings':>7}  {'turns':>5}")
        start = time.monotonic()
        next_sample, next_chat, turns, last_ticks = start + 5, start + 5, 0, (start, 0.0)
        ask: subprocess.Popen[bytes] | None = None
        try:
            while time.monotonic() - start < minutes * 60:
                now = time.monotonic()
                if run.poll() is not None:
                    print(f"  `copilot run` stopped early (exit {run.returncode})")
                    return
                if ask is not None and ask.poll() is not None:
                    turns += ask.returncode == 0
                    ask = None
                if ask is None and now >= next_chat:
                    ask = subprocess.Popen(
                        [*copilot, "ask", CHAT[turns % len(CHAT)], "--thread", "soak", "--json"],
                        env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    next_chat = now + chat_every
                if now >= next_sample:
                    ticks = metric(port, "copilot_ticks") or 0.0
                    rate = (ticks - last_ticks[1]) / max(1e-9, now - last_ticks[0])
                    last_ticks = (now, ticks)
                    firings = metric(port, "copilot_alert_firings") or 0.0
                    main_db, checkpoints = db_sizes(data)
                    rows, saved = row_counts(data)
                    print(f"  {now - start:5.0f}s  {rss_mb(run.pid):5.0f} MB  {main_db:7.1f} MB  "
                          f"{rows:6d}  {checkpoints:8.1f} MB  {saved:5d}  {rate:7.0f}  "
                          f"{firings:7.0f}  {turns:5d}", flush=True)
                    next_sample = now + 30
                time.sleep(0.2)
        finally:
            if ask is not None:
                ask.wait()
            run.send_signal(signal.SIGTERM)
            run.wait(timeout=60)


def day_rows(day: int, start: float) -> dict[str, list[dict]]:
    """One day of rows as `copilot run` leaves them."""
    base = day * 1_000_000
    health = [{"component": f"c{i % 8}", "status": "ok" if i % 97 else "down",
               "latency_ms": 5.0, "detail": "", "at": start + i * 8.64, "samples": 1,
               "hourly": False} for i in range(10_000)]
    firings = [{"id": base + i, "rule_id": i, "symbol": "AAPL", "price": 200.0,
                "tick_ts": start + i * 43.2, "message": "AAPL crossed above 200",
                "created_at": start + i * 43.2} for i in range(2_000)]
    notes = [{"id": base + i, "target": "console", "symbol": "AAPL",
              "body": json.dumps({"text": "AAPL crossed above 200"}), "status": "sent",
              "attempts": 1, "next_attempt_at": f["created_at"], "last_error": "",
              "created_at": f["created_at"], "sent_at": f["created_at"]}
             for i, f in enumerate(firings)]
    deliveries = [{"id": base + i, "firing_id": base + i, "target": "console",
                   "symbol": "AAPL", "created_at": f["created_at"], "notification_id": base + i}
                  for i, f in enumerate(firings)]
    decisions = [{"id": base + i, "kind": "alert_fired", "title": "AAPL crossed above 200",
                  "status": "expired" if i % 2 else "decided", "chosen": None if i % 2 else "a",
                  "created_at": start + i * 1728, "decided_at": start + i * 1728 + 60,
                  "options_json": "[]", "context": "x" * 400} for i in range(50)]
    events = [{"decision_id": base + i // 3, "at": start + i, "event": "raised",
               "actor": "system", "detail": ""} for i in range(150)]
    logs = [{"at": start + i * 172.8, "level": "warning", "component": "market",
             "event": "provider slow", "data": "{}"} for i in range(500)]
    return {"health_checks": health, "alert_firings": firings, "alert_notifications": notes,
            "alert_deliveries": deliveries, "decisions": decisions,
            "decision_events": events, "log_entries": logs}


async def simulate(days: int, alert_days: float) -> None:
    from sqlalchemy import func, insert, select

    from agent.runtime import open_runtime
    from core.decisions import Decision, DecisionEvent
    from core.housekeeping import Housekeeping
    from core.logs import LogEntry
    from core.settings import Settings
    from tools.alerts.models import Delivery, Firing, Notification
    from tools.health.models import CheckRun

    tables = {m.__tablename__: m.__table__  # type: ignore[attr-defined]
              for m in (CheckRun, Firing, Notification, Delivery, Decision, DecisionEvent,
                        LogEntry)}

    print(f"\n30 days of tables in compressed time ({days} days; alerts kept {alert_days:g} "
          "days here, health raw 7 days then hourly)")
    print(f"  {'day':>3}  {'rows':>9}  {'copilot.db':>10}   {'baseline rows':>13}  "
          f"{'baseline db':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        kept = Settings(data_dir=Path(tmp) / "kept", http_port=None, retention_days=alert_days)
        base = Settings(data_dir=Path(tmp) / "base", http_port=None)
        async with open_runtime(kept) as rt, open_runtime(base) as rb:
            jobs = next(c for c in rt.components if isinstance(c, Housekeeping))
            t0 = 1_900_000_000.0
            for day in range(days):
                rows = day_rows(day, t0 + day * DAY)
                for engine in (rt.kernel.db, rb.kernel.db):
                    with engine.begin() as conn:
                        for name, batch in rows.items():
                            conn.execute(insert(tables[name]), batch)
                await jobs.run(now=t0 + (day + 1) * DAY)
                counts = []
                for engine in (rt.kernel.db, rb.kernel.db):
                    with engine.connect() as conn:
                        counts.append(sum(conn.execute(select(func.count()).select_from(
                            tables[n])).scalar() or 0 for n in rows))
                if day % 3 == 2 or day == days - 1:
                    print(f"  {day + 1:3d}  {counts[0]:9,}  {sqlite_mb(kept):7.1f} MB"
                          f"   {counts[1]:13,}  {sqlite_mb(base):8.1f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--chat-every", type=float, default=5.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--alert-days", type=float, default=7.0)
    parser.add_argument("--skip-run", action="store_true")
    parser.add_argument("--data", type=Path, default=None,
                        help="run on (and keep) this data dir instead of a temporary one")
    parser.add_argument("--skip-days", action="store_true")
    args = parser.parse_args()
    if not args.skip_run:
        soak(args.minutes, args.chat_every, args.data)
    if not args.skip_days:
        os.environ.setdefault("COPILOT_EMBEDDER", "hashing")
        asyncio.run(simulate(args.days, args.alert_days))


if __name__ == "__main__":
    main()
