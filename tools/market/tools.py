"""LangChain tools over the market service. Docstrings are what the model reads."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool, tool

from core.errors import InvalidInput
from tools.market.format import fallback_line, money, quote_line
from tools.market.service import MarketService


def make_market_tools(service: MarketService) -> list[BaseTool]:
    @tool
    async def get_quote(symbol: str) -> dict[str, Any]:
        """Latest price of one ticker symbol (e.g. AAPL, BRK.B, BTC-USD), with the day's
        change and how fresh the price is."""
        result = await service.quote(symbol)
        q = result.quote
        if result.note:  # the provider failed: the last price, its age and why
            summary = fallback_line(q, result.note)
        else:
            summary = quote_line(q, service.clock())
        return {
            "summary": summary, "symbol": q.symbol, "price": q.price,
            "change_pct": q.change_pct, "as_of": q.as_of.isoformat(),
            "age_s": round(result.age_s, 1), "demo": q.demo, "source": q.source,
        }

    @tool
    async def get_price_history(symbol: str, days: int = 30) -> dict[str, Any]:
        """Daily closing prices of a ticker for the last `days` trading sessions
        (default 30), with the change over the period, high and low."""
        bars = await service.history(symbol, days)
        first, last = bars[0], bars[-1]
        change = (last.close - first.close) / first.close * 100
        high = max(bars, key=lambda b: b.high)
        low = min(bars, key=lambda b: b.low)
        demo = " — demo data" if service.demo else ""
        summary = (
            f"{symbol.upper()} over the last {len(bars)} sessions: {money(first.close)} on "
            f"{first.day} to {money(last.close)} on {last.day} ({change:+.2f}%), high "
            f"{money(high.high)} on {high.day}, low {money(low.low)} on {low.day}{demo}."
        )
        return {
            "summary": summary, "symbol": symbol.upper(), "days": len(bars),
            "change_pct": round(change, 2), "high": high.high, "low": low.low,
            "closes": [[b.day.isoformat(), b.close] for b in bars],
        }

    @tool
    async def price_chart(symbol: str, days: int = 90) -> dict[str, Any]:
        """Draw a PNG chart of a ticker's daily close and volume for the last `days`
        sessions (default 90). Returns the file path."""
        path = await service.chart(symbol, days)
        return {"summary": f"Chart of {symbol.upper()} for {days} days saved to {path}.",
                "path": str(path)}

    @tool
    async def watchlist(action: Literal["add", "remove", "list"] = "list",
                        symbol: str | None = None) -> dict[str, Any]:
        """Show the watchlist (action=list) or add/remove one ticker symbol."""
        if action == "list":
            items = service.watchlist()
            text = ", ".join(items) if items else "empty"
            return {"summary": f"Your watchlist: {text}.", "symbols": items}
        if not symbol:
            raise InvalidInput(f"Which ticker should I {action}?")
        if action == "add":
            added = await service.watch(symbol)
            verb = "Added" if added else "Already watching"
            return {"summary": f"{verb} {symbol.upper()}{' to your watchlist' if added else ''}.",
                    "symbols": service.watchlist()}
        removed = service.unwatch(symbol)
        text = f"Removed {symbol.upper()} from your watchlist." if removed else \
            f"{symbol.upper()} was not on your watchlist."
        return {"summary": text, "symbols": service.watchlist()}

    return [get_quote, get_price_history, price_chart, watchlist]
