"""The alerts capability's share of the offline grammar: create (one or several alerts in a
message, every slot kept: direction, level or move, frequency, expiry, note), update,
list, delete (one, or all on a symbol behind a confirmation), snooze and history; the
follow-ups that change the alert just made ("make it 190", "actually every time", "same
for AMD"), and the refusals of what alerts cannot watch yet (indicators, volume)."""

from __future__ import annotations

import functools
import re

from core.grammar import (
    PLURAL_REF,
    Args,
    Ask,
    Built,
    Context,
    Entities,
    FollowUp,
    Grammar,
    Intent,
    Refusal,
    id_of,
    pick,
)
from tools.alerts.phrases import (
    expiry,
    frequency,
    read_alert,
    resolve_levels,
    split_note,
)

ALERT_TOOLS = ("create_alert", "update_alert", "delete_alert", "snooze_alert")
_alert_id = id_of("alert", "rule")
CAN_WATCH = ("I can watch a price level (above, below, crossing), or a move of a % or $ "
             "amount up, down or either way within a window")


def _which(e: Entities, ctx: Context) -> int | Ask | None:
    """The alert a message means: its number, the one it singles out among those the
    conversation made ("the apple one"), or the one the conversation is on; a question when
    "it" could be several."""
    if "alert" in e.ids or "rule" in e.ids or "id" in e.ids:
        return _alert_id(e)
    chosen = pick(ctx.alerts, e, ctx.alert_id)
    if chosen is not None and chosen.get("id") is not None:
        return int(chosen["id"])
    if len(ctx.alerts) > 1 and (ctx.alert_ambiguous or PLURAL_REF.search(e.norm)):
        return Ask("Which alert: " + " or ".join(_label(a) for a in ctx.alerts[-4:]) + "?")
    if ctx.alert_id is not None and not ctx.alert.get("proposed"):
        return ctx.alert_id
    return None


def _label(alert: Args) -> str:
    cond = str(alert.get("condition", "")).replace("_", " ")
    level = alert.get("threshold")
    what = f"{cond} ${level:,.2f}" if isinstance(level, int | float) and "pct" not in cond \
        else f"{cond} {level}"
    return f"{alert.get('id')} ({alert.get('symbol')} {what})"


def _symbol_at(norm: str, symbols: list[str], position: int) -> str:
    """The symbol said last before ``position`` (the first one when none is)."""
    from core.symbols import UNIVERSE

    best, best_at = symbols[0], -1
    for sym in symbols:
        names = [sym.lower(), sym.lower().removesuffix("-usd"), *UNIVERSE.get(sym, ("",) * 5)[4]]
        for name in names:
            for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", norm):
                if best_at < m.start() < position:
                    best, best_at = sym, m.start()
    return best


def _create(e: Entities, ctx: Context) -> Built:
    symbols = e.symbols or ([] if not e.refers_back else ctx.symbols)
    if not e.symbols and len(symbols) > 1 and not re.search(r"\b(them|both|all|each|those)\b",
                                                             e.norm):
        return Ask("Which one: " + " or ".join(symbols) + "?")
    words = read_alert(e)
    common: Args = {}
    if words.frequency:
        common["frequency"] = words.frequency
    if words.expires_at:
        common["expires_at"] = words.expires_at
    if words.note:
        common["note"] = words.note
    if not symbols:
        if words.move or words.levels:
            return Ask("Which ticker should the alert watch? e.g. 'alert me when AAPL goes "
                       "above 200'.")
        return None
    if re.search(r"\bforce\b|\banyway\b", e.norm):
        common["force"] = True
    if words.move is not None:
        return [{"symbol": s, **words.move, **common} for s in symbols]
    if not words.levels:
        if e.prices:
            return Ask(f"Should {symbols[0]}'s alert fire above ${e.prices[0]:,.2f}, below it, "
                       "or on a cross either way?")
        return Ask(f"At what price should the {symbols[0]} alert fire, and above or below? "
                   f"{CAN_WATCH}.")
    calls = []
    for level in words.levels:
        symbol = _symbol_at(e.norm, symbols, level.start) if len(symbols) > 1 else symbols[0]
        resolved = resolve_levels([level], e.norm, functools.partial(ctx.price, symbol)) \
            if len(words.levels) == 1 else [level]
        if isinstance(resolved, Ask):
            return resolved
        calls.append((symbol, resolved[0]))
    if len(words.levels) == 2 and all(lv.condition in ("level", "at") for lv in words.levels) \
            and calls[0][0] == calls[1][0]:
        pair = resolve_levels(words.levels, e.norm, lambda: ctx.price(calls[0][0]))
        if isinstance(pair, list):
            calls = [(calls[0][0], lv) for lv in pair]
    out = []
    for symbol, lv in calls:
        if lv.condition in ("level", "at"):
            return Ask(f"Should the {symbol} alert fire above ${lv.value:,.2f}, below it, or "
                       "on a cross either way?")
        out.append({"symbol": symbol, "condition": lv.condition, "threshold": lv.value,
                    **common})
    return out


