"""LangChain tools over the alert service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from core.auth import caller_from_config, require_owner
from core.errors import InvalidInput
from core.markettime import format_local
from tools.alerts import pausing
from tools.alerts.models import AlertRule, money
from tools.alerts.pausing import ids_text, is_paused
from tools.alerts.service import AlertService, WouldMisfire
from tools.alerts.templates import routing_text

ConditionName = Literal["above", "below", "cross_above", "cross_below", "cross", "pct_change",
                        "moving_up_pct", "moving_down_pct", "moving_up", "moving_down",
                        "above_sma", "below_sma", "cross_above_sma", "cross_below_sma",
                        "cross_sma", "above_ema", "below_ema", "cross_above_ema",
                        "cross_below_ema", "cross_ema", "rsi_above", "rsi_below",
                        "volume_spike", "inside_channel", "outside_channel",
                        "entering_channel", "exiting_channel", "up_pct_from_close",
                        "down_pct_from_close", "up_from_close", "down_from_close"]
FrequencyName = Literal["once", "once_per_day", "every_time", "once_per_minute",
                        "once_per_session", "once_per_bar_close"]
# asks the owner to confirm deleting these rules (a decision); returns the tool's answer
ConfirmDelete = Callable[[str, list[AlertRule]], Awaitable[dict[str, Any]]]
HISTORY_LINES = 20


def _now(symbol: str, price: float | None) -> str:
    return f" ({symbol} is at {money(price)} now)" if price is not None else ""


def make_alert_tools(service: AlertService,
                     confirm_delete: ConfirmDelete | None = None) -> list[BaseTool]:
    tz = service.timezone

    def _when(ts: float | None) -> str:
        return format_local(ts, tz, year=True) if ts else ""

    @tool
    async def create_alert(
        symbol: str,
        condition: ConditionName,
        threshold: float,
        config: RunnableConfig,
        window_minutes: int | None = None,
        frequency: FrequencyName = "once",
        expires_at: str | None = None,
        note: str | None = None,
        force: bool = False,
        period: int | None = None,
        upper: float | None = None,
        targets: str | None = None,
        template: str | None = None,
    ) -> dict[str, Any]:
        """Create an alert on a price, an indicator or a channel, for one ticker or for the
        whole watchlist: symbol "watchlist" is ONE rule that fires separately for each
        symbol on the watchlist, following its changes ("anything on my watchlist drops
        5%": symbol "watchlist", moving_down_pct 5). condition: above/below
        (the price is at or beyond a level), cross_above/cross_below (the price crosses
        the level in that direction), cross (a crossing either way), pct_change (a move of
        `threshold` % either way within `window_minutes`, default 60),
        moving_up_pct/moving_down_pct (the price rose / fell at least `threshold` % from
        the window's low / high: "AAPL falls 2%"), moving_up/moving_down (the same in
        dollars). Indicators (daily, with the live price): above_sma/below_sma/
        cross_above_sma/cross_below_sma/cross_sma and the _ema ones compare the price with
        the moving average of `threshold` sessions ("crosses its 50-day moving average":
        cross_sma, threshold 50); rsi_above/rsi_below compare RSI(`period`, default 14)
        with the level `threshold` ("RSI above 70"); volume_spike fires when today's volume
        reaches `threshold` x the average of `period` sessions (default 20). Channels
        between `threshold` (lower) and `upper`: inside_channel, outside_channel,
        entering_channel, exiting_channel. Moves over the day, from the previous session's
        close: up_pct_from_close/down_pct_from_close (`threshold` %: "TSLA up 5% today"),
        up_from_close/down_from_close (dollars). Never use a price condition for an
        indicator request. threshold: a price between 0.000001 and 10,000,000; a percentage above 0
        and at most 100; or dollars. window_minutes: 1 to 1440. frequency: once,
        once_per_day (= once_per_session), every_time (with a cooldown), once_per_minute
        or once_per_bar_close (checked on each session's closing price, at most once per
        daily bar). expires_at: an ISO
        date-time or a phrase ("friday", "eod", "for 2 days", "in 3 hours"). A rule that
        would fire at once, or a crossing from the side the price is already on, is not
        created: the answer asks first; force=True creates it anyway. targets (only when
        asked): comma-separated console, discord (a DM), discord:<channel id>, webhook.
        template (only when asked): the message, with {{ticker}} {{price}} {{condition}}
        {{threshold}} {{time}} {{note}} {{change_pct}}."""
        caller = caller_from_config(config)
        require_owner(caller, "create alerts")
        try:
            rule, price = await service.create(
                symbol=symbol, condition=condition, threshold=threshold,
                window_minutes=window_minutes, frequency=frequency, expires_at=expires_at,
                note=note or "", owner=caller.user_id, guard=not force, period=period,
                upper=upper, targets=targets, template=template,
            )
        except WouldMisfire as exc:
            proposed = {"symbol": symbol.upper(), "condition": condition,
                        "threshold": threshold, "window_minutes": window_minutes,
                        "period": period, "upper": upper,
                        "frequency": frequency, "expires_at": expires_at, "note": note}
            return {"summary": str(exc), "created": False, "needs_confirmation": True,
                    "current_price": exc.price,
                    "proposed": {k: v for k, v in proposed.items() if v is not None}}
        routing = routing_text(rule) if targets or template else ""
        return {"summary": f"Alert {rule.id} set: {rule.details(tz)}{routing}"
                           f"{_now(rule.symbol, price)}.",
                "alert_id": rule.id, "created": True, "current_price": price,
                "alert": rule.model_dump()}

    @tool
    async def update_alert(
        alert_id: int,
        config: RunnableConfig,
        threshold: float | None = None,
        condition: ConditionName | None = None,
        frequency: FrequencyName | None = None,
        window_minutes: int | None = None,
        expires_at: str | None = None,
        note: str | None = None,
        force: bool = False,
        period: int | None = None,
        upper: float | None = None,
        targets: str | None = None,
        template: str | None = None,
    ) -> dict[str, Any]:
        """Change an active alert in place: only the fields given change, validated like
        create_alert. expires_at: a date-time or phrase ("friday", "eod", "for 2 days"),
        or "never" to remove the expiry; note: "" removes it; targets and template as in
        create_alert (template "" restores the standard text). A change that would make it
        fire at once is not made: the answer asks first; force=True makes it anyway."""
        require_owner(caller_from_config(config), "change alerts")
        try:
            rule, before, price = await service.update(
                alert_id, threshold=threshold, condition=condition, frequency=frequency,
                window_minutes=window_minutes, expires_at=expires_at, note=note,
                guard=not force, period=period, upper=upper, targets=targets,
                template=template)
        except WouldMisfire as exc:
            proposed = {"alert_id": alert_id, "threshold": threshold, "condition": condition,
                        "frequency": frequency, "window_minutes": window_minutes,
                        "expires_at": expires_at, "note": note}
            return {"summary": str(exc), "updated": False, "needs_confirmation": True,
                    "current_price": exc.price,
                    "proposed": {k: v for k, v in proposed.items() if v is not None}}
        was = "" if before.details(tz) == rule.details(tz) else f" (was: {before.details(tz)})"
        routing = routing_text(rule) if targets or template is not None else ""
        return {"summary": f"Alert {rule.id} updated: {rule.details(tz)}{routing}{was}"
                           f"{_now(rule.symbol, price)}.",
                "alert_id": rule.id, "updated": True, "current_price": price,
                "alert": rule.model_dump()}

    @tool
    def list_alerts(symbol: str | None = None) -> dict[str, Any]:
        """List active price alerts, optionally for one ticker symbol."""
        rules = service.rules(symbol)
        if not rules:
            where = f" on {symbol.upper()}" if symbol else ""
            return {"summary": f"No active alerts{where}.", "alerts": []}
        lines = []
        for r in rules:
            extra = ", paused" if is_paused(r) else (
                f", snoozed until {_when(r.snoozed_until)}" if (
                    r.snoozed_until and r.snoozed_until > service.clock()) else "")
            if r.expires_at:
                extra += f", until {_when(r.expires_at)}"
            lines.append(f"#{r.id} {r.describe()}{extra}")
        return {"summary": "Active alerts:\n" + "\n".join(lines),
                "alerts": [r.model_dump() for r in rules]}

    @tool
    async def delete_alert(config: RunnableConfig, alert_id: int | None = None,
                           symbol: str | None = None) -> dict[str, Any]:
        """Delete (deactivate) one alert by its number; or, with a ticker symbol and no
        number, all active alerts on that symbol after the owner confirms (a decision:
        delete_all / keep), never silently."""
        caller = caller_from_config(config)
        require_owner(caller, "delete alerts")
        if alert_id is None:
            if not symbol:
                raise InvalidInput("Which alert should I delete? Give its number, or a "
                                   "ticker to delete all its alerts; 'list alerts' shows them.")
            rules = service.rules(symbol)
            if not rules:
                return {"summary": f"No active alerts on {symbol.upper()} to delete.",
                        "alert_ids": []}
            if confirm_delete is None:
                raise InvalidInput("Deleting several alerts needs a confirmation, which is "
                                   "not available here; delete them one by one.")
            return await confirm_delete(rules[0].symbol, rules)
        rule = service.delete(alert_id)
        return {"summary": f"Deleted alert {rule.id} ({rule.describe()}).", "alert_id": rule.id}

    @tool
    def snooze_alert(alert_id: int, minutes: int, config: RunnableConfig) -> dict[str, Any]:
        """Silence one alert for `minutes` minutes (1 to 43,200, i.e. 30 days)."""
        require_owner(caller_from_config(config), "snooze alerts")
        rule = service.snooze(alert_id, minutes)
        return {"summary": f"Snoozed alert {rule.id} until {_when(rule.snoozed_until)}.",
                "alert_id": rule.id, "snoozed_until": rule.snoozed_until}

    @tool
    def pause_alert(config: RunnableConfig, alert_id: int | None = None,
                    symbol: str | None = None, resume: bool = False) -> dict[str, Any]:
        """Pause one alert by its number, or every alert on a ticker symbol: it stays
        listed and editable but does not fire until resumed. With resume=True, resume
        them (watching again from now)."""
        require_owner(caller_from_config(config), "pause alerts")
        verb = "Resumed" if resume else "Paused"
        done = (pausing.resume if resume else pausing.pause)(service, alert_id, symbol)
        where = f" on {symbol.upper()}" if symbol else ""
        if not done:
            state = "paused" if resume else "active and unpaused"
            return {"summary": f"No {state} alerts{where} to {verb.lower()[:-1]}.",
                    "alert_ids": []}
        noun = "alert" if len(done) == 1 else "alerts"
        return {"summary": f"{verb} {len(done)} {noun}{where}: {ids_text(done)}.",
                "alert_ids": [r.id for r in done]}

    @tool
    def alert_history(config: RunnableConfig, symbol: str | None = None,
                      since: str | None = None) -> dict[str, Any]:
        """What fired, newest first: when, at what price, and each delivery's state (sent,
        queued, retrying, dead). symbol: one ticker; since: "today", "24h", "1h", "2d",
        "yesterday", "this week" or an ISO date-time."""
        require_owner(caller_from_config(config), "see the alert history")
        records, total, start = service.history(symbol, since)
        where = f" on {symbol.upper()}" if symbol else ""
        period = f" since {_when(start)}" if start is not None else ""
        if not records:
            return {"summary": f"No alerts fired{where}{period}.", "firings": [], "total": 0}
        lines = []
        for rec in records[:HISTORY_LINES]:
            f = rec.firing
            sent = ", ".join(d.text() for d in rec.deliveries) or "no delivery target"
            lines.append(f"{_when(f.tick_ts)} — {f.message.removeprefix('🔔 ')} · {sent}")
        more = total - min(len(records), HISTORY_LINES)
        tail = f"\n… and {more} earlier." if more > 0 else ""
        head = f"{total} alert{'s' if total != 1 else ''} fired{where}{period}, newest first:"
        return {"summary": head + "\n" + "\n".join(lines) + tail, "total": total,
                "since": start, "firings": [r.as_dict() for r in records]}

    return [create_alert, update_alert, list_alerts, delete_alert, snooze_alert, pause_alert,
            alert_history]
