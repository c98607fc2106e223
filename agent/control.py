"""``ControlCenter``: what the web control center shows and does, over the ``Copilot``.

Each page reads one view (plain data, times as UTC instants for the front end to show on
the owner's clock) and acts through the same tools and services the chat, the console and
Discord use, as the caller the front end names, so every owner check still applies."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from core.auth import Caller, require_owner
from core.decisions import Decision, DecisionEvent
from core.errors import CopilotError

if TYPE_CHECKING:
    from agent.copilot import Copilot

PAUSE_MINUTES = 60 * 24 * 30  # "pause" = the longest snooze; "resume" lifts it


@dataclass
class DecisionCard:
    """A pending decision as the inbox shows it."""

    decision: Decision
    cited: list[Decision] = field(default_factory=list)  # past decisions its rationale cites
    editable: dict[str, str] = field(default_factory=dict)  # option id -> its text to edit


@dataclass
class ArchitectureView:
    inventory: str | None  # COPILOT_INVENTORY, or None when it is not set
    review: Any = None  # tools.architecture.review.Review
    error: str = ""
    weekly_at: float | None = None  # when the weekly job last stored a review


class ControlCenter:
    def __init__(self, copilot: Copilot) -> None:
        self.rt = copilot
        self._review_cache: tuple[tuple[str, float], Any] | None = None

    @property
    def tz(self) -> str:
        return self.rt.settings.timezone

    def now(self) -> float:
        return self.rt.clock()

    # ---- inbound alert hooks (the secret was checked by the web edge) ------------------
    async def receive_hook(self, source: str, body: bytes, sender_id: str | None = None) -> Any:
        """A TradingView or generic alert hook into the alerts pipeline (a
        ``tools.alerts.inbound.HookResult``)."""
        return await self.rt.alerts.receive_hook(source, body, sender_id)

    # ---- decisions ------------------------------------------------------------------
    def inbox(self) -> list[DecisionCard]:
        cards = []
        for d in self.rt.decisions.pending():
            cited_ids = [int(i) for i in json.loads(d.cited_json or "[]")][:5]
            cited = []
            for i in cited_ids:
                try:
                    cited.append(self.rt.decisions.get(i))
                except CopilotError:
                    continue
            editable = {o.id: str(o.args["body"]) for o in d.options
                        if d.allow_edit and isinstance(o.args.get("body"), str)}
            cards.append(DecisionCard(d, cited, editable))
        return cards

    def recent_decisions(self, limit: int = 20) -> list[Decision]:
        return [d for d in self.rt.decisions.recent(None, limit) if d.status != "pending"]

    def can_undo(self, d: Decision) -> bool:
        return bool(d.undo_json) and d.status in ("decided", "auto") and (
            d.undo_until is None or d.undo_until >= self.now())

    def audit_log(self, limit: int = 100) -> list[DecisionEvent]:
        return self.rt.decisions.events(limit=limit)

    def decisions_by_status(self) -> dict[str, int]:
        with Session(self.rt.kernel.db) as s:
            rows = s.exec(select(Decision.status, func.count()).group_by(Decision.status)).all()
        return {str(status): int(n) for status, n in rows}

    async def answer(self, decision_id: int, option: str, caller: Caller,
                     edited_text: str | None = None) -> Decision:
        """Answer with an option; ``edited_text`` replaces the option's text (a draft)."""
        d = self.rt.decision(decision_id)
        picked = d.option(option) if d.status == "pending" else None
        edits = None
        if edited_text is not None and picked is not None and d.allow_edit \
                and isinstance(picked.args.get("body"), str) \
                and edited_text.replace("\r\n", "\n").strip() != picked.args["body"].strip():
            edits = {"body": edited_text.replace("\r\n", "\n")}
        return await self.rt.decide(decision_id, option, caller, edits=edits)

    # ---- alerts ---------------------------------------------------------------------
    def alert_rules(self) -> list[Any]:
        return self.rt.alerts.service.rules()

    def paused(self, rule: Any) -> bool:
        return bool(rule.snoozed_until and rule.snoozed_until > self.now())

    def alert_history(self, limit: int = 30) -> list[Any]:
        records, _, _ = self.rt.alerts.service.history(None, None, limit=limit)
        return records

    def dead_letters(self) -> list[Any]:
        return self.rt.alerts.dispatcher.dead_letters()

    def pause_alert(self, alert_id: int, caller: Caller) -> Any:
        require_owner(caller, "pause alerts")
        return self.rt.alerts.service.snooze(alert_id, PAUSE_MINUTES)

    def resume_alert(self, alert_id: int, caller: Caller) -> Any:
        require_owner(caller, "resume alerts")
        return self.rt.alerts.service.set_snooze(alert_id, None)

    def retry_dead(self, caller: Caller) -> int:
        require_owner(caller, "retry deliveries")
        return int(self.rt.alerts.dispatcher.retry_dead())

    def drop_dead(self, caller: Caller) -> int:
        require_owner(caller, "drop deliveries")
        return int(self.rt.alerts.dispatcher.drop_dead())

    # ---- health ---------------------------------------------------------------------
    def components(self) -> list[dict[str, Any]]:
        monitor = self.rt.health.monitor
        rows = monitor.summary()
        for row in rows:
            row["history"] = [(r.at, r.latency_ms, r.status)
                              for r in monitor.history(row["component"], limit=60)]
        return rows

    def incidents(self) -> tuple[list[Any], list[Any]]:
        """(open incidents, the last closed ones, newest first)."""
        monitor = self.rt.health.monitor
        closed = monitor.incidents("closed")[-10:]
        return monitor.incidents("open"), list(reversed(closed))

    def tasks(self) -> list[dict[str, Any]]:
        """The background tasks of this process, or (when another process is the running
        instance) what its last heartbeat said."""
        own = self.rt.kernel.supervisor.snapshot()
        if own:
            return [{"name": t.name, "state": t.state, "restarts": t.restarts,
                     "last_error": t.last_error} for t in own]
        from core.lease import read_instance

        instance = read_instance(self.rt.kernel.db)
        return list(instance.tasks) if instance is not None else []

    def silences(self) -> list[Any]:
        return self.rt.kernel.silences.active()

    async def check_now(self) -> None:
        await self.rt.health.monitor.run_all()

    # ---- content --------------------------------------------------------------------
    def drafts(self) -> list[Any]:
        return list(reversed(self.rt.content.service.drafts()))

    def engagement(self) -> list[dict[str, Any]]:
        return self.rt.content.service.stats()

    async def calendar(self) -> list[dict[str, Any]]:
        """The editorial calendar: content slots and scheduled posts, soonest first."""
        runs = await self.rt.job_plan()
        titles = {f"content-publish-{d.id}": f"publish draft {d.id}: {d.title or d.topic}"
                  for d in self.rt.content.service.drafts("scheduled")}
        out = []
        for run in runs:
            if not (run.name.startswith("content_slot") or run.name in titles):
                continue
            out.append({"name": titles.get(run.name, run.name), "when": run.trigger,
                        "next": run.next_run.timestamp() if run.next_run else None})
        return out

    async def publish_draft(self, draft_id: int, caller: Caller) -> Decision:
        """Publish now: the draft's content decision answered "publish" by the owner (so
        it is recorded, remembered and undoable like any other answer)."""
        require_owner(caller, "publish content")
        service = self.rt.content.service
        draft = service.get(draft_id)
        if service.on_ready is None:
            raise CopilotError("Publishing is not available in this process.")
        decision = await service.on_ready(draft)
        if decision.status != "pending":
            return decision
        if decision.option("publish") is None:
            return decision  # not offered (no channel configured): its context says why
        return await self.rt.decide(decision.id or 0, "publish", caller)

    # ---- architecture ---------------------------------------------------------------
    async def architecture(self) -> ArchitectureView:
        """The review of COPILOT_INVENTORY as it is now (computed again when the file
        changes), and when the weekly job last reviewed it."""
        path = self.rt.settings.inventory_path
        if path is None:
            return ArchitectureView(None)
        view = ArchitectureView(str(path))
        try:
            stamp = (str(path), Path(path).stat().st_mtime)
            if self._review_cache is None or self._review_cache[0] != stamp:
                review = await self.rt.architecture.reviewer.review(str(path), narrate=False)
                self._review_cache = (stamp, review)
            view.review = self._review_cache[1]
        except OSError as exc:
            view.error = f"{path} cannot be read ({exc.strerror or exc})."
        except CopilotError as exc:
            view.error = str(exc)
        view.weekly_at = await asyncio.to_thread(self._weekly_at)
        return view

    def _weekly_at(self) -> float | None:
        from tools.architecture.review import ReviewRecord

        with Session(self.rt.kernel.db) as s:
            row = s.exec(select(ReviewRecord).order_by(col(ReviewRecord.id).desc())).first()
        return row.at if row is not None else None
