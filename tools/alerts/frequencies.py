"""Frequencies as the owner names them vs as a rule stores them: ``once_per_minute`` is
``every_time`` with a 60 s cooldown, so the engine re-arms it like any every-time rule;
``once_per_session`` is ``once_per_day`` (at most once per trading session, per UTC day for
crypto); ``once_per_bar_close`` is kept as named (the engine checks it at each close)."""

from __future__ import annotations

ONCE_PER_MINUTE_S = 60.0


def stored_frequency(frequency: str, default_cooldown_s: float) -> tuple[str, float]:
    """(frequency, cooldown) as a rule keeps them."""
    if frequency == "once_per_minute":
        return "every_time", ONCE_PER_MINUTE_S
    if frequency == "once_per_session":  # the owner's name for it
        return "once_per_day", default_cooldown_s
    return frequency, default_cooldown_s


def frequency_name(frequency: str, cooldown_s: float) -> str:
    """The name the owner gave: once_per_minute for every_time every 60 s."""
    if frequency == "every_time" and cooldown_s == ONCE_PER_MINUTE_S:
        return "once_per_minute"
    return frequency


FREQUENCY_WORDS = {"once": "fires once",
                   "once_per_day": "fires at most once per trading session",
                   "every_time": "fires every time",
                   "once_per_bar_close": "checked on each session's closing price, fires at "
                                         "most once per daily bar"}


def frequency_words(frequency: str, cooldown_s: float, crypto: bool, listed: bool) -> str:
    """A stored frequency in words, for a crypto pair (whose day ends at UTC midnight) or
    not, for a rule over a list (each symbol on its own) or not."""
    words = FREQUENCY_WORDS.get(frequency, frequency)
    if frequency == "once_per_day" and crypto:
        words = "fires at most once per UTC day"  # crypto never closes
    if frequency == "once_per_bar_close" and crypto:
        words = "checked on each UTC day's last price (midnight UTC), fires at most once a day"
    if frequency_name(frequency, cooldown_s) == "once_per_minute":
        words = "fires every time, at most once per minute"
    elif frequency == "every_time":
        words += f", at most once per {cooldown_s / 60:g} min"
    return words + (" — for each symbol on it, following its changes" if listed else "")
