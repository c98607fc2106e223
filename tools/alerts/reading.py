"""Reading an alert request against the conversation: which alert a message means
("the apple one", "it"), the calls a create request makes (one or several alerts, every
slot kept), and what a change request changes. Used by the alerts grammar."""

from __future__ import annotations

import functools
import re
from dataclasses import replace

from core.grammar import MAKE_IT, PLURAL_REF, Args, Ask, Built, Context, Entities, id_of, pick
from tools.alerts import indicator_words
from tools.alerts.phrases import (
    MOVE_PARTS,
    Level,
    edited_move,
    expiry,
    frequency,
    list_said,
    read_alert,
    resolve_levels,
    split_note,
)

ALERT_TOOLS = ("create_alert", "update_alert", "delete_alert", "snooze_alert", "pause_alert")
_alert_id = id_of("alert", "rule")
CAN_WATCH = ("I can watch a price level (above, below, crossing), or a move of a % or $ "
             "amount up, down or either way within a window")


PLURAL = re.compile(r"\b(both|them|all of them|all three|those|these|each|the two|"
                    r"(?:those|the) other (?:two|ones)|all my alerts)\b")
DESCRIBED = re.compile(r"\bthe (\w+(?:\.\w+)?) (?:one|alert)\b|\bthe alert\b")
CONDITION_WORDS = {"below": ("below", "cross_below"), "under": ("below", "cross_below"),
                   "above": ("above", "cross_above"), "over": ("above", "cross_above"),
                   "cross": ("cross",), "crossing": ("cross",),
                   "percent": ("pct_change", "moving_up_pct", "moving_down_pct"),
                   "pct": ("pct_change", "moving_up_pct", "moving_down_pct")}


def which(e: Entities, ctx: Context, bare: bool = False) -> int | Ask | None:
    """The alert a message means: its number, the one it singles out among those the
    conversation made ("the apple one", "the lower one", "the 250"), or the one it is on;
    a question when it could be several ("it" after two were made, "the alert" or "the
    below one" when two fit)."""
    if "alert" in e.ids or "rule" in e.ids or "id" in e.ids:
        return _alert_id(e)
    verb = re.search(r"\b(?:snooze|delete|kill|remove|mute|drop|cancel|silence|nuke)\s+#?(\d+)\b"
                     r"(?![.,]\d|\s*(?:%|percent|pct|bucks|dollars|usd|k\b))", e.norm)
    if bare and verb:  # "snooze 4 for 30 min": the number right after the verb is the alert's
        return int(verb.group(1))
    if re.search(r"\b(an|one|some|any) alert\b", e.norm) and not PLURAL_REF.search(e.norm):
        pool = ctx.alerts or ([ctx.alert] if ctx.alert.get("id") else [])
        if len(pool) > 1 or not pool:  # "remove an alert": which one is never a guess
            return Ask("Which alert" + (": " + " or ".join(label(a) for a in pool[-4:]) + "?"
                                        if pool else "? 'list my alerts' shows them."))
    fitting = candidates(e, ctx)
    if len(fitting) == 1 and fitting[0].get("id") is not None:
        return int(fitting[0]["id"])
    if len(fitting) > 1:
        return Ask("Which alert: " + " or ".join(label(a) for a in fitting[-4:]) + "?")
    if e.symbols and ctx.alert.get("symbol") not in (None, *e.symbols):
        return Ask(f"Which {e.symbols[0]} alert? Give its number ('list my alerts' shows "
                   "them).")  # "the nvda one" never means the AMD alert in focus
    if ctx.alert_id is not None and not ctx.alert.get("proposed"):
        return ctx.alert_id
    return None


def candidates(e: Entities, ctx: Context) -> list[Args]:
    """The conversation's alerts the message could mean: one when it singles one out,
    several when "it" / "the alert" / "the below one" fits more than one, none when it
    says nothing about which."""
    pool = ctx.alerts
    if len(pool) < 2:
        return []
    chosen = pick(pool, e, ctx.alert_id)
    if chosen is not None:
        return [chosen]
    # "the 250" singles one out; in "make it 10" the number is the new value
    by_level = [a for a in pool if any(abs(float(a.get("threshold") or -1) - p) < 1e-6
                                       for p in e.prices)] if not MAKE_IT.search(e.norm) else []
    if len(by_level) == 1:
        return by_level
    described = DESCRIBED.search(e.norm)
    if described:  # "the below one" among the below ones; "the alert" among all of them
        kinds = CONDITION_WORDS.get(described.group(1) or "")
        return [a for a in pool if a.get("condition") in kinds] if kinds else list(pool)
    if ctx.alert_ambiguous or PLURAL_REF.search(e.norm):
        return list(pool)
    return []


