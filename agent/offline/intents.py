"""The offline model's grammar: one ``Intent`` per canonical tool.

Each intent lists trigger phrases with weights and a ``build`` function that fills the
tool's arguments from the extracted entities (returning ``None`` when a required slot is
missing, together with the question to ask). Adding a tool means adding an entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.offline.extract import Entities

Args = dict[str, Any]


@dataclass(frozen=True)
class Intent:
    tool: str
    triggers: dict[str, float]
    build: Callable[[Entities], Args | list[Args] | None]
    missing: str = "Could you say that with a bit more detail?"
    needs_symbol: bool = False
    # phrases that rule this intent out ("alerts" for get_quote, say)
    vetoes: tuple[str, ...] = field(default_factory=tuple)

    def score(self, norm: str, entities: Entities) -> float:
        if any(_has(norm, v) for v in self.vetoes):
            return 0.0
        total = sum(w for phrase, w in self.triggers.items() if _has(norm, phrase))
        if self.needs_symbol and entities.symbols and total > 0:
            total += 0.5
        return total


def _has(norm: str, phrase: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", norm) is not None


# ---- argument builders ------------------------------------------------------------------

def _per_symbol(extra: Callable[[Entities], Args] | None = None):
    def build(e: Entities) -> list[Args] | None:
        if not e.symbols:
            return None
        more = extra(e) if extra else {}
        return [{"symbol": s, **more} for s in e.symbols]

    return build


def _days(e: Entities) -> Args:
    return {"days": e.days} if e.days else {}


def _watchlist(e: Entities) -> Args | list[Args] | None:
    n = e.norm
    if re.search(r"\b(remove|delete|drop|stop watching|stop tracking|unwatch|get rid of|rm)\b", n) \
            or re.search(r"\btake\b.*\boff\b", n):
        action = "remove"
    elif re.search(r"\b(add|watch|track|tracking|put|follow|include|keep an eye)\b", n) and e.symbols:
        action = "add"
    else:
        return {"action": "list"}
    if not e.symbols:
        return None
    return [{"action": action, "symbol": s} for s in e.symbols]


CROSS_ABOVE = r"\b(cross(es|ing)? (above|over)|breaks? (above|out|through)|breaks?|crosses|" \
    r"pops? above|goes? through|breakout)\b"
CROSS_BELOW = r"\b(cross(es|ing)? (below|under)|breaks? (below|down)|breakdown|" \
    r"falls? through|drops? through)\b"
ABOVE = r"\b(above|over|hits?|reach(es)?|tops?|exceeds?|>|>=|rises? to|goes? to|gets? to|" \
    r"climbs? to|higher than|at least)\b"
BELOW = r"\b(below|under|drops? to|falls? to|dips? to|sinks? to|lower than|<|<=|" \
    r"goes? down to|gets? down to|tanks? to|beneath)\b"
FREQUENCY = (
    (r"\b(every ?time|each time|always|whenever|repeatedly)\b", "every_time"),
    (r"\b(once a day|once per day|daily|every day|per day)\b", "once_per_day"),
)


def _alert(e: Entities) -> Args | None:
    if not e.symbols:
        return None
    n = e.norm
    args: Args = {"symbol": e.symbols[0]}
    if e.percents or re.search(r"\b(moves?|swings?|jumps?|drops?|falls?|spikes?)\b", n) and \
            re.search(r"%|percent", n):
        if not e.percents:
            return None
        args.update(condition="pct_change", threshold=abs(e.percents[0]))
        args["window_minutes"] = e.duration_min or 60
    else:
        if not e.prices:
            return None
        if re.search(CROSS_BELOW, n):
            cond = "cross_below"
        elif re.search(r"\b(below|under|drops?|falls?|dips?|sinks?|tanks?|lower)\b", n) and \
                re.search(r"\b(breaks?|cross(es)?)\b", n):
            cond = "cross_below"
        elif re.search(CROSS_ABOVE, n):
            cond = "cross_above"
        elif re.search(BELOW, n):
            cond = "below"
        else:
            cond = "above"
        args.update(condition=cond, threshold=e.prices[0])
    for pattern, freq in FREQUENCY:
        if re.search(pattern, n):
            args["frequency"] = freq
            break
    return args


def _id(kind: str, *fallback: str) -> Callable[[Entities], int | None]:
    def get(e: Entities) -> int | None:
        for k in (kind, *fallback, "id"):
            if k in e.ids:
                return e.ids[k]
        return e.bare_ints[0] if len(e.bare_ints) == 1 else None

    return get


_alert_id = _id("alert")
_draft_id = _id("draft")
_decision_id = _id("decision")


def _list_alerts(e: Entities) -> Args:
    return {"symbol": e.symbols[0]} if e.symbols else {}


def _delete_alert(e: Entities) -> Args | None:
    alert_id = _alert_id(e)
    return None if alert_id is None else {"alert_id": alert_id}


def _snooze(e: Entities) -> Args | None:
    alert_id = _alert_id(e)
    if alert_id is None:
        return None
    return {"alert_id": alert_id, "minutes": e.duration_min or 60}


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


def _review(e: Entities) -> Args:
    m = re.search(r"([\w./\-]+\.ya?ml)\b", e.text)
    return {"inventory_path": m.group(1)} if m else {}


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


# ---- the grammar ------------------------------------------------------------------------

INTENTS: list[Intent] = [
    Intent(
        "get_quote",
        {"price": 2, "quote": 2.5, "trading": 1.5, "trading at": 1, "at": 0.5, "worth": 1.5,
         "doing": 1.2, "cost": 1.2, "value": 1, "how": 0.6, "what": 0.4, "px": 2,
         "last": 0.3, "now": 0.5, "today": 0.5, "check": 0.8, "look": 0.5, "level": 1,
         "sitting": 1, "where": 0.8, "going": 0.6, "up": 0.3, "down": 0.3, "currently": 0.8,
         "how much": 1.5, "ticker": 1, "stock": 0.6, "shares": 0.8, "trade": 0.6},
        _per_symbol(),
        missing="Which ticker? For example AAPL, MSFT or BTC-USD.",
        needs_symbol=True,
        vetoes=("alert", "alerts", "notify", "chart", "watchlist", "draft", "history",
                "ping me", "tell me when", "tell me if", "let me know when", "text me", "dm me"),
    ),
    Intent(
        "get_price_history",
        {"history": 3, "historical": 3, "past": 1.2, "last": 0.8, "closes": 2.5,
         "closing prices": 3, "performance": 2.2, "performed": 2.2, "over the": 1.2,
         "bars": 2, "ohlc": 3, "daily": 1.5, "trend": 1.5, "range": 1, "since": 1,
         "ytd": 2, "returns": 1.5, "return": 1.2, "move over": 1.5, "days": 1, "weeks": 1,
         "months": 1, "year": 0.8, "week": 0.8, "month": 0.8},
        _per_symbol(_days),
        missing="Which ticker should I pull history for?",
        needs_symbol=True,
        vetoes=("chart", "graph", "plot", "alert", "draft", "errors", "decide",
                "decisions", "decision"),
    ),
    Intent(
        "price_chart",
        {"chart": 3.5, "graph": 3, "plot": 3, "candles": 2.5, "candlestick": 3,
         "visual": 2, "picture": 2, "png": 2, "draw": 2, "visualize": 3, "see": 0.5},
        _per_symbol(_days),
        missing="Which ticker should I chart?",
        needs_symbol=True,
        vetoes=("alert", "architecture"),
    ),
    Intent(
        "watchlist",
        {"watchlist": 4, "watch list": 4, "watching": 2.5, "watch": 2, "track": 2,
         "tracking": 2.5, "follow": 1.5, "keep an eye": 3, "unwatch": 3,
         "stop watching": 3.5, "list": 0.5, "my list": 2},
        _watchlist,
        missing="Which ticker should I add or remove?",
    ),
    Intent(
        "create_alert",
        {"alert": 2.5, "alert me": 3, "notify": 3, "ping me": 3.5, "tell me when": 3.5,
         "tell me if": 3.5,
         "let me know": 3, "heads up": 3, "alarm": 2.5, "warn me": 3, "text me": 3,
         "dm me": 3, "set": 0.8, "when": 1, "if": 0.8, "crosses": 1.5, "breaks": 1.2,
         "above": 1, "below": 1, "drops": 0.8, "hits": 0.8, "moves": 0.8, "watch for": 2,
         "trigger": 1.5, "%": 0.5},
        _alert,
        missing="Which ticker and level should the alert watch? e.g. 'alert me when AAPL "
                "goes above 200'.",
        needs_symbol=True,
        vetoes=("delete", "remove", "cancel", "snooze", "mute", "silence", "list",
                "show", "my alerts", "which alerts", "what alerts", "active alerts",
                "kill", "alerts do i"),
    ),
    Intent(
        "list_alerts",
        {"alerts": 3, "my alerts": 4, "list": 1.5, "show": 1, "active": 1.5, "which": 1,
         "what": 0.5, "set up": 1, "open": 0.8, "rules": 2, "pending": 0.5, "do i have": 1.5,
         "alert list": 4},
        _list_alerts,
        vetoes=("delete", "remove", "cancel", "snooze", "mute", "kill", "silence",
                "autopilot", "decisions"),
    ),
    Intent(
        "delete_alert",
        {"delete": 3, "remove": 3, "cancel": 3, "kill": 3, "drop": 2.5, "get rid of": 3,
         "rm": 3, "alert": 1.5, "rule": 1, "turn off": 1.5},
        _delete_alert,
        missing="Which alert number should I delete? 'list alerts' shows them.",
        vetoes=("watchlist", "watch list", "draft", "autopilot"),
    ),
    Intent(
        "snooze_alert",
        {"snooze": 4, "mute": 3.5, "silence": 3.5, "pause": 3, "quiet": 2.5, "shut up": 3,
         "hold off": 2.5, "alert": 1, "for": 0.3},
        _snooze,
        missing="Which alert number should I snooze, and for how long?",
        vetoes=("autopilot", "incident"),
    ),
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
    Intent(
        "review_architecture",
        {"architecture": 4, "review": 2, "inventory": 3, "stack": 2, "tech debt": 3.5,
         "redundant": 2.5, "redundancy": 2.5, "migration plan": 3.5, "audit": 2,
         "simplify": 2, "findings": 2.5, "components": 1.5, "my setup": 2, "infra": 2,
         "cut": 1},
        _review,
        vetoes=("decide", "decision "),
    ),
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
]

VOCABULARY: set[str] = {
    word
    for intent in INTENTS
    for phrase in (*intent.triggers, *intent.vetoes)
    for word in re.findall(r"[a-z]{4,}", phrase)
} | {"apple", "tesla", "nvidia", "microsoft", "amazon", "google", "netflix", "alphabet",
     "bitcoin", "ethereum", "above", "below", "discord", "email", "tomorrow", "minutes",
     "hours", "hour", "week", "month", "snooze", "alerts", "watchlist", "percent",
     "publish", "schedule", "decision", "newsletter", "about", "when", "what", "should",
     # word forms that must not be "corrected" into a trigger
     "scheduled", "scheduler", "published", "publishing", "tracking", "watching", "drafted",
     "alerted", "alerting", "charts", "quoted", "quotes", "errored", "healthier", "reviewed",
     "decided", "decisions", "handled", "anything", "something", "everything", "nothing",
     "there", "where", "morning", "thanks", "these", "those", "today", "weekly",
     "daily", "yesterday", "tonight", "stock", "stocks", "share", "shares", "price", "prices"}
