"""Market time for the market tools: which calendar dates a period covers, which sessions
it used, and how the market's state reads in the owner's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.calendar import MarketCalendar, MarketStatus, Session, calendar_for, utc
from core.errors import InvalidInput
from core.market import Bar
from core.markettime import Period, format_clock, format_local, format_span, parse_period

YESTERDAY = ("yesterday", "yesterday's close", "yesterdays close", "previous close",
             "last close", "prior close", "the last session", "last session")


@dataclass
class PeriodHistory:
    """Daily bars for exactly the asked calendar dates, and the sessions they came from."""

    symbol: str
    period: Period
    bars: list[Bar]
    sessions: list[date]  # the trading sessions of the period the calendar knows of
    market: str
    base: Bar | None = None  # the last close before the period: what its return is from

    @property
    def reference(self) -> Bar:
        """The close the period's return is measured from: the session before the
        period (a year to date starts from last year's close), else its first bar."""
        return self.base or self.bars[0]

    @property
    def change_pct(self) -> float:
        ref, last = self.reference.close, self.bars[-1].close
        return (last - ref) / ref * 100

    @property
    def used(self) -> str:
        """'66 sessions, 2026-08-25 to 2026-11-24' (what the numbers are computed from)."""
        if not self.bars:
            return "no sessions"
        n = len(self.bars)
        first, last = self.bars[0].day, self.bars[-1].day
        span = f"{first}" if first == last else f"{first} to {last}"
        missing = len([d for d in self.sessions if d < first])
        gap = (f"; the provider had no prices for the {missing} earlier "
               f"session{'s' if missing != 1 else ''}") if missing else ""
        return f"{n} session{'s' if n != 1 else ''}, {span}{gap}"


def market_today(cal: MarketCalendar, now: float) -> date:
    return utc(now).astimezone(cal.zone).date()


def resolve_period(text: str, symbol: str, now: float) -> tuple[Period, MarketCalendar]:
    """The calendar dates ``text`` covers for ``symbol`` ("yesterday" is the last session
    before today), with the symbol's calendar."""
    cal = calendar_for(symbol)
    today = market_today(cal, now)
    raw = " ".join(text.strip().lower().split())
    if raw in YESTERDAY:
        before = today - timedelta(days=1)
        day = cal.session_on_or_before(before).day
        return Period(day, day, f"the session of {day}"), cal
    return parse_period(raw, today), cal


def period_sessions(cal: MarketCalendar, period: Period) -> list[date]:
    return [s.day for s in cal.sessions(period.start, period.end)]


def base_bar(bars: list[Bar], cal: MarketCalendar, period: Period) -> Bar | None:
    """The bar of the last session before the period, when the provider has it."""
    try:
        before = cal.session_on_or_before(period.start - timedelta(days=1)).day
    except InvalidInput:
        return None
    return next((b for b in reversed(bars) if b.day == before), None)


def cut(bars: list[Bar], period: Period, sessions: list[date]) -> list[Bar]:
    """The bars dated inside the period on a trading session (a demo bar dated on a
    holiday is not a session)."""
    allowed = set(sessions)
    return [b for b in bars if period.start <= b.day <= period.end and b.day in allowed]


def status_text(status: MarketStatus, now: float, tz: str) -> str:
    """'The NYSE is open; it closes at 16:00 EST, in 5 h 30 min.' and the like."""
    at = utc(now)

    def until(moment: datetime | None) -> str:
        if moment is None:
            return ""
        shown = format_local(moment, tz, now=at)
        return f"{shown}, in {format_span((moment - at).total_seconds())}"

    name = status.market
    if status.market.startswith("crypto"):
        return "Crypto trades around the clock: it is open now."
    if status.state == "open":
        early = " (an early close)" if status.session and status.session.early_close else ""
        return f"The {name} is open; it closes at {until(status.next_close)}{early}."
    if status.state == "pre-market":
        return (f"The {name} is in pre-market trading; the regular session opens at "
                f"{until(status.next_open)}.")
    if status.state == "after-hours":
        late = status.session.after_close if status.session else None
        extended = f" (after-hours trading until {format_clock(late, tz)})" if late else ""
        return (f"The {name} is closed for the day{extended}; it opens next at "
                f"{until(status.next_open)}.")
    why = {"weekend": "for the weekend", "overnight": "for the night"}.get(
        status.reason, f"for {status.reason}")
    return f"The {name} is closed {why}; it opens at {until(status.next_open)}."


def next_session_note(cal: MarketCalendar, status: MarketStatus, tz: str) -> str:
    """' The next session closes early, at 13:00 EST.' when it does."""
    if status.next_open is None:
        return ""
    day = status.next_open.astimezone(cal.zone).date()
    try:
        session: Session | None = cal.session(day)
    except InvalidInput:
        return ""
    if session is not None and session.early_close and status.state != "open":
        return f" That session closes early, at {format_clock(session.close, tz)}."
    return ""


def quote_session(symbol: str, as_of: datetime) -> str:
    """Which part of the trading day a price is from: 'regular session', 'pre-market',
    'after-hours', 'last close' (the market was shut) or '24/7' for crypto."""
    cal = calendar_for(symbol)
    try:
        state = cal.status(as_of).state
    except InvalidInput:
        return ""
    if cal.name == "24/7":
        return "24/7 market"
    return {"open": "regular session", "pre-market": "pre-market",
            "after-hours": "after-hours", "closed": "last close"}[state]


def closed_since(symbol: str, since: float, now: float) -> bool:
    """A session of ``symbol`` closed after ``since`` and by ``now``: daily bars fetched at
    ``since`` lack its close (or hold a partial bar for it)."""
    return calendar_for(symbol).next_close(utc(since)).timestamp() <= now
