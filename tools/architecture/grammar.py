"""The architecture capability's share of the offline grammar: review an inventory
("any single points of failure in my setup?" is a review, never a log search)."""

from __future__ import annotations

import re

from core.grammar import Args, Context, Entities, Grammar, Intent


def _review(e: Entities, ctx: Context) -> Args:
    """The inventory the message names, else the one the conversation last reviewed ("any
    single points of failure?" right after reviewing a file is about that file)."""
    m = re.search(r"([\w./~\-]+\.ya?ml)\b", e.text)
    if m:
        return {"inventory_path": m.group(1)}
    if ctx.last_tool == "review_architecture" and ctx.last_args.get("inventory_path") and \
            not re.search(r"\b(default|the demo|example)\b", e.norm):
        return {"inventory_path": ctx.last_args["inventory_path"]}
    return {}


GRAMMAR = Grammar(intents=(
    Intent(
        "review_architecture",
        {"architecture": 4, "review": 2, "inventory": 3, "stack": 2, "tech debt": 3.5,
         "redundant": 2.5, "redundancy": 2.5, "migration plan": 3.5, "audit": 2,
         "simplify": 2, "findings": 2.5, "components": 1.5, "my setup": 2, "infra": 2,
         "cut": 1, "single point of failure": 4, "single points of failure": 4,
         "spof": 4, "points of failure": 3.5, "legacy": 2.5, "consolidate": 2.5,
         "duplicated": 2, "polling": 2, "design": 1, ".yaml": 3, ".yml": 3,
         "wp plugin": 2, "cron jobs": 2, "azure functions": 2, "functions": 1, "plugin": 1.5,
         "mess": 1.5, "kill first": 2.5, "migrate": 2.5, "what to migrate": 3,
         "overlap": 2, "spaghetti": 2.5},
        _review,
        vetoes=("decide", "decision ", "autopilot", "dismiss", "skip all", "ack",
                "acknowledge"),
        examples=("review my architecture", "audit my stack for single points of failure",
                  "any redundant workflows in my setup", "what should i consolidate",
                  "review examples/victor-stack.yaml", "where is my tech debt"),
    ),
))
