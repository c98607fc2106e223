"""Where decisions come from: fired alerts, the daily briefing, and hooks that other
capabilities (content, health, architecture) call with their own options."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agent.decisions.models import Decision, Option
from agent.decisions.service import DecisionService


async def on_alert_fired(service: DecisionService, alert: Any) -> Decision:
    """An alert fired: draft a post about it, snooze the rule, or dismiss."""
    when = datetime.fromtimestamp(alert.ts, UTC).strftime("%H:%M UTC")
    context = f"{alert.message.removeprefix('🔔 ')} at {when}."
    options = [
        Option(id="draft", label=f"Draft a Discord post about {alert.symbol}",
               action="draft_content",
               args={"topic": f"{alert.symbol} {alert.condition.replace('_', ' ')} "
                              f"{alert.threshold:g}", "channel": "discord",
                     "symbol": alert.symbol}),
        Option(id="snooze", label="Snooze this alert for 1 hour", action="snooze_alert",
               args={"alert_id": alert.rule_id, "minutes": 60}),
        Option(id="dismiss", label="Dismiss", action="noop",
               args={"summary": "Dismissed the alert."}),
    ]
    title = f"{alert.symbol} alert {alert.rule_id} fired"
    return await service.raise_decision(
        "alert_fired", title, options, context=context, symbol=alert.symbol,
        source_key=f"firing:{alert.firing_id}", default="dismiss",
    )


async def daily_briefing(service: DecisionService, *, market: Any, alerts: Any,
                         extra_sections: list[Any] | None = None, session: str = "pre-open"
                         ) -> Decision:
    """Movers on the watchlist, alerts fired in the last day, and whatever the other
    capabilities add (pending drafts, health)."""
    lines = []
    movers = []
    for symbol in market.watchlist():
        try:
            q = (await market.quote(symbol, interest=False)).quote
            movers.append((abs(q.change_pct), q))
        except Exception:  # noqa: BLE001 - one bad symbol must not cancel the briefing
            continue
    movers.sort(key=lambda m: m[0], reverse=True)
    if movers:
        lines.append("**Watchlist movers:** " + ", ".join(
            f"{q.symbol} {q.change_pct:+.2f}% (${q.price:,.2f})" for _, q in movers[:5])
            + (" — demo data" if movers[0][1].demo else ""))
    fired = alerts.recent_firings(service.clock() - 86400)
    lines.append(f"**Alerts fired (24 h):** {len(fired)}" + (
        ": " + "; ".join(f.message.removeprefix("🔔 ") for f in fired[-3:]) if fired else ""))
    for section in extra_sections or []:
        text = section()
        if text:
            lines.append(text)
    pending = len(service.pending())
    lines.append(f"**Pending decisions:** {pending}")
    day = datetime.fromtimestamp(service.clock(), UTC).strftime("%Y-%m-%d")
    options = [
        Option(id="ack", label="Got it", action="noop", args={"summary": "Briefing read."}),
        Option(id="draft_recap", label="Draft a market recap post", action="draft_content",
               args={"topic": f"{session} market recap", "channel": "discord"}),
    ]
    return await service.raise_decision(
        "briefing", f"{session.capitalize()} briefing {day}", options,
        context="\n".join(lines), source_key=f"briefing:{day}:{session}", default="ack",
        ttl_s=8 * 3600,
    )
