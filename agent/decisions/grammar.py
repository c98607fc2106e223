"""The decisions component's share of the offline grammar: pending, decide, recall, autopilot."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent

OPTION_WORDS = {
    "publish": "publish", "post it": "publish", "ship it": "publish", "go ahead": "accept",
    "approve": "accept", "accept": "accept", "yes": "accept", "skip": "skip", "dismiss":
    "dismiss", "ignore": "dismiss", "snooze": "snooze", "silence": "silence", "ack":
    "acknowledge", "acknowledge": "acknowledge", "edit": "edit", "restart": "restart",
}


def _decide(e: Entities) -> Args | None:
    decision_id = e.ids.get("decision", e.ids.get("id"))
    if decision_id is None:
        return None
    option: str | None = None
    if "option" in e.ids:
        option = str(e.ids["option"])
    else:
        m = re.search(r"\b(?:option|choose|pick|go with|answer|with)\s+[\"']?([a-z_]+)", e.norm)
        if m and m.group(1) not in ("decision", "option", "the"):
            option = m.group(1)
        else:
            for word, opt in OPTION_WORDS.items():
                if re.search(rf"\b{word}\b", e.norm):
                    option = opt
                    break
    if option is None:
        return None
    return {"decision_id": decision_id, "option": option}


def _recall(e: Entities) -> Args:
    query = re.sub(
        r"\b(what did i|what have i|did i|how did i|do you remember|remember|recall|"
        r"last time|previous(ly)?|past|decisions?|decide[ds]?|choices?|chose|choose|"
        r"about|on|when|what|i|my|with|the|show|me|similar|history of)\b",
        " ", e.norm,
    )
    query = re.sub(r"\s+", " ", query).strip(" ?.!,") or e.norm
    args: Args = {"query": query}
    m = re.search(r"\b(?:top|last)\s+(\d+)\b", e.norm)
    if m:
        args["k"] = int(m.group(1))
    return args


KINDS = {
    "alert": "alert_fired", "content": "content_ready", "draft": "content_ready",
    "post": "content_ready", "health": "health_incident", "incident": "health_incident",
    "architecture": "architecture_finding", "finding": "architecture_finding",
    "briefing": "briefing",
}


def _autopilot(e: Entities) -> Args:
    n = e.norm
    if re.search(r"\bstatus\b", n) or re.match(r"(is|are|was)\b", n):
        action = "status"  # "is autopilot on?" asks, it doesn't switch
    elif re.search(r"\b(disable|turn off|switch off|stop|off|deactivate|pause)\b", n):
        action = "disable"
    elif re.search(r"\b(enable|turn on|switch on|start|activate|allow|let|on)\b", n):
        action = "enable"
    else:
        action = "status"
    args: Args = {"action": action}
    for word, kind in KINDS.items():
        if re.search(rf"\b{word}s?\b", n):
            args["kind"] = kind
            break
    return args



GRAMMAR = Grammar(intents=(
    Intent(
        "pending_decisions",
        {"decisions": 3, "pending": 2, "needs my attention": 4, "waiting on me": 4,
         "waiting for me": 4, "inbox": 3, "to decide": 3.5, "open questions": 3,
         "anything for me": 3.5, "what needs": 2.5, "todo": 2, "to do": 1.5,
         "approve": 1, "outstanding": 2.5, "need me": 3, "my call": 3},
        lambda e: {},
        vetoes=("past", "last time", "remember", "recall", "did i", "autopilot",
                "drafts", "alerts"),
    ),
    Intent(
        "decide",
        {"decide": 2.5, "decision": 2, "option": 2.5, "choose": 2.5, "pick": 2,
         "go with": 2.5, "approve": 2, "answer": 1.5, "accept": 2, "reject": 2,
         "dismiss": 1.5, "skip": 1.5},
        _decide,
        missing="Which decision, and which option? e.g. 'decision 4: option publish'.",
        vetoes=("past", "what did i", "remember", "recall", "pending", "autopilot"),
    ),
    Intent(
        "recall_decisions",
        {"what did i": 3.5, "did i": 2, "last time": 3.5, "remember": 3, "recall": 3.5,
         "previously": 3, "past decisions": 4, "history of": 1.5, "decided": 3,
         "before": 1, "usually": 2.5, "how did i handle": 4, "similar": 2,
         "what do i usually": 3.5, "chose": 2.5, "memory": 2, "how i handled": 3.5,
         "handled": 2},
        _recall,
        vetoes=("autopilot",),
    ),
    Intent(
        "autopilot",
        {"autopilot": 5, "auto pilot": 5, "auto-pilot": 5, "automatic": 2.5,
         "automatically": 2.5, "decide for me": 3.5, "on your own": 3, "yourself": 1.5,
         "autonomous": 3},
        _autopilot,
    ),
))
