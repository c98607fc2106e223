"""Vector memory of past decisions: a chromadb collection (local files by default, a
chroma server with CHROMA_HOST). Embeddings are computed by our own ``Embedder`` and
passed in, so chroma never reaches for its default (downloading) model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings  # light import

from memory.embeddings import Embedder

COLLECTION = "decisions"


class _ChromaAdapter(EmbeddingFunction[Documents]):
    """Lets chroma call our embedder if it ever needs to embed by itself."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chroma's name
        import numpy as np

        return [np.asarray(v, dtype=np.float32) for v in self.embedder.embed(list(input))]

    @staticmethod
    def name() -> str:
        return "victor-copilot"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _ChromaAdapter:
        from memory.embeddings import make_embedder

        return _ChromaAdapter(make_embedder(config.get("embedder", "auto")))


_CLIENTS: dict[tuple[str, str | None], Any] = {}


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
    return _CLIENTS[key]


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
                self.name, embedding_function=_ChromaAdapter(self.embedder),
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
        count = self.collection.count()
        if count == 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=min(k, count), where=where,
            include=["documents", "metadatas", "distances"],
        )
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

    def count(self) -> int:
        return self.collection.count()
