"""What each indicator, channel and from-the-close operator means: its name, the checks
on its threshold, period and upper bound, and its words. The books that evaluate them on
ticks are in ``operators.py``."""

from __future__ import annotations

from typing import Any

MA_KINDS = {"sma": "SMA", "ema": "EMA"}
MA_TESTS = ("above", "below", "cross_above", "cross_below", "cross")
MA_CONDITIONS = {f"{t}_{k}": (t, k) for k in MA_KINDS for t in MA_TESTS}
RSI_CONDITIONS = {"rsi_above", "rsi_below"}
VOLUME_CONDITIONS = {"volume_spike"}
CHANNEL_CONDITIONS = {"inside_channel", "outside_channel", "entering_channel",
                      "exiting_channel"}
# a move from the previous session's close, in percent or dollars (threshold = the move)
FROM_CLOSE = {"up_pct_from_close": "up_pct", "down_pct_from_close": "down_pct",
              "up_from_close": "up", "down_from_close": "down"}
INDICATOR_CONDITIONS = set(MA_CONDITIONS) | RSI_CONDITIONS | VOLUME_CONDITIONS | set(FROM_CLOSE)
OPERATORS = INDICATOR_CONDITIONS | CHANNEL_CONDITIONS
DEFAULT_PERIOD = {"rsi": 14, "volume": 20}
MAX_PERIOD = 200  # sessions: the providers' daily history is ~100-250 sessions


MIN_PERIOD = 2


def check_spec(spec: Any) -> None:
    """Indicator and channel rules: what their threshold, period and upper mean."""
    from tools.alerts.models import MAX_PCT, MAX_PRICE, MIN_PCT, MIN_PRICE, finite_number

    c = spec.condition.value
    spec.window_minutes = None
    if c in FROM_CLOSE:
        if c.endswith("_pct_from_close") and not MIN_PCT <= spec.threshold <= MAX_PCT:
            raise ValueError(f"a move from the previous close is between {MIN_PCT:g} and "
                             f"{MAX_PCT:g} %")
        if not c.endswith("_pct_from_close") and not MIN_PRICE <= spec.threshold <= MAX_PRICE:
            raise ValueError(f"a move in dollars must be positive, between ${MIN_PRICE:f} and "
                             f"${MAX_PRICE:,.0f}")
        if spec.period is not None or spec.upper is not None:
            raise ValueError(f"period and upper belong to indicator and channel conditions, "
                             f"not {c}")
        return
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
    if condition in FROM_CLOSE:
        return 1
    return n - 1 if condition.endswith("_sma") else n


def describe(symbol: str, condition: str, threshold: float, period: int | None,
             upper: float | None, money: object) -> str:
    fmt = money if callable(money) else str
    if condition in FROM_CLOSE:
        way = "up" if condition.startswith("up") else "down"
        size = f"{threshold:g}%" if "_pct_" in condition else fmt(threshold)
        return f"{symbol} {way} {size} from the previous close"
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
