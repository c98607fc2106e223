"""Health history and incidents. (The SQL log sink's table is the kernel's: core.logs.)"""

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
    decision_id: int | None = None  # the first decision it raised
    fingerprint: str = ""  # what kind of failure (the detail without its varying numbers)
    notified_at: float | None = None  # when the owner was last told it is down
