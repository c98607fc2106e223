"""The rule index: per symbol, sorted thresholds per condition, the last price for
crossings (either way too) and rolling min/max windows for moves (in % or dollars,
either way or one way).

A tick touches only its symbol's book: a dict lookup, a few bisections and the rules that
actually fire, so the cost is O(log n + fired) whatever the number of rules. Pure Python,
no I/O; the engine owns persistence."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque


class SortedRules:
    """Parallel lists of thresholds (ascending) and rule ids."""

    __slots__ = ("th", "ids")

    def __init__(self) -> None:
        self.th: list[float] = []
        self.ids: list[int] = []

    def add(self, threshold: float, rule_id: int) -> None:
        i = bisect_right(self.th, threshold)
        self.th.insert(i, threshold)
        self.ids.insert(i, rule_id)

    def remove(self, threshold: float, rule_id: int) -> bool:
        i = bisect_left(self.th, threshold)
        while i < len(self.th) and self.th[i] == threshold:
            if self.ids[i] == rule_id:
                del self.th[i]
                del self.ids[i]
                return True
            i += 1
        return False

    def __len__(self) -> int:
        return len(self.th)


class MoveWindow:
    """Rolling window of prices and the move rules that share its length. The window's
    low and high come from monotonic deques in O(1) amortized per tick; each kind of move
    is then one comparison against the smallest threshold and, when something fires, a
    bisection: O(log n + fired) per tick, no recomputation over the history.

    Kinds: ``pct`` (pct_change: the larger of the rise from the low and the fall from the
    high, in %), ``up_pct`` / ``down_pct`` (the rise from the low / the fall from the high,
    in %) and ``up`` / ``down`` (the same in dollars)."""

    __slots__ = ("seconds", "lows", "highs", "pct", "up_pct", "down_pct", "up", "down",
                 "armed")

    def __init__(self, minutes: int) -> None:
        self.seconds = minutes * 60.0
        self.lows: deque[tuple[float, float]] = deque()
        self.highs: deque[tuple[float, float]] = deque()
        self.pct = SortedRules()
        self.up_pct = SortedRules()
        self.down_pct = SortedRules()
        self.up = SortedRules()
        self.down = SortedRules()
        self.armed = False  # any rule in it: else a tick only keeps the history

    def rearm(self) -> None:
        self.armed = bool(self.pct.th or self.up_pct.th or self.down_pct.th or self.up.th
                          or self.down.th)

    @property
    def rules(self) -> SortedRules:
        """pct_change rules (the name older callers know)."""
        return self.pct

    def update(self, price: float, ts: float) -> float:
        """Add a price; returns the pct_change move (%)."""
        low, high = self.range(price, ts)
        return pct_move(price, low, high)

    def range(self, price: float, ts: float) -> tuple[float, float]:
        """Add a price; returns the window's (low, high), this price included."""
        lows, highs = self.lows, self.highs
        while lows and lows[-1][1] >= price:
            lows.pop()
        lows.append((ts, price))
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append((ts, price))
        horizon = ts - self.seconds
        while lows[0][0] < horizon:
            lows.popleft()
        while highs[0][0] < horizon:
            highs.popleft()
        return lows[0][1], highs[0][1]

    def fire(self, price: float, ts: float, fired: list[int]) -> None:
        """Update the window and append the ids of the rules this price fires (``range``
        inline: this runs on every tick of the symbol)."""
        lows, highs = self.lows, self.highs
        item = (ts, price)
        while lows and lows[-1][1] >= price:
            lows.pop()
        lows.append(item)
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append(item)
        horizon = ts - self.seconds
        while lows[0][0] < horizon:
            lows.popleft()
        while highs[0][0] < horizon:
            highs.popleft()
        if not self.armed:
            return
        low, high = lows[0][1], highs[0][1]
        r = self.pct
        if r.th:
            move = pct_move(price, low, high)
            if r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]
        r = self.up_pct
        if r.th:
            move = rise_pct(price, low)
            if r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]
        r = self.down_pct
        if r.th:
            move = fall_pct(price, high)
            if r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]
        r = self.up
        if r.th:
            move = price - low
            if r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]
        r = self.down
        if r.th:
            move = high - price
            if r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]


# The move formulas, shared with the naive evaluators that check the index (the same
# floating-point expression on both sides, so "exactly at the threshold" agrees).
def pct_move(price: float, low: float, high: float) -> float:
    return max((price - low) / low, (high - price) / high) * 100.0


def rise_pct(price: float, low: float) -> float:
    return (price - low) / low * 100.0


def fall_pct(price: float, high: float) -> float:
    return (high - price) / high * 100.0


WINDOW_KINDS = {"pct_change": "pct", "moving_up_pct": "up_pct", "moving_down_pct": "down_pct",
                "moving_up": "up", "moving_down": "down"}
