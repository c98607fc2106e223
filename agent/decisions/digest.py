"""What is waiting and what happened without the owner, as text every front end shows:
the pending decisions grouped by kind with counts (the briefings use it too), and what
autopilot did, what expired and what closed by itself since a moment, each with its
undo while the window is open."""

from __future__ import annotations

from core.decisions import Decision
from core.markettime import local

KIND_LABELS = {
    "alert_fired": "Alerts fired", "content_ready": "Drafts ready to publish",
    "health_incident": "Health incidents", "architecture_finding": "Architecture findings",
    "briefing": "Briefings", "delivery_failed": "Undelivered alerts",
    "follow_up": "Follow-ups of choices that failed", "alerts_delete": "Alert deletions",
}
SHOWN = 3  # decisions named per kind; the rest are counted


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def pending_lines(groups: dict[str, list[Decision]]) -> list[str]:
    """"**Pending decisions:** 5" then one line per kind, biggest group first."""
    total = sum(len(items) for items in groups.values())
    if not total:
        return ["**Pending decisions:** none"]
    lines = [f"**Pending decisions:** {total}"]
    for kind, items in groups.items():
        shown = "; ".join(f"#{d.id} {d.title}" + (f" (×{d.occurrences})"
                                                  if d.occurrences > 1 else "")
                          for d in items[:SHOWN])
        more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        lines.append(f"- {kind_label(kind)} ({len(items)}): {shown}{more}")
    return lines


def activity_lines(resolved: list[tuple[str, Decision]], since_word: str,
                   undo: str, tz: str | None = None) -> list[str]:
    """Autopilot's choices (with their undo while open), expiries and questions that
    went away since ``since_word``; ``resolved`` is (event, decision now) pairs."""
    auto = [d for event, d in resolved if event == "auto"]
    expired = [d for event, d in resolved if event == "expired"]
    closed = [d for event, d in resolved if event == "closed"]
    lines = [f"**Autopilot {since_word}:** " + (f"{len(auto)} decision"
                                                 f"{'s' if len(auto) != 1 else ''}"
                                                 if auto else "nothing")]
    for d in auto:
        if d.decided_by == "autopilot" and d.status == "auto":
            lines.append(f"- {d.told(undo, tz)}")
        else:  # undone since (and maybe answered by the owner)
            now = f"; now {d.status}" + (f" by you: {d.outcome}" if d.decided_by == "owner"
                                         else "")
            lines.append(f"- 🤖 Autopilot's choice on decision {d.id} ({d.title}) was undone"
                         f"{now}.")
    if expired:
        lines.append(f"**Expired unanswered {since_word}:** {len(expired)}: "
                     + "; ".join(f"#{d.id} {d.title}" for d in expired))
    if closed:
        lines.append(f"**Closed by themselves {since_word}:** {len(closed)}: "
                     + "; ".join(f"#{d.id} {d.title} ({d.outcome})" for d in closed))
    return lines


def start_of_day(now: float, tz: str) -> float:
    """Midnight today on the owner's clock, as a timestamp."""
    here = local(now, tz)
    return here.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
