"""Retention: what the co-pilot lets go of as it ages, so every table stays bounded.

Each capability declares its own rules (``Capability.retention()``): a name and a
``prune(now)`` that deletes, or rolls up, its own old rows and returns how many went.
A rule never deletes a pending or undelivered row (an unsent notification, a pending
decision). ``core.housekeeping`` runs every rule once a day. The ages are settings
(``COPILOT_RETENTION_DAYS`` and friends, 0 keeps forever); see docs/RUNNING.md."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

DAY_S = 86400.0
BATCH = 5000  # rows per delete: short transactions, the one SQLite writer is never held long


@dataclass
class Retention:
    """One rule: ``prune(now)`` removes what is too old and says how many rows went
    (a coroutine function for async work, e.g. the checkpointer; else run in a thread)."""

    name: str
    prune: Callable[[float], int] | Callable[[float], Awaitable[int]]


def cutoff(now: float, days: float) -> float | None:
    """The time before which rows go, or None when ``days`` is 0 (keep forever)."""
    return None if days <= 0 else now - days * DAY_S


def delete_where(engine: Engine, model: type[SQLModel], condition: Any,
                 batch: int = BATCH) -> int:
    """Delete ``model``'s rows matching ``condition``, ``batch`` at a time (SQLite and
    PostgreSQL alike: ``DELETE ... WHERE id IN (SELECT id ... LIMIT n)``)."""
    table = model.__table__  # type: ignore[attr-defined]
    total = 0
    while True:
        ids = select(table.c.id).where(condition).limit(batch)
        with engine.begin() as conn:
            gone = conn.execute(delete(table).where(table.c.id.in_(ids))).rowcount or 0
        total += gone
        if gone < batch:
            return total


def delete_ids(engine: Engine, model: type[SQLModel], ids: list[int],
               batch: int = 500) -> int:
    """Delete ``model``'s rows by id (in batches that fit any driver's parameter limit)."""
    table = model.__table__  # type: ignore[attr-defined]
    total = 0
    with engine.begin() as conn:
        for i in range(0, len(ids), batch):
            total += conn.execute(delete(table).where(
                table.c.id.in_(ids[i:i + batch]))).rowcount or 0
    return total
