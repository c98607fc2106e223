"""The alerts grammar's builders for update, delete, snooze and history, and the
follow-ups about the alert the conversation is on (change it, confirm it, correct it,
revert it, the same for another ticker). When each intent applies is in ``evidence``."""

from __future__ import annotations

import re

from core.grammar import (
    Args,
    Ask,
    Built,
    Context,
    Entities,
    only,
    pick,
)
from tools.alerts.evidence import ALERT_CONTEXT, says_alert
from tools.alerts.phrases import (
    read_alert,
)
from tools.alerts.reading import (
    ALERT_TOOLS,
    changes,
    changes_to,
    create,
    fits_level,
    which,
    which_all,
)


def update(e: Entities, ctx: Context) -> Built:
    several = which_all(e, ctx)
    if several:
        changed = changes(e, ctx)
        return [{"alert_id": i, **changed} for i in several] if changed else None
    alert_id = which(e, ctx)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I change? Give its number ('list my alerts' shows "
                   "them).")
    changed = changes_to(alert_id, e, ctx)
    if not changed:
        return Ask(f"What should change in alert {alert_id}: the level, above/below, how "
                   "often, the expiry or the note?")
    return {"alert_id": alert_id, **changed}


def list_alerts(e: Entities, ctx: Context) -> Args:
    return {"symbol": e.symbols[0]} if e.symbols else {}


def delete(e: Entities, ctx: Context) -> Built:
    bulk = re.search(r"\b(all|every|each|both)\b.*\b(alerts?|ones)\b|\balerts\b|"
                     r"\b(everything|all of them|all)\b", e.norm)
    if e.symbols and bulk and "alert" not in e.ids:
        return {"symbol": e.symbols[0]}
    several = which_all(e, ctx)
    symbols = {str(a.get("symbol")) for a in ctx.alerts if a.get("id") in several}
    if len(several) > 1 and len(symbols) == 1 and "alert" not in e.id_lists and \
            re.search(r"\ball\b", e.norm):
        # "delete all of those" about one ticker's alerts: the bulk delete, which asks the
        # owner to confirm with the whole list in front of him
        return {"symbol": symbols.pop()}
    if len(several) > 1:
        return [{"alert_id": i} for i in several]
    alert_id = which(e, ctx, bare=True)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I delete? Give its number ('list my alerts' shows "
                   "them).")
    return {"alert_id": alert_id}


def snooze(e: Entities, ctx: Context) -> Built:
    minutes = e.duration_min
    if minutes is None and re.search(r"\b(till|until) tomorrow\b|\bovernight\b", e.norm):
        minutes = 16 * 60
    several = which_all(e, ctx)
    if len(several) > 1:
        return [{"alert_id": i, "minutes": minutes or 60} for i in several]
    alert_id = which(e, ctx, bare=True)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        return Ask("Which alert should I snooze, and for how long? e.g. 'snooze alert 3 "
                   "for an hour'.")
    return {"alert_id": alert_id, "minutes": minutes or 60}


RESUME = r"\b(resume|unpause|un-pause|reactivate|re-enable|turn (?:\w+ )?back on|back on)\b"


def pause(e: Entities, ctx: Context) -> Built:
    """Pause or resume one alert, or every alert on a ticker ("pause my tsla alerts",
    "resume alert 3")."""
    extra = {"resume": True} if re.search(RESUME, e.norm) else {}
    if e.symbols and "alert" not in e.ids and "id" not in e.ids:
        return {"symbol": e.symbols[0], **extra}
    several = which_all(e, ctx)
    if len(several) > 1:
        return [{"alert_id": i, **extra} for i in several]
    alert_id = which(e, ctx, bare=True)
    if isinstance(alert_id, Ask):
        return alert_id
    if alert_id is None:
        verb = "resume" if extra else "pause"
        return Ask(f"Which alert should I {verb}? Give its number, or a ticker for all its "
                   "alerts ('list my alerts' shows them).")
    return {"alert_id": alert_id, **extra}


def history(e: Entities, ctx: Context) -> Args:
    args: Args = {}
    if e.symbols:
        args["symbol"] = e.symbols[0]
    m = re.search(r"\b(?:last|past)\s+(\d+)\s*(h|hrs?|hours?|d|days?)\b", e.norm)
    if m:
        args["since"] = f"{m.group(1)}{m.group(2)[0]}"
        return args
    for pattern, since in ((r"\btoday\b|\bthis morning\b|\bso far\b", "today"),
                           (r"\byesterday\b", "yesterday"), (r"\bthis week\b", "this week"),
                           (r"\b(24 ?h|24 hours|last day|past day)\b", "24h"),
                           (r"\b(last|past) hour\b|\b1 ?h\b", "1h")):
        if re.search(pattern, e.norm):
            args["since"] = since
            break
    return args


