"""Alert rules, firings and the delivery outbox."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, field_validator, model_validator
from sqlalchemy import Index
from sqlmodel import Field, SQLModel, UniqueConstraint

from core.calendar import is_crypto
from core.errors import InvalidInput
from core.market import normalize_symbol
from core.markettime import format_local
from tools.alerts.frequencies import frequency_name, frequency_words
from tools.alerts.lists import as_list, check_list_and_close, list_name, subject
from tools.alerts.wording import DEFAULT_WINDOW, condition_text, money, rule_text


class Condition(StrEnum):
    above = "above"
    below = "below"
    cross_above = "cross_above"
    cross_below = "cross_below"
    cross = "cross"  # a crossing of the level, either way
    pct_change = "pct_change"  # a move of N % either way within the window
    moving_up_pct = "moving_up_pct"  # up N % from the window's low
    moving_down_pct = "moving_down_pct"  # down N % from the window's high
    moving_up = "moving_up"  # up $N from the window's low
    moving_down = "moving_down"  # down $N from the window's high
    # price vs a moving average of N sessions (threshold = N)
    above_sma = "above_sma"
    below_sma = "below_sma"
    cross_above_sma = "cross_above_sma"
    cross_below_sma = "cross_below_sma"
    cross_sma = "cross_sma"
    above_ema = "above_ema"
    below_ema = "below_ema"
    cross_above_ema = "cross_above_ema"
    cross_below_ema = "cross_below_ema"
    cross_ema = "cross_ema"
    rsi_above = "rsi_above"  # RSI(period) at or above threshold
    rsi_below = "rsi_below"
    volume_spike = "volume_spike"  # today's volume >= threshold x the period's average
    inside_channel = "inside_channel"  # threshold <= price <= upper
    outside_channel = "outside_channel"
    entering_channel = "entering_channel"
    exiting_channel = "exiting_channel"
    up_pct_from_close = "up_pct_from_close"  # up N % from the previous session's close
    down_pct_from_close = "down_pct_from_close"
    up_from_close = "up_from_close"  # up $N from the previous close
    down_from_close = "down_from_close"


# what a threshold means for each condition
LEVELS = frozenset({"above", "below", "cross_above", "cross_below", "cross"})
PERCENT_MOVES = frozenset({"pct_change", "moving_up_pct", "moving_down_pct"})
DOLLAR_MOVES = frozenset({"moving_up", "moving_down"})
WINDOWED = PERCENT_MOVES | DOLLAR_MOVES

CONDITION_HELP = (
    "above/below (at or beyond a price level), cross_above/cross_below (a crossing of the "
    "level in that direction), cross (a crossing either way), pct_change (a move of N % "
    "either way within window_minutes), moving_up_pct/moving_down_pct (up N % from the "
    "window's low / down N % from its high), moving_up/moving_down (the same in dollars), "
    "above_sma/below_sma/cross_above_sma/cross_below_sma/cross_sma and the same with _ema "
    "(the price vs the moving average of `threshold` sessions), rsi_above/rsi_below "
    "(RSI(period, default 14) vs the level `threshold`), volume_spike (today's volume at "
    "`threshold` x the average of `period` sessions, default 20), inside_channel/"
    "outside_channel/entering_channel/exiting_channel (between `threshold` and `upper`), "
    "up_pct_from_close/down_pct_from_close (up/down N % from the previous session's close: "
    "'up 5% today'), up_from_close/down_from_close (the same in dollars)")


def when_text(ts: float, tz: str) -> str:
    """An instant on the owner's clock: 'Fri 27 Nov 2026 23:59 EST'."""
    return format_local(ts, tz, year=True)


def already_holds(symbol: str, condition: str, threshold: float,
                  price: float) -> tuple[str, str] | None:
    """Why a new rule at this price would be a harmful guess, as (fact, question): a level
    that already holds fires at once, and a crossing from the side the price is already
    on cannot happen as asked. None when the rule makes sense here."""
    now, level = money(price), money(threshold)
    side = "at" if price == threshold else ("above" if price > threshold else "below")
    if condition == "above" and price >= threshold:
        return (f"{symbol} is at {now}, already {side} {level}, so this would fire at once",
                "Did you mean cross_above, or another level?")
    if condition == "below" and price <= threshold:
        return (f"{symbol} is at {now}, already {side} {level}, so this would fire at once",
                "Did you mean cross_below, or another level?")
    if condition == "cross_above" and price >= threshold:
        return (f"{symbol} is at {now}, already {side} {level}, so it cannot cross above it "
                "until it falls back below", "Did you mean cross_below, or another level?")
    if condition == "cross_below" and price <= threshold:
        return (f"{symbol} is at {now}, already {side} {level}, so it cannot cross below it "
                "until it climbs back above", "Did you mean cross_above, or another level?")
    return None


class Frequency(StrEnum):
    once = "once"
    once_per_day = "once_per_day"
    every_time = "every_time"
    once_per_minute = "once_per_minute"  # stored as every_time with a 60 s cooldown
    once_per_session = "once_per_session"  # the owner's word for once_per_day (stored so)
    once_per_bar_close = "once_per_bar_close"  # checked on each session's close only


