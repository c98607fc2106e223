"""The layout's one rule, checked on every module: dependencies point one way,
cli -> bots -> agent -> tools, memory -> core. Capabilities reach each other only through
the kernel (no tools/<a> module imports tools/<b>)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"core": 0, "memory": 1, "tools": 1, "agent": 2, "bots": 3, "cli": 4}
MAX_LINES = 400
DATA_MODULES = {"core/symbols.py"}  # reference data, not logic


def modules() -> list[Path]:
    return [p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_dependencies_point_one_way():
    wrong = []
    for path in modules():
        rel = path.relative_to(ROOT)
        layer = rel.parts[0]
        for name in imports(path):
            top = name.split(".")[0]
            if top in LAYERS and LAYERS[top] > LAYERS[layer]:
                wrong.append(f"{rel} imports {name}")
            if top in ("memory", "tools") and layer in ("memory", "tools") and top != layer:
                wrong.append(f"{rel} imports {name} (memory and tools meet only in core)")
            if layer == "tools" and top == "tools" and name.split(".")[1] != rel.parts[1]:
                wrong.append(f"{rel} imports {name} (capabilities meet only in core)")
            if top == "evals" and layer != "cli":
                wrong.append(f"{rel} imports {name} (only the CLI runs evals)")
    assert wrong == []


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in modules()
            if str(p.relative_to(ROOT)) not in DATA_MODULES
            and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert long == []


def test_every_capability_is_one_folder_with_one_capability_module():
    folders = [p for p in (ROOT / "tools").iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert sorted(p.name for p in folders) == ["alerts", "architecture", "content", "health",
                                                "market"]
    for folder in [*folders, ROOT / "agent" / "decisions"]:
        assert (folder / "capability.py").is_file(), folder
