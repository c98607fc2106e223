"""What fired, as the history shows it: each firing with its deliveries' states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.alerts.models import Delivery, Firing, Notification


@dataclass
class DeliveryState:
    target: str
    state: str  # queued | sent | retrying | dead | dropped | silenced | acknowledged
    attempts: int = 0
    error: str = ""
    at: float | None = None  # sent at

    def text(self) -> str:
        extra = ""
        if self.state in ("retrying", "dead") and self.error:
            extra = f" ({self.attempts} tries: {self.error[:80]})"
        elif self.state in ("silenced", "acknowledged") and self.error:
            extra = f" ({self.error})"
        return f"{self.target} {self.state}{extra}"


@dataclass
class FiringRecord:
    firing: Firing
    deliveries: list[DeliveryState]

    def as_dict(self) -> dict[str, Any]:
        f = self.firing
        return {"firing_id": f.id, "alert_id": f.rule_id, "symbol": f.symbol,
                "price": f.price, "at": f.tick_ts, "message": f.message,
                "deliveries": [{"target": d.target, "state": d.state, "attempts": d.attempts,
                                "error": d.error, "sent_at": d.at} for d in self.deliveries]}


def delivery_state(delivery: Delivery, note: Notification | None) -> DeliveryState:
    """A delivery's state: queued (not yet grouped or not yet tried), sent, retrying (a
    try failed; backing off), dead (gave up after the max age), dropped (given up by the
    owner)."""
    if note is None:
        return DeliveryState(delivery.target, "queued")
    if note.status == "pending":
        state = "retrying" if note.attempts else "queued"
    else:
        state = note.status
    return DeliveryState(delivery.target, state, note.attempts, note.last_error, note.sent_at)
