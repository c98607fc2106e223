"""The alerts capability's share of the offline grammar: create, list, delete, snooze."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent, id_of

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


_alert_id = id_of("alert")


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



GRAMMAR = Grammar(intents=(
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
))
