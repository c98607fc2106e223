"""How the market capability reads a request: the period it names, the tickers it means
("both of them", "the second one"), a comparison, and the follow-ups that repeat the
last look at another ticker or period. Used by its grammar."""

from __future__ import annotations

import re

from core.grammar import (
    Args,
    Ask,
    Built,
    Context,
    Entities,
    only,
)

SYMBOL_TOOLS = ("get_quote", "get_price_history", "price_chart")
# a refusal never fires on a request to write about the subject ("draft a post on TSLA calls")
NOT_CONTENT = r"^(?!.*\b(?:draft|write|article|blog|newsletter|tweet|post about)\b).*"


def span_of(e: Entities) -> Args:
    """How far back: "N days/sessions" as `days`; a calendar period ("3 months", "ytd",
    "52-week", "since jan 1", "yesterday") as `period` (with `days` about as long)."""
    sessions = re.search(r"\b(\d{1,4})\s*(?:trading\s+)?(?:sessions?|trading days|bars|candles)\b",
                         e.norm)
    if sessions:
        return {"days": int(sessions.group(1))}
    if e.period:
        m = re.fullmatch(r"(\d+) days", e.period)
        if m:
            return {"days": int(m.group(1))}
        return {"period": e.period, **({"days": e.days} if e.days else {})}
    if re.search(r"\byesterday\b|\blast close\b|\bprevious close\b|\bprior close\b", e.norm):
        return {"period": "yesterday"}
    if re.search(r"\btoday\b|\bintraday\b", e.norm) and not re.search(r"\bchart\b", e.norm):
        return {}
    return {}


def calendar_evidence(e: Entities, ctx: Context) -> float:
    return 1.5 if (e.period or re.search(r"\b(yesterday|last close|\d+ sessions?)\b", e.norm)) \
        and (e.symbols or ctx.symbols) else 0.0


def them(e: Entities, ctx: Context) -> list[str]:
    """'both of them', 'all three': the tickers the conversation named last."""
    m = re.search(r"\b(both|all three|all of them|them|those|these)\b", e.norm)
    if not m or e.symbols:
        return []
    n = 3 if m.group(1) == "all three" else 2 if m.group(1) == "both" else len(ctx.symbols)
    if len(ctx.symbols) >= n > 1:
        return ctx.symbols[:n]
    return ctx.recent_symbols[-n:] if len(ctx.recent_symbols) >= n > 1 else []


def history(e: Entities, ctx: Context) -> Built:
    symbols = e.symbols or them(e, ctx) or ctx.symbols
    if not symbols:
        return None
    span = span_of(e) or last_span(e, ctx)
    return [{"symbol": s, **span} for s in symbols]


def last_span(e: Entities, ctx: Context) -> Args:
    """'chart that', 'the numbers for that period too': the conversation's last span."""
    if not (e.refers_back or re.search(r"\b(too|as well|same)\b", e.norm)) or e.symbols:
        return {}
    if ctx.last_tool not in ("get_price_history", "price_chart"):
        return {}
    return {k: v for k, v in ctx.last_args.items() if k in ("days", "period")}


ASKS_PRICE = re.compile(r"^(?:what|where|how)(?: is| are|s)?\s+(?:(?!have|got|set)\S+\s+){0,3}"
                        r"(?:at|trading|doing|sitting|going)(?: now| rn| today)?$|"
                        r"^(?:and |so |okay )*(?:now|right now|rn|price|px|quote|and now)$")


def quotable(e: Entities, ctx: Context) -> bool:
    """A quote needs a ticker: said, or the conversation's ("what's it at")."""
    return bool(e.symbols or ctx.symbols or e.refers_back)


def asks_price(e: Entities, ctx: Context) -> float:
    """'what's broadcom at', 'what is it at', 'and now?', 'price?': a quote."""
    return 2.0 if ASKS_PRICE.search(e.norm) and (e.symbols or ctx.symbols) else 0.0


def quote(e: Entities, ctx: Context) -> Built:
    short = len(e.norm.split()) <= 3
    symbols = e.symbols or them(e, ctx) or (ctx.symbols[:1] if e.refers_back or short else [])
    if not symbols:
        return None
    return [{"symbol": s} for s in symbols]


