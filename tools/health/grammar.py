"""The health capability's share of the offline grammar: system health, recent errors."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent

COMPONENT = re.compile(
    r"\b(database|db|market|alerts?|discord|scheduler|vector|memory|bus|disk|website|"
    r"wordpress|api|content|bot)\b"
)


def _component(e: Entities) -> Args:
    m = COMPONENT.search(e.norm)
    if not m:
        return {}
    name = {"db": "database", "alert": "alerts", "vector": "memory", "bot": "discord",
            "wordpress": "website"}.get(m.group(1), m.group(1))
    return {"component": name}


def _errors(e: Entities) -> Args:
    args = _component(e)
    if e.duration_min:
        args["since_minutes"] = e.duration_min
    return args



GRAMMAR = Grammar(intents=(
    Intent(
        "system_health",
        {"health": 4, "healthy": 4, "status": 2, "systems": 2.5, "system": 2, "up": 0.3,
         "down": 1, "uptime": 3, "running": 1.5, "ok": 0.5, "everything": 1,
         "incidents": 2.5, "incident": 2, "services": 2, "alive": 2, "working": 1,
         "outage": 3, "latency": 2, "degraded": 3, "broken": 1, "checks": 2,
         "anything down": 3.5, "is anything": 1},
        _component,
        vetoes=("autopilot", "architecture", "errors", "error", "exceptions", "quote",
                "remember", "last time", "did i", "handled"),
    ),
    Intent(
        "recent_errors",
        {"errors": 4, "error": 3.5, "exceptions": 4, "exception": 3.5, "failures": 3,
         "failed": 2, "what broke": 4, "crash": 3, "crashes": 3, "stack trace": 3,
         "logs": 2.5, "warnings": 3, "tracebacks": 3, "went wrong": 3},
        _errors,
        vetoes=("autopilot",),
    ),
))