def fits_level(alert_id: int, threshold: float, ctx: Context) -> int | Ask:
    """'make it 215' with an AAPL-220 and an MSFT-350 alert: a new level far (over 15 %)
    from the alert in focus but close to another's means that other one; asked when both
    or neither fit."""
    pool = [a for a in ctx.alerts if isinstance(a.get("threshold"), int | float)
            and "pct" not in str(a.get("condition")) and "moving" not in str(a.get("condition"))]
    current = next((a for a in pool if a.get("id") == alert_id), None)
    if current is None or len(pool) < 2:
        return alert_id

    def near(a: Args) -> bool:
        return abs(threshold - float(a["threshold"])) <= 0.15 * float(a["threshold"])

    if near(current):
        return alert_id
    close = [a for a in pool if near(a)]
    if len(close) == 1:
        return Ask(f"Alert {close[0]['id']} ({close[0].get('symbol')}) is the one near "
                   f"${threshold:,.2f}; change that one? Say 'the {close[0].get('symbol')} one' "
                   f"or give the alert's number.")
    return alert_id


def which_all(e: Entities, ctx: Context) -> list[int]:
    """'both', 'them', 'those other two': the conversation's alerts a plural means."""
    if "alert" in e.id_lists:
        return e.id_lists["alert"]
    if not PLURAL.search(e.norm) or len(ctx.alerts) < 2 or PLURAL_REF.search(e.norm):
        return []  # "one of them" is one, not all
    pool = ctx.alerts
    current = ctx.alert_id if ctx.alert_id is not None else ctx.alert.get("id")
    if re.search(r"\bother\b", e.norm) and current is not None:
        pool = [a for a in pool if a.get("id") != current]
    m = re.search(r"\b(two|three|2|3)\b", e.norm)
    if m and not re.search(r"\bother\b", e.norm):
        pool = pool[-{"two": 2, "2": 2, "three": 3, "3": 3}[m.group(1)]:]
    return [int(a["id"]) for a in pool if a.get("id") is not None]


def label(alert: Args) -> str:
    cond = str(alert.get("condition", "")).replace("_", " ")
    level = alert.get("threshold")
    what = f"{cond} ${level:,.2f}" if isinstance(level, int | float) and "pct" not in cond \
        else f"{cond} {level}"
    return f"{alert.get('id')} ({alert.get('symbol')} {what})"


def symbol_at(norm: str, symbols: list[str], position: int) -> str:
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


# "... with the message {{ticker}} dumped to {{price}}": the alert's own message template
TEMPLATE = re.compile(r"\b(?:with the message|with message|message|saying|template|text)\s*:?\s*"
                      r"[\"“']?(?P<t>[^\"”]*\{\{[^\"”]*\}\}[^\"”]*?)[\"”']?\s*$", re.IGNORECASE)
TEMPLATE_NORM = re.compile(r"\b(?:with the message|with message|message|saying|template|text)\b.*$")


