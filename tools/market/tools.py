"""LangChain tools over the market service. Docstrings are what the model reads."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.tools import BaseTool, tool

from core.calendar import calendar_for, utc
from core.errors import InvalidInput
from core.market import Quote, normalize_symbol
from core.markettime import format_local
from tools.market.compare import compare, overlay_chart, table_text
from tools.market.format import age_text, money
from tools.market.lists import WATCHLIST, list_key
from tools.market.service import MarketService
from tools.market.sessions import PeriodHistory, next_session_note, quote_session, status_text


def quote_summary(q: Quote, age_s: float, tz: str, note: str = "") -> str:
    """'AAPL is at $231.95 (+0.52% today), regular session, as of Wed 25 Nov 09:42 EST,
    3 min old.' — or, when the provider failed, why and the last price I have."""
    sign = "+" if q.change >= 0 else ""
    part = quote_session(q.symbol, q.as_of)
    where = f", {part}" if part else ""
    demo = " — demo data" if q.demo else ""
    stamp = format_local(q.as_of, tz)
    if note:
        return (f"{note.strip().rstrip('.')}: {q.symbol} at {money(q.price)} "
                f"({sign}{q.change_pct:.2f}% today){where}, as of {stamp}{demo}.")
    return (f"{q.symbol} is at {money(q.price)} ({sign}{q.change_pct:.2f}% today){where}, "
            f"as of {stamp}, {age_text(age_s)}{demo}.")


