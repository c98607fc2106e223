"""Exchange calendars: when each market trades.

US equities follow the NYSE (``XNYS`` from the exchange-calendars library: sessions,
holidays with their names, early closes), with pre-market from 04:00 and after-hours
until 20:00 New York time (17:00 after an early close). Crypto trades 24/7: its "session"
is the UTC day. ``calendar_for(symbol)`` picks one. Every instant here is UTC-aware; the
library (pandas) is loaded on first use, so importing this module stays cheap."""

from __future__ import annotations

import bisect
import functools
import os
import pickle
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from core.errors import InvalidInput
from core.symbols import UNIVERSE

NEW_YORK = ZoneInfo("America/New_York")
FIRST_YEAR, LAST_YEAR = 2000, 2036  # the span the NYSE calendar is built for
PRE_MARKET = time(4, 0)
AFTER_HOURS_END, AFTER_HOURS_END_EARLY = time(20, 0), time(17, 0)

State = Literal["open", "pre-market", "after-hours", "closed"]


@dataclass(frozen=True)
class Session:
    """One trading session: its date on the exchange's clock and its UTC bounds."""

    day: date
    open: datetime
    close: datetime
    early_close: bool = False
    pre_open: datetime | None = None  # extended hours, where the market has them
    after_close: datetime | None = None


@dataclass(frozen=True)
class MarketStatus:
    """Whether a market trades at ``at``, and when that changes."""

    market: str
    state: State
    at: datetime
    session: Session | None  # the session this moment belongs to (open or extended hours)
    next_open: datetime | None
    next_close: datetime | None
    reason: str = ""  # why it is closed: "weekend", "Thanksgiving", "overnight"


class MarketCalendar(Protocol):
    name: str
    label: str
    zone: ZoneInfo

    def session(self, day: date) -> Session | None: ...
    def sessions(self, start: date, end: date) -> list[Session]: ...
    def session_on_or_before(self, day: date) -> Session: ...
    def holiday(self, day: date) -> str | None: ...
    def next_open(self, at: datetime) -> datetime: ...
    def next_close(self, at: datetime) -> datetime: ...
    def session_at(self, at: datetime) -> Session | None: ...
    def status(self, at: datetime) -> MarketStatus: ...
    def rearm_after(self, at: datetime) -> datetime: ...


def utc(at: datetime | float) -> datetime:
    if isinstance(at, int | float):
        return datetime.fromtimestamp(at, UTC)
    if at.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous here; pass an aware one")
    return at.astimezone(UTC)


