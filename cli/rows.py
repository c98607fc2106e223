"""Rows for the list commands, read straight from the database.

Building the runtime (LangGraph, chromadb, the LLM, every capability) takes seconds; a
list of alerts, decisions or drafts needs one query. On the default SQLite database the
alerts, decisions and drafts are read with Python's own ``sqlite3`` (importing SQLAlchemy and the
SQLModel tables alone costs more than the 0.6 s a list may take): the same query as the
service's list method, and rows that carry the columns the command shows. Anywhere else
(PostgreSQL via ``DATABASE_URL``), or when the quick read cannot be done (no such table
yet, a column an older version lacks), the services' own list methods run, on an object
that holds only the engine (those methods read nothing else), so the CLI shows exactly
what the tools and the chat show."""

from __future__ import annotations

from typing import Any

SQLITE = "sqlite:///"


class _Engine:
    """What a service's list method reads: ``self.sql``."""

    def __init__(self, sql: Any) -> None:
        self.sql = sql


def _engine(*tables: Any) -> _Engine:
    from cli.common import load_settings
    from core.storage import make_engine

    settings = load_settings()
    settings.ensure_dirs()
    # creates the table (and adds new columns) when this data dir has not got it yet,
    # as building the runtime would
    return _Engine(make_engine(settings.db_url, tables))


class Row:
    """One row of a quick read: its columns as attributes."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # the columns, for the type checker
        raise AttributeError(name)


def _quick(table: str, where: str, params: tuple[Any, ...], order: str,
           limit: int | None = None, columns: str = "*") -> list[Row] | None:
    """``SELECT columns FROM table`` on the default SQLite database with the stdlib
    driver; None when the database is another one or the read fails, e.g. a column an
    older version lacks (the caller then takes the service's path, which also creates or
    upgrades the table)."""
    import os
    import sqlite3

    from cli.common import load_settings

    url = load_settings().db_url
    if not url.startswith(SQLITE) or "?" in url:
        return None
    path = url.removeprefix(SQLITE)
    sql = f"SELECT {columns} FROM {table}{' WHERE ' + where if where else ''} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    if not os.path.isfile(path):  # creating the database is the service's job
        return None
    try:
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.row_factory = sqlite3.Row
            return [Row(dict(r)) for r in conn.execute(sql, params)]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


# what `alerts list` shows and ``rule_text`` reads, by name: a table from an older version
# without one of them fails the quick read, and the service's path upgrades it
ALERT_COLUMNS = ("id, symbol, condition, threshold, window_minutes, period, upper, frequency, "
                 "cooldown_s, active, snoozed_until, fire_count, note")


class AlertRow(Row):
    def describe(self) -> str:
        """``AlertRule.describe`` (tests/agent/test_cli_lists.py holds the two alike)."""
        from tools.alerts.wording import rule_text

        return rule_text(self)


def alert_rules(symbol: str | None, include_inactive: bool) -> list[Any]:
    """``AlertService.rules``: in id order, of ``symbol``, active ones unless
    ``include_inactive``."""
    where = [w for w, on in (("symbol = ?", symbol), ("active = 1", not include_inactive)) if on]
    rows = _quick("alert_rules", " AND ".join(where), (symbol.upper(),) if symbol else (), "id",
                  columns=ALERT_COLUMNS)
    if rows is not None:
        return [AlertRow(r.__dict__) for r in rows]
    from tools.alerts.models import AlertRule
    from tools.alerts.service import AlertService

    return AlertService.rules(_engine(AlertRule), symbol,  # type: ignore[arg-type]
                              include_inactive=include_inactive)


def recent_decisions(status: str | None, limit: int) -> list[Any]:
    """``DecisionRecords.recent``: newest first, at most ``limit``, of ``status``."""
    rows = _quick("decisions", "status = ?" if status else "", (status,) if status else (),
                  "id DESC", limit)
    if rows is not None:
        return rows
    from agent.decisions.records import DecisionRecords
    from core.decisions import Decision

    return DecisionRecords.recent(_engine(Decision), status, limit)  # type: ignore[arg-type]


class DraftRow(Row):
    def line(self, tz: str) -> str:
        """``ContentDraft.line``: '#3 [blog] NVDA earnings — scheduled for Tue 01 Dec 2026
        09:00 EST' (tests/agent/test_cli_lists.py holds the two to the same text)."""
        when = ""
        if self.status == "scheduled" and self.scheduled_for:
            from core.markettime import format_local

            when = " for " + format_local(self.scheduled_for, tz, year=True)
        return f"#{self.id} [{self.channel}] {self.title or self.topic} — {self.status}{when}"


def drafts(status: str | None) -> list[Any]:
    """``ContentService.drafts``: in id order, of ``status``."""
    rows = _quick("content_drafts", "status = ?" if status else "",
                  (status,) if status else (), "id")
    if rows is not None:
        return [DraftRow(r.__dict__) for r in rows]
    from tools.content.models import ContentDraft
    from tools.content.service import ContentService

    return ContentService.drafts(_engine(ContentDraft), status)  # type: ignore[arg-type]
