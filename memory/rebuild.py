"""Keeping the vector memory true to the SQL decision log, the source of truth.

``MemoryKeeper.ensure`` (run at start and whenever the memory reports a failure) checks
the store and mends it:

- a store that cannot be opened or read (its sqlite file overwritten, files deleted while
  running) is closed, moved aside as ``chroma.corrupt-<UTC stamp>`` (kept, never deleted)
  and recreated empty; a lock held by another process is only waited out;
- then every decided, autopilot-decided or undone decision of the log that the store lacks
  is embedded again with its chosen option (undone ones marked ``undone:<option>``, as
  ``mark_undone`` does), and entries the log does not have are dropped.

Its ``status`` is what the ``memory`` health check reports: "rebuilt 300 decisions from the
log at 05:40 EST", degraded while rebuilding, down while unusable."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.decisions import Decision
from core.markettime import DEFAULT_ZONE, format_local
from memory.decisions import DecisionMemory, entry
from memory.store import DB_FILE, client_is_stale, set_aside

log = structlog.get_logger(__name__)
REMEMBERED = ("decided", "auto", "undone")  # statuses whose choice the memory keeps
BATCH = 64


@dataclass
class MemoryStatus:
    state: str = "unknown"  # unknown | checking | rebuilding | degraded | ok | down
    detail: str = "not checked yet"
    remembered: int = 0
    rebuilt: int = 0  # decisions re-embedded from the log by the last rebuild
    rebuilt_at: float | None = None
    set_aside: Path | None = None  # where a damaged store was moved
    progress: tuple[int, int] = (0, 0)


class MemoryKeeper:
    def __init__(self, memory: DecisionMemory, sql: Engine,
                 clock: Callable[[], float] = time.time,
                 timezone: str = DEFAULT_ZONE) -> None:
        self.memory = memory
        self.timezone = timezone  # the owner's, for the times the health check shows
        self.sql = sql
        self.clock = clock
        self.status = MemoryStatus()
        self._synced_failures: int | None = None  # memory.failures at the last full sync
        self._reopened = False  # this pass had to reopen or recreate the store
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop a rebuild between batches (the process is stopping)."""
        self._cancelled.set()

    def resume(self) -> None:
        self._cancelled.clear()

    def _state(self, state: str, detail: str) -> None:
        self.status.state = self.memory.state = state
        self.status.detail = detail

    # ---- the store: open, or set aside and recreate --------------------------------------
    def _set_aside(self, why: str) -> bool:
        """Close the store and move its directory aside (kept); False when it cannot."""
        m = self.memory
        assert m.path is not None
        stamp = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y%m%d-%H%M%S")
        with m.lock:  # nobody reopens it halfway
            m.reset()
            try:
                moved = set_aside(m.path, stamp)
            except OSError as exc:
                self._state("down", f"vector memory is damaged ({why[:160]}) and could not "
                                    f"be moved aside ({exc}); retrying")
                return False
        self._reopened = True
        if moved is not None:
            self.status.set_aside = moved
            log.error("vector memory was damaged; moved aside and recreated", error=why,
                      kept_as=str(moved))
        return True

    def _open(self, repair: bool) -> bool:
        """Open the store and read every collection (counting the decisions in it); reopen
        it when its files changed underneath; with ``repair``, set it aside when it stays
        unreadable."""
        m = self.memory
        local = not m.host and m.path is not None
        if client_is_stale(str(m.path), m.host):
            log.warning("the vector store's files changed under it; reopening", path=str(m.path))
            with m.lock:
                m.reset()
            self._reopened = True
            if repair and local and m.path is not None and m.path.exists() \
                    and not (m.path / DB_FILE).exists():  # half deleted: keep the rest aside
                if not self._set_aside(f"its {DB_FILE} was deleted"):
                    return False
        error = ""
        for attempt in ("open", "reopen", "recreate") if repair else ("open",):
            if attempt == "reopen":
                with m.lock:
                    m.reset()
                self._reopened = True
            elif attempt == "recreate":
                if not local or "locked" in error.lower():
                    self._state("down", f"vector memory unavailable ({error[:200]}); retrying")
                    return False
                if not self._set_aside(error):
                    return False
            try:
                self.status.remembered = m.count()
                return True
            except Exception as exc:  # noqa: BLE001 - any failure: reopen, then set aside
                error = f"{type(exc).__name__}: {exc}"
        self._state("down", f"vector memory unusable even after recreating it "
                            f"({error[:160]}); retrying" if repair else
                    f"vector memory unavailable ({error[:200]})")
        return False

    # ---- the log -> the store ----------------------------------------------------------
    def _log(self) -> dict[int, tuple[str, str]]:
        """id -> (kind, status) of every decision whose choice the memory should keep."""
        with Session(self.sql) as s:
            rows = s.exec(select(Decision.id, Decision.kind, Decision.status)
                          .where(col(Decision.status).in_(REMEMBERED),
                                 col(Decision.chosen).is_not(None))).all()
        return {int(i): (k, st) for i, k, st in rows if i is not None}

    def _rows(self, ids: list[int]) -> list[Decision]:
        with Session(self.sql) as s:
            return list(s.exec(select(Decision).where(col(Decision.id).in_(ids))).all())

    def _entry(self, d: Decision) -> tuple[str, str, dict[str, Any]]:
        chosen = d.chosen or ""
        picked = d.option(chosen)
        text, meta = entry(decision_id=d.id or 0, kind=d.kind, title=d.title, context=d.context,
                           symbol=d.symbol, chosen=chosen,
                           chosen_label=picked.label if picked is not None else chosen,
                           decided_by=d.decided_by or "", outcome=d.outcome,
                           created_at=d.created_at)
        if d.status == "undone":
            meta["chosen"] = f"undone:{chosen}"
        return str(d.id), text, meta

    def sync(self) -> int:
        """Bring the store in line with the log; the number of decisions re-embedded."""
        m = self.memory
        wanted = self._log()
        kinds = {k for k, _ in wanted.values()} | set(m.kinds())
        have = {kind: m.store(kind).ids() for kind in kinds}
        missing = sorted(i for i, (k, _) in wanted.items() if str(i) not in have[k])
        total, done = len(missing), 0
        if total:
            self._state("rebuilding", f"rebuilding from the decision log: 0 of {total} decisions")
        for start in range(0, total, BATCH):
            if self._cancelled.is_set():
                return done
            batch = [self._entry(d) for d in self._rows(missing[start:start + BATCH])]
            by_kind: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
            for item in batch:
                by_kind.setdefault(item[2]["kind"], []).append(item)
            for kind, items in by_kind.items():
                vectors = m.embedder.embed([text for _, text, _ in items])
                with m.lock:
                    m.store(kind).add(ids=[i for i, _, _ in items],
                                      documents=[t for _, t, _ in items],
                                      metadatas=[meta for _, _, meta in items],
                                      embeddings=vectors)
            done += len(batch)
            self.status.progress = (done, total)
            self._state("rebuilding", f"rebuilding from the decision log: {done} of {total} "
                                      "decisions")
        self._mark_undone(wanted, have)
        self._drop_strays(wanted, have)
        return done

    def _mark_undone(self, wanted: dict[int, tuple[str, str]], have: dict[str, set[str]]) -> None:
        by_kind: dict[str, list[str]] = {}
        for i, (kind, status) in wanted.items():
            if status == "undone" and str(i) in have[kind]:
                by_kind.setdefault(kind, []).append(str(i))
        for kind, ids in by_kind.items():
            store = self.memory.store(kind)
            with self.memory.lock:
                metas = store.metadatas(ids)
                stale = {i: meta for i, meta in metas.items()
                         if not str(meta.get("chosen", "")).startswith("undone:")}
                for meta in stale.values():
                    meta["chosen"] = f"undone:{meta.get('chosen', '')}"
                if stale:
                    store.update_metadatas(list(stale), list(stale.values()))

    def _drop_strays(self, wanted: dict[int, tuple[str, str]], have: dict[str, set[str]]) -> None:
        """Entries whose decision the log does not hold (another database, a reset log)."""
        for kind, ids in have.items():
            stray = [i for i in ids if not i.isdigit() or int(i) not in wanted]
            if not stray:
                continue
            again = self._log()  # decided meanwhile? then it stays
            stray = [i for i in stray if not i.isdigit() or int(i) not in again]
            if stray:
                log.warning("dropping memory entries the decision log does not have",
                            kind=kind, count=len(stray))
                with self.memory.lock:
                    self.memory.store(kind).delete(stray)

    # ---- one pass ------------------------------------------------------------------------
    def _log_count(self) -> int:
        from sqlalchemy import func

        with Session(self.sql) as s:
            return int(s.exec(select(func.count()).select_from(Decision)
                              .where(col(Decision.status).in_(REMEMBERED),
                                     col(Decision.chosen).is_not(None))).one())

    def ensure(self, repair: bool = True) -> MemoryStatus:
        """Check the store; with ``repair`` (only the running instance), mend it: set a
        damaged one aside and rebuild whatever the log has that the store lacks. Cheap
        when nothing is wrong: a count of the log and of the store."""
        if self.status.state in ("unknown", "down"):
            self._state("checking", "checking the vector store")
        self._reopened = False
        if not self._open(repair):
            return self.status
        failures = self.memory.failures
        try:
            behind = self.status.remembered != self._log_count()
        except Exception as exc:  # noqa: BLE001 - the database is another check's business
            behind = False
            log.warning("could not count the decision log", error=str(exc))
        if repair and (behind or self._reopened or self._synced_failures != failures):
            try:
                rebuilt = self.sync()
                self.status.remembered = self.memory.count()
            except Exception as exc:  # noqa: BLE001 - reported, retried on the next pass
                log.exception("rebuilding the decision memory failed")
                self.memory.reset()
                self._state("down", f"rebuilding from the decision log failed "
                                    f"({type(exc).__name__}: {str(exc)[:160]}); retrying")
                return self.status
            self._synced_failures = failures
            if rebuilt:
                self.status.rebuilt, self.status.rebuilt_at = rebuilt, self.clock()
                log.warning("decision memory rebuilt from the log", decisions=rebuilt)
        elif behind:
            self._state("degraded", f"{self.status.remembered} decisions remembered, "
                                    f"{self._log_count()} in the decision log")
            return self.status
        self._state("ok", self._ok_detail())
        return self.status

    def _ok_detail(self) -> str:
        s = self.status
        text = f"{self.memory.embedder.name} embeddings, {s.remembered} decisions remembered"
        if s.rebuilt_at is not None:
            at = format_local(s.rebuilt_at, self.timezone, now=self.clock())
            text += f"; rebuilt {s.rebuilt} decisions from the log at {at}"
        if s.set_aside is not None:
            text += f"; the damaged store was kept as {s.set_aside.name}"
        return text
