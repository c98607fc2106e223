"""The market capability's share of the offline grammar: quotes, history, charts, market
status and the watchlist; the follow-ups that repeat the last look at another symbol or
period ("and MSFT?", "same for AMD", "6 months instead"), and the refusals of what market
data here cannot do (orders, options, earnings dates, advice)."""

from __future__ import annotations

import re

from core.grammar import (
    Args,
    Ask,
    Built,
    Context,
    Entities,
    FollowUp,
    Grammar,
    Intent,
    Refusal,
    only,
)

SYMBOL_TOOLS = ("get_quote", "get_price_history", "price_chart")
# a refusal never fires on a request to write about the subject ("draft a post on TSLA calls")
NOT_CONTENT = r"^(?!.*\b(?:draft|write|article|blog|newsletter|tweet|post about)\b).*"


def _span(e: Entities) -> Args:
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


def _calendar_evidence(e: Entities, ctx: Context) -> float:
    return 1.5 if (e.period or re.search(r"\b(yesterday|last close|\d+ sessions?)\b", e.norm)) \
        and (e.symbols or ctx.symbols) else 0.0


def _them(e: Entities, ctx: Context) -> list[str]:
    """'both of them', 'all three': the tickers the conversation named last."""
    m = re.search(r"\b(both|all three|all of them|them|those|these)\b", e.norm)
    if not m or e.symbols:
        return []
    n = 3 if m.group(1) == "all three" else 2 if m.group(1) == "both" else len(ctx.symbols)
    if len(ctx.symbols) >= n > 1:
        return ctx.symbols[:n]
    return ctx.recent_symbols[-n:] if len(ctx.recent_symbols) >= n > 1 else []


def _history(e: Entities, ctx: Context) -> Built:
    symbols = e.symbols or _them(e, ctx) or ctx.symbols
    if not symbols:
        return None
    span = _span(e) or _last_span(e, ctx)
    return [{"symbol": s, **span} for s in symbols]


def _last_span(e: Entities, ctx: Context) -> Args:
    """'chart that', 'the numbers for that period too': the conversation's last span."""
    if not (e.refers_back or re.search(r"\b(too|as well|same)\b", e.norm)) or e.symbols:
        return {}
    if ctx.last_tool not in ("get_price_history", "price_chart"):
        return {}
    return {k: v for k, v in ctx.last_args.items() if k in ("days", "period")}


ASKS_PRICE = re.compile(r"^(?:what|where|how)(?: is| are|s)?\s+(?:(?!have|got|set)\S+\s+){0,3}"
                        r"(?:at|trading|doing|sitting|going)(?: now| rn| today)?$|"
                        r"^(?:and |so |okay )*(?:now|right now|rn|price|px|quote|and now)$")


def _asks_price(e: Entities, ctx: Context) -> float:
    """'what's broadcom at', 'what is it at', 'and now?', 'price?': a quote."""
    return 2.0 if ASKS_PRICE.search(e.norm) and (e.symbols or ctx.symbols) else 0.0


def _quote(e: Entities, ctx: Context) -> Built:
    short = len(e.norm.split()) <= 3
    symbols = e.symbols or _them(e, ctx) or (ctx.symbols[:1] if e.refers_back or short else [])
    if not symbols:
        return None
    return [{"symbol": s} for s in symbols]


def _not_a_price(e: Entities, ctx: Context) -> float:
    """'nvidia price? market is open already right': the price is asked, not the session."""
    return -3.0 if e.symbols and re.search(r"\b(price|px|quote|at)\b", e.norm) else 0.0


def _status(e: Entities, ctx: Context) -> Args:
    crypto = [s for s in e.symbols if s.endswith("-USD")]
    if crypto:
        return {"symbol": crypto[0]}
    if re.search(r"\b(crypto|bitcoin|btc)\b", e.norm):
        return {"symbol": "BTC-USD"}
    return {}


def _watchlist(e: Entities, ctx: Context) -> Built:
    n = re.sub(r"\bwatch ?list\b", " ", e.norm)
    if re.search(r"\b(remove|delete|drop|stop watching|stop tracking|unwatch|get rid of|rm|"
                 r"take off|kick|ditch|scrap|bin)\b", n) or re.search(r"\btake\b.*\boff\b", n) \
            or re.search(r"(?:^|\s)-[a-z$]", n):
        action = "remove"
    elif re.search(r"\b(add|watch|track|tracking|put|follow|include|keep an eye|stick|throw)\b",
                   n) or re.search(r"(?:^|\s)\+[a-z$]", n):
        action = "add"
    else:
        return {"action": "list"}
    symbols = e.symbols or _them(e, ctx) or _nth(e, ctx) or (
        ctx.symbols if e.refers_back else [])
    if not symbols:
        return Ask(f"Which ticker should I {action} {'to' if action == 'add' else 'from'} the "
                   "watchlist?")
    return [{"action": action, "symbol": s} for s in symbols]


