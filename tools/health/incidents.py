"""How an incident is told, Alertmanager's way: once when it opens (unless a silence or an
acknowledgement matches its component), again every repeat interval while nobody
acknowledged or silenced it, again at once when the failure changes (an acknowledgement
ends then), once when a silence ends while it is still down, and once when it recovers.
Every telling is the incident's decision (acknowledge / silence 1 h / restart): one open
decision per incident, shown again when it is told again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from core.decisions import Decision, DecisionPort, Option
from core.events import INCIDENT_OPENED, NOTICE
from core.silences import Silence, SilenceBook
from tools.health.models import CheckRun, Incident
from tools.health.monitor import HealthMonitor, fingerprint

log = structlog.get_logger(__name__)


def labels(component: str) -> dict[str, str]:
    return {"component": component}


class IncidentPolicy:
    def __init__(self, monitor: HealthMonitor, decisions: DecisionPort, silences: SilenceBook,
                 publish: Callable[[str, Any], Any], repeat_s: float = 4 * 3600) -> None:
        self.monitor = monitor
        self.decisions = decisions
        self.silences = silences
        self.publish = publish  # the bus's publish
        self.repeat_s = repeat_s
        monitor.on_incident = self.opened
        monitor.on_still_down = self.still_down
        monitor.on_recovery = self.recovered

    async def tell(self, incident: Incident, title: str, context: str, key: str) -> Decision:
        """The incident's decision: raised, or (while one is open) counted and shown again."""
        c = incident.component
        options = [
            Option(id="acknowledge", label="Acknowledge", action="acknowledge",
                   args={"matchers": labels(c)}),
            Option(id="silence", label="Silence for 1 hour", action="silence",
                   args={"matchers": labels(c), "minutes": 60}),
        ]
        if c in self.monitor.restart_actions:
            options.append(Option(id="restart", label=f"Restart {c}", action="restart_component",
                                  args={"component": c}))
        decision = await self.decisions.raise_decision(
            "health_incident", title, options, context=context, source_key=key,
            default="acknowledge", group_key=f"incident:{incident.id}", renotify=True)
        self.monitor.update(incident.id or 0, notified_at=self.monitor.clock())
        return decision

    def _since(self, incident: Incident) -> str:
        return (f"{incident.component} down since {self.silences.at(incident.opened_at)}, "
                f"{incident.failures} failed checks in a row: {incident.last_error}")

    # ---- the monitor's hooks ----------------------------------------------------------
    async def opened(self, incident: Incident) -> Decision | None:
        await self.publish(INCIDENT_OPENED, incident)  # the control center shows it live
        muted = self.silences.muted(labels(incident.component))
        if muted is not None:
            log.warning("incident opened while muted", component=incident.component,
                        silence=muted.id)
            return None
        return await self.tell(incident, f"{incident.component} is down",
                               f"{incident.failures} failed checks in a row: "
                               f"{incident.last_error}", f"incident:{incident.id}")

    async def still_down(self, before: Incident, run: CheckRun) -> None:
        """Another failed check of an open incident (``before`` is it before this check)."""
        for ended in self.silences.ended(["component"]):
            await self.silence_ended(ended)
        incident = self.monitor.open_incident(before.component) or before
        c = incident.component
        now = self.monitor.clock()
        changed = fingerprint(run.detail)
        if changed != before.fingerprint:
            was = before.last_error
            self.monitor.update(incident.id or 0, fingerprint=changed)
            self.silences.resolve(labels(c), f"the failure changed: {run.detail}")
            if self.silences.muted(labels(c)) is None:
                await self.tell(incident, f"{c} fails differently now",
                                f"Now: {run.detail} (before: {was}).\n{self._since(incident)}",
                                f"incident:{incident.id}:changed:{int(now)}")
            return
        if self.silences.muted(labels(c)) is not None:
            return
        if incident.notified_at is None:  # opened while muted, and the mute was lifted
            await self.tell(incident, f"{c} is down", self._since(incident),
                            f"incident:{incident.id}:unmuted:{int(now)}")
        elif now - incident.notified_at >= self.repeat_s:
            await self.tell(incident, f"{c} is still down",
                            f"Still down after {(now - incident.opened_at) / 3600:.1f} h: "
                            f"{self._since(incident)}", f"incident:{incident.id}:repeat:{int(now)}")

    async def silence_ended(self, silence: Silence) -> None:
        """A silence over a component ran out: told once if it is still down."""
        component = silence.matchers.get("component")
        incident = self.monitor.open_incident(component) if component else None
        until = silence.until or 0.0
        if incident is None or incident.opened_at > until:
            return
        if self.silences.muted(labels(incident.component)) is not None:
            return  # another silence or an acknowledgement still holds
        await self.tell(incident, f"{incident.component} is still down after its silence",
                        f"The silence #{silence.id} ended at {self.silences.at(until)}; "
                        f"{self._since(incident)}", f"silence-ended:{silence.id}")

    async def recovered(self, incident: Incident, message: str) -> None:
        """Recovery closes the incident's decisions, ends its acknowledgement, says so."""
        why = f"{incident.component} recovered on its own"
        await self.decisions.close_group(f"incident:{incident.id}", why)
        if incident.decision_id is not None:  # raised before decisions were grouped
            await self.decisions.close(incident.decision_id, why)
        self.silences.resolve(labels(incident.component), "recovered")
        await self.publish(NOTICE, f"✅ {message}")