# ---- follow-ups: fragments about the alert the conversation is on -----------------------

def about_alert(ctx: Context) -> bool:
    return ctx.last_tool in (*ALERT_TOOLS, "list_alerts") and (
        ctx.alert_id is not None or len(ctx.alerts) > 1)


CHANGE_MARKERS = re.compile(r"\b(make it|make that|change|set it|move it|bump|lower|raise|"
                            r"instead|actually|switch|only|have it|let it|extend|widen|"
                            r"not|rather)\b")
ACTIONS = re.compile(r"\b(delete|remove|cancel|kill|snooze|mute|silence|undo|revert|nuke|"
                     r"wipe|drop|scrap|trash|bin|get rid|clear|list|show|chart|quote|draft)\b")
NEW_ALERT = re.compile(r"\b(?:ping|alert|tell|notify|text|dm|msg|message|warn|buzz) me\b.{0,20}"
                       r"\b(?:if|when|once|whenever|as soon as)\b|\blet me know\b.{0,20}"
                       r"\b(?:if|when|once|whenever)\b")
ANOTHER = re.compile(r"^(?:and |also |plus )*(?:another|also|one more|and one|and another|"
                     r"plus)\b|^(?:and|also|plus|\+)\s+(?:at\s+|@\s*)?\$?\d|"
                     r"^(?:and|also|plus)\s+(?:above|below|over|under|>|<|cross\w*)\b")