class ExchangeCalendar:
    """An exchange's sessions from exchange-calendars, as plain sorted lists.

    Building them imports pandas and takes about a second, so the lists are kept in a
    per-user cache file (``cache_dir``, default ``$XDG_CACHE_HOME/victor-copilot``) named
    after the exchange, the years and the library's version: a later process (`copilot
    ask`'s first quote) reads them in milliseconds. A missing or unreadable cache file is
    rebuilt."""

    def __init__(self, code: str = "XNYS", label: str = "NYSE", zone: ZoneInfo = NEW_YORK,
                 first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR,
                 cache_dir: Path | None = None) -> None:
        self.name, self.label, self.zone = code, label, zone
        cache = _cache_file(cache_dir, code, first_year, last_year)
        loaded = _read_cache(cache) if cache is not None else None
        if loaded is None:
            loaded = _build(code, zone, first_year, last_year)
            if cache is not None:
                _write_cache(cache, loaded)
        self._sessions, self._holidays = loaded
        self._days = [s.day for s in self._sessions]
        self._opens = [s.open for s in self._sessions]
        self._closes = [s.close for s in self._sessions]
        self.first, self.last = self._days[0], self._days[-1]

    def _check(self, day: date) -> None:
        if not self.first <= day <= self.last:
            raise InvalidInput(f"I only know the {self.label} calendar from {self.first} "
                               f"to {self.last}.")

    def session(self, day: date) -> Session | None:
        self._check(day)
        i = bisect.bisect_left(self._days, day)
        return self._sessions[i] if i < len(self._days) and self._days[i] == day else None

    def sessions(self, start: date, end: date) -> list[Session]:
        """The sessions from ``start`` to ``end``, both included."""
        self._check(start)
        self._check(end)
        lo, hi = bisect.bisect_left(self._days, start), bisect.bisect_right(self._days, end)
        return self._sessions[lo:hi]

    def session_on_or_before(self, day: date) -> Session:
        self._check(day)
        i = bisect.bisect_right(self._days, day) - 1
        if i < 0:
            raise InvalidInput(f"There is no {self.label} session on or before {day}.")
        return self._sessions[i]

    def session_on_or_after(self, day: date) -> Session:
        self._check(day)
        i = bisect.bisect_left(self._days, day)
        if i >= len(self._sessions):
            raise InvalidInput(f"I only know the {self.label} calendar up to {self.last}.")
        return self._sessions[i]

    def holiday(self, day: date) -> str | None:
        """The holiday's name when the exchange is shut on a weekday, else None."""
        if day.weekday() >= 5 or self.session(day) is not None:
            return None
        return self._holidays.get(day, "a holiday")

    def _after(self, instants: list[datetime], at: datetime) -> datetime:
        i = bisect.bisect_right(instants, utc(at))
        if i >= len(instants):
            raise InvalidInput(f"I only know the {self.label} calendar up to {self.last}.")
        return instants[i]

    def next_open(self, at: datetime) -> datetime:
        """The first open strictly after ``at``."""
        return self._after(self._opens, at)

    def next_close(self, at: datetime) -> datetime:
        """The first close strictly after ``at``."""
        return self._after(self._closes, at)

    def session_at(self, at: datetime) -> Session | None:
        """The session whose regular hours contain ``at`` (open included, close not)."""
        at = utc(at)
        i = bisect.bisect_right(self._opens, at) - 1
        if i >= 0 and at < self._sessions[i].close:
            return self._sessions[i]
        return None

    def status(self, at: datetime) -> MarketStatus:
        at = utc(at)
        day = at.astimezone(self.zone).date()
        today = self.session(day)
        nxt_open, nxt_close = self.next_open(at), self.next_close(at)
        if today is not None and today.open <= at < today.close:
            return MarketStatus(self.label, "open", at, today, nxt_open, today.close)
        if today is not None and today.pre_open and today.pre_open <= at < today.open:
            return MarketStatus(self.label, "pre-market", at, today, today.open, nxt_close)
        if today is not None and today.after_close and today.close <= at < today.after_close:
            return MarketStatus(self.label, "after-hours", at, today, nxt_open, nxt_close)
        reason = ("weekend" if day.weekday() >= 5 else self.holiday(day) or "overnight")
        return MarketStatus(self.label, "closed", at, None, nxt_open, nxt_close, reason)

    def rearm_after(self, at: datetime) -> datetime:
        """When a once-per-session thing may happen again: the next session's open. The
        pre-market belongs to the day's session, so what fired there waits for the next
        day's open, not this morning's."""
        status = self.status(at)
        if status.state == "pre-market" and status.session is not None:
            return self.next_open(status.session.open)
        return self.next_open(at)


class AlwaysOpenCalendar:
    """A market that never closes (crypto): each UTC day counts as one session."""

    name, label, zone = "24/7", "crypto (24/7)", ZoneInfo("UTC")

    def session(self, day: date) -> Session:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return Session(day, start, start + timedelta(days=1))

    def sessions(self, start: date, end: date) -> list[Session]:
        return [self.session(start + timedelta(days=i)) for i in range((end - start).days + 1)]

    def session_on_or_before(self, day: date) -> Session:
        return self.session(day)

    def holiday(self, day: date) -> str | None:
        return None

    def next_open(self, at: datetime) -> datetime:
        return self.session(utc(at).date() + timedelta(days=1)).open

    def next_close(self, at: datetime) -> datetime:
        return self.next_open(at)

    def session_at(self, at: datetime) -> Session:
        return self.session(utc(at).date())

    def status(self, at: datetime) -> MarketStatus:
        at = utc(at)
        return MarketStatus(self.label, "open", at, self.session_at(at), None, None)

    def rearm_after(self, at: datetime) -> datetime:
        """Once per UTC day: the next UTC midnight."""
        return self.next_open(at)