def not_a_price(e: Entities, ctx: Context) -> float:
    """'nvidia price? market is open already right': the price is asked, not the session."""
    return -4.5 if e.symbols and re.search(r"\b(price|px|quote|at)\b", e.norm) else 0.0


def status(e: Entities, ctx: Context) -> Args:
    crypto = [s for s in e.symbols if s.endswith("-USD")]
    if crypto:
        return {"symbol": crypto[0]}
    if re.search(r"\b(crypto|bitcoin|btc)\b", e.norm):
        return {"symbol": "BTC-USD"}
    return {}


# a named list beside the watchlist: "my semis list", "to the swing list", "a list called ai"
NAMED_LIST = re.compile(r"\b(?:my|the|to|from|on|onto|off|in|into|of|a|new)\s+(?!watch\b)"
                        r"([a-z][a-z0-9_-]{1,23})\s+list\b|\blist (?:called|named) "
                        r"([a-z][a-z0-9_-]{1,23})\b")
NOT_LIST_NAMES = frozenset({
    "alert", "alerts", "draft", "drafts", "decision", "decisions", "todo", "to-do", "whole",
    "entire", "full", "same", "other", "new", "that", "this", "reading", "shopping", "price",
    "content", "post", "posts", "silence", "silences", "my", "the", "a", "long", "short"})


def named_list(norm: str) -> str | None:
    m = NAMED_LIST.search(norm)
    name = (m.group(1) or m.group(2)) if m else None
    return name if name and name not in NOT_LIST_NAMES else None


def list_evidence(e: Entities, ctx: Context) -> float:
    """'add NVDA to my semis list', 'show the swing list': a list, not the alerts'."""
    return 5.0 if named_list(e.norm) else 0.0


def watchlist(e: Entities, ctx: Context) -> Built:
    n = re.sub(r"\bwatch ?list\b", " ", e.norm)
    name = named_list(e.norm)
    where: Args = {"list_name": name} if name else {}
    if re.search(r"\b(remove|delete|drop|stop watching|stop tracking|unwatch|get rid of|rm|"
                 r"take off|kick|ditch|scrap|bin)\b", n) or re.search(r"\btake\b.*\boff\b", n) \
            or re.search(r"(?:^|\s)-[a-z$]", n):
        action = "remove"
    elif re.search(r"\b(add|watch|track|tracking|put|follow|include|keep an eye|stick|throw)\b",
                   n) or re.search(r"(?:^|\s)\+[a-z$]", n) or (
                       name and e.symbols and re.search(r"\b(create|make|start|new)\b", n)):
        action = "add"
    else:
        return {"action": "list", **where}
    symbols = e.symbols or them(e, ctx) or nth(e, ctx) or (
        ctx.symbols if e.refers_back else [])
    if not symbols:
        return Ask(f"Which ticker should I {action} {'to' if action == 'add' else 'from'} the "
                   f"{name + ' list' if name else 'watchlist'}?")
    return [{"action": action, "symbol": s, **where} for s in symbols]


COMPARE = r"\b(vs\.?|versus|compared? (?:to|with)|against|relative to|outperform\w*|" \
    r"underperform\w*|compare|beat|beating|better than|worse than)\b"


ALL_OF_THEM = re.compile(r"\b(they all|all of them|all (?:three|four|five)|(?:which|what) "
                         r"(?:one|of them|ticker|stock)|who)\b.*\b(do|did|done|best|worst|"
                         r"most|least|better|worse|perform\w*)\b|\bhow did (?:they|all)\b")


def compare(e: Entities, ctx: Context) -> Built:
    """'how did NVDA do this week vs AMD', 'AAPL this week vs last week', 'chart nvda vs
    amd ytd': one table of returns (and one overlay chart when asked to chart); 'how'd it
    do vs nvda', 'compare both ytd', 'which one did best': with the conversation's tickers."""
    symbols = compared(e, ctx)
    if not symbols:
        return None
    args: Args = {"symbols": symbols}
    periods = re.findall(r"\b(this week|last week|this month|last month|ytd|today|yesterday|"
                         r"this year|last year)\b", e.norm)
    if len(symbols) == 1 and len(periods) >= 2:
        args.update(period=periods[0], versus=periods[1])
    elif periods:
        args["period"] = periods[0]
    elif e.period:
        args["period"] = e.period
    if re.search(r"\b(chart|graph|plot|overlay|draw)\b", e.norm):
        args["chart"] = True
    if len(symbols) < 2 and "versus" not in args:
        return Ask(f"Compare {symbols[0]} with what: another ticker, or another period "
                   "('this week vs last week')?")
    return args


