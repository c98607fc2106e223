"""LangChain tools over the health monitor."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, tool

from core.markettime import DEFAULT_ZONE, format_clock, format_local
from tools.health.monitor import HealthMonitor

ICON = {"ok": "✅", "degraded": "⚠️", "down": "❌", "unknown": "❔"}


def make_health_tools(monitor: HealthMonitor, tz: str = DEFAULT_ZONE) -> list[BaseTool]:
    """``tz``: the owner's zone, which every time shown is in."""

    @tool
    async def system_health(component: str | None = None) -> dict[str, Any]:
        """Check how the owner's services and the co-pilot's parts are doing now
        (database, memory, scheduler, market, bus, disk, discord and configured
        endpoints), with open incidents. `component` narrows it to one."""
        if component:
            names = [n for n in monitor.checks if component.lower() in n.lower()]
            if not names:
                return {"summary": f"I have no health check for {component!r}; I check "
                                   f"{', '.join(monitor.checks)}.", "components": []}
        else:
            names = list(monitor.checks)
        runs = [await monitor.run(n) for n in names]
        lines = [f"{ICON.get(r.status, '')} {r.component}: {r.status} — {r.detail}"
                 for r in runs]
        incidents = [i for i in monitor.incidents("open") if i.component in names]
        for i in incidents:
            since = format_local(i.opened_at, tz, now=monitor.clock())
            lines.append(f"Open incident {i.id}: {i.component} down since {since} "
                         f"({i.last_error})")
        worst = "down" if any(r.status == "down" for r in runs) else (
            "degraded" if any(r.status == "degraded" for r in runs) else "ok")
        head = {"ok": "All systems OK.", "degraded": "Mostly OK, with warnings:",
                "down": "Something is down:"}[worst]
        return {"summary": head + "\n" + "\n".join(lines),
                "components": [{"component": r.component, "status": r.status,
                                "detail": r.detail, "latency_ms": r.latency_ms} for r in runs],
                "open_incidents": [i.id for i in incidents]}

    @tool
    def recent_errors(component: str | None = None, since_minutes: int = 60) -> dict[str, Any]:
        """Warnings and errors logged in the last `since_minutes` minutes (default 60),
        optionally for one component."""
        entries = monitor.recent_errors(component, since_minutes)
        if not entries:
            where = f" from {component}" if component else ""
            return {"summary": f"No warnings or errors{where} in the last {since_minutes} min.",
                    "errors": []}
        lines = [f"{format_clock(e.at, tz)} {e.level.upper()} {e.component}: "
                 f"{e.event}" for e in entries[:15]]
        more = f"\n…and {len(entries) - 15} more." if len(entries) > 15 else ""
        return {"summary": f"{len(entries)} warnings/errors in the last {since_minutes} min:\n"
                           + "\n".join(lines) + more,
                "errors": [{"at": e.at, "level": e.level, "component": e.component,
                            "event": e.event} for e in entries]}

    return [system_health, recent_errors]
