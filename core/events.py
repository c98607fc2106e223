"""Bus topics and the payloads that travel on them: the contract between producers and
consumers in different capabilities. Topics are plain strings."""

from __future__ import annotations

from dataclasses import dataclass

TICKS = "market.tick"  # core.market.Tick
ALERT_FIRED = "alert_fired"  # AlertFired
DECISION_RAISED = "decision_raised"  # core.decisions.Decision, pending (also reminders)
DECISION_RESOLVED = "decision_resolved"  # core.decisions.Decision, decided/auto/expired
INCIDENT_OPENED = "incident_opened"  # tools.health's Incident, just opened (muted or not)
NOTICE = "notice"  # str: a line for the owner (recoveries, autopilot reports)


@dataclass
class AlertFired:
    """One rule fired on one tick; the firing is already committed to the outbox."""

    firing_id: int
    rule_id: int
    symbol: str
    price: float
    ts: float
    message: str
    condition: str
    threshold: float
    note: str
    repeats: bool = False  # the rule stays armed (once per day, every time)
