"""Every growing table is bounded by the daily housekeeping job: old rows go, pending and
undelivered ones stay; health results are rolled up hourly beyond a week; the hot
queries have their indexes (also added to a database an older version created)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from agent.runtime import open_runtime
from core.decisions import Decision, DecisionEvent
from core.housekeeping import Housekeeping
from core.logs import LogEntry
from core.settings import Settings
from core.storage import create_tables, make_engine
from tools.alerts.console import ConsoleNotice
from tools.alerts.models import Delivery, Firing, Notification
from tools.health.models import CheckRun, Incident

DAY = 86400.0
NOW = 1_900_000_000.0  # the clock moved: "now" is far in the future


def housekeeping(rt) -> Housekeeping:
    return next(c for c in rt.components if isinstance(c, Housekeeping))


_SEQ = iter(range(1, 10**9))


def add_alert_rows(db, at: float, status: str, n: int = 1, claimed: bool = True) -> list[int]:
    firings = []
    with Session(db) as s:
        for _ in range(n):
            note = Notification(target="console", symbol="AAPL", body=json.dumps({}),
                                status=status, created_at=at)
            s.add(note)
            s.flush()
            firing = Firing(rule_id=next(_SEQ), symbol="AAPL", price=1.0, tick_ts=at,
                            message="m", created_at=at)
            s.add(firing)
            s.flush()
            s.add(Delivery(firing_id=firing.id, target="console", symbol="AAPL", created_at=at,
                           notification_id=note.id if claimed else None))
            firings.append(firing.id)
        s.commit()
    return firings


def count(db, model, *where) -> int:
    with Session(db) as s:
        return len(s.exec(select(model).where(*where)).all())


async def test_alert_rows_beyond_retention_go_but_undelivered_ones_stay(settings):
    async with open_runtime(settings) as rt:
        db = rt.kernel.db
        old = NOW - 100 * DAY
        sent_old = add_alert_rows(db, old, "sent", n=3)
        pending_old = add_alert_rows(db, old, "pending")
        dead_old = add_alert_rows(db, old, "dead")
        unclaimed_old = add_alert_rows(db, old, "sent", claimed=False)
        sent_new = add_alert_rows(db, NOW - DAY, "sent")
        with Session(db) as s:
            s.add(ConsoleNotice(key="a", text="old", created_at=old, shown_at=old))
            s.add(ConsoleNotice(key="b", text="new", created_at=NOW - DAY))
            s.commit()
        report = await housekeeping(rt).run(NOW)
        assert report["alerts"] > 0
        left = {f.id for f in Session(db).exec(select(Firing)).all()}
        assert not set(sent_old) & left
        assert {*pending_old, *dead_old, *unclaimed_old, *sent_new} <= left
        statuses = sorted(n.status for n in Session(db).exec(select(Notification)).all())
        # the unclaimed delivery's notification row was sent (nothing points at it)
        assert statuses == ["dead", "pending", "sent"]
        assert count(db, Delivery, Delivery.notification_id == None) == 1  # noqa: E711
        assert [c.text for c in Session(db).exec(select(ConsoleNotice)).all()] == ["new"]


async def test_health_results_are_rolled_up_hourly_beyond_a_week(settings):
    async with open_runtime(settings) as rt:
        db = rt.kernel.db
        with Session(db) as s:
            for minute in range(0, 60 * 24 * 10, 10):  # ten days, one result every 10 min
                at = NOW - 10 * DAY + minute * 60
                status = "down" if minute % 600 == 0 else "ok"
                s.add(CheckRun(component="db", status=status, latency_ms=10.0, at=at,
                               detail="boom" if status == "down" else ""))
            s.add(CheckRun(component="db", status="ok", at=NOW - 200 * DAY))  # beyond 90 days
            s.add(Incident(component="db", status="closed", opened_at=NOW - 200 * DAY,
                           closed_at=NOW - 199 * DAY))
            s.add(Incident(component="db", status="open", opened_at=NOW - 200 * DAY))
            s.commit()
        await housekeeping(rt).run(NOW)
        rows = Session(db).exec(select(CheckRun).order_by(CheckRun.id)).all()
        hourly = [r for r in rows if r.hourly]
        raw = [r for r in rows if not r.hourly]
        assert all(r.at >= NOW - 7 * DAY - 3600 for r in raw)
        assert all(r.at >= NOW - 90 * DAY for r in rows)
        # three days folded into hours of six results each
        assert 70 <= len(hourly) <= 74 and all(r.samples == 6 for r in hourly[1:-1])
        assert any(r.status == "down" and "boom" in r.detail for r in hourly)
        assert [r.id for r in rows] == sorted(r.id for r in rows)
        assert max(r.at for r in hourly) < min(r.at for r in raw)  # id order is time order
        # a second run finds nothing more to fold
        again = await housekeeping(rt).run(NOW)
        assert again["health"] == 0
        assert [i.status for i in Session(db).exec(select(Incident)).all()] == ["open"]


async def test_old_unanswered_decisions_go_with_their_events(settings):
    async with open_runtime(settings) as rt:
        db = rt.kernel.db
        with Session(db) as s:
            rows = [Decision(kind="briefing", title=t, status=st, chosen=ch,
                             created_at=NOW - 400 * DAY, decided_at=NOW - 400 * DAY)
                    for t, st, ch in [("expired", "expired", None), ("chosen", "decided", "a"),
                                      ("pending", "pending", None)]]
            rows.append(Decision(kind="briefing", title="recent", status="expired",
                                 created_at=NOW - DAY))
            s.add_all(rows)
            s.flush()
            for d in rows:
                s.add(DecisionEvent(decision_id=d.id, at=d.created_at, event="raised"))
            s.add(LogEntry(at=NOW - 40 * DAY, level="error", component="x", event="old"))
            s.add(LogEntry(at=NOW - DAY, level="error", component="x", event="new"))
            s.commit()
        await housekeeping(rt).run(NOW)
        titles = sorted(d.title for d in Session(db).exec(select(Decision)).all())
        assert titles == ["chosen", "pending", "recent"]
        assert count(db, DecisionEvent) == 3
        assert [e.event for e in Session(db).exec(select(LogEntry)).all()] == ["new"]


async def test_zero_days_keeps_everything(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", http_port=None, retention_days=0)
    async with open_runtime(settings) as rt:
        add_alert_rows(rt.kernel.db, NOW - 1000 * DAY, "sent")
        report = await housekeeping(rt).run(NOW)
        assert report["alerts"] == 0 and count(rt.kernel.db, Firing) == 1


async def test_housekeeping_is_a_daily_scheduled_job(settings):
    async with open_runtime(settings) as rt:
        plan = {p.name: p for p in await rt.job_plan()}
    assert "housekeeping" in plan and plan["housekeeping"].next_run is not None


def test_the_dispatchers_wake_up_query_uses_its_index(settings):
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL checks the index exists")
    db = make_engine(settings.db_url, [Firing, Delivery, Notification])
    with db.connect() as conn:
        due = " ".join(r[-1] for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT * FROM alert_notifications WHERE status = 'pending' "
            "AND next_attempt_at <= 5 ORDER BY id")))
        soonest = " ".join(r[-1] for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT min(next_attempt_at) FROM alert_notifications "
            "WHERE status = 'pending'")))
        unclaimed = " ".join(r[-1] for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT min(created_at) FROM alert_deliveries "
            "WHERE notification_id IS NULL")))
    assert "ix_alert_notifications_status_next" in due
    assert "ix_alert_notifications_status_next" in soonest
    assert "ix_alert_deliveries_claim" in unclaimed


def test_indexes_are_added_to_a_database_an_older_version_made(settings):
    db = make_engine(settings.db_url)
    with db.begin() as conn:  # the table as an older version created it: no new indexes
        conn.execute(text("CREATE TABLE alert_notifications (id INTEGER PRIMARY KEY, "
                          "target VARCHAR NOT NULL, symbol VARCHAR NOT NULL, body VARCHAR "
                          "NOT NULL, status VARCHAR NOT NULL, attempts INTEGER NOT NULL, "
                          "next_attempt_at FLOAT NOT NULL, last_error VARCHAR NOT NULL, "
                          "created_at FLOAT NOT NULL, sent_at FLOAT)"))
    create_tables(db, [Notification, CheckRun])
    names = {i["name"] for i in inspect(db).get_indexes("alert_notifications")}
    assert {"ix_alert_notifications_status_next", "ix_alert_notifications_created_at"} <= names
    create_tables(db, [Notification])  # a second start adds nothing and fails nothing


async def test_decision_threads_shrink_and_resolved_ones_go(settings):
    import sqlite3
    import time
    from types import SimpleNamespace

    from agent.checkpoints import thread_activity
    from core.auth import Caller

    async with open_runtime(settings) as rt:
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="cross_above",
                                                 threshold=250)

        def fired(n: int) -> SimpleNamespace:
            return SimpleNamespace(firing_id=n, rule_id=rule.id, symbol="TSLA", price=251.0,
                                   ts=1795530600.0 + n, condition="cross_above",
                                   threshold=250.0, note="", message=f"TSLA crossed {n}")

        answered = await rt.alerts.on_fired(fired(1))
        await rt.decisions.decide(answered.id, "dismiss", Caller.local_owner())
        pending = await rt.alerts.on_fired(fired(2))
        assert pending.status == "pending" and pending.id != answered.id
        # a week later for the answered one; now for the pending one
        report = await housekeeping(rt).run(time.time() + 8 * DAY)
        assert report["decision_checkpoints"] == 1
        threads = await thread_activity(rt.checkpointer)
        assert f"decision-{answered.id}" not in threads and f"decision-{pending.id}" in threads
        with sqlite3.connect(settings.checkpoint_path) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?",
                                (f"decision-{pending.id}",)).fetchone()[0]
        assert rows == 1
        # still answerable from its one checkpoint
        done = await rt.decisions.decide(pending.id, "snooze", Caller.local_owner())
        assert done.status == "decided" and "Snoozed" in done.outcome
