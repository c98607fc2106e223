"""Checkpoint storage that stays bounded: after each turn a thread keeps only its latest
checkpoint(s) (``keep_latest``), and threads nobody used for a while are deleted
(``delete_idle``). LangGraph's savers declare ``prune(thread_ids, strategy="keep_latest")``
and ``delete_thread``; the SQLite saver implements only the latter, so ``keep_latest``
does the same in SQL on its tables when the saver's own ``aprune`` is missing.

Keeping only the latest checkpoint is safe here: our graphs use no ``DeltaChannel`` (the
messages channel stores its whole value in every checkpoint), a thread is resumed from its
latest checkpoint and that checkpoint's pending writes (an interrupt's), and nothing reads
a thread's history (``get_state_history``)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver

log = structlog.get_logger(__name__)

# uuid6 (the checkpoint ids) counts 100 ns steps since 1582-10-15
_UUID_EPOCH = 0x01B21DD213814000


def checkpoint_time(checkpoint_id: str) -> float:
    """When a checkpoint was written (unix seconds), read from its uuid6 id."""
    value = int(checkpoint_id.replace("-", ""), 16)
    ticks = ((value >> 80) << 12) | ((value >> 64) & 0x0FFF)
    return (ticks - _UUID_EPOCH) / 1e7


def _sqlite(saver: Any) -> bool:
    return hasattr(saver, "conn") and hasattr(saver, "lock") and \
        type(saver).__module__.startswith("langgraph.checkpoint.sqlite")


def _own_prune(saver: Any) -> bool:
    return type(saver).aprune is not BaseCheckpointSaver.aprune


async def keep_latest(saver: Any, thread_id: str, keep: int = 1) -> int:
    """Delete all but the ``keep`` latest checkpoints of ``thread_id`` (per namespace),
    with their writes; how many checkpoints went. ``keep`` 0 keeps everything."""
    if keep <= 0:
        return 0
    if _sqlite(saver):
        await saver.setup()
        async with saver.lock:
            cur = await saver.conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id NOT IN ("
                " SELECT checkpoint_id FROM ("
                "  SELECT checkpoint_id, ROW_NUMBER() OVER ("
                "   PARTITION BY checkpoint_ns ORDER BY checkpoint_id DESC) AS n"
                "  FROM checkpoints WHERE thread_id = ?) WHERE n <= ?)",
                (thread_id, thread_id, keep))
            gone = cur.rowcount
            await saver.conn.execute(
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id NOT IN ("
                " SELECT checkpoint_id FROM checkpoints WHERE thread_id = ?)",
                (thread_id, thread_id))
            await saver.conn.commit()
        return int(gone or 0)
    if _own_prune(saver) and keep == 1:
        await saver.aprune([thread_id], strategy="keep_latest")
    return 0


async def thread_activity(saver: Any) -> dict[str, float]:
    """Every thread with the time of its latest checkpoint (SQLite saver; others: {})."""
    if not _sqlite(saver):
        return {}
    await saver.setup()
    async with saver.lock:
        cur = await saver.conn.execute(
            "SELECT thread_id, MAX(checkpoint_id) FROM checkpoints GROUP BY thread_id")
        rows = await cur.fetchall()
    return {str(thread): checkpoint_time(str(last)) for thread, last in rows}


async def delete_threads(saver: Any, thread_ids: Iterable[str]) -> int:
    count = 0
    for thread in thread_ids:
        await saver.adelete_thread(thread)
        count += 1
    return count


async def delete_idle(saver: Any, idle_s: float, now: float | None = None,
                      skip: tuple[str, ...] = ("decision-",)) -> int:
    """Delete the threads whose latest checkpoint is older than ``idle_s`` (0: none),
    except those whose id starts with one of ``skip`` (decisions have their own rule)."""
    if idle_s <= 0:
        return 0
    now = time.time() if now is None else now
    idle = [t for t, at in (await thread_activity(saver)).items()
            if at < now - idle_s and not t.startswith(skip)]
    if idle:
        log.info("deleting idle conversation threads", threads=len(idle))
    return await delete_threads(saver, idle)


def conversation_retention(saver: Any, idle_days: float) -> Any:
    """The rule that deletes conversation threads idle for COPILOT_THREAD_IDLE_DAYS."""
    from core.retention import DAY_S, Retention

    async def prune(now: float) -> int:
        return await delete_idle(saver, idle_days * DAY_S, now)

    return Retention("conversation_threads", prune)
