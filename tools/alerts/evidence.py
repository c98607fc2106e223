"""When an alerts intent applies, and the evidence beyond its words: an alert is meant
(said so, or the conversation is on alerts), a ticker with a direction and a level is an
alert however it is said, and what alerts cannot watch (indicators)."""

from __future__ import annotations

import re

from core.grammar import Context, Entities, pick
from tools.alerts.phrases import list_said, read_alert, says_list
from tools.alerts.reading import ALERT_TOOLS


def other_ids(e: Entities) -> bool:
    return any(k in e.ids for k in ("draft", "decision", "option"))


def says_alert(e: Entities) -> bool:
    words = read_alert(e)
    return bool(words.levels or words.move)


# "list" as the verb ("list tsla alerts above 200", "can you list my alerts"), not a list
# named in the message ("put it on my semis list")
LIST_VERB = re.compile(r"^(?:(?:pls|please|can you|could you|just|now|ok|okay)\s+)*list\b|"
                       r"\blist\s+(?:all|my|the|every|them|those|alerts?|\$?[a-z]{1,6}\s+alerts?)\b")


EDIT_ONE = re.compile(r"\b(?:make|change|set|move|bump|raise|lower)\s+the\s+[\w.$-]+\s+(?:one|alert)\b")


def may_create(e: Entities, ctx: Context) -> bool:
    """No other thing's number, no alert's number without a ticker, and no "list" unless
    it is the list an alert is over ("list tsla alerts above 200" lists them)."""
    if LIST_VERB.search(e.norm) and not list_said(e.norm):
        return False
    if ctx.alerts and EDIT_ONE.search(e.norm):  # "make the tesla one 5%": an edit
        return False
    return not other_ids(e) and not (("alert" in e.ids or "id" in e.ids) and not e.symbols)


def create_evidence(e: Entities, ctx: Context) -> float:
    return 2.5 if says_alert(e) and (e.symbols or e.refers_back or says_list(e.norm)) else 0.0


def may_change(e: Entities, ctx: Context) -> bool:
    return not other_ids(e) and bool(
        "alert" in e.ids or "id" in e.ids or ctx.alert_id is not None or ctx.alerts
        or re.search(r"\balerts?\b", e.norm))


def change_evidence(e: Entities, ctx: Context) -> float:
    if re.match(r"(?:and|also|plus)\b", e.norm) and says_alert(e):
        return -4.0  # "and every time it drops $5": another alert, not a change
    if EDIT_ONE.search(e.norm):  # "make the tesla one 5%"
        return 2.5
    return 2.0 if "alert" in e.ids and not e.symbols else 0.0


def not_a_new_alert(e: Entities, ctx: Context) -> float:
    return -3.0 if says_alert(e) and e.symbols else 0.0


def no_other_ids(e: Entities, ctx: Context) -> bool:
    return not other_ids(e)


ALERT_CONTEXT = (*ALERT_TOOLS, "list_alerts", "alert_history")
DRAFT_CONTEXT = ("draft_content", "show_draft", "edit_draft", "schedule_content",
                 "publish_content", "delete_draft", "list_drafts")


def about_alerts(e: Entities, ctx: Context) -> bool:
    """An alert is meant: said so, or the conversation is on alerts (a bare "delete it"
    after a draft is the draft's)."""
    if other_ids(e) or re.search(r"\b(drafts?|posts?|watchlist|watch list|articles?)\b", e.norm):
        return False
    if ctx.last_tool in DRAFT_CONTEXT and not re.search(r"\balerts?\b", e.norm) and \
            "alert" not in e.ids and not (
                e.symbols and any(a.get("symbol") in e.symbols for a in ctx.alerts)
                and not any(d.get("symbol") in e.symbols for d in ctx.drafts)):
        return False  # "and delete the meta one" after drafts is a draft (if one is on META)
    return bool("alert" in e.ids or "id" in e.ids or re.search(r"\balerts?\b", e.norm)
                or e.symbols or ctx.last_tool in ALERT_CONTEXT
                or ctx.alerts and ctx.last_tool is None
                or pick(ctx.alerts, e, ctx.alert_id) is not None)  # "kill the lower one"


INDICATORS = (r"\b(rsi|macd|moving averages?|\d+\s*-?\s*(?:day|d|period)\s*(?:ma|sma|ema|moving)|"
              r"sma|ema|dma|vwap|bollinger|stoch(?:astic)?|golden cross|death cross|adx|atr|"
              r"obv|ichimoku|fib(?:onacci)?|(?:unusual |high )?volume(?: spike| surge)?s?|"
              r"open interest|implied vol(?:atility)?|\biv\b)\b")