def compared(e: Entities, ctx: Context) -> list[str]:
    """The tickers a comparison means: said, 'both', 'they all' (the run of tickers just
    looked at), or the one in focus against the one said ("how'd it do vs nvda")."""
    if len(e.symbols) == 1 and ctx.symbols and e.symbols[0] not in ctx.symbols and (
            e.refers_back or re.search(r"\b(it|its)\b", e.norm)):
        return ctx.symbols[:1] + e.symbols
    if e.symbols:
        return e.symbols
    if ALL_OF_THEM.search(e.norm) and len(ctx.looked_at) >= 2:
        return ctx.looked_at
    return them(e, ctx) or ctx.symbols


def ranks_them(e: Entities, ctx: Context) -> float:
    """'how did they all do', 'which one did best' after looking at several tickers."""
    return 3.0 if ALL_OF_THEM.search(e.norm) and len(ctx.looked_at) >= 2 and not e.symbols \
        else 0.0


def says_compare(e: Entities, ctx: Context) -> bool:
    """A comparison of returns: two tickers (or two periods) and words about how they
    did; "aapl vs msft rn" is two quotes."""
    if ALL_OF_THEM.search(e.norm) and len(ctx.looked_at) >= 2 and not e.symbols:
        return True
    if not re.search(COMPARE, e.norm):
        return False
    performance = e.period or re.search(r"\b(do|did|done|doing|perform\w*|returns?|up|down|"
                                        r"better|worse|gain\w*|outperform\w*|beat\w*|ytd|"
                                        r"week|month|year|chart)\b", e.norm)
    return bool(performance) and (len(compared(e, ctx)) >= 2 or bool(
        re.search(r"\b(this|last) (week|month|year)\b.*\b(vs|versus)\b", e.norm)))


def nth(e: Entities, ctx: Context) -> list[str]:
    """'the second one' among the tickers the last turn named."""
    named = [a.get("symbol") for _, a in ctx.last_calls if a.get("symbol")]
    for word, index in (("first", 0), ("second", 1), ("third", 2), ("last", -1)):
        if re.search(rf"\bthe {word}(?: one)?\b", e.norm) and len(named) > 1:
            return [str(named[index])]
    return []


# ---- follow-ups --------------------------------------------------------------------------

