"""The architecture capability's share of the offline grammar: review an inventory."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent


def _review(e: Entities) -> Args:
    m = re.search(r"([\w./\-]+\.ya?ml)\b", e.text)
    return {"inventory_path": m.group(1)} if m else {}



GRAMMAR = Grammar(intents=(
    Intent(
        "review_architecture",
        {"architecture": 4, "review": 2, "inventory": 3, "stack": 2, "tech debt": 3.5,
         "redundant": 2.5, "redundancy": 2.5, "migration plan": 3.5, "audit": 2,
         "simplify": 2, "findings": 2.5, "components": 1.5, "my setup": 2, "infra": 2,
         "cut": 1},
        _review,
        vetoes=("decide", "decision "),
    ),
))
