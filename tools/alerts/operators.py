"""The indicator and channel operators, beside the price index (``index.py``):

- price vs a moving average of N sessions: ``above_sma`` ``below_sma`` ``cross_above_sma``
  ``cross_below_sma`` ``cross_sma`` and the same with ``_ema`` (threshold = N);
- ``rsi_above`` / ``rsi_below`` (threshold = the RSI level, ``period`` = N, default 14);
- ``volume_spike`` (today's volume so far >= threshold x the N-session average, ``period``
  default 20);
- channels between ``threshold`` (lower) and ``upper``: ``inside_channel``,
  ``outside_channel``, ``entering_channel``, ``exiting_channel``.

Per symbol, rules are grouped by what they compare against, so a tick computes each
indicator once (O(1), see ``indicators.py``) and finds the firing rules by bisection or
by group: never a recomputation over history. Indicator rules stay silent until the
symbol's daily bars are seeded: an indicator is never approximated by a price.

Most ticks compute nothing at all: within a session every price test here is a price
level — the price is above its N-session SMA exactly when it is above the mean of the
last N-1 closes, above its EMA when above yesterday's EMA, RSI(N) is monotonic in the
price, a channel has two edges — so after a full evaluation each book keeps a quiet band
(the nearest such level on either side, narrowed by ``EPS``) and the volume the nearest
spike threshold needs. A tick inside the band below that volume fires nothing and changes
no crossing state; any rule change, a seed or a new session empties the band. The full
evaluation (the same floating-point steps as the naive evaluators) decides near a level."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tools.alerts.index import SortedRules
from tools.alerts.indicators import Series, rsi_level

MA_KINDS = {"sma": "SMA", "ema": "EMA"}
MA_TESTS = ("above", "below", "cross_above", "cross_below", "cross")
MA_CONDITIONS = {f"{t}_{k}": (t, k) for k in MA_KINDS for t in MA_TESTS}
RSI_CONDITIONS = {"rsi_above", "rsi_below"}
VOLUME_CONDITIONS = {"volume_spike"}
CHANNEL_CONDITIONS = {"inside_channel", "outside_channel", "entering_channel",
                      "exiting_channel"}
INDICATOR_CONDITIONS = set(MA_CONDITIONS) | RSI_CONDITIONS | VOLUME_CONDITIONS
OPERATORS = INDICATOR_CONDITIONS | CHANNEL_CONDITIONS
DEFAULT_PERIOD = {"rsi": 14, "volume": 20}
MAX_PERIOD = 200  # sessions: the providers' daily history is ~100-250 sessions


MIN_PERIOD = 2
INF, EPS = float("inf"), 1e-7  # EPS: relative margin, a derived level to the quiet band's edge


def check_spec(spec: Any) -> None:
    """Indicator and channel rules: what their threshold, period and upper mean."""
    from tools.alerts.models import MAX_PRICE, MIN_PRICE, finite_number

    c = spec.condition.value
    spec.window_minutes = None
    if spec.period is not None and (isinstance(spec.period, bool)
                                    or not MIN_PERIOD <= spec.period <= MAX_PERIOD):
        raise ValueError(f"period must be between {MIN_PERIOD} and {MAX_PERIOD} sessions")
    if c in MA_CONDITIONS:
        if spec.period is not None and spec.period != spec.threshold:
            spec.threshold = float(spec.period)  # "the 50-day": period said it
        if spec.threshold != int(spec.threshold) or \
                not MIN_PERIOD <= spec.threshold <= MAX_PERIOD:
            raise ValueError(f"for a moving average, threshold is its length in sessions, "
                             f"a whole number from {MIN_PERIOD} to {MAX_PERIOD}")
        spec.period = None
    elif c in ("rsi_above", "rsi_below"):
        if not 0 < spec.threshold < 100:
            raise ValueError("an RSI level is between 0 and 100")
    elif c == "volume_spike":
        if not 0.1 <= spec.threshold <= 100:
            raise ValueError("a volume spike is a multiple of the average volume, "
                             "between 0.1 and 100")
    else:
        if spec.upper is None or finite_number(spec.upper) is None:
            raise ValueError("a channel needs its lower bound as threshold and its upper "
                             "bound as upper")
        lo, hi = sorted((spec.threshold, float(spec.upper)))
        if not MIN_PRICE <= lo <= MAX_PRICE or not MIN_PRICE <= hi <= MAX_PRICE or lo == hi:
            raise ValueError("a channel's bounds are two different positive prices")
        spec.threshold, spec.upper = lo, hi
    if c not in ("inside_channel", "outside_channel", "entering_channel",
                 "exiting_channel") and spec.upper is not None:
        raise ValueError(f"upper belongs to channel conditions, not {c}")


def period_of(condition: str, threshold: float, period: int | None) -> int | None:
    """The N of an indicator rule (a moving average's is its threshold)."""
    if condition in MA_CONDITIONS:
        return int(threshold)
    if condition in RSI_CONDITIONS:
        return period or DEFAULT_PERIOD["rsi"]
    if condition in VOLUME_CONDITIONS:
        return period or DEFAULT_PERIOD["volume"]
    return None


def sessions_needed(condition: str, n: int) -> int:
    """Completed sessions an indicator needs before it can fire."""
    if condition in RSI_CONDITIONS:
        return n + 1
    return n - 1 if condition.endswith("_sma") else n


def describe(symbol: str, condition: str, threshold: float, period: int | None,
             upper: float | None, money: object) -> str:
    fmt = money if callable(money) else str
    if condition in MA_CONDITIONS:
        test, kind = MA_CONDITIONS[condition]
        n, name = int(threshold), MA_KINDS[kind]
        words = {"above": "at or above", "below": "at or below", "cross_above": "crosses above",
                 "cross_below": "crosses below", "cross": "crosses"}[test]
        return f"{symbol} {words} its {n}-session {name}"
    n = period_of(condition, threshold, period) or 0
    if condition == "rsi_above":
        return f"{symbol} RSI({n}) at or above {threshold:g}"
    if condition == "rsi_below":
        return f"{symbol} RSI({n}) at or below {threshold:g}"
    if condition == "volume_spike":
        return f"{symbol} volume at {threshold:g}x its {n}-session average"
    band = f"{fmt(threshold)}–{fmt(upper if upper is not None else threshold)}"
    return {"inside_channel": f"{symbol} inside {band}",
            "outside_channel": f"{symbol} outside {band}",
            "entering_channel": f"{symbol} enters {band}",
            "exiting_channel": f"{symbol} exits {band}"}[condition]


@dataclass(slots=True)
class MaGroup:
    """Rules comparing the price with one moving average; they all fire together."""

    ids: dict[str, list[int]] = field(default_factory=lambda: {t: [] for t in MA_TESTS})
    diff: float | None = None  # price - average on the previous tick

    def empty(self) -> bool:
        return not any(self.ids.values())


@dataclass(slots=True)
class Channel:
    rule_id: int
    condition: str
    lower: float
    upper: float


class OperatorBook:
    __slots__ = ("series", "ma", "rsi_above", "rsi_below", "volume", "channels", "last",
                 "edges", "lo", "hi", "vol_gate")

    def __init__(self, series: Series) -> None:
        self.series = series
        self.ma: dict[tuple[str, int], MaGroup] = {}
        self.rsi_above: dict[int, SortedRules] = {}
        self.rsi_below: dict[int, SortedRules] = {}
        self.volume: dict[int, SortedRules] = {}
        self.channels: list[Channel] = []
        self.edges: list[float] = []  # every channel's bounds, sorted
        self.last: float | None = None  # the previous tick's price (channels)
        self.lo = INF  # the quiet band (empty until a full evaluation)
        self.hi = -INF
        self.vol_gate = -INF  # today's volume below this fires no volume spike

    def reset(self) -> None:
        """Rules or levels changed: the next tick is evaluated in full."""
        self.lo, self.hi, self.vol_gate = INF, -INF, -INF

    def band(self, price: float) -> None:
        """The quiet band around ``price`` after a full evaluation (see the module doc):
        empty whenever a rule holds at this price or a level is too close to call."""
        lo, hi, gate = -INF, INF, INF
        s = self.series
        if s.seeded:
            for (kind, n), group in self.ma.items():
                base = (s.sma if kind == "sma" else s.ema).get(n)
                if base is None:
                    continue
                level = base / (n - 1) if kind == "sma" else base
                ids = group.ids
                if price > level * (1 + 2 * EPS) and not ids["above"]:
                    lo = max(lo, level * (1 + EPS))
                elif price < level * (1 - 2 * EPS) and not ids["below"]:
                    hi = min(hi, level * (1 - EPS))
                else:
                    return self._empty(price)
            for n, r in self.rsi_above.items():
                if r.th:
                    if not 0.0 < r.th[0] < 100.0:
                        return self._empty(price)
                    at = rsi_level(s, n, r.th[0])
                    if at is not None:
                        if price >= at * (1 - 2 * EPS):
                            return self._empty(price)
                        hi = min(hi, at * (1 - EPS))
            for n, r in self.rsi_below.items():
                if r.th:
                    if not 0.0 < r.th[-1] < 100.0:
                        return self._empty(price)
                    at = rsi_level(s, n, r.th[-1])
                    if at is not None:
                        if price <= at * (1 + 2 * EPS):
                            return self._empty(price)
                        lo = max(lo, at * (1 + EPS))
            for n, r in self.volume.items():
                base = s.vol.get(n)
                if r.th and base:
                    gate = min(gate, r.th[0] * base * (1 - EPS))
        if self.channels:
            edges = self.edges
            i = bisect_left(edges, price)
            if i < len(edges):
                if edges[i] == price:
                    return self._empty(price)
                hi = min(hi, edges[i])
            if i > 0:
                lo = max(lo, edges[i - 1])
            for c in self.channels:
                inside = c.lower <= price <= c.upper
                if inside if c.condition == "inside_channel" else (
                        not inside and c.condition == "outside_channel"):
                    return self._empty(price)
        self.lo, self.hi, self.vol_gate = lo, hi, gate

    def _empty(self, price: float) -> None:
        self.lo = self.hi = price
        self.vol_gate = -INF


class OperatorIndex:
    """Indicator and channel rules per symbol; ``zone_of`` names a symbol's exchange clock
    (its sessions roll at midnight there)."""

    def __init__(self, zone_of: object = None) -> None:
        self.books: dict[str, OperatorBook] = {}
        self.zone_of = zone_of

    def _book(self, symbol: str) -> OperatorBook:
        book = self.books.get(symbol)
        if book is None:
            zone = self.zone_of(symbol) if callable(self.zone_of) else ZoneInfo("UTC")
            book = self.books[symbol] = OperatorBook(Series(zone))
        return book

    def unseeded(self) -> dict[str, int]:
        """Symbols whose indicator rules wait for daily bars: the sessions they need."""
        out = {}
        for symbol, book in self.books.items():
            s = book.series
            if not s.seeded and (s.sma or s.ema or s.rsi or s.vol):
                out[symbol] = max([*s.sma, *s.ema, *s.rsi, *s.vol]) + 1
        return out

    def seed(self, symbol: str, bars: list[tuple[str, float, float]], now: float) -> None:
        book = self._book(symbol)
        book.series.seed(bars, now)
        book.reset()

    def add(self, rule_id: int, symbol: str, condition: str, threshold: float,
            period: int | None = None, upper: float | None = None) -> None:
        book = self._book(symbol)
        book.reset()
        if condition in MA_CONDITIONS:
            test, kind = MA_CONDITIONS[condition]
            n = int(threshold)
            book.series.want(kind, n)
            book.ma.setdefault((kind, n), MaGroup()).ids[test].append(rule_id)
        elif condition in RSI_CONDITIONS:
            n = period_of(condition, threshold, period) or 14
            book.series.want("rsi", n)
            table = book.rsi_above if condition == "rsi_above" else book.rsi_below
            table.setdefault(n, SortedRules()).add(threshold, rule_id)
        elif condition in VOLUME_CONDITIONS:
            n = period_of(condition, threshold, period) or 20
            book.series.want("vol", n)
            book.volume.setdefault(n, SortedRules()).add(threshold, rule_id)
        elif condition in CHANNEL_CONDITIONS:
            c = Channel(rule_id, condition, threshold, upper if upper is not None else threshold)
            book.channels.append(c)
            insort(book.edges, c.lower)
            insort(book.edges, c.upper)
        else:
            raise ValueError(f"unknown condition {condition!r}")

    def remove(self, rule_id: int, symbol: str, condition: str, threshold: float,
               period: int | None = None, upper: float | None = None) -> bool:
        book = self.books.get(symbol)
        if book is None:
            return False
        book.reset()
        if condition in MA_CONDITIONS:
            test, kind = MA_CONDITIONS[condition]
            group = book.ma.get((kind, int(threshold)))
            if group is None or rule_id not in group.ids[test]:
                return False
            group.ids[test].remove(rule_id)
            return True  # the group (its last difference) stays for a rule added back
        if condition in RSI_CONDITIONS or condition in VOLUME_CONDITIONS:
            n = period_of(condition, threshold, period) or 0
            table = book.volume if condition in VOLUME_CONDITIONS else (
                book.rsi_above if condition == "rsi_above" else book.rsi_below)
            rules = table.get(n)
            return rules.remove(threshold, rule_id) if rules is not None else False
        gone = [c for c in book.channels if c.rule_id == rule_id]
        book.channels = [c for c in book.channels if c.rule_id != rule_id]
        for c in gone:
            book.edges.remove(c.lower)
            book.edges.remove(c.upper)
        return bool(gone)

    def evaluate(self, symbol: str, price: float, ts: float, volume: float = 0.0) -> list[int]:
        """Rule ids whose operator holds on this tick; every tick of a symbol with such
        rules must come here (sessions, volumes and crossings follow the ticks)."""
        book = self.books.get(symbol)
        if book is None:
            return []
        series = book.series
        if ts >= series.day_end:  # a new session: new levels
            series.roll(ts)
            book.reset()
        series.last = price  # Series.tick, inline
        series.day_volume += volume
        if book.lo < price < book.hi and series.day_volume < book.vol_gate:
            book.last = price
            return []  # the quiet band: nothing fires, no crossing state changes
        fired: list[int] = []
        if series.seeded:
            for (kind, n), group in book.ma.items():
                avg = series.sma_now(n, price) if kind == "sma" else series.ema_now(n, price)
                if avg is None:
                    continue
                diff = price - avg
                prev, group.diff = group.diff, diff
                ids = group.ids
                if diff >= 0.0:
                    fired += ids["above"]
                if diff <= 0.0:
                    fired += ids["below"]
                if prev is not None:
                    if prev < 0.0 <= diff:
                        fired += ids["cross_above"]
                        fired += ids["cross"]
                    elif prev > 0.0 >= diff:
                        fired += ids["cross_below"]
                        fired += ids["cross"]
            for n, r in book.rsi_above.items():
                if r.th:
                    rsi = series.rsi_now(n, price)
                    if rsi is not None and r.th[0] <= rsi:
                        fired += r.ids[: bisect_right(r.th, rsi)]
            for n, r in book.rsi_below.items():
                if r.th:
                    rsi = series.rsi_now(n, price)
                    if rsi is not None and r.th[-1] >= rsi:
                        fired += r.ids[bisect_left(r.th, rsi):]
            for n, r in book.volume.items():
                if r.th:
                    ratio = series.volume_ratio(n)
                    if ratio is not None and r.th[0] <= ratio:
                        fired += r.ids[: bisect_right(r.th, ratio)]
        last, book.last = book.last, price
        for c in book.channels:
            inside = c.lower <= price <= c.upper
            cond = c.condition
            if cond == "inside_channel":
                hit = inside
            elif cond == "outside_channel":
                hit = not inside
            elif last is None:
                hit = False
            else:
                was = c.lower <= last <= c.upper
                hit = inside and not was if cond == "entering_channel" else was and not inside
            if hit:
                fired.append(c.rule_id)
        book.band(price)
        return fired

    def value_text(self, symbol: str, condition: str, threshold: float,
                   period: int | None, price: float) -> str:
        """What the indicator reads now, for the firing's message."""
        book = self.books.get(symbol)
        if book is None:
            return ""
        s = book.series
        if condition in MA_CONDITIONS:
            _, kind = MA_CONDITIONS[condition]
            n = int(threshold)
            avg = s.sma_now(n, price) if kind == "sma" else s.ema_now(n, price)
            return "" if avg is None else f"{MA_KINDS[kind]}({n}) {avg:,.2f}"
        n = period_of(condition, threshold, period) or 0
        if condition in RSI_CONDITIONS:
            rsi = s.rsi_now(n, price)
            return "" if rsi is None else f"RSI({n}) {rsi:.1f}"
        if condition in VOLUME_CONDITIONS:
            ratio = s.volume_ratio(n)
            return "" if ratio is None else f"volume {ratio:.1f}x the {n}-session average"
        return ""

