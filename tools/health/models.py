"""Health history and incidents. (The SQL log sink's table is the kernel's: core.logs.)"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class CheckRun(SQLModel, table=True):
    """One check's result; beyond COPILOT_HEALTH_RAW_DAYS one row per component and hour
    (``hourly``: ``samples`` results, the worst status, the mean latency)."""

    __tablename__ = "health_checks"
    # a component's latest results (history, sparkline); the roll-up walks by age
    __table_args__ = (Index("ix_health_checks_component_id", "component", "id"),
                      Index("ix_health_checks_hourly_at", "hourly", "at"))
    id: int | None = Field(default=None, primary_key=True)
    component: str = Field(index=True)
    status: str  # ok | degraded | down
    latency_ms: float | None = None
    detail: str = ""
    at: float = Field(index=True)
    samples: int = 1
    hourly: bool = False


class Incident(SQLModel, table=True):
    __tablename__ = "health_incidents"
    id: int | None = Field(default=None, primary_key=True)
    component: str = Field(index=True)
    status: str = "open"  # open | closed
    opened_at: float
    closed_at: float | None = None
    failures: int = 0
    last_error: str = ""
    decision_id: int | None = None  # the first decision it raised
    fingerprint: str = ""  # what kind of failure (the detail without its varying numbers)
    notified_at: float | None = None  # when the owner was last told it is down
