"""Per-turn overhead of the offline agent and `copilot --help` start-up time.

    .venv/bin/python bench/agent_turn.py [--turns 200]

Prints figures; asserts nothing. Runs on a temporary data dir.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MESSAGES = ["what's AAPL at?", "quote MSFT", "how is nvidia doing", "price of TSLA",
            "hello"]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def turns(n: int) -> list[float]:
    from agent.runtime import open_runtime
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        await rt.ask("warm up")
        out = []
        for i in range(n):
            t0 = time.perf_counter()
            await rt.ask(MESSAGES[i % len(MESSAGES)], thread_id=f"bench-{i}")
            out.append((time.perf_counter() - t0) * 1000)
        return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        times = asyncio.run(turns(args.turns))
    print(f"offline agent turn ({args.turns} turns, SQLite checkpoints): "
          f"p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms")
    copilot = Path(sys.executable).with_name("copilot")
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(copilot), "--help"], capture_output=True, check=True)
        runs.append((time.perf_counter() - t0) * 1000)
    print(f"`copilot --help` start-up: median {statistics.median(runs):.0f} ms over 5 runs")


if __name__ == "__main__":
    main()
