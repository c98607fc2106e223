"""Rows for the list commands, read straight from the database.

Building the runtime (LangGraph, chromadb, the LLM, every capability) takes seconds; a
list of alerts, decisions or drafts needs one engine and one query. The queries are the
services' own list methods, called on an object that holds only the engine (those methods
read nothing else), so the CLI shows exactly what the tools and the chat show."""

from __future__ import annotations

from typing import Any


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


def alert_rules(symbol: str | None, include_inactive: bool) -> list[Any]:
    from tools.alerts.models import AlertRule
    from tools.alerts.service import AlertService

    return AlertService.rules(_engine(AlertRule), symbol,  # type: ignore[arg-type]
                              include_inactive=include_inactive)


def recent_decisions(status: str | None, limit: int) -> list[Any]:
    from agent.decisions.records import DecisionRecords
    from core.decisions import Decision

    return DecisionRecords.recent(_engine(Decision), status, limit)  # type: ignore[arg-type]


def drafts(status: str | None) -> list[Any]:
    from tools.content.models import ContentDraft
    from tools.content.service import ContentService

    return ContentService.drafts(_engine(ContentDraft), status)  # type: ignore[arg-type]
