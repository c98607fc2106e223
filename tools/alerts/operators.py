"""The indicator and channel operators, beside the price index (``index.py``):

- price vs a moving average of N sessions: ``above_sma`` ``below_sma`` ``cross_above_sma``
  ``cross_below_sma`` ``cross_sma`` and the same with ``_ema`` (threshold = N);
- ``rsi_above`` / ``rsi_below`` (threshold = the RSI level, ``period`` = N, default 14);
- ``volume_spike`` (today's volume so far >= threshold x the N-session average, ``period``
  default 20);
- channels between ``threshold`` (lower) and ``upper``: ``inside_channel``,
  ``outside_channel``, ``entering_channel``, ``exiting_channel``.
- moves from the previous session's close: ``up_pct_from_close``, ``down_pct_from_close``
  (threshold = %), ``up_from_close``, ``down_from_close`` (dollars).

What each one means (names, checks, words) is in ``operator_specs.py``.

Per symbol, rules are grouped by what they compare against, so a tick computes each
indicator once (O(1), see ``indicators.py``) and finds the firing rules by bisection or
by group: never a recomputation over history. Indicator rules (and moves from the close)
stay silent until the symbol's daily bars are seeded: an indicator is never approximated
by a price.

Most ticks compute nothing at all: within a session every price test here is a price
level — the price is above its N-session SMA exactly when it is above the mean of the
last N-1 closes, above its EMA when above yesterday's EMA, RSI(N) is monotonic in the
price, a move from the close is a level off the close, a channel has two edges — so after
a full evaluation each book keeps a quiet band (the nearest such level on either side,
narrowed by ``EPS``) and the volume the nearest
spike threshold needs. A tick inside the band below that volume fires nothing and changes
no crossing state; any rule change, a seed or a new session empties the band. The full
evaluation (the same floating-point steps as the naive evaluators) decides near a level."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tools.alerts.index import SortedRules
from tools.alerts.indicators import Series, rsi_level
from tools.alerts.operator_specs import (  # noqa: F401  (imported from here too)
    CHANNEL_CONDITIONS,
    DEFAULT_PERIOD,
    FROM_CLOSE,
    INDICATOR_CONDITIONS,
    MA_CONDITIONS,
    MA_KINDS,
    MA_TESTS,
    MAX_PERIOD,
    MIN_PERIOD,
    OPERATORS,
    RSI_CONDITIONS,
    VOLUME_CONDITIONS,
    check_spec,
    describe,
    period_of,
    sessions_needed,
)

INF, EPS = float("inf"), 1e-7  # EPS: relative margin, a derived level to the quiet band's edge

def close_move(kind: str, close: float, price: float) -> float:
    """The move from the previous close in the rule's terms (positive in its direction)."""
    if kind == "up_pct":
        return (price / close - 1.0) * 100.0
    if kind == "down_pct":
        return (1.0 - price / close) * 100.0
    return price - close if kind == "up" else close - price


def close_level(kind: str, close: float, move: float) -> float:
    """The price at which ``close_move`` reaches ``move``."""
    if kind == "up_pct":
        return close * (1.0 + move / 100.0)
    if kind == "down_pct":
        return close * (1.0 - move / 100.0)
    return close + move if kind == "up" else close - move


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
    __slots__ = ("series", "ma", "rsi_above", "rsi_below", "volume", "from_close", "channels",
                 "last", "edges", "lo", "hi", "vol_gate")

    def __init__(self, series: Series) -> None:
        self.series = series
        self.ma: dict[tuple[str, int], MaGroup] = {}
        self.rsi_above: dict[int, SortedRules] = {}
        self.rsi_below: dict[int, SortedRules] = {}
        self.volume: dict[int, SortedRules] = {}
        self.from_close: dict[str, SortedRules] = {}  # by kind: up_pct, down_pct, up, down
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
            if s.closes:
                for kind, r in self.from_close.items():
                    if r.th:  # the smallest move is the nearest level
                        at = close_level(kind, s.closes[-1], r.th[0])
                        if kind.startswith("up"):
                            if price >= at * (1 - 2 * EPS):
                                return self._empty(price)
                            hi = min(hi, at * (1 - EPS))
                        elif at > 0.0:
                            if price <= at * (1 + 2 * EPS):
                                return self._empty(price)
                            lo = max(lo, at * (1 + EPS))
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

    calendar = False  # whether ``close_after`` knows the sessions (a subclass's)

    def __init__(self, zone_of: object = None) -> None:
        self.books: dict[str, OperatorBook] = {}
        self.zone_of = zone_of

    def close_after(self, symbol: str, ts: float) -> float | None:
        """The symbol's first session close after ``ts`` (None: no calendar here, every
        price of a day counts as its close so far)."""
        return None

    def seed_as_of(self, symbol: str, now: float) -> float:
        """The instant whose session is live when daily bars arrive at ``now``."""
        return now

    def _book(self, symbol: str) -> OperatorBook:
        book = self.books.get(symbol)
        if book is None:
            zone = self.zone_of(symbol) if callable(self.zone_of) else ZoneInfo("UTC")
            close_of = (lambda ts: self.close_after(symbol, ts) or INF) if self.calendar \
                else None
            book = self.books[symbol] = OperatorBook(Series(zone, close_of))
        return book

    def unseeded(self) -> dict[str, int]:
        """Symbols whose indicator rules wait for daily bars: the sessions they need."""
        out = {}
        for symbol, book in self.books.items():
            s = book.series
            if not s.seeded and (s.sma or s.ema or s.rsi or s.vol or book.from_close):
                out[symbol] = max([*s.sma, *s.ema, *s.rsi, *s.vol, 1]) + 1
        return out

    def seed(self, symbol: str, bars: list[tuple[str, float, float]], now: float) -> None:
        book = self._book(symbol)
        book.series.seed(bars, self.seed_as_of(symbol, now))
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
        elif condition in FROM_CLOSE:
            book.from_close.setdefault(FROM_CLOSE[condition], SortedRules()).add(threshold,
                                                                                 rule_id)
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
        if condition in FROM_CLOSE:
            rules = book.from_close.get(FROM_CLOSE[condition])
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
        if ts <= series.close_at:
            series.closing = price
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
            if series.closes:
                close = series.closes[-1]
                for kind, r in book.from_close.items():
                    if r.th:
                        move = close_move(kind, close, price)
                        if r.th[0] <= move:
                            fired += r.ids[: bisect_right(r.th, move)]
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
        if condition in FROM_CLOSE and s.closes:
            close = s.closes[-1]
            move = f"{(price / close - 1.0) * 100.0:+.2f}%" if "_pct_" in condition else (
                f"{'+' if price >= close else '-'}${abs(price - close):,.2f}")
            return f"{move} from the previous close {close:,.2f}"
        return ""