class AlertRule(SQLModel, table=True):
    __tablename__ = "alert_rules"
    id: int | None = Field(default=None, primary_key=True)
    symbol: str = Field(index=True)
    condition: str
    threshold: float
    window_minutes: int | None = None
    frequency: str = Frequency.once.value
    cooldown_s: float = 300.0
    expires_at: float | None = None
    snoozed_until: float | None = None
    note: str = ""
    owner: str = "owner"
    targets: str = "console"  # comma-separated target names
    template: str = ""  # the message with {{placeholders}} (templates.py); "" the default
    period: int | None = None  # sessions: RSI and volume averages
    upper: float | None = None  # a channel's upper bound (threshold is the lower)
    active: bool = True
    created_at: float = 0.0
    last_fired_at: float | None = None
    fire_count: int = 0

    @property
    def list_name(self) -> str | None:  # 'watchlist' for a rule over the watchlist
        return list_name(self.symbol)

    def describe(self) -> str:
        return rule_text(self)

    @property
    def frequency_name(self) -> str:  # frequencies.py
        return frequency_name(self.frequency, self.cooldown_s)

    def details(self, tz: str) -> str:
        """Every slot in words: condition, level, window, frequency, expiry (on the
        owner's clock, ``tz``), note."""
        parts = [condition_text(subject(self.symbol), self.condition, self.threshold,
                                self.window_minutes, self.period, self.upper)]
        parts.append(frequency_words(self.frequency, self.cooldown_s, is_crypto(self.symbol),
                                     bool(self.list_name)))
        parts.append(f"until {when_text(self.expires_at, tz)}" if self.expires_at else "no expiry")
        if self.note:
            parts.append(f"note: {self.note}")
        return "; ".join(parts)


