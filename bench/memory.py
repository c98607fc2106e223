"""Decision-memory recall latency at 1k, 10k and 100k stored decisions, and embedding
throughput of each provider.

    .venv/bin/python bench/memory.py [--sizes 1000,10000,100000] [--queries 200]

Recall = embed the query + chromadb HNSW search in one decision kind's collection, as the
recommender does. Memory keeps one collection per kind: a metadata filter over one big
collection was measured at ~60 ms for 100k, the kind's own collection at ~2 ms. Here all
N decisions sit in one collection (the worst case: every decision of one kind).

Stores are filled with hashing-embedder vectors (384-d, the size of MiniLM's), so the
100k store is built in about a minute; MiniLM recall latency is measured by querying
those stores with MiniLM query vectors (same dimension, same index). OpenAI embeddings
need a key and the network: reported as skipped. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from memory.embeddings import HashingEmbedder, MiniLMEmbedder  # noqa: E402
from memory.store import VectorMemory  # noqa: E402

SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "META", "AMD", "SPY", "QQQ", "NFLX"]
KINDS = ["alert_fired", "content_ready", "health_incident", "architecture_finding", "briefing"]
VERBS = ["crossed above", "crossed below", "moved 3% within 60 min", "is at or above"]
CHOICES = ["snooze", "dismiss", "draft", "publish", "ack", "restart"]


def text(rng: random.Random) -> tuple[str, dict]:
    kind = rng.choice(KINDS)
    sym = rng.choice(SYMBOLS)
    price = rng.uniform(20, 900)
    doc = (f"{kind.replace('_', ' ')}: {sym} alert {rng.randint(1, 500)} fired {sym} "
           f"{rng.choice(VERBS)} ${price:,.2f} Chose: {rng.choice(CHOICES)}.")
    return doc, {"kind": kind, "symbol": sym, "chosen": rng.choice(CHOICES)}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def throughput(embedder, texts: list[str]) -> float:
    embedder.embed(texts[:8])  # warm up (loads MiniLM)
    t0 = time.perf_counter()
    for i in range(0, len(texts), 64):
        embedder.embed(texts[i:i + 64])
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(5)
    hashing, minilm = HashingEmbedder(), MiniLMEmbedder()
    sample = [text(rng)[0] for _ in range(2000)]
    t0 = time.perf_counter()
    minilm.embed(["load"])
    load_s = time.perf_counter() - t0
    print("embedding throughput (sentences/s, batches of 64, 2 cores):")
    print(f"  hashing  {throughput(hashing, sample):>9,.0f}")
    print(f"  minilm   {throughput(minilm, sample[:1000]):>9,.0f}   (model load {load_s:.1f} s, once)")
    print("  openai   skipped: needs OPENAI_API_KEY and the network")
    queries = [f"{rng.choice(['mute', 'snooze', 'publish', 'skip'])} "
               f"{rng.choice(SYMBOLS)} {rng.choice(['alerts', 'post', 'incident'])}"
               for _ in range(args.queries)]
    print(f"\nrecall latency (embed query + top-20 search in a kind's collection), "
          f"{args.queries} queries:")
    print(f"{'stored':>8} {'fill s':>7} {'hashing p50':>12} {'p95':>7} {'minilm p50':>11} {'p95':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            store = VectorMemory(hashing, path=Path(tmp) / f"c{size}", collection=f"bench{size}")
            t0 = time.perf_counter()
            for start in range(0, size, 5000):
                batch = [text(rng) for _ in range(min(5000, size - start))]
                store.add([str(start + i) for i in range(len(batch))], [b[0] for b in batch],
                          [b[1] for b in batch])
            fill = time.perf_counter() - t0
            row = []
            for embedder in (hashing, minilm):
                store.embedder = embedder
                lat = []
                for q in queries:
                    t = time.perf_counter()
                    store.query(q, k=20)
                    lat.append((time.perf_counter() - t) * 1000)
                row += [statistics.median(lat), pct(lat, 0.95)]
            print(f"{size:>8,} {fill:>7.1f} {row[0]:>10.2f}ms {row[1]:>5.2f}ms "
                  f"{row[2]:>9.2f}ms {row[3]:>5.2f}ms")


if __name__ == "__main__":
    main()
