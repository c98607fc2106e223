"""What /alert add|edit offer beyond plain types: every condition by autocomplete (there are
more than Discord's 25 choices; the tool checks what is typed) and what each option means."""

from __future__ import annotations

import discord
from discord import app_commands

# every condition the engine knows: more than Discord's 25 choices, so they are offered by
# autocomplete (filtered as you type) and checked by the tool
ALERT_CONDITIONS = (
    "above", "below", "cross_above", "cross_below", "cross", "pct_change", "moving_up_pct",
    "moving_down_pct", "moving_up", "moving_down", "above_sma", "below_sma", "cross_above_sma",
    "cross_below_sma", "cross_sma", "above_ema", "below_ema", "cross_above_ema",
    "cross_below_ema", "cross_ema", "rsi_above", "rsi_below", "volume_spike",
    "inside_channel", "outside_channel", "entering_channel", "exiting_channel",
    "up_pct_from_close", "down_pct_from_close", "up_from_close", "down_from_close")


async def condition_autocomplete(interaction: discord.Interaction, current: str
                                 ) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower().replace(" ", "_")
    found = [c for c in ALERT_CONDITIONS if typed in c] or list(ALERT_CONDITIONS)
    return [app_commands.Choice(name=c, value=c) for c in found[:25]]


ALERT_OPTIONS = {  # what each option means (Discord shows at most 100 characters)
    "condition": "above, cross_above, pct_change, moving_down_pct, cross_sma, rsi_above,"
                 " volume_spike… (type)",
    "threshold": "Price; % for moves; sessions for SMA/EMA; level for RSI; × for volume; "
                 "channel low",
    "period": "RSI sessions (default 14) or volume_spike's average (default 20)",
    "upper": "A channel's high (threshold is its low)",
    "window_minutes": "The window of a move, 1-1440 minutes (default 60)",
    "frequency": "once_per_bar_close: on each session's closing price; once_per_session = "
                 "once_per_day",
}
