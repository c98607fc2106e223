"""Memory of past choices: every resolved decision, embedded with its choice, so new
decisions can cite similar ones and autopilot can see whether the owner is consistent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from core.decisions import FAILED
from core.errors import ProviderError
from memory.embeddings import Embedder
from memory.store import Recalled, VectorMemory, close_client

log = structlog.get_logger(__name__)


class MemoryUnavailable(ProviderError):
    """The vector store cannot be read right now (it is rebuilt from the decision log)."""


@dataclass
class PastChoice:
    decision_id: int
    similarity: float
    kind: str
    symbol: str | None
    chosen: str
    chosen_label: str
    decided_by: str
    created_at: float
    text: str
    failed: bool = False  # the chosen option's action did not work

    @property
    def undone(self) -> bool:
        return self.chosen.startswith("undone:")

    @property
    def option(self) -> str:
        """The option chosen, undone or not."""
        return self.chosen.removeprefix("undone:")


def describe_symbol(symbol: str | None) -> str:
    """'TSLA (Tesla, Inc.)': the company name helps 'mute Tesla' find 'TSLA'."""
    if not symbol:
        return ""
    from core.symbols import UNIVERSE

    row = UNIVERSE.get(symbol)
    return f"{symbol} ({row[0]})" if row else symbol


def decision_text(kind: str, title: str, context: str, symbol: str | None) -> str:
    """What is embedded for a decision before it is decided (used as the query too)."""
    subject = describe_symbol(symbol)
    head = f"{kind.replace('_', ' ')}"
    first = context.strip().splitlines()[0] if context.strip() else ""
    return " ".join(p for p in (head + ":", subject, title, first) if p)


def entry(*, decision_id: int, kind: str, title: str, context: str, symbol: str | None,
          chosen: str, chosen_label: str, decided_by: str, outcome: str,
          created_at: float) -> tuple[str, dict[str, Any]]:
    """What is stored for a resolved decision: its text (embedded) and its metadata."""
    text = f"{decision_text(kind, title, context, symbol)} Chose: {chosen_label}."
    return text, {"decision_id": decision_id, "kind": kind, "symbol": symbol,
                  "chosen": chosen, "chosen_label": chosen_label, "decided_by": decided_by,
                  "outcome": outcome[:500], "created_at": created_at,
                  "failed": outcome.startswith(FAILED)}


class DecisionMemory:
    """One chroma collection per decision kind: a metadata filter over one big collection
    costs ~60 ms at 100k decisions, a search in the kind's own collection ~2 ms.

    The SQL decision log is the source of truth; this is an index over it that can be
    rebuilt at any time (``memory/rebuild.py``). So writing to it never fails a decision:
    ``remember`` and ``mark_undone`` log a failure, count it and call ``on_failure`` (the
    next rebuild fills the gap); reading raises ``MemoryUnavailable``."""

    def __init__(self, embedder: Embedder, path: Path | None = None,
                 host: str | None = None) -> None:
        self.embedder = embedder
        self.path = path
        self.host = host
        self._stores: dict[str, VectorMemory] = {}
        self.lock = threading.RLock()  # a reset never swaps the store under a call
        self.state = "unknown"  # set by the keeper: unknown | checking | rebuilding | ok | down
        self.failures = 0
        self.last_error = ""
        self.on_failure: Callable[[Exception], None] | None = None

    def store(self, kind: str) -> VectorMemory:
        with self.lock:
            if kind not in self._stores:
                self._stores[kind] = VectorMemory(
                    self.embedder, path=self.path, host=self.host,
                    collection=f"decisions-{kind.replace('_', '-')}")
            return self._stores[kind]

    def reset(self) -> None:
        """Drop every open handle: the next use opens the store afresh."""
        with self.lock:
            self._stores.clear()
            close_client(str(self.path), self.host)

    def _failed(self, what: str, exc: Exception) -> None:
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("decision memory failed", operation=what, error=self.last_error)
        if self.on_failure is not None:
            try:
                self.on_failure(exc)
            except Exception:  # noqa: BLE001 - a notification must not fail the caller
                log.exception("decision memory failure hook failed")

    def remember(self, *, decision_id: int, kind: str, title: str, context: str,
                 symbol: str | None, chosen: str, chosen_label: str, decided_by: str,
                 outcome: str, created_at: float) -> bool:
        """Store one resolved decision; False (logged, retried by the next rebuild) when
        the store cannot take it. Never raises."""
        text, meta = entry(decision_id=decision_id, kind=kind, title=title, context=context,
                           symbol=symbol, chosen=chosen, chosen_label=chosen_label,
                           decided_by=decided_by, outcome=outcome, created_at=created_at)
        try:
            vectors = self.embedder.embed([text])
            with self.lock:
                self.store(kind).add(ids=[str(decision_id)], documents=[text], metadatas=[meta],
                                     embeddings=vectors)
        except Exception as exc:  # noqa: BLE001 - the log is the truth; the rebuild catches up
            self._failed("remember", exc)
            return False
        return True

    def mark_undone(self, decision_id: int, kind: str) -> bool:
        """An undone choice counts as disagreement from now on. Never raises."""
        try:
            with self.lock:
                store = self.store(kind)
                meta = store.metadatas([str(decision_id)]).get(str(decision_id))
                if meta is not None and not str(meta.get("chosen", "")).startswith("undone:"):
                    meta["chosen"] = f"undone:{meta.get('chosen', '')}"
                    store.update_metadatas([str(decision_id)], [meta])
        except Exception as exc:  # noqa: BLE001 - the log is the truth; the rebuild catches up
            self._failed("mark_undone", exc)
            return False
        return True

    def kinds(self) -> list[str]:
        """The kinds remembered here so far (one collection each)."""
        from memory.store import _client

        prefix, suffix = "decisions-", f"-{self.embedder.name}"
        with self.lock:
            names = [getattr(c, "name", c)
                     for c in _client(str(self.path), self.host).list_collections()]
            found = {n[len(prefix):-len(suffix)].replace("-", "_") for n in map(str, names)
                     if n.startswith(prefix) and n.endswith(suffix)}
            return sorted(found | set(self._stores))

    def count(self) -> int:
        """Decisions remembered, over every kind."""
        with self.lock:
            return sum(self.store(kind).count() for kind in self.kinds())

    def _read(self, what: str, fn: Callable[[], list[PastChoice]]) -> list[PastChoice]:
        try:
            with self.lock:
                return fn()
        except Exception as exc:  # noqa: BLE001 - any store failure is "unavailable"
            self._failed(what, exc)
            raise MemoryUnavailable(f"The memory of past decisions is unavailable right now "
                                    f"({type(exc).__name__}); it is rebuilt from the "
                                    "decision log.") from exc

    def similar(self, text: str, kind: str, k: int = 20,
                symbol: str | None = None) -> list[PastChoice]:
        """The ``k`` past decisions of ``kind`` nearest ``text`` (of ``symbol`` only, when
        given)."""
        vector = self.embedder.embed([text])[0]
        where = {"symbol": symbol} if symbol else None
        return self._read("similar", lambda: [
            _choice(r) for r in self.store(kind).query_vector(vector, k=k, where=where)])

    def recall(self, query: str, k: int = 5, kinds: Iterable[str] = ()) -> list[PastChoice]:
        """Across ``kinds`` (every kind remembered so far when empty): one embedding, one
        search per kind, merged by similarity."""
        vector = self.embedder.embed([query])[0]

        def search() -> list[PastChoice]:
            found = [_choice(r) for kind in (list(kinds) or self.kinds())
                     for r in self.store(kind).query_vector(vector, k=k)]
            found.sort(key=lambda p: p.similarity, reverse=True)
            return found[:k]

        return self._read("recall", search)


def _choice(r: Recalled) -> PastChoice:
    m: dict[str, Any] = r.metadata
    return PastChoice(
        decision_id=int(m.get("decision_id", r.id)), similarity=r.similarity,
        kind=str(m.get("kind", "")), symbol=m.get("symbol"), chosen=str(m.get("chosen", "")),
        chosen_label=str(m.get("chosen_label", "")), decided_by=str(m.get("decided_by", "")),
        created_at=float(m.get("created_at", 0.0)), text=r.document,
        failed=bool(m.get("failed")) or str(m.get("outcome", "")).startswith(FAILED),
    )
