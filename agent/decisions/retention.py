"""What the decisions component lets go of as it ages.

- Decisions nobody chose (expired, closed) and their audit events, after
  COPILOT_DECISION_RETENTION_DAYS (365). A decision whose choice the memory keeps
  (decided, auto, undone) stays: the vector memory is rebuilt from the SQL log and would
  forget it too, and it is what recommendations and the autopilot learn from.
- A resolved decision's LangGraph thread (its checkpoints), after
  COPILOT_DECISION_CHECKPOINT_DAYS (7) and once its undo window has closed: an answered
  interrupt is never resumed again. A pending decision's thread is never deleted; like
  every thread kept, it keeps only its latest checkpoint (where its interrupt waits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from agent.checkpoints import delete_threads, keep_latest, thread_activity
from core.decisions import Decision, DecisionEvent
from core.retention import Retention, cutoff, delete_ids
from memory.rebuild import REMEMBERED

BATCH = 2000


def prune_decisions(engine: Engine, before: float) -> int:
    d = Decision.__table__  # type: ignore[attr-defined]
    e = DecisionEvent.__table__  # type: ignore[attr-defined]
    gone = 0
    while True:
        with engine.connect() as conn:
            ids = list(conn.execute(select(d.c.id).where(
                d.c.status != "pending", d.c.status.not_in(REMEMBERED),
                func.coalesce(d.c.decided_at, d.c.created_at) < before).limit(BATCH)).scalars())
        if not ids:
            return gone
        with engine.connect() as conn:
            events = list(conn.execute(select(e.c.id).where(e.c.decision_id.in_(ids))).scalars())
        delete_ids(engine, DecisionEvent, events)
        gone += delete_ids(engine, Decision, ids) + len(events)


async def prune_decision_threads(engine: Engine, checkpointer: Any, now: float,
                                 before: float) -> int:
    """Delete the threads of decisions resolved before ``before`` whose undo has run out
    (and of decisions no longer in the log)."""
    import asyncio

    threads = [t for t in await thread_activity(checkpointer) if t.startswith("decision-")]
    ids = {int(t.removeprefix("decision-")): t for t in threads
           if t.removeprefix("decision-").isdigit()}
    if not ids:
        return 0
    d = Decision.__table__  # type: ignore[attr-defined]

    def still_needed() -> set[int]:
        with engine.connect() as conn:
            return set(conn.execute(select(d.c.id).where(d.c.id.in_(list(ids)), or_(
                d.c.status == "pending",
                func.coalesce(d.c.decided_at, d.c.created_at) >= before,
                and_(d.c.undo_until.is_not(None), d.c.undo_until >= now)))).scalars())

    keep = await asyncio.to_thread(still_needed)
    for i in keep:  # a raised or answered decision resumes from its latest checkpoint only
        await keep_latest(checkpointer, ids[i])
    return await delete_threads(checkpointer, [t for i, t in ids.items() if i not in keep])


def decision_retention(engine: Engine, checkpointer: Any, days: float,
                       checkpoint_days: float) -> list[Retention]:
    def rows(now: float) -> int:
        before = cutoff(now, days)
        return 0 if before is None else prune_decisions(engine, before)

    async def threads(now: float) -> int:
        before = cutoff(now, checkpoint_days)
        if before is None:
            return 0
        return await prune_decision_threads(engine, checkpointer, now, before)

    return [Retention("decisions", rows), Retention("decision_checkpoints", threads)]
