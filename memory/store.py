"""Vector memory of past decisions: a chromadb collection (local files by default, a
chroma server with CHROMA_HOST). Embeddings are computed by our own ``Embedder`` and
passed in, so chroma never reaches for its default (downloading) model."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memory.embeddings import Embedder

COLLECTION = "decisions"


def _adapter(embedder: Embedder) -> Any:
    """An ``EmbeddingFunction`` that lets chroma call our embedder if it ever needs to
    embed by itself. Built on first use: importing chromadb takes a second, and commands
    that never open the store (`copilot ask`, the list commands) should not pay it."""
    global _Adapter
    if _Adapter is None:
        from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

        class ChromaAdapter(EmbeddingFunction[Documents]):
            def __init__(self, embedder: Embedder) -> None:
                self.embedder = embedder

            def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chroma's name
                import numpy as np

                return [np.asarray(v, dtype=np.float32)
                        for v in self.embedder.embed(list(input))]

            @staticmethod
            def name() -> str:
                return "victor-copilot"

            def get_config(self) -> dict[str, Any]:
                return {"embedder": self.embedder.name}

            @staticmethod
            def build_from_config(config: dict[str, Any]) -> Any:
                from memory.embeddings import make_embedder

                return ChromaAdapter(make_embedder(config.get("embedder", "auto")))

        _Adapter = ChromaAdapter
    return _Adapter(embedder)


_Adapter: Any = None


_CLIENTS: dict[tuple[str, str | None], Any] = {}
_OPENED: dict[tuple[str, str | None], int | None] = {}  # the database file each client opened
DB_FILE = "chroma.sqlite3"


def _inode(path: str) -> int | None:
    try:
        return os.stat(Path(path) / DB_FILE).st_ino
    except OSError:
        return None


def _client(path: str, host: str | None) -> Any:
    """One chroma client per location, shared by every collection there."""
    key = (path, host)
    if key not in _CLIENTS:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if host:
            hostname, _, port = host.partition(":")
            _CLIENTS[key] = chromadb.HttpClient(host=hostname, port=int(port or 8000),
                                                settings=chroma_settings)
        else:
            _CLIENTS[key] = chromadb.PersistentClient(path=path, settings=chroma_settings)
            _OPENED[key] = _inode(path)
    return _CLIENTS[key]


def client_is_stale(path: str, host: str | None) -> bool:
    """The files under an open local client were deleted or replaced: it still reads
    what it had open, but nothing it writes lands anywhere."""
    key = (path, host)
    if host or key not in _CLIENTS:
        return False
    now = _inode(path)
    return now is None or now != _OPENED.get(key)


def close_client(path: str, host: str | None) -> None:
    """Forget (and close) the client of a location, so the next use opens it afresh."""
    key = (path, host)
    client = _CLIENTS.pop(key, None)
    _OPENED.pop(key, None)
    if client is not None:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - a broken store may not close cleanly
            pass
    if not host:
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # noqa: BLE001 - best effort
                pass


def set_aside(path: Path, stamp: str) -> Path | None:
    """Move a damaged store out of the way (kept for inspection, never deleted):
    ``chroma`` -> ``chroma.corrupt-<stamp>``. None when there was nothing to move."""
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    path.rename(target)
    return target


@dataclass
class Recalled:
    id: str
    similarity: float
    document: str
    metadata: dict[str, Any]


class VectorMemory:
    def __init__(self, embedder: Embedder, path: Path | None = None, host: str | None = None,
                 collection: str = COLLECTION) -> None:
        self.embedder = embedder
        self.path = path
        self.host = host
        self.name = f"{collection}-{embedder.name}"  # vectors of different models never mix
        self._collection: Any = None

    @property
    def collection(self) -> Any:
        """Opened on first use: chromadb takes a second to import."""
        if self._collection is None:
            client = _client(str(self.path), self.host)
            self._collection = client.get_or_create_collection(
                self.name, embedding_function=_adapter(self.embedder),
                metadata={"hnsw:space": "cosine"},
            )
        return self._collection

    def add(self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]],
            embeddings: list[list[float]] | None = None) -> None:
        vectors = embeddings if embeddings is not None else self.embedder.embed(documents)
        clean = [{k: v for k, v in m.items() if v is not None and v != ""} or {"_": 1}
                 for m in metadatas]
        self.collection.upsert(ids=ids, documents=documents, metadatas=clean,
                               embeddings=vectors)

    def query(self, text: str, k: int = 5, where: dict[str, Any] | None = None
              ) -> list[Recalled]:
        return self.query_vector(self.embedder.embed([text])[0], k, where)

    def query_vector(self, vector: list[float], k: int = 5,
                     where: dict[str, Any] | None = None) -> list[Recalled]:
        # one round trip: chroma (1.x) returns what there is when the collection holds
        # fewer than k (nothing when it is empty); asking count() first cost a second
        # query of the store on every recall. A server that refuses gets the old way.
        include = ["documents", "metadatas", "distances"]
        try:
            result = self.collection.query(query_embeddings=[vector], n_results=k, where=where,
                                           include=include)
        except Exception:  # noqa: BLE001 - e.g. an older chroma server: k > count
            count = self.collection.count()
            if count == 0:
                return []
            result = self.collection.query(query_embeddings=[vector], n_results=min(k, count),
                                           where=where, include=include)
        if not result["ids"] or not result["ids"][0]:
            return []
        out = []
        for i, doc_id in enumerate(result["ids"][0]):
            out.append(Recalled(
                id=doc_id, similarity=1.0 - float(result["distances"][0][i]),
                document=result["documents"][0][i],
                metadata=dict(result["metadatas"][0][i] or {}),
            ))
        return out

    def delete(self, ids: list[str]) -> None:
        self.collection.delete(ids=ids)

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def metadatas(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        got = self.collection.get(ids=ids, include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=False)}

    def update_metadatas(self, ids: list[str], metadatas: list[dict[str, Any]]) -> None:
        self.collection.update(ids=ids, metadatas=metadatas)

    def count(self) -> int:
        return self.collection.count()