def create(e: Entities, ctx: Context) -> Built:
    said = TEMPLATE.search(e.text)
    if said is not None:  # read the condition without the template's words, then add it
        built = create(replace(e, text=e.text[:said.start()],
                               norm=TEMPLATE_NORM.sub("", e.norm).strip()), ctx)
        if isinstance(built, dict):
            built["template"] = said.group("t").strip()
        elif isinstance(built, list):
            for args in built:
                args["template"] = said.group("t").strip()
        return built
    if indicator_words.said(e.norm):
        return _indicator(e, ctx)
    symbols = e.symbols or _quoted(e, ctx) or (ctx.symbols if e.refers_back or _focused(e, ctx)
                                               else [])
    if not e.symbols and (listed := list_said(e.norm)):  # one rule over a list
        symbols = [listed]
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
    relative = _relative_level(e, ctx, symbols[0])
    if relative is not None:
        return {"symbol": symbols[0], **relative, **common}
    moves = [{"symbol": s, **words.move, **common} for s in symbols] if words.move else []
    if not words.levels:
        if moves:
            return moves
        if e.prices:
            return Ask(f"Should {symbols[0]}'s alert fire above ${e.prices[0]:,.2f}, below it, "
                       "or on a cross either way?")
        return Ask(f"At what price should the {symbols[0]} alert fire, and above or below? "
                   f"{CAN_WATCH}.")
    calls = []
    for level in words.levels:
        symbol = symbol_at(e.norm, symbols, level.start) if len(symbols) > 1 else symbols[0]
        level = _as_before(level, e, ctx, symbol)
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
    placed: list[tuple[int, Args]] = [(words.move_at, m) for m in moves]
    for symbol, lv in calls:
        if lv.condition in ("level", "at", "break"):
            return Ask(f"Should the {symbol} alert fire above ${lv.value:,.2f}, below it, or "
                       "on a cross either way?")
        placed.append((lv.start, {"symbol": symbol, "condition": lv.condition,
                                  "threshold": lv.value, **common}))
    return [args for _, args in sorted(placed, key=lambda pair: pair[0])]


def _indicator(e: Entities, ctx: Context) -> Built:
    """An indicator or channel alert, one per ticker; never a price alert instead."""
    symbols = [s for s in e.symbols if s not in indicator_words.INDICATOR_TICKERS] or \
        [listed for listed in [list_said(e.norm)] if listed] or \
        (ctx.symbols if e.refers_back or _focused(e, ctx) else [])
    if not symbols:
        return Ask("Which ticker should the alert watch? e.g. 'alert me when RSI on TSLA "
                   "goes above 70'.")
    words = read_alert(e)
    common: Args = {k: v for k, v in (("frequency", words.frequency),
                                      ("expires_at", words.expires_at),
                                      ("note", words.note)) if v}
    calls = []
    for symbol in symbols:
        args = indicator_words.read(e.norm, symbol)
        if args is None or isinstance(args, Ask):
            return args
        calls.append({**args, **common})
    return calls


def _focused(e: Entities, ctx: Context) -> bool:
    """'set a breakout alert at 165' right after looking at one ticker: that ticker."""
    return len(ctx.symbols) == 1 and ctx.last_tool in (
        "get_quote", "get_price_history", "price_chart", "create_alert", "update_alert",
        "market_status", "list_alerts")


def _quoted(e: Entities, ctx: Context) -> list[str]:
    """'the lower one' / 'the cheaper one' among the tickers just quoted."""
    priced = [q for q in ctx.quotes if q.get("symbol") and isinstance(q.get("price"), int | float)]
    if len(priced) < 2:
        return []
    if re.search(r"\b(lower|cheaper|cheapest|lowest|smaller)\b(?: one)?", e.norm):
        return [str(min(priced, key=lambda q: q["price"])["symbol"])]
    if re.search(r"\b(higher|pricier|priciest|highest|bigger|more expensive)\b(?: one)?", e.norm):
        return [str(max(priced, key=lambda q: q["price"])["symbol"])]
    return []


def _relative_level(e: Entities, ctx: Context, symbol: str) -> Args | None:
    """'10% below that', '5% above the current price': a level from the last price."""
    m = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|pct)\s+(below|under|above|over)\s+"
                  r"(?:that|it|this|the (?:current )?price|current|here|now|where it is)\b",
                  e.norm)
    if not m:
        return None
    seen = next((q["price"] for q in reversed(ctx.quotes) if q.get("symbol") == symbol), None)
    now = seen if isinstance(seen, int | float) else ctx.price(symbol)
    if now is None:
        return None
    pct = float(m.group(1)) / 100
    down = m.group(2) in ("below", "under")
    return {"condition": "below" if down else "above",
            "threshold": round(now * (1 - pct if down else 1 + pct), 2)}


