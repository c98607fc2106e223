"""LangChain tools over the market service. Docstrings are what the model reads."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, tool

from tools.market.format import quote_line
from tools.market.service import MarketService


def make_market_tools(service: MarketService) -> list[BaseTool]:
    @tool
    async def get_quote(symbol: str) -> dict[str, Any]:
        """Latest price of one ticker symbol (e.g. AAPL, BRK.B, BTC-USD), with day change
        and how fresh the price is."""
        result = await service.quote(symbol)
        q = result.quote
        return {
            "summary": quote_line(q, service.clock()) + (f" {result.note}" if result.note else ""),
            "symbol": q.symbol,
            "price": q.price,
            "change_pct": q.change_pct,
            "as_of": q.as_of.isoformat(),
            "age_s": round(result.age_s, 1),
            "demo": q.demo,
            "source": q.source,
        }

    return [get_quote]