def another_symbol(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and MSFT?', 'same for AMD', 'what about tsla': the last look, another symbol."""
    if ctx.last_tool not in SYMBOL_TOOLS or not e.symbols or e.symbols == ctx.symbols:
        return None
    rest = e.norm
    for sym in e.symbols:
        rest = re.sub(rf"\$?\b{re.escape(sym.lower().removesuffix('-usd'))}\w*", " ", rest)
    if not only(rest, r"(?:for|over) (?:the )?same (?:period|days)|same period|same days|"
                      r"same|too|as well|instead|then|now|please|but|and|or|also|ytd|"
                      r"\d+\s*\w*|(?:last|past|this|since) \w+|\$"):
        return None  # a request of its own ("drop the shopify one")
    more = span_of(e) if ctx.last_tool != "get_quote" else {}
    keep = {k: v for k, v in ctx.last_args.items() if k in ("days", "period")} if not more else more
    return ctx.last_tool, [{"symbol": s, **keep} for s in e.symbols]


def undo_watchlist(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'undo that' / 'put it back' right after a watchlist change: the opposite change."""
    if ctx.last_tool != "watchlist" or ctx.last_args.get("action") not in ("add", "remove"):
        return None
    if not re.search(r"\b(undo|revert|put it back|add it back|take it back|nevermind|"
                     r"never mind|my bad)\b", e.norm):
        return None
    back = "add" if ctx.last_args["action"] == "remove" else "remove"
    symbols = [a.get("symbol") for n, a in ctx.last_calls if n == "watchlist"] or ctx.symbols
    return "watchlist", [{"action": back, "symbol": s} for s in symbols if s]


def list_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'show me the list now' after changing the watchlist."""
    if ctx.last_tool != "watchlist" or not re.search(r"\b(list|show|what is on it|whats on it)\b",
                                                     e.norm) or e.symbols or re.search(
            r"\b(drafts?|alerts?|posts?|decisions?|errors?|incidents?)\b", e.norm):
        return None
    return "watchlist", {"action": "list"}


def another_period(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'6 months instead', 'what about ytd', 'make it 120': the last history or chart,
    another period."""
    if ctx.last_tool not in ("get_price_history", "price_chart") or not ctx.symbols or \
            re.search(COMPARE, e.norm):
        return None
    span = span_of(e)
    if not span and len(e.bare_ints) == 1 and re.search(
            r"\b(make it|instead|change it to|try|rather|actually|how about|what about)\b",
            e.norm):
        span = {"days": e.bare_ints[0]}
    if not span or e.symbols and e.symbols != ctx.symbols:
        return None
    if re.search(r"\b(alert|draft|post|publish)\b", e.norm):
        return None
    tool = ctx.last_tool
    if re.search(r"\b(chart|graph|plot)\b", e.norm):
        tool = "price_chart"
    elif re.search(r"\b(history|numbers|closes)\b", e.norm):
        tool = "get_price_history"
    return tool, [{"symbol": s, **span} for s in ctx.symbols]


def compare_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """After a comparison: 'and last week?' / 'what about ytd' (another period), 'add avgo'
    (one more ticker; another one instead after a period-vs-period look), 'chart that' /
    'with a chart' (the same, charted)."""
    if ctx.last_tool != "compare_returns" or not ctx.last_args.get("symbols"):
        return None
    if re.search(r"\b(alert|draft|post|publish|watchlist|quote|price)\b", e.norm):
        return None
    args = dict(ctx.last_args)
    periods = re.findall(r"\b(this week|last week|this month|last month|ytd|today|yesterday|"
                         r"this year|last year)\b", e.norm)
    said = [s for s in e.symbols if s not in args["symbols"]]
    if e.symbols and not said:  # "chart google 1y" after comparing it: that one alone
        return None
    rest = e.norm
    for sym in e.symbols:
        rest = re.sub(rf"\$?\b{re.escape(sym.lower().removesuffix('-usd'))}\w*", " ", rest)
    if not only(rest, r"add|plus|throw in|include|with|same thing|same|chart|graph|plot|"
                      r"overlay|a chart|what about|how about|and|too|as well|ytd|"
                      r"(?:this|last|past) \w+|\d+\s*\w*|since \w+( \d+)?"):
        return None
    if said:
        args["symbols"] = said if args.get("versus") else args["symbols"] + said
    if len(periods) >= 2 and len(args["symbols"]) == 1:
        args.update(period=periods[0], versus=periods[1])
    elif e.period or periods:
        args["period"] = periods[0] if periods else e.period
        args.pop("versus", None)
    if re.search(r"\b(chart|graph|plot|overlay)\b", e.norm):
        args["chart"] = True
    return ("compare_returns", args) if args != ctx.last_args else None


def watchlist_more(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and uber', 'remove tesla too', 'add both' after a watchlist change; 'put brk.b on
    it', 'take tsla off' after looking at it."""
    if ctx.last_tool != "watchlist":
        return None
    if re.search(r"\b(alert|chart|draft|quote|price|history|how|did|do)\b", e.norm):
        return None
    built = watchlist(e, ctx)
    if isinstance(built, list):
        return "watchlist", built
    if ctx.last_args.get("action") not in ("add", "remove"):
        return None
    if e.symbols and re.fullmatch(r"(?:and|also|plus|\+|&|what about|\s)*(?:\$?[\w.\-]+[\s,]*)+"
                                  r"(?:too|as well)?", e.norm):
        return "watchlist", [{"action": ctx.last_args["action"], "symbol": s} for s in e.symbols]
    return None


def status_for(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and for crypto?' / 'what about btc' after asking if the market is open."""
    if ctx.last_tool != "market_status" or re.search(
            r"\b(price|quote|chart|px|history|alert|at|doing|moving|worth|trading at)\b",
            e.norm):
        return None
    args = status(e, ctx)
    return ("market_status", args) if args else None
