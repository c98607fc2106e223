"""One long conversation: checkpoint file size and turn time as a thread ages.

    .venv/bin/python bench/conversation.py [--turns 600]

Runs the same offline conversation twice on one thread each, in temporary data dirs:
bounded (the defaults: the state keeps COPILOT_THREAD_KEEP_MESSAGES messages, the thread
its latest checkpoint) and the baseline with both off (every message, every checkpoint,
as before). Prints `checkpoints.db` (with its WAL) and the turn p50 around turn 10 and at
the last turns. Goal: bounded <= 20 MB at 600 turns, p50 at the end within 1.5x of turn 10.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MESSAGES = ["what's AAPL at?", "and MSFT?", "how is nvidia doing", "price of TSLA",
            "hello", "quote SPY", "what did I ask first?", "thanks"]


def db_mb(data: Path) -> float:
    files = [data / "checkpoints.db", data / "checkpoints.db-wal"]
    return sum(f.stat().st_size for f in files if f.exists()) / 1e6


async def conversations(root: Path, turns: int) -> dict[str, tuple[list[float], float]]:
    """Both set-ups side by side, one turn each in turn, so a busy machine slows both."""
    from contextlib import AsyncExitStack

    from agent.runtime import open_runtime
    from core.settings import Settings

    setups = {"bounded (defaults)": {},
              "baseline (unpruned)": {"thread_keep_messages": 0, "thread_checkpoints": 0}}
    async with AsyncExitStack() as stack:
        runtimes = {}
        for label, knobs in setups.items():
            settings = Settings(data_dir=root / label.split()[0], http_port=None,
                                **knobs)  # type: ignore[arg-type]
            runtimes[label] = await stack.enter_async_context(open_runtime(settings))
            await runtimes[label].ask("warm up")
        times: dict[str, list[float]] = {label: [] for label in setups}
        for i in range(turns):
            for label, rt in runtimes.items():
                t0 = time.perf_counter()
                await rt.ask(MESSAGES[i % len(MESSAGES)], thread_id="bench")
                times[label].append((time.perf_counter() - t0) * 1000)
        return {label: (times[label], db_mb(rt.settings.data_dir))
                for label, rt in runtimes.items()}


def p50_at(times: list[float], turn: int, span: int = 20) -> float:
    """The median of the ``span`` turns ending at ``turn`` (1-based)."""
    return statistics.median(times[max(0, turn - span):turn])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=600)
    args = parser.parse_args()
    os.environ.setdefault("COPILOT_EMBEDDER", "hashing")
    n = args.turns
    print(f"one thread, {n} offline turns (p50 over 20 turns; checkpoints.db + WAL)")
    with tempfile.TemporaryDirectory() as tmp:
        results = asyncio.run(conversations(Path(tmp), n))
    for label, (times, mb) in results.items():
        early, late = p50_at(times, 20), p50_at(times, n)
        print(f"  {label:20} checkpoints.db {mb:8.1f} MB   turns 1-20 p50 {early:6.1f} ms   "
              f"turns {n - 19}-{n} p50 {late:6.1f} ms   ratio {late / early:4.2f}x")

if __name__ == "__main__":
    main()
