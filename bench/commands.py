"""Cold start of the everyday commands (#19, goal 5): `copilot ask` (goal <= 1.2 s) and
the list commands `alerts list`, `decisions list`, `content list` (goal <= 0.6 s), each a
fresh process, median of several runs, side by side with the same commands of a
baseline tree (default: 75fb448, before #19) measured in the same run, with the same
interpreter and the same data dir, the two interleaved so that load on the machine hits
both alike. Also: which heavy libraries each command imports (``-X importtime``).

    python bench/commands.py [--runs 7] [--base REV]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {
    "ask": ["ask", "what's AAPL at?", "--json"],
    "alerts list": ["alerts", "list"],
    "decisions list": ["decisions", "list"],
    "content list": ["content", "list"],
}
GOALS = {"ask": 1.2, "alerts list": 0.6, "decisions list": 0.6, "content list": 0.6}
HEAVY = ("langgraph", "chromadb", "torch", "langchain_openai", "langsmith", "discord")


def checkout(rev: str, into: Path) -> Path:
    """The tree at ``rev`` as plain files (``git archive``: no worktree to clean up)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run(tree: Path, args: list[str], env: dict[str, str], importtime: bool = False
        ) -> tuple[float, str, float]:
    """Wall seconds, stderr, and CPU seconds (user + system) of one cold command."""
    cmd = [sys.executable, *(["-X", "importtime"] if importtime else []), "-m", "cli", *args]
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, env={**env, "PYTHONPATH": str(tree)}, cwd=env["BENCH_CWD"],
                          capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"`copilot {' '.join(args)}` failed in {tree}: {done.stderr[-500:]}")
    return elapsed, done.stderr, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def heavy_imports(stderr: str) -> list[str]:
    found = {m.group(1).split(".")[0] for m in re.finditer(r"\|\s+(\S+)\s*$", stderr, re.M)}
    return [h for h in HEAVY if h in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--base", default="75fb448", help="baseline revision")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        base = checkout(opts.base, Path(tmp) / "base")
        data, cwd = Path(tmp) / "data", Path(tmp) / "cwd"
        cwd.mkdir()
        env = {**os.environ, "COPILOT_DATA_DIR": str(data), "LANGSMITH_TRACING": "false",
               "COPILOT_HTTP_PORT": "off", "BENCH_CWD": str(cwd)}
        # PYTHONDONTWRITEBYTECODE (set on some machines) would leave both trees without
        # .pyc files, so every run compiled them: not what an installed copy does
        for name in ("OPENAI_API_KEY", "DISCORD_TOKEN", "DATABASE_URL", "COPILOT_LLM",
                     "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        # a few rows to list, written by this tree; then one untimed run of each command
        # in each tree (compiles .pyc files, creates tables)
        for sym, level in (("AAPL", "250"), ("NVDA", "1000"), ("TSLA", "180")):
            run(ROOT, ["alerts", "add", sym, "above", level], env)
        for tree in (ROOT, base):
            for args in COMMANDS.values():
                run(tree, args, env)
        times: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        for _ in range(opts.runs):
            for name, args in COMMANDS.items():
                for label, tree in (("new", ROOT), ("base", base)):
                    wall, _, cpu = run(tree, args, env)
                    times.setdefault((name, label), []).append(wall)
                    cpus.setdefault((name, label), []).append(cpu)
        print(f"cold command times, median of {opts.runs} runs (python {sys.executable}); "
              f"baseline = {opts.base}; load average {os.getloadavg()[0]:.1f} "
              f"on {os.cpu_count()} cores")
        print("(CPU: user + system seconds of the process, steadier than wall time when the "
              "machine is shared)")
        print(f"{'command':16} {'this tree':>10} {'baseline':>10} {'goal':>6} {'CPU this':>9} "
              f"{'CPU base':>9}  heavy imports (this tree | baseline)")
        for name, args in COMMANDS.items():
            new = statistics.median(times[(name, "new")])
            old = statistics.median(times[(name, "base")])
            heavy_new = heavy_imports(run(ROOT, args, env, importtime=True)[1])
            heavy_old = heavy_imports(run(base, args, env, importtime=True)[1])
            cpu_new = statistics.median(cpus[(name, "new")])
            cpu_old = statistics.median(cpus[(name, "base")])
            print(f"{name:16} {new:9.2f}s {old:9.2f}s {GOALS[name]:5.1f}s {cpu_new:8.2f}s "
                  f"{cpu_old:8.2f}s  {','.join(heavy_new) or '-'} | {','.join(heavy_old) or '-'}")


if __name__ == "__main__":
    main()
