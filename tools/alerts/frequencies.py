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