CRYPTO_QUOTES = ("USD", "USDT", "USDC", "EUR", "GBP", "BTC", "ETH")


def is_crypto(symbol: str) -> bool:
    """``BTC-USD`` style pairs, and whatever the symbol table lists as crypto."""
    sym = symbol.strip().upper()
    row = UNIVERSE.get(sym)
    if row is not None:
        return row[1] == "CRYPTO"
    base, dash, quote = sym.rpartition("-")
    return bool(dash and base.isalnum() and quote in CRYPTO_QUOTES)


# ---- the sessions, built from exchange-calendars or read from the cache ------------------
_CACHE_FORMAT = 1
Built = tuple[list[Session], dict[date, str]]


def _build(code: str, zone: ZoneInfo, first_year: int, last_year: int) -> Built:
    import exchange_calendars as xc

    cal = xc.get_calendar(code, start=f"{first_year}-01-01", end=f"{last_year}-12-31")
    early = {ts.date() for ts in cal.early_closes}
    sessions: list[Session] = []
    schedule = cal.schedule  # columns as lists: iterrows would take 2 s for 37 years
    days = [ts.date() for ts in schedule.index]
    opens = list(schedule["open"].dt.to_pydatetime())
    closes = list(schedule["close"].dt.to_pydatetime())
    for d, opened, closed in zip(days, opens, closes, strict=True):
        late = AFTER_HOURS_END_EARLY if d in early else AFTER_HOURS_END
        sessions.append(Session(
            d, opened, closed, d in early,
            pre_open=datetime.combine(d, PRE_MARKET, zone).astimezone(UTC),
            after_close=datetime.combine(d, late, zone).astimezone(UTC)))
    names = cal.regular_holidays.holidays(f"{first_year}-01-01", f"{last_year}-12-31",
                                          return_name=True)
    holidays = {ts.date(): str(name) for ts, name in names.items()}
    for ts in cal.adhoc_holidays:
        holidays.setdefault(ts.date(), "a special closure")
    return sessions, holidays


def _cache_file(cache_dir: Path | None, code: str, first: int, last: int) -> Path | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        lib = version("exchange-calendars")
    except PackageNotFoundError:
        return None
    if cache_dir is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        cache_dir = Path(base) / "victor-copilot"
    return cache_dir / f"calendar-{code}-{first}-{last}-xc{lib}-v{_CACHE_FORMAT}.pickle"


def _read_cache(path: Path) -> Built | None:
    try:
        with path.open("rb") as f:
            sessions, holidays = pickle.load(f)  # noqa: S301 - the user's own cache file
        if sessions and all(isinstance(s, Session) for s in sessions[:1]):
            return sessions, holidays
    except Exception:  # noqa: BLE001 - missing, truncated, from another version: rebuild
        pass
    return None


def _write_cache(path: Path, built: Built) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        with part.open("wb") as f:
            pickle.dump(built, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, path)  # readers never see half a file
    except OSError:
        pass  # a read-only home: build every time, as before


@functools.cache
def nyse() -> ExchangeCalendar:
    """The NYSE calendar, once per process (from the cache file after the first run)."""
    return ExchangeCalendar()


CRYPTO = AlwaysOpenCalendar()


def calendar_named(name: str) -> MarketCalendar:
    """A calendar by its name: "XNYS" (the NYSE) or "24/7"."""
    if name == CRYPTO.name:
        return CRYPTO
    if name == "XNYS":
        return nyse()
    raise ValueError(f"unknown market calendar {name!r}")


def calendar_for(symbol: str | None = None) -> MarketCalendar:
    """Crypto pairs (``BTC-USD``) trade 24/7; everything else on the NYSE calendar."""
    if symbol and is_crypto(symbol):
        return CRYPTO
    return nyse()