COMPARE = r"\b(vs\.?|versus|compared? (?:to|with)|against|relative to|outperform\w*|" \
    r"underperform\w*|compare|beat|beating|better than|worse than)\b"


def _compare(e: Entities, ctx: Context) -> Built:
    """'how did NVDA do this week vs AMD', 'AAPL this week vs last week', 'chart nvda vs
    amd ytd': one table of returns (and one overlay chart when asked to chart)."""
    symbols = e.symbols or ctx.symbols
    if not symbols:
        return None
    args: Args = {"symbols": symbols}
    periods = re.findall(r"\b(this week|last week|this month|last month|ytd|today|yesterday|"
                         r"this year|last year)\b", e.norm)
    if len(symbols) == 1 and len(periods) >= 2:
        args.update(period=periods[0], versus=periods[1])
    elif e.period:
        args["period"] = e.period
    elif periods:
        args["period"] = periods[0]
    if re.search(r"\b(chart|graph|plot|overlay|draw)\b", e.norm):
        args["chart"] = True
    if len(symbols) < 2 and "versus" not in args:
        return Ask(f"Compare {symbols[0]} with what: another ticker, or another period "
                   "('this week vs last week')?")
    return args


def _says_compare(e: Entities, ctx: Context) -> bool:
    """A comparison of returns: two tickers (or two periods) and words about how they
    did; "aapl vs msft rn" is two quotes."""
    if not re.search(COMPARE, e.norm):
        return False
    performance = e.period or re.search(r"\b(do|did|done|doing|perform\w*|returns?|up|down|"
                                        r"better|worse|gain\w*|outperform\w*|beat\w*|ytd|"
                                        r"week|month|year|chart)\b", e.norm)
    return bool(performance) and (len(e.symbols) >= 2 or bool(
        re.search(r"\b(this|last) (week|month|year)\b.*\b(vs|versus)\b", e.norm)))


def _nth(e: Entities, ctx: Context) -> list[str]:
    """'the second one' among the tickers the last turn named."""
    named = [a.get("symbol") for _, a in ctx.last_calls if a.get("symbol")]
    for word, index in (("first", 0), ("second", 1), ("third", 2), ("last", -1)):
        if re.search(rf"\bthe {word}(?: one)?\b", e.norm) and len(named) > 1:
            return [str(named[index])]
    return []


# ---- follow-ups --------------------------------------------------------------------------

def _another_symbol(e: Entities, ctx: Context) -> tuple[str, Built] | None:
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
    more = _span(e) if ctx.last_tool != "get_quote" else {}
    keep = {k: v for k, v in ctx.last_args.items() if k in ("days", "period")} if not more else more
    return ctx.last_tool, [{"symbol": s, **keep} for s in e.symbols]


