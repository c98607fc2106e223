"""`copilot run` against real faults, with real processes and a local webhook receiver.

1. kills: `copilot run` (headless) is SIGKILLed N times (default 20) while rules fire
   continuously; after a last clean run drains the outbox, every firing in the database is
   looked up at the receiver: lost / duplicated, for a receiver that honours
   Idempotency-Key and for one that ignores it.
2. outage: the webhook answers 503 for OUTAGE seconds (default 300) while rules fire, then
   recovers: how many firings were lost once the outbox drains.
3. two instances: a second `copilot run` on the same data, started N times while the first
   runs: how many were refused, with which exit code, and how fast.

    .venv/bin/python bench/faults.py [--kills 20] [--outage 300] [--only kills|outage|two]
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import Session, select  # noqa: E402

from core.storage import make_engine  # noqa: E402
from tests.helpers.webhook import WebhookReceiver  # noqa: E402
from tools.alerts.capability import AlertsCapability  # noqa: E402
from tools.alerts.models import Firing, Notification  # noqa: E402

SYMBOLS = ["AAPL", "MSFT", "NVDA"]


def env(data: Path, hook: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COPILOT_DATA_DIR": str(data),
            "COPILOT_ALERT_WEBHOOK_URL": hook, "COPILOT_TICK_INTERVAL": "0.1",
            "COPILOT_ALERT_COOLDOWN": "0.5", "COPILOT_ALERT_GROUP_WAIT": "0",
            "COPILOT_EMBEDDER": "hashing", "COPILOT_LOG_LEVEL": "WARNING", **extra}


def copilot(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli", *args]


def add_rules(e: dict[str, str]) -> None:
    for symbol in SYMBOLS:  # fire on every tick, re-armed after the cooldown
        subprocess.run(copilot("alerts", "add", symbol, "above", "1", "--frequency",
                               "every_time"), env=e, check=True, capture_output=True)


def start(e: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(copilot("run", "--no-console"), env=e, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def drain(e: dict[str, str], data: Path, timeout: float) -> None:
    """A last clean run until nothing is left to deliver, then SIGTERM."""
    proc = start(e)
    db = make_engine(f"sqlite:///{data / 'copilot.db'}", AlertsCapability.tables)
    deadline = time.time() + timeout
    time.sleep(3)
    while time.time() < deadline:
        with Session(db) as s:
            open_ = s.exec(select(Notification).where(Notification.status == "pending")).all()
        if not open_:
            break
        time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    db.dispose()


def pause_rules(e: dict[str, str], data: Path) -> None:
    db = make_engine(f"sqlite:///{data / 'copilot.db'}", AlertsCapability.tables)
    with Session(db) as s:
        from tools.alerts.models import AlertRule

        for rule in s.exec(select(AlertRule)).all():
            rule.active = False
            s.add(rule)
        s.commit()
    db.dispose()


def tally(data: Path, hook: WebhookReceiver) -> tuple[int, int, int, int, int]:
    db = make_engine(f"sqlite:///{data / 'copilot.db'}", AlertsCapability.tables)
    with Session(db) as s:
        firings = [f.id for f in s.exec(select(Firing)).all()]
    db.dispose()
    honoured = collections.Counter(hook.accepted_firings())
    ignored = collections.Counter(hook.received_firings())
    lost_h = sum(1 for f in firings if honoured[f] == 0)
    dup_h = sum(1 for f in firings if honoured[f] > 1)
    lost_i = sum(1 for f in firings if ignored[f] == 0)
    dup_i = sum(1 for f in firings if ignored[f] > 1)
    return len(firings), lost_h, dup_h, lost_i, dup_i


def kills(n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver(delay_s=0.05) as hook:
        data = Path(tmp) / "data"
        e = env(data, hook.url)
        add_rules(e)
        for _ in range(n):
            proc = start(e)
            time.sleep(rng.uniform(3.0, 5.0))  # start-up (~2 s) + firing and delivering
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        pause_rules(e, data)
        drain(e, data, timeout=120)
        total, lost_h, dup_h, lost_i, dup_i = tally(data, hook)
    print(f"kills: {n} SIGKILLs of copilot run during continuous firing, {total} firings "
          f"committed, {len(hook.requests)} webhook requests")
    print(f"  receiver honouring Idempotency-Key: lost {lost_h}, duplicated {dup_h}")
    print(f"  receiver ignoring the key:          lost {lost_i}, duplicated {dup_i} "
          "(each a resend of the message in flight when the process died)")


def outage(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver() as hook:
        data = Path(tmp) / "data"
        e = env(data, hook.url, COPILOT_ALERT_COOLDOWN="5")
        add_rules(e)
        hook.down = True
        proc = start(e)
        t0 = time.time()
        time.sleep(seconds)
        hook.down = False
        pause_rules(e, data)
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        drain(e, data, timeout=seconds + 120)
        total, lost_h, dup_h, *_ = tally(data, hook)
        print(f"outage: webhook answered 503 for {seconds:.0f} s; {total} firings committed; "
              f"after recovery all drained in {time.time() - t0 - seconds:.0f} s: "
              f"lost {lost_h}, duplicated {dup_h}")


def two(n: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp, WebhookReceiver() as hook:
        data = Path(tmp) / "data"
        e = env(data, hook.url)
        first = start(e)
        time.sleep(4)
        codes, times = [], []
        for _ in range(n):
            t0 = time.perf_counter()
            out = subprocess.run(copilot("run", "--no-console"), env=e, capture_output=True,
                                 text=True, stdin=subprocess.DEVNULL, timeout=60)
            times.append(time.perf_counter() - t0)
            codes.append(out.returncode)
        still = first.poll() is None
        first.send_signal(signal.SIGTERM)
        first.wait(30)
        print(f"two instances: {codes.count(1)} of {n} second starts refused with exit 1 "
              f"(max {max(times):.1f} s, mean {sum(times) / n:.1f} s, start-up included); "
              f"first still running: {still}; message: {out.stderr.strip()[:110]}…")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--outage", type=float, default=300.0)
    ap.add_argument("--only", choices=["kills", "outage", "two"])
    args = ap.parse_args()
    if args.only in (None, "two"):
        two()
    if args.only in (None, "kills"):
        kills(args.kills)
    if args.only in (None, "outage"):
        outage(args.outage)


if __name__ == "__main__":
    main()