def _as_before(level: Level, e: Entities, ctx: Context, symbol: str) -> Level:
    """'set it at 42 instead' after an alert on the same ticker: the same direction."""
    if level.condition not in ("level", "at"):
        return level
    last = ctx.alert if ctx.alert.get("symbol") == symbol else (
        ctx.last_args if ctx.last_args.get("symbol") == symbol else {})
    cond = str(last.get("condition", ""))
    if cond in ("above", "below", "cross", "cross_above", "cross_below") and re.search(
            r"\b(instead|again|then|it|that)\b", e.norm):
        return Level(cond, level.value, level.start)
    return level


def changes(e: Entities, ctx: Context) -> Args:
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
    if re.search(r"\b(remove|clear|drop|no|delete|kill|scrap|ditch|lose|forget|get rid of) "
                 r"(?:the |its |any )?expir(?:y|ation|es)\b|\bforever\b|\bnever expires?\b|"
                 r"\bno end\b|\buntil i (?:kill|delete|cancel|stop|remove) it\b", norm):
        changes["expires_at"] = "never"
        norm, until = re.sub(r"\bexpir\w*.*$", " ", norm), None
    else:
        norm, until = expiry(norm)
        if until:  # "expire them both friday": the refs are not the time
            until = re.sub(r"^(?:(?:them|it|that|both|all|those|these|the alerts?)\s+)+", "",
                           until).strip() or until
    if until:
        changes["expires_at"] = until
    freq = frequency(norm)
    if freq:
        changes["frequency"] = freq
    old = str(was.get("condition", ""))
    if e.duration_min and (re.search(r"\bwindow\b", norm) or old in MOVE_PARTS) and not until:
        changes["window_minutes"] = e.duration_min
        norm = re.sub(r"\b(?:within|in|over)\s+(?:an?|\d+)\s*\w+", " ", norm)
    words = read_alert(Entities(text=norm, norm=norm, duration_min=e.duration_min))
    if words.move is not None:
        changes.update({k: v for k, v in words.move.items() if k != "window_minutes"}
                       if old in MOVE_PARTS or not was else words.move)
    elif words.levels:
        lv = words.levels[0]
        changes["threshold"] = lv.value
        if lv.condition not in ("level", "at", "break"):
            changes["condition"] = lv.condition
    else:
        moving_alert = old in MOVE_PARTS
        numbers = [p for p in e.prices if p not in e.ids.values() and (moving_alert or not re.search(
            rf"\b{p:g}\s*(?:bucks|dollars|points|pts|a day|per day|times)\b", norm))]
        if e.percents and ("pct" in str(was.get("condition", "")) or not was):
            changes["threshold"] = abs(e.percents[0])
        elif numbers:  # "change that 250 alert to 255": the one after "to"
            to = re.search(r"\bto\s+\$?(\d+(?:\.\d+)?)(?![\d.])", norm)
            changes["threshold"] = float(to.group(1)) if to and len(numbers) > 1 and float(
                to.group(1)) in numbers else numbers[0]
    if old in MOVE_PARTS and (words.move is not None or "threshold" in changes):
        said = str(words.move["condition"]) if words.move is not None else None
        edited = edited_move(old, said, norm, "window_minutes" in changes)
        if edited is None:  # "make it 10 bucks" on an either-way % move: no such alert
            for key in ("condition", "threshold", "window_minutes"):
                changes.pop(key, None)
        elif edited != old:
            changes["condition"] = edited
        else:
            changes.pop("condition", None)
    elif "condition" not in changes:
        cond = condition_word(norm)
        if cond:
            changes["condition"] = cond
    return changes


def changes_to(alert_id: int, e: Entities, ctx: Context) -> Args:
    """``changes`` read against the alert they go to (what a message leaves out, such as
    a move's direction, is that alert's own, not the one last in focus)."""
    target = next((a for a in ctx.alerts if a.get("id") == alert_id), None)
    if target is None or ctx.alert.get("id") == alert_id:
        return changes(e, ctx)
    return changes(e, replace(ctx, alert=target))


def condition_word(norm: str) -> str | None:
    for pattern, cond in ((r"\b(?:on the way|going|coming) up\b|\bfrom below\b", "cross_above"),
                          (r"\b(?:on the way|going|coming) down\b|\bfrom above\b", "cross_below"),
                          (r"(?:cross(?:es|ing)?|breaks?|breaking) (?:below|under|down)",
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


