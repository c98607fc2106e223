"""The market capability's share of the offline grammar: quotes, history, charts, watchlist."""

from __future__ import annotations

import re

from core.grammar import Args, Entities, Grammar, Intent, per_symbol


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



GRAMMAR = Grammar(intents=(
    Intent(
        "get_quote",
        {"price": 2, "quote": 2.5, "trading": 1.5, "trading at": 1, "at": 0.5, "worth": 1.5,
         "doing": 1.2, "cost": 1.2, "value": 1, "how": 0.6, "what": 0.4, "px": 2,
         "last": 0.3, "now": 0.5, "today": 0.5, "check": 0.8, "look": 0.5, "level": 1,
         "sitting": 1, "where": 0.8, "going": 0.6, "up": 0.3, "down": 0.3, "currently": 0.8,
         "how much": 1.5, "ticker": 1, "stock": 0.6, "shares": 0.8, "trade": 0.6},
        per_symbol(),
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
        per_symbol(_days),
        missing="Which ticker should I pull history for?",
        needs_symbol=True,
        vetoes=("chart", "graph", "plot", "alert", "draft", "errors", "decide",
                "decisions", "decision"),
    ),
    Intent(
        "price_chart",
        {"chart": 3.5, "graph": 3, "plot": 3, "candles": 2.5, "candlestick": 3,
         "visual": 2, "picture": 2, "png": 2, "draw": 2, "visualize": 3, "see": 0.5},
        per_symbol(_days),
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
))