def _changes(e: Entities, ctx: Context) -> Args:
    """What a message changes in an alert: level, condition, frequency, expiry, note,
    window."""
    changes: Args = {}
    was = ctx.alert
    if re.search(r"\b(clear|remove|drop|delete|erase|wipe) (?:the |its )?note\b", e.norm):
        changes["note"] = ""
        norm = re.sub(r"\bnote\b.*$", " ", e.norm)
    else:
        norm, note = split_note(e.norm)
        if note is not None:
            changes["note"] = note
    if re.search(r"\b(remove|clear|drop|no|delete|kill) (?:the |its )?expir(?:y|ation|es)\b|"
                 r"\bforever\b|\bnever expires?\b|\bno end\b", norm):
        changes["expires_at"] = "never"
        norm, until = re.sub(r"\bexpir\w*.*$", " ", norm), None
    else:
        norm, until = expiry(norm)
    if until:
        changes["expires_at"] = until
    freq = frequency(norm)
    if freq:
        changes["frequency"] = freq
    moving = "pct" in str(was.get("condition", "")) or "moving" in str(was.get("condition", ""))
    if e.duration_min and (re.search(r"\bwindow\b", norm) or moving and re.search(
            r"\b(within|in|over)\b", norm)) and not until:
        changes["window_minutes"] = e.duration_min
        norm = re.sub(r"\b(?:within|in|over)\s+(?:an?|\d+)\s*\w+", " ", norm)
    words = read_alert(Entities(text=norm, norm=norm, duration_min=e.duration_min))
    if words.move is not None:
        changes.update({k: v for k, v in words.move.items() if k != "window_minutes"}
                       if "pct" in str(was.get("condition", "")) or "moving" in str(
                           was.get("condition", "")) or not was else words.move)
    elif words.levels:
        lv = words.levels[0]
        changes["threshold"] = lv.value
        if lv.condition != "level":
            changes["condition"] = lv.condition
    else:
        cond = _condition_word(norm)
        if cond:
            changes["condition"] = cond
        numbers = [p for p in e.prices if p not in e.ids.values()]
        if e.percents and ("pct" in str(was.get("condition", "")) or not was):
            changes["threshold"] = abs(e.percents[0])
        elif numbers:
            changes["threshold"] = numbers[-1]
    return changes


def _condition_word(norm: str) -> str | None:
    for pattern, cond in ((r"(?:cross(?:es|ing)?|breaks?|breaking) (?:below|under|down)",
                           "cross_below"),
                          (r"(?:cross(?:es|ing)?|breaks?|breaking) (?:above|over|up|out)",
                           "cross_above"), (r"\bbreakout\b", "cross_above"),
                          (r"\bbreakdown\b", "cross_below"),
                          (r"\beither way\b|\bany direction\b", "cross"),
                          (r"\bcross(?:es|ing)?\b", "cross"), (r"\b(below|under)\b", "below"),
                          (r"\b(above|over)\b", "above")):
        if re.search(pattern, norm):
            return cond
    return None


