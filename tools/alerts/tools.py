"""LangChain tools over the alert service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, tool

from core.auth import caller_from_config, require_owner
from tools.alerts.service import AlertService


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else ""


def make_alert_tools(service: AlertService) -> list[BaseTool]:
    @tool
    async def create_alert(
        symbol: str,
        condition: Literal["above", "below", "cross_above", "cross_below", "pct_change"],
        threshold: float,
        config: RunnableConfig,
        window_minutes: int | None = None,
        frequency: Literal["once", "once_per_day", "every_time"] = "once",
        expires_at: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Create a price alert. condition: above/below (price level), cross_above/
        cross_below (a crossing of the level), pct_change (a move of `threshold` percent
        within `window_minutes`, default 60). threshold: a price between 0.000001 and
        10,000,000, or for pct_change a percentage above 0 and at most 100.
        window_minutes: 1 to 1440. frequency: once, once_per_day or every_time.
        expires_at: ISO date-time after which the alert stops."""
        caller = caller_from_config(config)
        require_owner(caller, "create alerts")
        rule, price = await service.create(
            symbol=symbol, condition=condition, threshold=threshold,
            window_minutes=window_minutes, frequency=frequency, expires_at=expires_at,
            note=note or "", owner=caller.user_id,
        )
        now = f" ({rule.symbol} is at ${price:,.2f} now)" if price is not None else ""
        return {"summary": f"Alert {rule.id} set: {rule.describe()}{now}.",
                "alert_id": rule.id, "current_price": price}

    @tool
    def list_alerts(symbol: str | None = None) -> dict[str, Any]:
        """List active price alerts, optionally for one ticker symbol."""
        rules = service.rules(symbol)
        if not rules:
            where = f" on {symbol.upper()}" if symbol else ""
            return {"summary": f"No active alerts{where}.", "alerts": []}
        lines = []
        for r in rules:
            extra = f", snoozed until {_when(r.snoozed_until)}" if (
                r.snoozed_until and r.snoozed_until > service.clock()) else ""
            lines.append(f"#{r.id} {r.describe()}{extra}")
        return {"summary": "Active alerts:\n" + "\n".join(lines),
                "alerts": [r.model_dump() for r in rules]}

    @tool
    def delete_alert(alert_id: int, config: RunnableConfig) -> dict[str, Any]:
        """Delete (deactivate) one alert by its number."""
        require_owner(caller_from_config(config), "delete alerts")
        rule = service.delete(alert_id)
        return {"summary": f"Deleted alert {rule.id} ({rule.describe()}).", "alert_id": rule.id}

    @tool
    def snooze_alert(alert_id: int, minutes: int, config: RunnableConfig) -> dict[str, Any]:
        """Silence one alert for `minutes` minutes (1 to 43,200, i.e. 30 days)."""
        require_owner(caller_from_config(config), "snooze alerts")
        rule = service.snooze(alert_id, minutes)
        return {"summary": f"Snoozed alert {rule.id} until {_when(rule.snoozed_until)}.",
                "alert_id": rule.id, "snoozed_until": rule.snoozed_until}

    return [create_alert, list_alerts, delete_alert, snooze_alert]