def change_it(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make it 190', 'actually every time', 'until friday', 'note: fed day', '30 min
    window on both'."""
    if not about_alert(ctx) or ANOTHER.search(e.norm) and not re.search(
            r"\b(instead|rather)\b", e.norm):
        return None
    if re.match(r"(?:and|also|plus)\b", e.norm) and says_alert(e):
        return None  # "and every time it drops $5": another alert
    if NEW_ALERT.search(e.norm) and not CHANGE_MARKERS.search(e.norm):
        return None  # "ok then just tell me if it gets over 200": an alert of its own
    if e.symbols and (e.symbols != ctx.symbols[:1] or not CHANGE_MARKERS.search(e.norm)):
        return None  # "and tsla below 240" is another alert
    if ACTIONS.search(e.norm) and not re.search(r"\b(note|expir\w*)\b", e.norm) and not (
            e.when and re.search(r"\b(kill|cancel|drop|end|stop) it\b", e.norm)):
        return None  # "kill it friday" is an expiry; "kill it" a delete
    changed = changes(e, ctx)
    if not changed:
        return None
    several = which_all(e, ctx)
    if several:
        return "update_alert", [{"alert_id": i, **changed} for i in several]
    alert_id = which(e, ctx)
    if isinstance(alert_id, Ask):
        return "update_alert", alert_id
    if alert_id and isinstance(changed.get("threshold"), float) and "alert" not in e.ids \
            and not e.symbols:
        fitted = fits_level(alert_id, changed["threshold"], ctx)
        if isinstance(fitted, Ask):
            return "update_alert", fitted
    if alert_id:
        changed = changes_to(alert_id, e, ctx)
    return ("update_alert", {"alert_id": alert_id, **changed}) if alert_id else None


def confirm(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """After the tool asked about an alert that already holds: 'yes' / 'force it' creates
    (or changes) it anyway; '205 then' asks for another level instead."""
    yes = re.search(r"^(yes|yeah|yep|sure|okay|do it|go ahead|force|create it|set it)\b|"
                    r"\b(anyway|force)\b", e.norm)
    proposed_update = ctx.alert.get("proposed_update")
    if ctx.last_tool == "update_alert" and isinstance(proposed_update, dict) and yes:
        return "update_alert", {**proposed_update, "force": True}
    if not ctx.alert.get("proposed") or ctx.last_tool != "create_alert":
        return None
    args = {k: v for k, v in ctx.alert.items() if k not in ("proposed", "force")}
    if yes:
        return "create_alert", {**args, "force": True}
    numbers = [p for p in e.prices if p not in e.ids.values()]
    if numbers and not e.symbols and re.search(r"\b(then|instead|rather|make it|try|ok|okay)\b",
                                                e.norm):
        return "create_alert", {**args, "threshold": numbers[0]}
    return None


def correct(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'wait I meant TSLA', 'no, below not above': the alert just asked for, corrected
    (asked again when it was not made; the made one changed otherwise)."""
    if ctx.last_tool != "create_alert" or not re.search(
            r"\b(meant|mean|i said|not|wrong|oops|sorry|no)\b", e.norm):
        return None
    last = {k: v for k, v in ctx.last_args.items() if k != "force"}
    fix: Args = {}
    if e.symbols and e.symbols[0] != last.get("symbol"):
        fix["symbol"] = e.symbols[0]
    m = re.search(r"\b(below|under|above|over)\b(?:,)?\s+not\s+(?:below|under|above|over)\b|"
                  r"\bnot\s+(?:below|under|above|over)\s*,?\s+(below|under|above|over)\b|"
                  r"\bmeant\s+(below|under|above|over)\b", e.norm)
    if m:
        word = m.group(1) or m.group(2) or m.group(3)
        fix["condition"] = "below" if word in ("below", "under") else "above"
    if not fix:
        return None
    made = not ctx.alert.get("proposed") and ctx.alert_id is not None
    if made and "symbol" not in fix:
        return "update_alert", {"alert_id": ctx.alert_id, **fix}
    return "create_alert", {**last, **fix}


KEPT = ("symbol", "condition", "threshold", "frequency", "window_minutes", "note")


def revert(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'undo that' right after an alert was made (delete it), changed (change it back) or
    deleted ('put it back', 'put it back but at 225': made again): none of these is a
    decision the undo tool knows."""
    back_words = re.search(r"\b(undo|revert|put (?:\w+ ){0,3}back|"
                           r"bring (?:it|that) back|restore|recreate|change it back|set it back|"
                           r"roll ?back|take that back)\b", e.norm)
    if not back_words:
        return None
    if ctx.alert.get("deleted") and (ctx.last_tool == "delete_alert" or "back" in e.norm):
        again = {k: v for k, v in ctx.alert.items() if k in KEPT and v not in (None, "")}
        return "create_alert", {**again, **changes(e, ctx)}
    if ctx.alert_id is None:
        return None
    if ctx.last_tool == "create_alert" and not ctx.alert.get("proposed"):
        return "delete_alert", {"alert_id": ctx.alert_id}
    if ctx.last_tool == "update_alert" and ctx.alert_before:
        back = {k: v for k, v in ctx.alert_before.items()
                if k in ("threshold", "condition", "frequency", "window_minutes", "note",
                         "expires_at") and ctx.alert.get(k) != v}
        if back.get("expires_at") is None and "expires_at" in back:
            back["expires_at"] = "never"
        if back:
            return "update_alert", {"alert_id": ctx.alert_id, **back}
    return None


def show_them(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'show it', 'just show them' after alerts: the alerts on that ticker (all, when none)."""
    if ctx.last_tool not in ALERT_CONTEXT or not re.search(
            r"\b(show|list|see)\b(?: me)?(?: it| them| those| em| the alerts?)?(?: again)?\b",
            e.norm) or re.search(r"\b(draft|post|chart|watchlist|fired|history|add|take|remove|"
                                 r"put|drop)\b|\b(?:my|the|a|to|from|on|off|of|into)\s+[a-z][\w-]*"
                                 r"\s+list\b", e.norm):
        return None  # "take avgo off the semis list" is about that list
    own = re.search(r"\b(it|them|those|em)\b", e.norm)  # "show my alerts" is all of them
    symbols = e.symbols or (ctx.symbols if own else [])
    return "list_alerts", {"symbol": symbols[0]} if symbols else {}


def bare_level(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'tsla 275', 'btc 60k' right after alerts: an alert or a quote? asked."""
    if ctx.last_tool not in ("create_alert", "update_alert", "delete_alert") or \
            len(e.symbols) != 1 or len(e.prices) != 1 or len(e.norm.split()) > 3:
        return None
    if read_alert(e).levels or read_alert(e).move:
        return None
    return "create_alert", Ask(f"An alert on {e.symbols[0]} at ${e.prices[0]:,.2f} (above, "
                               "below, or a cross either way), or just its quote?")


def again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make that 2 hours' after a snooze; 'and the eth one for the same': the same snooze
    for another alert."""
    if ctx.last_tool != "snooze_alert":
        return None
    minutes = ctx.last_args.get("minutes", 60)
    if e.duration_min and re.search(r"\b(make (?:it|that)|actually|instead|rather|no)\b", e.norm):
        return "snooze_alert", {"alert_id": ctx.last_args.get("alert_id"),
                                "minutes": e.duration_min}
    if re.search(r"\b(same|too|as well|also)\b", e.norm) and (e.symbols or "alert" in e.ids):
        target = which(e, ctx)
        if isinstance(target, int):
            return "snooze_alert", {"alert_id": target, "minutes": e.duration_min or minutes}
    return None


def same_for(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'same for AMD' after an alert: the same move for another symbol; a level with no
    direction keeps the last one's ("same for AVGO at 180"); a price level alone is asked
    (it rarely fits another stock). 'and 415': another level, same ticker and kind. 'same
    on the upside': the move mirrored."""
    if ctx.last_tool not in ("create_alert", "update_alert") or ACTIONS.search(e.norm):
        return None
    template = ctx.alert if ctx.alert and not ctx.alert.get("proposed") else ctx.last_args
    last = {k: v for k, v in template.items() if k in (
        "condition", "threshold", "frequency", "window_minutes", "expires_at", "note")
        and v not in (None, "")}
    cond = str(last.get("condition", ""))
    symbol = template.get("symbol") or ctx.symbol
    if not cond or not symbol:
        return None
    mirror = re.search(r"\b(?:same|also|and)\b.*\b(?:on |to )?the (upside|downside)\b|"
                       r"\bthe other (way|direction)\b", e.norm)
    if mirror and not e.symbols:
        flip = {"moving_up": "moving_down", "moving_down": "moving_up", "above": "below",
                "below": "above", "moving_up_pct": "moving_down_pct",
                "moving_down_pct": "moving_up_pct", "cross_above": "cross_below",
                "cross_below": "cross_above"}
        if cond in flip:
            return "create_alert", {**last, "symbol": symbol, "condition": flip[cond]}
    if not e.symbols and ANOTHER.search(e.norm) and e.prices and \
            not re.search(r"\b(instead|rather)\b", e.norm):
        levels = read_alert(e).levels
        if levels and levels[0].condition not in ("level", "at", "break"):  # "and above 200"
            return "create_alert", {**last, "symbol": symbol, "condition": levels[0].condition,
                                    "threshold": levels[0].value}
        return "create_alert", {**last, "symbol": symbol, "threshold": e.prices[0]}
    if not e.symbols or e.symbols == ctx.symbols[:1]:
        return None
    if not re.search(r"\b(same|too|also|as well|and|what about|how about|ditto|another)\b",
                     e.norm):
        return None
    words = read_alert(e)
    if words.move:
        return "create_alert", create(e, ctx)
    if words.levels:
        if all(lv.condition in ("level", "at") for lv in words.levels):
            return "create_alert", [{**last, "symbol": s, "threshold": words.levels[0].value}
                                    for s in e.symbols]
        return "create_alert", create(e, ctx)
    if "moving" in cond or "pct" in cond:
        amount = e.percents if "pct" in cond else e.prices
        if amount:  # "same for meta but $15"
            last = {**last, "threshold": abs(amount[0])}
        return "create_alert", [{"symbol": s, **last} for s in e.symbols]
    if e.prices and not e.percents:  # "ya and amd 210": the same kind of level, its own
        return "create_alert", [{**last, "symbol": s, "threshold": e.prices[0]}
                                for s in e.symbols]
    return "create_alert", Ask(f"At what level for {e.symbols[0]}? ({cond.replace('_', ' ')} "
                               f"${float(last.get('threshold', 0)):,.2f} was for {symbol}.)")


def and_that_one(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and the bank one' / 'that one too' right after deleting or snoozing an alert: the
    same to the one it singles out."""
    if ctx.last_tool not in ("delete_alert", "snooze_alert") or not re.search(
            r"\b(and|also|too|as well)\b", e.norm) or not only(e.norm, r"\w+ one|\w+ alert"):
        return None
    chosen = pick(ctx.alerts, e, ctx.alert_id)
    if chosen is None or chosen.get("id") is None:
        return None
    args = {k: v for k, v in ctx.last_args.items() if k == "minutes"}
    return ctx.last_tool, {"alert_id": int(chosen["id"]), **args}


def narrow(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'just nvda' / 'what about tsla this week' after listing alerts or what fired: the
    same, for it."""
    if ctx.last_tool not in ("list_alerts", "alert_history"):
        return None
    if not e.symbols:  # "what about everything in the last 2 hours"
        if ctx.last_tool == "alert_history" and re.search(r"\b(everything|all|every)\b",
                                                          e.norm):
            return "alert_history", history(e, ctx)
        return None
    rest = e.norm
    for sym in e.symbols:
        rest = re.sub(rf"\$?\b{re.escape(sym.lower().removesuffix('-usd'))}\w*", " ", rest)
    if not only(rest, r"alerts?|ones?|same|fired|today|yesterday|this week|this morning"):
        return None
    args = {k: v for k, v in ctx.last_args.items() if k != "symbol"}
    if ctx.last_tool == "alert_history":
        args.update(history(e, ctx))
    return ctx.last_tool, {**args, "symbol": e.symbols[0]}