def _update(e: Entities, ctx: Context) -> Built:
    alert_id = _which(e, ctx)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I change? Give its number ('list my alerts' shows "
                   "them).")
    changes = _changes(e, ctx)
    if not changes:
        return Ask(f"What should change in alert {alert_id}: the level, above/below, how "
                   "often, the expiry or the note?")
    return {"alert_id": alert_id, **changes}


def _list_alerts(e: Entities, ctx: Context) -> Args:
    return {"symbol": e.symbols[0]} if e.symbols else {}


def _delete(e: Entities, ctx: Context) -> Built:
    if len(e.id_lists.get("alert", [])) > 1:
        return [{"alert_id": i} for i in e.id_lists["alert"]]
    bulk = re.search(r"\b(all|every|each|both)\b.*\balerts?\b|\balerts\b", e.norm)
    if e.symbols and bulk and "alert" not in e.ids:
        return {"symbol": e.symbols[0]}
    alert_id = _which(e, ctx)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I delete? Give its number ('list my alerts' shows "
                   "them).")
    return {"alert_id": alert_id}


def _snooze(e: Entities, ctx: Context) -> Built:
    minutes = e.duration_min
    if minutes is None and re.search(r"\b(till|until) tomorrow\b|\bovernight\b", e.norm):
        minutes = 16 * 60
    if len(e.id_lists.get("alert", [])) > 1:
        return [{"alert_id": i, "minutes": minutes or 60} for i in e.id_lists["alert"]]
    alert_id = _which(e, ctx)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I snooze, and for how long? e.g. 'snooze alert 3 "
                   "for an hour'.")
    return {"alert_id": alert_id, "minutes": minutes or 60}


def _history(e: Entities, ctx: Context) -> Args:
    args: Args = {}
    if e.symbols:
        args["symbol"] = e.symbols[0]
    for pattern, since in ((r"\btoday\b|\bthis morning\b|\bso far\b", "today"),
                           (r"\byesterday\b", "yesterday"), (r"\bthis week\b", "this week"),
                           (r"\b(24 ?h|24 hours|last day|past day)\b", "24h"),
                           (r"\b(last|past) hour\b|\b1 ?h\b", "1h")):
        if re.search(pattern, e.norm):
            args["since"] = since
            break
    return args


# ---- follow-ups: fragments about the alert the conversation is on -----------------------

def _about_alert(ctx: Context) -> bool:
    return ctx.last_tool in (*ALERT_TOOLS, "list_alerts") and (
        ctx.alert_id is not None or len(ctx.alerts) > 1)


CHANGE_MARKERS = re.compile(r"\b(make it|make that|change|set it|move it|bump|lower|raise|"
                            r"instead|actually|switch|only|have it|let it|extend|widen|"
                            r"not|rather)\b")


