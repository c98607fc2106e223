"""Health history, incidents and the SQL log sink."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class CheckRun(SQLModel, table=True):
    __tablename__ = "health_checks"
    id: int | None = Field(default=None, primary_key=True)
    component: str = Field(index=True)
    status: str  # ok | degraded | down
    latency_ms: float | None = None
    detail: str = ""
    at: float = Field(index=True)


class Incident(SQLModel, table=True):
    __tablename__ = "health_incidents"
    id: int | None = Field(default=None, primary_key=True)
    component: str = Field(index=True)
    status: str = "open"  # open | closed
    opened_at: float
    closed_at: float | None = None
    failures: int = 0
    last_error: str = ""
    decision_id: int | None = None
    silenced_until: float | None = None


class LogEntry(SQLModel, table=True):
    """Warnings and errors from every logger, redacted, for `recent_errors`."""

    __tablename__ = "log_entries"
    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    level: str = Field(index=True)
    component: str = Field(index=True)
    event: str
    data: str = "{}"
