"""The rule index: per symbol, sorted thresholds per condition, the last price for
crossings and rolling min/max windows for percentage moves.

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
    """Rolling window of prices: the largest move (in %) from the window's low or high
    to the current price, in O(1) amortized per tick with monotonic deques."""

    __slots__ = ("seconds", "lows", "highs", "rules")

    def __init__(self, minutes: int) -> None:
        self.seconds = minutes * 60.0
        self.lows: deque[tuple[float, float]] = deque()
        self.highs: deque[tuple[float, float]] = deque()
        self.rules = SortedRules()

    def update(self, price: float, ts: float) -> float:
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
        low, high = lows[0][1], highs[0][1]
        return max((price - low) / low, (high - price) / high) * 100.0


class SymbolBook:
    __slots__ = ("above", "below", "cross_above", "cross_below", "windows", "last")

    def __init__(self) -> None:
        self.above = SortedRules()
        self.below = SortedRules()
        self.cross_above = SortedRules()
        self.cross_below = SortedRules()
        self.windows: dict[int, MoveWindow] = {}
        self.last: float | None = None


class RuleIndex:
    def __init__(self) -> None:
        self.books: dict[str, SymbolBook] = {}

    def _book(self, symbol: str) -> SymbolBook:
        book = self.books.get(symbol)
        if book is None:
            book = self.books[symbol] = SymbolBook()
        return book

    def add(self, rule_id: int, symbol: str, condition: str, threshold: float,
            window_minutes: int | None = None) -> None:
        book = self._book(symbol)
        if condition == "pct_change":
            minutes = window_minutes or 60
            window = book.windows.get(minutes)
            if window is None:
                window = book.windows[minutes] = MoveWindow(minutes)
            window.rules.add(threshold, rule_id)
        else:
            getattr(book, condition).add(threshold, rule_id)

    def remove(self, rule_id: int, symbol: str, condition: str, threshold: float,
               window_minutes: int | None = None) -> bool:
        book = self.books.get(symbol)
        if book is None:
            return False
        if condition == "pct_change":
            window = book.windows.get(window_minutes or 60)
            return window.rules.remove(threshold, rule_id) if window else False
        return getattr(book, condition).remove(threshold, rule_id)

    def evaluate(self, symbol: str, price: float, ts: float) -> list[int]:
        """Rule ids whose condition holds on this tick (the hot path)."""
        book = self.books.get(symbol)
        if book is None:
            return []
        fired: list[int] = []
        last = book.last
        book.last = price
        r = book.above
        if r.th and r.th[0] <= price:
            fired += r.ids[: bisect_right(r.th, price)]
        r = book.below
        if r.th and r.th[-1] >= price:
            fired += r.ids[bisect_left(r.th, price):]
        if last is not None:
            if price > last:
                r = book.cross_above
                if r.th:
                    i, j = bisect_right(r.th, last), bisect_right(r.th, price)
                    if i < j:
                        fired += r.ids[i:j]
            elif price < last:
                r = book.cross_below
                if r.th:
                    i, j = bisect_left(r.th, price), bisect_left(r.th, last)
                    if i < j:
                        fired += r.ids[i:j]
        for window in book.windows.values():
            move = window.update(price, ts)
            r = window.rules
            if r.th and r.th[0] <= move:
                fired += r.ids[: bisect_right(r.th, move)]
        return fired