LEVEL_KINDS = ("above", "below", "cross_above", "cross_below", "cross")


INF = float("inf")


class SymbolBook:
    """One symbol's rules. ``lo``/``hi`` bound the quiet band: a price strictly between
    them fires no level or crossing rule (below every ``above`` level, above every
    ``below`` level, no crossing level between it and the last price), so most ticks cost
    two comparisons plus the windows. The band is recomputed after a tick leaves it and
    emptied by any rule change."""

    __slots__ = ("above", "below", "cross_above", "cross_below", "cross", "windows", "last",
                 "lo", "hi")

    def __init__(self) -> None:
        self.above = SortedRules()
        self.below = SortedRules()
        self.cross_above = SortedRules()
        self.cross_below = SortedRules()
        self.cross = SortedRules()  # either way
        self.windows: dict[int, MoveWindow] = {}
        self.last: float | None = None
        self.lo = INF  # an empty band until the first full evaluation
        self.hi = -INF

    def band(self, price: float) -> None:
        """The quiet band around ``price`` (the new last price)."""
        hi = self.above.th[0] if self.above.th else INF
        lo = self.below.th[-1] if self.below.th else -INF
        for r in (self.cross_above, self.cross_below, self.cross):
            th = r.th
            if th:
                i = bisect_right(th, price)  # th[i] is the first level above the price
                if i < len(th) and th[i] < hi:
                    hi = th[i]
                j = bisect_left(th, price)  # th[j - 1] is the last level below it
                if j > 0 and th[j - 1] > lo:
                    lo = th[j - 1]
                if j < i:  # a level at the price itself: the next move either way crosses it
                    lo = hi = price
        self.lo, self.hi = lo, hi


class RuleIndex:
    def __init__(self) -> None:
        self.books: dict[str, SymbolBook] = {}

    def _book(self, symbol: str) -> SymbolBook:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = SymbolBook()
        return book

    def _rules(self, book: SymbolBook, condition: str, window_minutes: int | None,
               create: bool) -> SortedRules | None:
        kind = WINDOW_KINDS.get(condition)
        if kind is None:
            if condition not in LEVEL_KINDS:
                raise ValueError(f"unknown condition {condition!r}")
            rules: SortedRules = getattr(book, condition)
            return rules
        minutes = window_minutes or 60
        window = book.windows.get(minutes)
        if window is None:
            if not create:
                return None
            window = book.windows[minutes] = MoveWindow(minutes)
        rules = getattr(window, kind)
        return rules

    def add(self, rule_id: int, symbol: str, condition: str, threshold: float,
            window_minutes: int | None = None) -> None:
        book = self._book(symbol)
        rules = self._rules(book, condition, window_minutes, create=True)
        assert rules is not None
        rules.add(threshold, rule_id)
        book.lo, book.hi = INF, -INF
        if condition in WINDOW_KINDS:
            book.windows[window_minutes or 60].armed = True

    def remove(self, rule_id: int, symbol: str, condition: str, threshold: float,
               window_minutes: int | None = None) -> bool:
        book = self.books.get(symbol)
        if book is None:
            return False
        rules = self._rules(book, condition, window_minutes, create=False)
        book.lo, book.hi = INF, -INF
        if rules is None:
            return False
        removed = rules.remove(threshold, rule_id)
        if condition in WINDOW_KINDS:
            book.windows[window_minutes or 60].rearm()
        return removed

    def evaluate(self, symbol: str, price: float, ts: float) -> list[int]:
        """Rule ids whose condition holds on this tick (the hot path)."""
        book = self.books.get(symbol)
        if book is None:
            return []
        fired: list[int] = []
        if book.lo < price < book.hi:  # the quiet band: no level or crossing fires
            book.last = price
            for window in book.windows.values():
                window.fire(price, ts, fired)
            return fired
        last = book.last
        book.last = price
        r = book.above
        if r.th and r.th[0] <= price:
            fired += r.ids[: bisect_right(r.th, price)]
        r = book.below
        if r.th and r.th[-1] >= price:
            fired += r.ids[bisect_left(r.th, price):]
        if last is not None:
            if price > last:  # levels in (last, price] were crossed upwards
                for r in (book.cross_above, book.cross):
                    if r.th:
                        i, j = bisect_right(r.th, last), bisect_right(r.th, price)
                        if i < j:
                            fired += r.ids[i:j]
            elif price < last:  # levels in [price, last) were crossed downwards
                for r in (book.cross_below, book.cross):
                    if r.th:
                        i, j = bisect_left(r.th, price), bisect_left(r.th, last)
                        if i < j:
                            fired += r.ids[i:j]
        book.band(price)
        for window in book.windows.values():
            window.fire(price, ts, fired)
        return fired
