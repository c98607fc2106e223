"""Daily indicators kept incrementally: SMA, EMA and RSI of the last N sessions' closes and
the N-session average volume, each combined with the live tick in O(1).

A ``Series`` holds one symbol's completed sessions (seeded from daily bars) and, per
period in use, the state through yesterday's close: the sum of the last N-1 closes (SMA),
the EMA, Wilder's average gain and loss (RSI), the sum of the last N volumes. A tick only
combines that state with its price; the first tick of a new session (past midnight on the
symbol's exchange clock) rolls the previous session in, its close being the last price
seen. The step functions below are shared with the naive evaluators in the tests, which
recompute everything from the whole history on every tick: the same floating-point steps,
so both sides agree to the last bit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from core.errors import CopilotError

log = structlog.get_logger(__name__)
SEED_RETRY_S = 600.0  # a symbol whose daily bars could not be had is asked again after

# ---- the formulas (shared with the naive evaluators) ---------------------------------------


def sma_base(closes: Sequence[float], n: int) -> float | None:
    """Sum of the last n-1 closes: the live SMA is (base + price) / n."""
    if len(closes) < n - 1:
        return None
    return float(sum(closes[len(closes) - (n - 1):]))


def sma_live(base: float, price: float, n: int) -> float:
    return (base + price) / n


def ema_step(prev: float, value: float, n: int) -> float:
    alpha = 2.0 / (n + 1)
    return alpha * value + (1.0 - alpha) * prev


def ema_base(closes: Sequence[float], n: int) -> float | None:
    """The EMA through the last close: seeded with the SMA of the first n closes."""
    if len(closes) < n:
        return None
    ema = sum(closes[:n]) / n
    for c in closes[n:]:
        ema = ema_step(ema, c, n)
    return ema


def rsi_step(gain: float, loss: float, change: float, n: int) -> tuple[float, float]:
    """Wilder's smoothing of the average gain and loss by one change."""
    return ((gain * (n - 1) + max(change, 0.0)) / n,
            (loss * (n - 1) + max(-change, 0.0)) / n)


def rsi_base(closes: Sequence[float], n: int) -> tuple[float, float] | None:
    """Wilder's average gain and loss through the last close (needs n+1 closes)."""
    if len(closes) < n + 1:
        return None
    changes = [b - a for a, b in zip(closes, closes[1:], strict=False)]
    gain = sum(max(c, 0.0) for c in changes[:n]) / n
    loss = sum(max(-c, 0.0) for c in changes[:n]) / n
    for c in changes[n:]:
        gain, loss = rsi_step(gain, loss, c, n)
    return gain, loss


def rsi_value(gain: float, loss: float) -> float:
    if loss == 0.0:
        return 100.0 if gain > 0.0 else 50.0
    return 100.0 - 100.0 / (1.0 + gain / loss)


def volume_base(volumes: Sequence[float], n: int) -> float | None:
    """The average volume of the last n sessions."""
    if len(volumes) < n:
        return None
    return float(sum(volumes[len(volumes) - n:])) / n


def next_midnight(ts: float, zone: ZoneInfo) -> float:
    day = datetime.fromtimestamp(ts, zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), zone).timestamp()


def session_day(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).date().isoformat()