def _change_it(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make it 190', 'actually every time', 'until friday', 'note: fed day'."""
    if not _about_alert(ctx):
        return None
    if e.symbols and (e.symbols != ctx.symbols[:1] or not CHANGE_MARKERS.search(e.norm)):
        return None  # "and tsla below 240" is another alert
    if re.search(r"\b(delete|remove|cancel|kill|snooze|mute|silence|undo|revert)\b", e.norm) \
            and not re.search(r"\b(note|expir\w*)\b", e.norm):
        return None
    alert_id = _which(e, ctx)
    if isinstance(alert_id, Ask):
        return "update_alert", alert_id
    changes = _changes(e, ctx)
    return ("update_alert", {"alert_id": alert_id, **changes}) if changes and alert_id else None


def _confirm(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'yes' / 'force it' / 'do it anyway' after the tool asked about an alert that
    already holds."""
    if not ctx.alert.get("proposed") or ctx.last_tool != "create_alert":
        return None
    if not re.search(r"^(yes|yeah|yep|sure|ok|okay|do it|go ahead|force|create it|set it)\b|"
                     r"\b(anyway|force)\b", e.norm):
        return None
    args = {k: v for k, v in ctx.alert.items() if k not in ("proposed", "force")}
    return "create_alert", {**args, "force": True}


def _same_for(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'same for AMD' after an alert: the same move for another symbol; a level with no
    direction keeps the last one's ("same for AVGO at 180"); a price level alone is asked
    (it rarely fits another stock)."""
    if ctx.last_tool not in ("create_alert", "update_alert") or not e.symbols or \
            e.symbols == ctx.symbols[:1]:
        return None
    if not re.search(r"\b(same|too|also|as well|and|what about|how about|ditto|another)\b",
                     e.norm):
        return None
    template = ctx.alert if ctx.alert and not ctx.alert.get("proposed") else ctx.last_args
    last = {k: v for k, v in template.items() if k in (
        "condition", "threshold", "frequency", "window_minutes", "expires_at", "note")
        and v not in (None, "")}
    if not last.get("condition"):
        return None
    cond = str(last["condition"])
    words = read_alert(e)
    if words.move:
        return "create_alert", _create(e, ctx)
    if words.levels:
        if all(lv.condition in ("level", "at") for lv in words.levels):
            return "create_alert", [{**last, "symbol": s, "threshold": words.levels[0].value}
                                    for s in e.symbols]
        return "create_alert", _create(e, ctx)
    if "moving" in cond or "pct" in cond:
        amount = e.percents if "pct" in cond else e.prices
        if amount:  # "same for meta but $15"
            last = {**last, "threshold": abs(amount[0])}
        return "create_alert", [{"symbol": s, **last} for s in e.symbols]
    return "create_alert", Ask(f"At what level for {e.symbols[0]}? ({cond.replace('_', ' ')} "
                               f"${float(last.get('threshold', 0)):,.2f} was for {ctx.symbol}.)")


def _narrow(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'just nvda' / 'and for tsla?' after listing alerts or what fired: the same, for it."""
    if ctx.last_tool not in ("list_alerts", "alert_history") or not e.symbols:
        return None
    rest = e.norm
    for sym in e.symbols:
        rest = re.sub(rf"\$?\b{re.escape(sym.lower().removesuffix('-usd'))}\w*", " ", rest)
    if not re.fullmatch(r"(?:\s|just|only|and|for|what about|how about|on|the|alerts?|"
                        r"ones?|too|then|now|same|please)*", rest):
        return None
    args = {k: v for k, v in ctx.last_args.items() if k != "symbol"}
    return ctx.last_tool, {**args, "symbol": e.symbols[0]}


# ---- when an intent applies, and evidence beyond its words -----------------------------

def _other_ids(e: Entities) -> bool:
    return any(k in e.ids for k in ("draft", "decision", "option"))


def _says_alert(e: Entities) -> bool:
    words = read_alert(e)
    return bool(words.levels or words.move)


def _may_create(e: Entities, ctx: Context) -> bool:
    return not _other_ids(e) and not ("alert" in e.ids and not e.symbols)


def _create_evidence(e: Entities, ctx: Context) -> float:
    return 2.5 if _says_alert(e) and (e.symbols or e.refers_back) else 0.0


def _may_change(e: Entities, ctx: Context) -> bool:
    return not _other_ids(e) and bool(
        "alert" in e.ids or ctx.alert_id is not None or ctx.alerts
        or re.search(r"\balerts?\b", e.norm))


def _change_evidence(e: Entities, ctx: Context) -> float:
    return 2.0 if "alert" in e.ids and not e.symbols else 0.0


def _not_a_new_alert(e: Entities, ctx: Context) -> float:
    return -3.0 if _says_alert(e) and e.symbols else 0.0


def _no_other_ids(e: Entities, ctx: Context) -> bool:
    return not _other_ids(e)


ALERT_CONTEXT = (*ALERT_TOOLS, "list_alerts", "alert_history")


def _about_alerts(e: Entities, ctx: Context) -> bool:
    """An alert is meant: said so, or the conversation is on alerts (a bare "delete it"
    after a draft is the draft's)."""
    if _other_ids(e) or re.search(r"\b(drafts?|posts?|watchlist|watch list|articles?)\b", e.norm):
        return False
    return bool("alert" in e.ids or re.search(r"\balerts?\b", e.norm) or e.symbols
                or ctx.last_tool in ALERT_CONTEXT or ctx.alerts and ctx.last_tool is None)


INDICATORS = (r"\b(rsi|macd|moving averages?|\d+\s*-?\s*(?:day|d|period)\s*(?:ma|sma|ema|moving)|"
              r"sma|ema|dma|vwap|bollinger|stoch(?:astic)?|golden cross|death cross|adx|atr|"
              r"obv|ichimoku|fib(?:onacci)?|(?:unusual |high )?volume(?: spike| surge)?s?|"
              r"open interest|implied vol(?:atility)?|\biv\b)\b")

GRAMMAR = Grammar(
    intents=(
        Intent(
            "create_alert",
            {"alert": 2.5, "alert me": 3, "alerts": 0.5, "notify": 3, "ping me": 3.5,
             "ping": 2.5, "tell me when": 3.5, "tell me if": 3.5, "let me know": 3, "lmk": 3,
             "heads up": 3, "alarm": 2.5, "warn me": 3, "text me": 3, "dm me": 3,
             "hit me up": 3, "wake me up": 3, "buzz me": 3, "holler": 2.5, "shout": 2,
             "set": 0.8, "when": 1, "if": 0.8, "crosses": 1.5, "crossing": 1.5, "breaks": 1.2,
             "above": 1, "below": 1, "under": 1, "over": 0.8, ">": 1.5, "<": 1.5,
             "drops": 0.8, "falls": 0.8, "dumps": 0.8, "hits": 0.8, "moves": 0.8,
             "watch for": 2, "trigger": 1.5, "%": 0.5, "rips": 0.8, "pops": 0.8,
             "jumps": 0.8, "tanks": 0.8, "whenever": 1, "once a day": 1, "every time": 1},
            _create,
            missing="Which ticker and level should the alert watch? e.g. 'alert me when "
                    "AAPL goes above 200'.",
            needs_symbol=True,
            vetoes=("delete", "remove", "cancel", "snooze", "mute", "silence", "list",
                    "my alerts", "which alerts", "what alerts", "active alerts", "kill",
                    "alerts do i", "fired", "triggered", "went off", "go off", "history",
                    "update", "change alert", "nuke", "get rid", "do i have",
                    "do i already", "have an alert", "any alerts", "alerts set"),
            examples=(
                "alert me when sym goes above num", "ping me if sym drops below num",
                "tell me when sym crosses num", "lmk if sym breaks above num",
                "sym under num alert", "sym > num alert pls", "notify me when sym < num",
                "set an alert for sym over num", "sym falls pct lmk", "sym jumps pct ping me",
                "alert if sym moves pct in num minutes", "heads up if sym dumps to num",
                "wake me up if sym rips past num", "sym drops num bucks alert",
                "sym crossing num either way every time", "let me know if sym is up num bucks",
            ),
            mutating=True,
            when=_may_create,
            boost=_create_evidence,
        ),
        Intent(
            "update_alert",
            {"change": 2, "update": 2.5, "edit": 2, "modify": 2.5, "adjust": 2.5,
             "bump": 2.5, "move": 1.2, "raise": 1.5, "lower": 1.5, "widen": 2.5,
             "extend": 2.5, "switch": 2, "make": 1, "add a note": 2.5, "note": 1.5,
             "instead": 1.5, "to": 0.3, "alert": 0.8, "expiry": 2, "expire": 2,
             "forever": 1.5, "window": 2, "fire every time": 2, "once a day": 1,
             "every time": 1, "set the": 1},
            _update,
            missing="Which alert should I change?",
            vetoes=("delete", "remove alert", "cancel", "snooze", "mute", "watchlist",
                    "draft", "post", "autopilot", "decision"),
            examples=(
                "change alert ref to num", "bump alert ref up to num", "make alert ref fire "
                "every time", "alert ref only once a day", "extend alert ref till friday",
                "add a note to alert ref", "switch alert ref to crosses below",
                "update alert ref threshold num", "move alert ref to num",
            ),
            mutating=True,
            when=_may_change,
            boost=_change_evidence,
        ),
        Intent(
            "list_alerts",
            {"alerts": 3, "my alerts": 4, "list": 1.5, "show": 1, "active": 1.5, "which": 1,
             "what": 0.5, "set up": 1, "open": 0.8, "rules": 2, "do i have": 1.5,
             "alert list": 4, "alert-wise": 3, "alert wise": 3, "got": 0.5, "set": 0.5,
             "have an alert": 3, "already": 1},
            _list_alerts,
            vetoes=("delete", "remove", "cancel", "snooze", "mute", "kill", "silence",
                    "autopilot", "decisions", "fired", "triggered", "went off", "go off",
                    "history", "nuke", "delivered", "hit today", "dismiss"),
            examples=("show my alerts", "what alerts do i have", "list alerts for sym",
                      "any sym alerts set", "alerts?", "which alerts are active",
                      "what am i watching for on sym alert-wise"),
            boost=_not_a_new_alert,
        ),
        Intent(
            "delete_alert",
            {"delete": 3, "remove": 3, "cancel": 3, "kill": 3, "drop": 2.5, "get rid of": 3,
             "rm": 3, "nuke": 3, "scrap": 3, "trash": 3, "clear": 2, "bin": 2.5, "ditch": 3,
             "alert": 1.5, "alerts": 1.5, "rule": 1, "turn off": 1.5, "stop": 1},
            _delete,
            missing="Which alert number should I delete? 'list alerts' shows them.",
            vetoes=("watchlist", "watch list", "draft", "autopilot", "post", "note",
                    "expiry", "decision", "decisions"),
            examples=("delete alert ref", "cancel alert ref", "kill alert ref",
                      "nuke all my sym alerts", "remove the sym alerts", "get rid of alert ref",
                      "delete it", "remove that alert"),
            mutating=True,
            when=_about_alerts,
        ),
        Intent(
            "snooze_alert",
            {"snooze": 4, "mute": 3.5, "silence": 3.5, "pause": 3, "quiet": 2.5,
             "shut up": 3, "shh": 3.5, "hush": 3.5, "hold off": 2.5, "alert": 1, "for": 0.3},
            _snooze,
            missing="Which alert number should I snooze, and for how long?",
            vetoes=("autopilot", "incident", "all", "every", "decisions"),
            examples=("snooze alert ref for an hour", "mute alert ref for num min",
                      "silence alert ref for a day", "shh alert ref", "snooze it"),
            mutating=True,
            when=_no_other_ids,
        ),
        Intent(
            "alert_history",
            {"fired": 4, "triggered": 4, "went off": 4, "go off": 4, "gone off": 4,
             "alert history": 5, "history": 1.5, "hit today": 3, "delivered": 3,
             "did my alerts": 3, "what alerted": 3.5, "trigger": 2, "fire": 2.5,
             "pinged": 2.5, "hit yesterday": 3, "hit": 1, "yesterday": 1.5, "today": 1,
             "this week": 1, "get delivered": 3},
            _history,
            vetoes=("autopilot", "draft", "when it fires", "delete"),
            examples=("what fired today", "alert history last 24h", "any alerts go off on sym",
                      "which alerts hit yesterday", "what triggered on sym this week",
                      "did my alerts get delivered"),
        ),
    ),
    words=frozenset({"alert", "alerts", "snooze", "notify", "crosses", "above", "below"}),
    follow_ups=(FollowUp("confirm-alert", _confirm), FollowUp("same-alert", _same_for),
                FollowUp("narrow-alerts", _narrow), FollowUp("change-alert", _change_it)),
    refusals=(
        Refusal("indicator-alert",
                rf"{INDICATORS}.{{0,60}}\b(alert|ping|notify|tell|lmk|let me know|warn|"
                r"above|below|over|under|cross|>|<)\b|"
                rf"\b(alert|ping|notify|tell|lmk|let me know|warn)\b.{{0,60}}{INDICATORS}",
                "I can't alert on indicators (RSI, moving averages, MACD, volume) yet. "
                + CAN_WATCH + ": say e.g. 'alert me when TSLA crosses 250'."),
    ),
)
