"""The content capability's share of the offline grammar: draft, list, schedule, publish."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent, id_of

_draft_id = id_of("draft")


STOP_TOPIC = r"\b(please|pls|can you|could you|would you|draft|write|compose|prepare|make|" \
    r"create|whip up|put together|generate|me|a|an|the|quick|short|new|post|blog|article|" \
    r"email|newsletter|discord|for|on|about|regarding|message|tweet|thread|some|content|" \
    r"piece|up|" + "|".join(("casual", "formal", "bullish", "bearish", "neutral",
                             "educational", "hype", "professional", "funny", "serious",
                             "cautious", "excited", "tone", "in", "with", "of")) + r")\b"


def _draft(e: Entities) -> Args:
    m = re.search(r"\b(?:about|on|regarding|covering|re)\b (.+)$", e.norm)
    topic = m.group(1) if m else re.sub(STOP_TOPIC, " ", e.norm)
    topic = re.sub(r"\b(for|to|on) (discord|the blog|blog|email|the newsletter|newsletter)\b",
                   " ", topic)
    topic = re.sub(r"\s+", " ", topic).strip(" .,?!") or (
        f"{e.symbols[0]} market update" if e.symbols else "market update")
    args: Args = {"topic": topic, "channel": e.channel or "discord"}
    if e.symbols:
        args["symbol"] = e.symbols[0]
    if e.tone:
        args["tone"] = e.tone
    return args


def _list_drafts(e: Entities) -> Args:
    for status in ("draft", "approved", "scheduled", "published", "failed"):
        if re.search(rf"\b{status}\b", e.norm.replace("drafts", "")):
            return {"status": status}
    return {}


def _schedule(e: Entities) -> Args | None:
    draft_id = _draft_id(e)
    if draft_id is None:
        return None
    m = re.search(r"\b(?:for|at|on|to|in)\b (.+)$", e.norm)
    when = m.group(1).strip(" .?!") if m else ""
    if not when or re.fullmatch(r"(draft|post)?\s*#?\d+", when):
        return None
    if m and re.match(r"in\b", m.group(0)):
        when = "in " + when
    return {"draft_id": draft_id, "when": when}


def _publish(e: Entities) -> Args | None:
    draft_id = _draft_id(e)
    return None if draft_id is None else {"draft_id": draft_id}



GRAMMAR = Grammar(intents=(
    Intent(
        "draft_content",
        {"draft": 3, "write": 3, "compose": 3, "blog post": 3.5, "newsletter": 3,
         "post about": 3.5, "write up": 3, "article": 3, "tweet": 2.5, "thread": 1.5,
         "content": 1.5, "prepare": 2, "whip up": 3, "put together": 2.5, "email": 1.5,
         "post": 1.2, "recap": 2},
        _draft,
        vetoes=("publish", "schedule", "my drafts", "list", "show drafts", "drafts",
                "alert me", "notify"),
    ),
    Intent(
        "list_drafts",
        {"drafts": 4, "my drafts": 4, "list": 1, "show": 1, "pending": 1, "queue": 2,
         "content queue": 3, "what content": 2.5, "unpublished": 3, "posts": 1.5},
        _list_drafts,
        vetoes=("publish", "schedule", "delete"),
    ),
    Intent(
        "schedule_content",
        {"schedule": 4, "queue up": 3, "plan": 1.5, "post at": 2, "publish at": 3,
         "publish tomorrow": 3, "later": 1, "tomorrow": 1, "draft": 1},
        _schedule,
        missing="Which draft, and when? e.g. 'schedule draft 2 for tomorrow 9am'.",
    ),
    Intent(
        "publish_content",
        {"publish": 4, "go live": 3.5, "post it": 3, "send it": 3, "ship": 2.5,
         "push out": 3, "release": 2, "send out": 3, "draft": 1, "post draft": 3.5},
        _publish,
        missing="Which draft number should I publish? 'list drafts' shows them.",
        vetoes=("schedule", "at ", "tomorrow", "how many", "published drafts",
                "list", "show"),
    ),
))