def _undo_watchlist(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'undo that' / 'put it back' right after a watchlist change: the opposite change."""
    if ctx.last_tool != "watchlist" or ctx.last_args.get("action") not in ("add", "remove"):
        return None
    if not re.search(r"\b(undo|revert|put it back|add it back|take it back|nevermind|"
                     r"never mind|my bad)\b", e.norm):
        return None
    back = "add" if ctx.last_args["action"] == "remove" else "remove"
    symbols = [a.get("symbol") for n, a in ctx.last_calls if n == "watchlist"] or ctx.symbols
    return "watchlist", [{"action": back, "symbol": s} for s in symbols if s]


def _list_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'show me the list now' after changing the watchlist."""
    if ctx.last_tool != "watchlist" or not re.search(r"\b(list|show|what is on it|whats on it)\b",
                                                     e.norm) or e.symbols:
        return None
    return "watchlist", {"action": "list"}


def _another_period(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'6 months instead', 'what about ytd', 'make it 120': the last history or chart,
    another period."""
    if ctx.last_tool not in ("get_price_history", "price_chart") or not ctx.symbols:
        return None
    span = _span(e)
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


def _watchlist_more(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and uber', 'remove tesla too', 'add both' after a watchlist change."""
    if ctx.last_tool != "watchlist" or ctx.last_args.get("action") not in ("add", "remove"):
        return None
    if re.search(r"\b(alert|chart|draft|quote|price|history|how|did|do)\b", e.norm):
        return None
    built = _watchlist(e, ctx)
    if isinstance(built, list):
        return "watchlist", built
    if e.symbols and re.fullmatch(r"(?:and|also|plus|\+|&|what about|\s)*(?:\$?[\w.\-]+[\s,]*)+"
                                  r"(?:too|as well)?", e.norm):
        return "watchlist", [{"action": ctx.last_args["action"], "symbol": s} for s in e.symbols]
    return None


def _status_for(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and for crypto?' / 'what about btc' after asking if the market is open."""
    if ctx.last_tool != "market_status" or re.search(
            r"\b(price|quote|chart|px|history|alert|at)\b", e.norm):
        return None
    args = _status(e, ctx)
    return ("market_status", args) if args else None


GRAMMAR = Grammar(
    intents=(
        Intent(
            "get_quote",
            {"price": 2, "quote": 2.5, "trading": 1.5, "trading at": 1, "at": 0.5,
             "worth": 1.5, "doing": 1.2, "cost": 1.2, "value": 1, "how": 0.6, "what": 0.4,
             "px": 2, "last": 0.3, "now": 0.5, "today": 0.5, "check": 0.8, "look": 0.5,
             "level": 1, "sitting": 1, "where": 0.8, "going": 0.6, "up": 0.3, "down": 0.3,
             "currently": 0.8, "how much": 1.5, "ticker": 1, "stock": 0.6, "shares": 0.8,
             "trade": 0.6, "rn": 1, "moving": 1, "green": 1, "red": 1, "price check": 3,
             "bounce": 1.5, "bleeding": 1, "still": 0.5, "right now": 1},
            _quote,
            missing="Which ticker? For example AAPL, MSFT or BTC-USD.",
            needs_symbol=True,
            vetoes=("alert", "alerts", "notify", "chart", "watchlist", "draft", "history",
                    "ping me", "tell me when", "tell me if", "let me know when", "text me",
                    "dm me", "lmk", "market open", "closed"),
            examples=("whats sym at", "sym price", "quote sym", "how is sym doing today",
                      "where is sym trading", "sym rn", "price check sym", "sym px",
                      "sym green or red today", "hows sym trading", "sym?"),
            evidence=_asks_price,
        ),
        Intent(
            "get_price_history",
            {"history": 3, "historical": 3, "past": 1.2, "last": 0.8, "closes": 2.5,
             "closing prices": 3, "close": 1, "closed": 1, "performance": 2.2,
             "performed": 2.2, "perf": 2.2, "over the": 1.2, "bars": 2, "ohlc": 3,
             "daily": 1.5, "trend": 1.5, "range": 1, "since": 1.5, "ytd": 2, "returns": 1.5,
             "return": 1.2, "move over": 1.5, "days": 1, "weeks": 1, "months": 1,
             "year": 0.8, "week": 0.8, "month": 0.8, "high": 1, "low": 1, "52 week": 2,
             "do": 0.5, "did": 1, "yesterday": 1.5, "sessions": 1.5, "up over": 1.5,
             "numbers": 2, "closes from": 2, "so far": 1, "where was": 2.5, "was": 0.5},
            _history,
            missing="Which ticker should I pull history for?",
            needs_symbol=True,
            vetoes=("chart", "graph", "plot", "alert", "alerts", "draft", "errors", "decide",
                    "decisions", "decision", "fired", "triggered", "watchlist", "post",
                    "visual", "visualize", "candles"),
            examples=("sym history last num days", "how did sym do this week", "sym ytd",
                      "sym 3 month performance", "sym 52 week high", "what did sym close at "
                      "yesterday", "sym since jan 1", "sym closes last num days",
                      "how much is sym up over 6 months"),
            boost=_calendar_evidence,
        ),
        Intent(
            "compare_returns",
            {"vs": 2.5, "versus": 2.5, "compare": 3, "compared to": 3, "against": 2,
             "relative to": 3, "outperform": 3, "outperformed": 3, "underperformed": 3,
             "beat": 1.5, "better than": 2, "do": 1, "did": 1, "done": 1, "performance": 1.5,
             "returns": 2, "return": 1.5, "ytd": 1, "this week": 1, "chart": 0.5,
             "which did better": 3, "who did better": 3},
            _compare,
            missing="Which tickers should I compare?",
            vetoes=("alert", "draft", "post", "watchlist"),
            examples=("how did sym do this week vs sym", "sym vs sym ytd", "compare sym and sym "
                      "over 3 months", "chart sym vs sym ytd", "sym this week vs last week",
                      "did sym outperform sym this month"),
            when=_says_compare,
        ),
        Intent(
            "price_chart",
            {"chart": 3.5, "graph": 3, "plot": 3, "candles": 2.5, "candlestick": 3,
             "visual": 3.5, "picture": 2, "png": 2, "draw": 3.5, "draw me": 4, "visualize": 4,
             "see": 0.5},
            _history,
            missing="Which ticker should I chart?",
            needs_symbol=True,
            vetoes=("alert", "architecture", "draft", "post about"),
            examples=("chart sym", "chart sym num days", "pull up a 6mo chart of sym",
                      "graph sym", "show me a chart of sym", "ytd chart sym", "chart it"),
        ),
        Intent(
            "market_status",
            {"market open": 4, "markets open": 4, "is the market": 3, "market closed": 4,
             "open today": 2.5, "premarket": 3, "pre-market": 3, "pre market": 3,
             "after hours": 3, "afterhours": 3, "bell": 2.5, "till close": 3.5,
             "till the close": 3.5, "until close": 3.5, "until the close": 3.5,
             "till open": 3.5, "until the open": 3.5, "till the open": 3.5, "session": 2,
             "trading right now": 3, "trading today": 2.5, "are we open": 4,
             "is it open": 3, "closed today": 3, "holiday": 2.5, "time left": 2.5,
             "market hours": 4, "when does the market": 4, "when does it open": 3.5,
             "open": 0.8, "closed": 0.8, "can i trade": 3.5, "trade now": 2.5,
             "market is open": 4, "market is closed": 4, "markets are open": 4},
            _status,
            vetoes=("alert", "draft", "chart", "open draft", "open decisions", "open alerts",
                    "open incidents", "feed", "data feed", "provider", "down", "healthy"),
            examples=("is the market open", "market open?", "how long till close",
                      "is it premarket", "are we open", "when does the market open",
                      "is btc trading right now", "is the market closed today"),
            boost=_not_a_price,
        ),
        Intent(
            "watchlist",
            {"watchlist": 4, "watch list": 4, "wl": 3, "watching": 2.5, "watch": 2, "add": 2,
             "track": 2, "tracking": 2.5, "follow": 1.5, "keep an eye": 3, "unwatch": 3,
             "stop watching": 3.5, "list": 0.5, "my list": 2},
            _watchlist,
            missing="Which ticker should I add or remove?",
            vetoes=("alert", "alerts", "watch for", "note", "draft", "disclaimer", "to draft"),
            examples=("add sym to my watchlist", "whats on my watchlist", "stop watching sym",
                      "take sym off the watchlist", "put sym on the wl", "track sym"),
            mutating=True,
        ),
    ),
    follow_ups=(FollowUp("undo-watchlist", _undo_watchlist),
                FollowUp("watchlist-again", _list_again),
                FollowUp("watchlist-more", _watchlist_more),
                FollowUp("status-for", _status_for),
                FollowUp("another-period", _another_period),
                FollowUp("another-symbol", _another_symbol)),
    refusals=(
        Refusal("orders",
                NOT_CONTENT + r"(?:\b(buy|sell|short)\b\s+(?:\d+\s+)?(?:shares?\s+(?:of\s+)?)?"
                r"(?:\$?[a-z]{1,5}\b(?<!\boff)|some\b|it\b|more\b)|\b(place|put in|submit|execute)\b"
                r".{0,30}\b(order|trade)\b|\b(stop[- ]loss|limit order|market order|take profit)\b)",
                "I can't place orders or manage positions. I can watch the level for you "
                "instead: say e.g. 'alert me if NVDA drops below 175'."),
        Refusal("options",
                NOT_CONTENT + r"(?:\b(options? chain|call options?|put options?|calls|puts|"
                r"strikes?|greeks|theta|gamma|iv|implied vol\w*|0dte|dte)\b.{0,40}\b(on|for|of)\b|"
                r"\b(options? chain|greeks|theta decay)\b)",
                "I don't have options data (chains, greeks, IV). I can give you quotes, "
                "history and charts of the underlying."),
        Refusal("news",
                NOT_CONTENT + r"\b(news|headlines?)\b",
                "I don't have a news feed. I can give you the quote, history and a chart, "
                "and alert you on the move."),
        Refusal("earnings-dates",
                r"\bwhen (?:is|are|does|do)\b.{0,20}\bearnings\b|\bearnings (?:date|call|"
                r"calendar)\b",
                "I don't have an earnings calendar. I can give you quotes, history and "
                "charts, and alert you on the move."),
        Refusal("advice",
                r"^(?:should i|do i|would you|is it (?:a )?good (?:time )?to)\s+(?:buy|sell|"
                r"short|hold|get in|get out|trim|add)\b",
                "I don't give buy or sell advice. I can show you the price, its history and "
                "a chart, and alert you on the levels you care about."),
    ),
)