def period_summary(found: PeriodHistory, demo: bool) -> str:
    """'AAPL year to date (2026-01-01 to 2026-11-25): $250.10 on 2025-12-31 to $231.95 on
    2026-11-24 (-7.26%), high …, low …; 227 sessions, 2026-01-02 to 2026-11-24 (NYSE).'
    The change runs from the close before the period (its reference)."""
    bars = found.bars
    first, last = found.reference, bars[-1]
    change = found.change_pct
    high = max(bars, key=lambda b: b.high)
    low = min(bars, key=lambda b: b.low)
    p = found.period
    span = f"{p.start}" if p.start == p.end else f"{p.start} to {p.end}"
    return (f"{found.symbol} {p.label} ({span}): {money(first.close)} on {first.day} to "
            f"{money(last.close)} on {last.day} ({change:+.2f}%), high {money(high.high)} on "
            f"{high.day}, low {money(low.low)} on {low.day}; {found.used} ({found.market})"
            f"{' — demo data' if demo else ''}.")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def make_market_tools(service: MarketService) -> list[BaseTool]:
    lists = service.lists
    @tool
    async def get_quote(symbol: str) -> dict[str, Any]:
        """Latest price of one ticker symbol (e.g. AAPL, BRK.B, BTC-USD), with the day's
        change, how fresh the price is and whether it is from the regular session,
        pre-market, after-hours or the last close."""
        result = await service.quote(symbol)
        q = result.quote
        summary = quote_summary(q, result.age_s, service.timezone, result.note)
        return {
            "summary": summary, "symbol": q.symbol, "price": q.price,
            "change_pct": q.change_pct, "as_of": q.as_of.isoformat(),
            "age_s": round(result.age_s, 1), "demo": q.demo, "source": q.source,
            "session": quote_session(q.symbol, q.as_of),
        }

    @tool
    async def get_price_history(symbol: str, days: int = 30,
                                period: str | None = None) -> dict[str, Any]:
        """Daily closing prices of a ticker, with the change over the period, high and
        low. Either the last `days` trading sessions (default 30) or a calendar `period`:
        "3 months", "6 months", "ytd", "52-week", "1y", "this week", "last week",
        "since jan 1", "yesterday", "on 2026-10-01", "2026-10-01 to 2026-10-31"
        (exactly those dates; the answer says which sessions it used)."""
        if period:
            found = await service.history_period(symbol, period)
            bars = found.bars
            summary = period_summary(found, service.demo)
            extra: dict[str, Any] = {"period": found.period.label,
                                     "start": found.period.start.isoformat(),
                                     "end": found.period.end.isoformat(),
                                     "change_pct": round(found.change_pct, 2),
                                     "from_close": [found.reference.day.isoformat(),
                                                    found.reference.close]}
        else:
            bars = await service.history(symbol, days)
            first, last = bars[0], bars[-1]
            change = (last.close - first.close) / first.close * 100
            high = max(bars, key=lambda b: b.high)
            low = min(bars, key=lambda b: b.low)
            demo = " — demo data" if service.demo else ""
            summary = (
                f"{symbol.upper()} over the last {len(bars)} sessions: {money(first.close)} on "
                f"{first.day} to {money(last.close)} on {last.day} ({change:+.2f}%), high "
                f"{money(high.high)} on {high.day}, low {money(low.low)} on {low.day}{demo}.")
            extra = {}
        first, last = bars[0], bars[-1]
        return {
            "summary": summary, "symbol": symbol.upper(), "days": len(bars),
            "change_pct": round((last.close - first.close) / first.close * 100, 2),
            "high": max(b.high for b in bars), "low": min(b.low for b in bars),
            "closes": [[b.day.isoformat(), b.close] for b in bars], **extra,
        }

    @tool
    async def price_chart(symbol: str, days: int = 90, period: str | None = None
                          ) -> dict[str, Any]:
        """Draw a PNG chart of a ticker's daily close and volume for the last `days`
        sessions (default 90), or for a calendar `period` ("3 months", "ytd", "52-week",
        "since jan 1"). Returns the file path."""
        if period:
            found = await service.history_period(symbol, period)
            path = await service.chart_period(found)
            p = found.period
            span = f"{p.label} ({p.start} to {p.end}; {found.used})"
        else:
            path = await service.chart(symbol, days)
            span = f"the last {days} sessions"
        return {"summary": f"Chart of {symbol.upper()} for {span} saved to {path}.",
                "path": str(path)}

    @tool
    async def compare_returns(symbols: list[str], period: str = "1 month",
                              versus: str | None = None, chart: bool = False
                              ) -> dict[str, Any]:
        """Compare how tickers did: a table of returns over one calendar `period` ("this
        week", "today", "ytd", "3 months", "52-week", "since jan 1"; default "1 month"),
        best first. Several `symbols` for "how did NVDA do this week vs AMD" (NVDA and
        AMD over "this week"); one symbol and a second period `versus` for "AAPL this week
        vs last week". Each return runs from the close before the period to its last
        close. chart=True also draws one overlay chart of the returns (first period)."""
        found = await compare(service, symbols, period, versus)
        out: dict[str, Any] = {
            "summary": table_text(found, service.demo), "periods": found.labels,
            "returns": [{"symbol": r.symbol, **{label: _rounded(r.change(i))
                                                for i, label in enumerate(found.labels)}}
                        for r in found.best_first()]}
        if chart:
            path = await overlay_chart(service, found)
            out["path"] = str(path)
            out["summary"] += f"\nChart saved to {path}."
        return out

    @tool
    async def market_status(symbol: str | None = None) -> dict[str, Any]:
        """Is the market open? The session state (open, pre-market, after-hours, closed
        and why: weekend, holiday) and the time to the next open or close, in the
        owner's time zone. US equities follow the NYSE; crypto symbols (BTC-USD) trade
        24/7. `symbol` picks the market (default: US equities)."""
        now = service.clock()
        cal = calendar_for(symbol)
        status = cal.status(utc(now))
        summary = status_text(status, now, service.timezone) + next_session_note(
            cal, status, service.timezone)
        return {
            "summary": summary, "market": status.market, "state": status.state,
            "reason": status.reason,
            "next_open": status.next_open.isoformat() if status.next_open else None,
            "next_close": status.next_close.isoformat() if status.next_close else None,
        }

    @tool
    async def watchlist(action: Literal["add", "remove", "list"] = "list",
                        symbol: str | None = None,
                        list_name: str | None = None) -> dict[str, Any]:
        """Show the watchlist (action=list) or add/remove one ticker symbol. list_name
        names another list of tickers instead ("semis", "my swing list"): adding to a new
        name makes the list; an alert over it is symbol "@semis"."""
        key = list_key(list_name)
        if key != WATCHLIST:
            return await named_list(action, symbol, key)
        if action == "list":
            items = service.watchlist()
            text = ", ".join(items) if items else "empty"
            others = lists.names()
            more = "; other lists: " + ", ".join(f"{n} ({c})" for n, c in others.items()) \
                if others else ""
            return {"summary": f"Your watchlist: {text}{more}.", "symbols": items,
                    "lists": others}
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

    async def named_list(action: str, symbol: str | None, key: str) -> dict[str, Any]:
        if action == "list":
            items = lists.members(key)
            text = ", ".join(items) if items else "empty (add a ticker to make it)"
            return {"summary": f"Your {key} list: {text}.", "symbols": items, "list": key}
        if not symbol:
            raise InvalidInput(f"Which ticker should I {action} "
                               f"{'to' if action == 'add' else 'from'} the {key} list?")
        sym = normalize_symbol(symbol)
        if action == "add":
            await service.quote(sym)  # unknown symbols fail here, with suggestions
            added = lists.add(key, sym)
            text = f"Added {sym} to your {key} list." if added else \
                f"{sym} is on your {key} list already."
        else:
            removed = lists.remove(key, sym)
            text = f"Removed {sym} from your {key} list." if removed else \
                f"{sym} was not on your {key} list."
        return {"summary": text, "symbols": lists.members(key), "list": key}

    return [get_quote, get_price_history, price_chart, compare_returns, watchlist,
            market_status]