# ---- one symbol's series --------------------------------------------------------------------
class Series:
    """Completed sessions plus the state each period in use needs (see the module doc)."""

    __slots__ = ("zone", "closes", "volumes", "day_end", "last", "day_volume", "seeded",
                 "sma", "ema", "rsi", "vol", "close_of", "close_at", "closing")

    def __init__(self, zone: ZoneInfo,
                 close_of: Callable[[float], float] | None = None) -> None:
        self.zone = zone
        self.closes: list[float] = []
        self.volumes: list[float] = []
        self.day_end = float("inf")  # the end of the current session's day (a roll after it)
        self.last: float | None = None  # the latest price of the current session
        self.day_volume = 0.0
        # the session's close (``close_of``: the first close after an instant; none: every
        # price counts) and the last price at or before it: the day's close, which an
        # after-hours trade does not move
        self.close_of = close_of
        self.close_at = float("inf")
        self.closing: float | None = None
        self.seeded = False
        self.sma: dict[int, float | None] = {}
        self.ema: dict[int, float | None] = {}
        self.rsi: dict[int, tuple[float, float] | None] = {}
        self.vol: dict[int, float | None] = {}

    def want(self, kind: str, n: int) -> None:
        """Keep the state of this indicator (sma, ema, rsi, vol) and period from now on."""
        table = getattr(self, kind)
        if n not in table:
            table[n] = _base(kind, self.closes, self.volumes, n)

    def seed(self, bars: Sequence[tuple[str, float, float]], now: float) -> None:
        """Daily bars (day ISO, close, volume), oldest first; today's bar, if any, is left
        out: today's session is live."""
        today = session_day(now, self.zone)
        done = [b for b in bars if b[0] < today]
        self.closes = [float(b[1]) for b in done]
        self.volumes = [float(b[2]) for b in done]
        self.day_end = next_midnight(now, self.zone)
        # prices seen before the bars were in may belong to a session the bars now hold
        self.last = self.closing = None
        self.day_volume = 0.0
        self.close_at = self.close_of(now) if self.close_of else float("inf")
        for kind in ("sma", "ema", "rsi", "vol"):
            table = getattr(self, kind)
            for n in table:
                table[n] = _base(kind, self.closes, self.volumes, n)
        self.seeded = True

    def roll(self, ts: float) -> None:
        """A new session began: the last one (its last price, its volume) is complete. On a
        calendar, a day with no trade up to its session's close has no close of ours (an
        after-hours print is not one): it is left out rather than guessed."""
        close = self.closing if self.close_of else self.last
        if close is not None:
            prev = self.closes[-1] if self.closes else None
            self.closes.append(close)
            self.volumes.append(self.day_volume)
            for n in self.sma:
                self.sma[n] = sma_base(self.closes, n)
            for n, ema in self.ema.items():
                self.ema[n] = ema_step(ema, close, n) if ema is not None else \
                    ema_base(self.closes, n)
            for n, rsi in self.rsi.items():
                self.rsi[n] = rsi_step(rsi[0], rsi[1], close - prev, n) \
                    if rsi is not None and prev is not None else rsi_base(self.closes, n)
            for n in self.vol:
                self.vol[n] = volume_base(self.volumes, n)
            keep = 2 * max([*self.sma, *self.ema, *self.rsi, *self.vol, 1]) + 2
            if len(self.closes) > 4 * keep:  # a bounded memory; sums only need the tail
                del self.closes[:-keep]
                del self.volumes[:-keep]
        self.last = self.closing = None
        self.day_volume = 0.0
        self.day_end = next_midnight(ts, self.zone)
        # the close of the day's session, counted from the day's start: a first trade after
        # the close is no part of the day's close
        start = datetime.combine(datetime.fromtimestamp(ts, self.zone).date(), time(0), self.zone)
        self.close_at = self.close_of(start.timestamp()) if self.close_of else float("inf")

    def tick(self, price: float, ts: float, volume: float) -> None:
        if ts >= self.day_end:
            self.roll(ts)
        self.last = price
        if ts <= self.close_at:
            self.closing = price
        self.day_volume += volume

    # live values (None until enough history)
    def sma_now(self, n: int, price: float) -> float | None:
        base = self.sma.get(n)
        return None if base is None else sma_live(base, price, n)

    def ema_now(self, n: int, price: float) -> float | None:
        base = self.ema.get(n)
        return None if base is None else ema_step(base, price, n)

    def rsi_now(self, n: int, price: float) -> float | None:
        state = self.rsi.get(n)
        if state is None or not self.closes:
            return None
        gain, loss = rsi_step(state[0], state[1], price - self.closes[-1], n)
        return rsi_value(gain, loss)

    def volume_ratio(self, n: int) -> float | None:
        """Today's volume so far over the n-session average."""
        base = self.vol.get(n)
        return None if not base else self.day_volume / base


def rsi_level(s: Series, n: int, threshold: float) -> float | None:
    """The price at which RSI(n) reads ``threshold`` (0 < threshold < 100) today (RSI
    rises with the price), or None when it cannot fire (no state yet)."""
    state = s.rsi.get(n)
    if state is None or not s.closes:
        return None
    close = s.closes[-1]
    gains, losses = state[0] * (n - 1), state[1] * (n - 1)
    rs = threshold / (100.0 - threshold)  # gain / loss at the threshold
    change = rs * losses - gains  # a rise: (gains + change) / losses == rs
    if change < 0.0:  # a fall: gains / (losses - change) == rs
        change = losses - gains / rs
    return close + change


def _base(kind: str, closes: Sequence[float], volumes: Sequence[float], n: int) -> object:
    if kind == "sma":
        return sma_base(closes, n)
    if kind == "ema":
        return ema_base(closes, n)
    if kind == "rsi":
        return rsi_base(closes, n)
    return volume_base(volumes, n)


async def seed_indicators(indexes: Sequence[Any], market: Any, clock: Callable[[], float],
                          tried: dict[str, float]) -> list[str]:
    """Daily bars (``market.history``) for the symbols whose indicator rules wait for them
    in any of ``indexes`` (``OperatorIndex``es: the tick path's, the closes'), fetched
    once per symbol; a failed fetch is tried again after ``SEED_RETRY_S`` (a fetch that
    worked is not held against the symbol: another index may want it next). Returns the
    symbols seeded."""
    seeded = []
    now = clock()
    wanted: dict[str, int] = {}
    for operators in indexes:
        for symbol, sessions in operators.unseeded().items():
            wanted[symbol] = max(sessions, wanted.get(symbol, 0))
    for symbol, sessions in wanted.items():
        if now - tried.get(symbol, -SEED_RETRY_S) < SEED_RETRY_S:
            continue
        tried[symbol] = now
        try:
            bars = await market.history(symbol, min(3650, max(100, 3 * sessions)))
        except CopilotError as exc:
            log.warning("no daily bars for indicator alerts yet", symbol=symbol, error=str(exc))
            continue
        del tried[symbol]
        rows = [(b.day.isoformat(), b.close, float(b.volume)) for b in bars]
        for operators in indexes:
            if symbol in operators.unseeded():
                operators.seed(symbol, rows, clock())
        seeded.append(symbol)
    return seeded
