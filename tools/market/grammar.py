"""The market capability's share of the offline grammar: quotes, history, charts, market
status and the watchlist; the follow-ups that repeat the last look at another symbol or
period ("and MSFT?", "same for AMD", "6 months instead"), and the refusals of what market
data here cannot do (orders, options, earnings dates, advice)."""

from __future__ import annotations

from core.grammar import (
    FollowUp,
    Grammar,
    Intent,
    Refusal,
)
from tools.market.reading import (
    NOT_CONTENT,
    another_period,
    another_symbol,
    asks_price,
    calendar_evidence,
    compare,
    compare_again,
    history,
    list_again,
    not_a_price,
    quotable,
    quote,
    ranks_them,
    says_compare,
    status,
    status_for,
    undo_watchlist,
    watchlist,
    watchlist_more,
)

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
            quote,
            missing="Which ticker? For example AAPL, MSFT or BTC-USD.",
            needs_symbol=True,
            vetoes=("alert", "alerts", "notify", "chart", "watchlist", "draft", "history",
                    "ping me", "tell me when", "tell me if", "let me know when", "text me",
                    "dm me", "lmk", "market open", "closed"),
            examples=("whats sym at", "sym price", "quote sym", "how is sym doing today",
                      "where is sym trading", "sym rn", "price check sym", "sym px",
                      "sym green or red today", "hows sym trading", "sym?"),
            evidence=asks_price,
            when=quotable,
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
            history,
            missing="Which ticker should I pull history for?",
            needs_symbol=True,
            vetoes=("chart", "graph", "plot", "alert", "alerts", "draft", "errors", "decide",
                    "decisions", "decision", "fired", "triggered", "watchlist", "post",
                    "visual", "visualize", "candles"),
            examples=("sym history last num days", "how did sym do this week", "sym ytd",
                      "sym 3 month performance", "sym 52 week high", "what did sym close at "
                      "yesterday", "sym since jan 1", "sym closes last num days",
                      "how much is sym up over 6 months"),
            boost=calendar_evidence,
        ),
        Intent(
            "compare_returns",
            {"vs": 2.5, "versus": 2.5, "compare": 3, "compared to": 3, "against": 2,
             "relative to": 3, "outperform": 3, "outperformed": 3, "underperformed": 3,
             "beat": 1.5, "better than": 2, "do": 1, "did": 1, "done": 1, "performance": 1.5,
             "returns": 2, "return": 1.5, "ytd": 1, "this week": 1, "chart": 0.5,
             "which did better": 3, "who did better": 3},
            compare,
            missing="Which tickers should I compare?",
            vetoes=("alert", "draft", "post", "watchlist"),
            examples=("how did sym do this week vs sym", "sym vs sym ytd", "compare sym and sym "
                      "over 3 months", "chart sym vs sym ytd", "sym this week vs last week",
                      "did sym outperform sym this month"),
            when=says_compare,
            evidence=ranks_them,
        ),
        Intent(
            "price_chart",
            {"chart": 3.5, "graph": 3, "plot": 3, "candles": 2.5, "candlestick": 3,
             "visual": 3.5, "picture": 2, "png": 2, "draw": 3.5, "draw me": 4, "visualize": 4,
             "see": 0.5},
            history,
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
             "when does it close": 3.5, "what time does it close": 3.5,
             "what time does it open": 3.5, "closing time": 3,
             "open": 0.8, "closed": 0.8, "can i trade": 3.5, "trade now": 2.5,
             "market is open": 4, "market is closed": 4, "markets are open": 4},
            status,
            vetoes=("alert", "draft", "chart", "open draft", "open decisions", "open alerts",
                    "open incidents", "feed", "data feed", "provider", "down", "healthy"),
            examples=("is the market open", "market open?", "how long till close",
                      "is it premarket", "are we open", "when does the market open",
                      "is btc trading right now", "is the market closed today"),
            boost=not_a_price,
        ),
        Intent(
            "watchlist",
            {"watchlist": 4, "watch list": 4, "wl": 3, "watching": 2.5, "watch": 2, "add": 2,
             "track": 2, "tracking": 2.5, "follow": 1.5, "keep an eye": 3, "unwatch": 3,
             "stop watching": 3.5, "list": 0.5, "my list": 2},
            watchlist,
            missing="Which ticker should I add or remove?",
            vetoes=("alert", "alerts", "watch for", "note", "draft", "disclaimer", "to draft"),
            examples=("add sym to my watchlist", "whats on my watchlist", "stop watching sym",
                      "take sym off the watchlist", "put sym on the wl", "track sym"),
            mutating=True,
        ),
    ),
    follow_ups=(FollowUp("undo-watchlist", undo_watchlist),
                FollowUp("watchlist-again", list_again),
                FollowUp("watchlist-more", watchlist_more),
                FollowUp("status-for", status_for),
                FollowUp("compare-again", compare_again),
                FollowUp("another-period", another_period),
                FollowUp("another-symbol", another_symbol)),
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
        Refusal("backtests",
                r"\b(back ?test\w*|simulate (?:a |the |my )?(?:strategy|trades?))\b",
                "I can't backtest strategies. I can show you the price history and a chart "
                "of the period, or compare returns (\"compare QQQ and SPY ytd\")."),
        Refusal("advice",
                r"^(?:should i|do i|would you|is it (?:a )?good (?:time )?to)\s+(?:buy|sell|"
                r"short|hold|get in|get out|trim|add)\b",
                "I don't give buy or sell advice. I can show you the price, its history and "
                "a chart, and alert you on the levels you care about."),
    ),
)
