"""The alert dispatcher's wake-up cost as notifications pile up.

    .venv/bin/python bench/dispatcher.py [--sizes 0,100000,1000000] [--db-url URL]

A wake-up is what the dispatcher does each time it is woken or its timer runs out:
claim unclaimed deliveries, find the next moment something is due, read what is due now.
The table holds N delivered notifications (and their deliveries) plus a few pending ones
retrying later, as after months of use. Each size is measured with the indexes
(``ix_alert_notifications_status_next``, ``ix_alert_deliveries_claim``) and, in the same
run, with them dropped (the baseline: the schema before #19). SQLite in a temporary
directory by default; ``--db-url`` takes an empty PostgreSQL database. Goal: flat from 0
to 1M. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHUNK = 50_000
WAKE_INDEXES = ("ix_alert_notifications_status_next", "ix_alert_deliveries_claim")


def fill(engine, start: int, stop: int) -> None:
    """Delivered notifications ``start``..``stop`` with one delivery each (raw inserts)."""
    from sqlalchemy import insert

    from tools.alerts.models import Delivery, Notification

    body = json.dumps({"symbol": "AAPL", "text": "AAPL crossed above 200", "firings": []})
    for lo in range(start, stop, CHUNK):
        hi = min(stop, lo + CHUNK)
        notes = [{"id": i + 1, "target": "console", "symbol": "AAPL", "body": body,
                  "status": "sent", "attempts": 1, "next_attempt_at": float(i),
                  "last_error": "", "created_at": float(i), "sent_at": float(i)}
                 for i in range(lo, hi)]
        deliveries = [{"id": i + 1, "firing_id": i + 1, "target": "console", "symbol": "AAPL",
                       "created_at": float(i), "notification_id": i + 1} for i in range(lo, hi)]
        with engine.begin() as conn:
            conn.execute(insert(Notification.__table__), notes)  # type: ignore[attr-defined]
            conn.execute(insert(Delivery.__table__), deliveries)  # type: ignore[attr-defined]


def add_retrying(engine, now: float) -> None:
    """A few notifications whose target failed: pending, next attempt later."""
    from sqlmodel import Session

    from tools.alerts.models import Notification

    with Session(engine) as s:
        for i in range(10):
            s.add(Notification(id=10_000_000 + i, target="console", symbol="MSFT", body="{}",
                               status="pending", attempts=3, next_attempt_at=now + 600 + i,
                               created_at=now))
        s.commit()


def wake_ms(engine, now: float, runs: int = 30) -> float:
    from tools.alerts.dispatcher import Dispatcher

    d = Dispatcher(engine, {}, clock=lambda: now)
    times = []
    for i in range(runs + 5):  # the first few warm the caches
        t0 = time.perf_counter()
        d.claim()
        d._next_due()
        d._due("console")
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def set_indexes(engine, present: bool) -> None:
    from tools.alerts.models import Delivery, Notification

    for model in (Notification, Delivery):
        for index in model.__table__.indexes:  # type: ignore[attr-defined]
            if index.name in WAKE_INDEXES:
                if present:
                    index.create(engine, checkfirst=True)
                else:
                    index.drop(engine, checkfirst=True)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE alert_notifications")
            conn.exec_driver_sql("ANALYZE alert_deliveries")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,100000,1000000")
    parser.add_argument("--db-url", default=None, help="an empty database (default: SQLite)")
    args = parser.parse_args()
    from core.storage import create_tables, make_engine
    from tools.alerts.models import Delivery, Firing, Notification

    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db_url or f"sqlite:///{tmp}/copilot.db"
        engine = make_engine(url)
        create_tables(engine, [Firing, Delivery, Notification])
        now = 2_000_000_000.0
        add_retrying(engine, now)
        print(f"dispatcher wake-up (claim + next due + due now), median of 30, "
              f"{engine.dialect.name}")
        print(f"  {'notifications':>13}  {'indexed':>10}  {'baseline (no index)':>20}")
        have = 0
        for size in sizes:
            t0 = time.perf_counter()
            fill(engine, have, size)
            have = max(have, size)
            built = time.perf_counter() - t0
            set_indexes(engine, True)
            indexed = wake_ms(engine, now)
            set_indexes(engine, False)
            baseline = wake_ms(engine, now)
            set_indexes(engine, True)
            print(f"  {size:>13,}  {indexed:>7.2f} ms  {baseline:>17.2f} ms"
                  f"   (rows built in {built:.0f} s)")
        engine.dispose()


if __name__ == "__main__":
    main()
