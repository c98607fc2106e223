"""Eval datasets: JSONL files in evals/datasets/, one case per line.

- routing.jsonl / routing_holdout.jsonl: {"message": str, "tool": str|null, "args": {...}}
  `args` must be a subset of the first call's arguments. routing_holdout.jsonl was
  written after the grammar was tuned and is never tuned on: it measures generalisation.
- trajectories.jsonl: {"name", "turns": [str], "expected": [tool names],
  "match": "strict"|"unordered"|"subset"|"superset"} — one conversation per line.
- memory.jsonl: {"name", "k", "history": [{id, kind, symbol, title, context, chosen,
  label}], "queries": [{"query", "relevant": [ids]}]} — recall@k.
- review.jsonl: {"inventory": path (from the project root), "expected": [codes]}.
- grounding.jsonl: {"kind": "draft", topic, channel, symbol?, tone?} drafts that must
  contain no number absent from their data, and {"kind": "check", text, data,
  ungrounded: bool} cases for the checker itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import InvalidInput

DATASETS = Path(__file__).parent / "datasets"
PROJECT = Path(__file__).resolve().parent.parent


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = DATASETS / p
    if not p.exists():
        raise InvalidInput(f"No dataset at {path}.")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{p.name} line {n}: not valid JSON ({exc.msg}).") from None
    return rows


def check_routing_rows(rows: list[dict[str, Any]], source: str) -> None:
    for n, row in enumerate(rows, 1):
        if not isinstance(row.get("message"), str) or "tool" not in row:
            raise InvalidInput(f"{source} case {n}: needs \"message\" (str) and \"tool\" "
                               "(str or null).")
        if not isinstance(row.get("args", {}), dict):
            raise InvalidInput(f"{source} case {n}: \"args\" must be an object.")