class Firing(SQLModel, table=True):
    __tablename__ = "alert_firings"
    # history reads by time (all, or one ticker); retention by age
    # one firing per rule, symbol and tick: a list rule fires for several symbols at one
    # instant (a session's close); older databases are widened by lists.migrate_firing_key
    __table_args__ = (UniqueConstraint("rule_id", "symbol", "tick_ts",
                                       name="uq_alert_firings_rule_symbol_tick"),
                      Index("ix_alert_firings_tick_ts", "tick_ts"),
                      Index("ix_alert_firings_symbol_tick_ts", "symbol", "tick_ts"),
                      Index("ix_alert_firings_created_at", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(index=True)
    symbol: str = Field(index=True)
    price: float
    tick_ts: float
    message: str
    created_at: float


class Notification(SQLModel, table=True):
    """One message to one target; it may carry several firings (grouping). Its id is the
    idempotency key, fixed before the first send, so a retry after a crash resends the
    very same message and the receiver can drop the duplicate."""

    __tablename__ = "alert_notifications"
    # the dispatcher's wake-up (pending and due, soonest first) reads only the due rows;
    # retention by age
    __table_args__ = (Index("ix_alert_notifications_status_next", "status", "next_attempt_at"),
                      Index("ix_alert_notifications_created_at", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    target: str
    symbol: str
    body: str  # JSON payload, frozen at claim time
    # pending -> sent | dead (-> dropped); silenced | acknowledged: muted, never sent
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str = ""
    created_at: float = 0.0
    sent_at: float | None = None

    @property
    def idempotency_key(self) -> str:
        return f"copilot-notification-{self.id}"


class Delivery(SQLModel, table=True):
    """Outbox row: firing x target. Written in the same transaction as its firing."""

    __tablename__ = "alert_deliveries"
    # the unclaimed ones (notification_id NULL) oldest first: the dispatcher's claim and
    # wake-up; retention by age
    __table_args__ = (UniqueConstraint("firing_id", "target"),
                      Index("ix_alert_deliveries_claim", "notification_id", "created_at"),
                      Index("ix_alert_deliveries_created_at", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    firing_id: int = Field(index=True)
    target: str
    symbol: str
    created_at: float
    notification_id: int | None = Field(default=None, index=True)


# Bounds that no sane alert crosses: beyond them the input is a typo or an attack, and
# is refused in one sentence rather than stored (a NaN threshold never fires; an inf one
# breaks sorting and formatting).
MIN_PRICE = 1e-6  # sub-penny crypto still fits
MAX_PRICE = 10_000_000.0
MIN_PCT = 0.01  # a one-basis-point move
MAX_PCT = 100.0
MIN_WINDOW, MAX_WINDOW = 1, 1440  # minutes: one minute to one day
MAX_NOTE = 200
MAX_SYMBOL = 20
MAX_SNOOZE_MINUTES = 60 * 24 * 30  # 30 days


def finite_number(value: object) -> float | None:
    """``value`` as a finite float, or None (NaN, inf, bools, strings, ints beyond float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class AlertSpec(BaseModel):
    """What a user asks for; validated before it becomes an ``AlertRule``."""

    symbol: str
    condition: Condition
    threshold: float
    window_minutes: int | None = None
    frequency: Frequency = Frequency.once
    expires_at: datetime | None = None
    note: str = ""
    period: int | None = None
    upper: float | None = None

    @field_validator("symbol", mode="before")
    @classmethod
    def _symbol(cls, v: object) -> str:
        if not isinstance(v, str):
            raise ValueError("symbol must be a ticker such as AAPL")
        if (listed := as_list(v)) is not None:  # raises for a list other than the watchlist
            return listed
        if len(v) > MAX_SYMBOL:
            raise ValueError(f"a ticker has at most {MAX_SYMBOL} characters")
        return normalize_symbol(v)

    @field_validator("threshold", mode="before")
    @classmethod
    def _not_bool(cls, v: object) -> object:
        if isinstance(v, bool):
            raise ValueError("threshold must be a number")
        return v

    @field_validator("threshold")
    @classmethod
    def _finite(cls, v: float) -> float:
        if finite_number(v) is None:
            raise ValueError("threshold must be a real number, not NaN or infinity")
        return v

    @field_validator("window_minutes", mode="before")
    @classmethod
    def _window(cls, v: object) -> object:
        if isinstance(v, bool) or (isinstance(v, int | float) and not (
                (n := finite_number(v)) is not None and MIN_WINDOW <= n <= MAX_WINDOW)):
            raise ValueError(f"window_minutes must be between {MIN_WINDOW} and {MAX_WINDOW}")
        return v

    @model_validator(mode="after")
    def _check(self) -> AlertSpec:
        if self.window_minutes is not None and not MIN_WINDOW <= self.window_minutes <= MAX_WINDOW:
            raise ValueError(f"window_minutes must be between {MIN_WINDOW} and {MAX_WINDOW}")
        if self.condition.value in OPERATOR_NAMES:
            _check_operator(self)
        elif self.condition.value in PERCENT_MOVES:
            if not 0 < self.threshold <= MAX_PCT:
                raise ValueError("a percentage move must be between 0 and 100")
            if self.threshold < MIN_PCT:
                raise ValueError(f"a percentage move must be at least {MIN_PCT:g}%")
            self.window_minutes = self.window_minutes or DEFAULT_WINDOW
        elif self.condition.value in DOLLAR_MOVES:
            if not MIN_PRICE <= self.threshold <= MAX_PRICE:
                raise ValueError(f"a move in dollars must be positive, between "
                                 f"${MIN_PRICE:f} and ${MAX_PRICE:,.0f}")
            self.window_minutes = self.window_minutes or DEFAULT_WINDOW
        else:
            if not MIN_PRICE <= self.threshold <= MAX_PRICE:
                raise ValueError(f"threshold must be a positive price between ${MIN_PRICE:f} "
                                 f"and ${MAX_PRICE:,.0f}")
            self.window_minutes = None
        if self.condition.value not in OPERATOR_NAMES:
            if self.period is not None or self.upper is not None:
                raise ValueError(f"period and upper belong to indicator and channel "
                                 f"conditions, not {self.condition.value}")
        check_list_and_close(self.symbol, self.condition.value, self.frequency.value)
        if self.expires_at is not None:
            if self.expires_at.tzinfo is None:
                self.expires_at = self.expires_at.replace(tzinfo=UTC)
        if len(self.note) > MAX_NOTE:
            raise ValueError(f"the note is limited to {MAX_NOTE} characters")
        return self


OPERATOR_NAMES = frozenset({
    "above_sma", "below_sma", "cross_above_sma", "cross_below_sma", "cross_sma",
    "above_ema", "below_ema", "cross_above_ema", "cross_below_ema", "cross_ema",
    "rsi_above", "rsi_below", "volume_spike",
    "inside_channel", "outside_channel", "entering_channel", "exiting_channel",
    "up_pct_from_close", "down_pct_from_close", "up_from_close", "down_from_close"})


def _check_operator(spec: AlertSpec) -> None:
    from tools.alerts.operators import check_spec

    check_spec(spec)


def parse_spec(action: str = "create", **kwargs: Any) -> AlertSpec:
    """Build a spec, turning pydantic's report into one plain sentence."""
    from pydantic import ValidationError

    lead = f"Can't {action} that alert"
    try:
        return AlertSpec(**kwargs)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "enum":
            msg = f"{field} must be one of: {err['ctx']['expected']}"
        elif field and field not in msg:
            msg = f"{field}: {msg}"
        raise InvalidInput(f"{lead}: {msg}.") from None
    except InvalidInput as exc:
        raise InvalidInput(f"{lead}: {exc}") from None


def decision_group(rule_id: int, symbol: str, rule: AlertRule | None) -> str:
    """An alert's firings share one open decision; a list rule's, one per symbol (one
    symbol's firing never reads as another's)."""
    return f"alert:{rule_id}" + (f":{symbol}" if rule is not None and rule.list_name else "")
