"""The decision service: the workflow (``workflow.py``) plus its upkeep: follow-ups of
failed choices, undo (the owner's and autopilot's choices alike; a choice that ran no
action is undone by asking the question again), expiry and reminders, answers to many
decisions at once, and what happened since a moment (the digest)."""

from __future__ import annotations

import asyncio
import json

import structlog
from sqlmodel import Session, col, select

from agent.decisions.inbox import match_option
from agent.decisions.workflow import DecisionWorkflow
from core.auth import Caller, require_owner
from core.decisions import FAILED, REOPEN, Decision, DecisionEvent, Option
from core.errors import InvalidInput
from core.events import DECISION_RAISED, NOTICE

log = structlog.get_logger(__name__)
FOLLOW_UP = "follow_up"  # the kind of the question raised when a chosen option failed
# how the owner names kinds when answering many at once ("dismiss all alert decisions")
KIND_WORDS = {
    "alert": "alert_fired", "alerts": "alert_fired", "alert_fired": "alert_fired",
    "draft": "content_ready", "drafts": "content_ready", "content": "content_ready",
    "post": "content_ready", "posts": "content_ready", "content_ready": "content_ready",
    "incident": "health_incident", "incidents": "health_incident", "health": "health_incident",
    "health_incident": "health_incident", "finding": "architecture_finding",
    "findings": "architecture_finding", "architecture": "architecture_finding",
    "architecture_finding": "architecture_finding", "briefing": "briefing",
    "briefings": "briefing", "follow_up": FOLLOW_UP, "follow-up": FOLLOW_UP,
    "follow_ups": FOLLOW_UP, "follow-ups": FOLLOW_UP,
    "delivery": "delivery_failed", "deliveries": "delivery_failed",
    "delivery_failed": "delivery_failed",
}
DISMISS_WORDS = ("dismiss", "ignore", "skip all", "dismiss all")


class DecisionService(DecisionWorkflow):
    """The decision port's implementation (``core.decisions.DecisionPort``)."""

    async def _after(self, row: Decision) -> Decision:
        """A chosen option that failed is told at once and followed up: retry (when it can
        work now), the other options, or skip; never a silent dead end."""
        if row.status not in ("decided", "auto") or not row.failed or row.chosen is None:
            return row
        failed = row.option(row.chosen)
        label = failed.label if failed is not None else row.chosen
        options = [Option(id="retry", label=f"Retry: {label}", action=failed.action,
                          args=failed.args)] if failed is not None else []
        other_ways = self.alternatives.get(failed.action) if failed is not None else None
        if other_ways is not None and failed is not None:
            try:
                options += await other_ways(failed.args)
            except Exception:  # noqa: BLE001 - a follow-up without alternatives still asks
                log.exception("alternatives failed", decision=row.id)
        options += [o for o in row.options if o.id != row.chosen]
        if not any(o.action == "noop" for o in options):
            options.append(Option(id="leave", label="Leave it", action="noop",
                                  args={"summary": "Left as it is."}))
        default = next(o.id for o in options if o.action == "noop")
        # its own kind: what the owner does after a failure is not a choice about the
        # subject itself, so the subject's memory never learns from it
        follow = await self.raise_decision(
            FOLLOW_UP, f"{label} didn't work — {row.title}", options,
            context=f"{row.outcome}\n{row.context}", symbol=row.symbol,
            source_key=f"followup:{row.id}", default=default, allow_edit=row.allow_edit,
            follow_up_of=row.id)
        if self.bus is not None:
            await self.bus.publish(NOTICE, f"⚠️ Decision {row.id}: “{label}” didn't work: "
                                           f"{row.outcome.removeprefix(FAILED)} Decision "
                                           f"{follow.id} asks what to do instead.")
        return row

    async def close_group(self, group_key: str, reason: str) -> list[int]:
        """Close the pending decisions of a subject that went away (an alert deleted)."""
        closed = []
        with Session(self.sql) as s:
            rows = s.exec(select(Decision).where(Decision.group_key == group_key,
                                                 Decision.status == "pending")).all()
        for d in rows:
            await self.close(d.id or 0, reason)
            closed.append(d.id or 0)
        return closed

    async def repair(self) -> list[int]:
        """Pending decisions whose workflow never reached its interrupt (the process
        stopped mid-raise) are raised again; they act only after an answer."""
        fixed = []
        for d in self.pending():
            snapshot = await self.graph.aget_state({"configurable": {"thread_id": d.thread_id}})
            if not snapshot.next:
                log.warning("decision was not fully raised; raising it again", decision=d.id)
                await self._start(d)
                fixed.append(d.id or 0)
        return fixed

    def latest_undoable(self) -> Decision | None:
        """The most recent decision (the owner's or autopilot's) whose undo is still
        within its window; None when there is nothing left to undo."""
        now = self.clock()
        with Session(self.sql) as s:
            q = (select(Decision)
                 .where(col(Decision.status).in_(["decided", "auto"]),
                        col(Decision.undo_json).is_not(None),
                        (col(Decision.undo_until).is_(None)) | (col(Decision.undo_until) >= now))
                 .order_by(col(Decision.decided_at).desc(), col(Decision.id).desc())
                 .limit(1))
            return s.exec(q).first()

    async def undo(self, decision_id: int, caller: Caller) -> Decision:
        """Undo what a decision did within its window: run its undo action, or, when the
        choice ran no action (a dismissal, an acknowledgement of nothing), ask the
        question again. Autopilot's choices alike; an undone choice counts as
        disagreement in the memory from now on."""
        require_owner(caller, "undo decisions")
        d = self.get(decision_id)
        if not d.undo_json or d.status not in ("decided", "auto"):
            raise InvalidInput(f"Decision {decision_id} has nothing to undo.")
        if d.undo_until is not None and self.clock() > d.undo_until:
            raise InvalidInput(f"The undo window for decision {decision_id} has closed.")
        name, args = json.loads(d.undo_json)
        if name == REOPEN:
            return await self.reopen(d)
        action = self.actions.get(name)
        if action is None:
            raise InvalidInput(f"No action named {name!r} is available to undo it.")
        result = await action(args)
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            row.status, row.outcome = "undone", f"{row.outcome} Undone: {result.summary}"
            row.undo_json = None
            self._audit(s, decision_id, "undone", actor="owner", detail=result.summary)
            s.commit()
            s.refresh(row)
        if self.memory is not None:
            await asyncio.to_thread(self.memory.mark_undone, decision_id, row.kind)
        return row

    async def reopen(self, decision: Decision) -> Decision:
        """The undo of a choice that ran no action: the same decision is pending again
        and asks the owner (autopilot never answers it a second time)."""
        now = self.clock()
        with Session(self.sql) as s:
            row = s.get(Decision, decision.id)
            assert row is not None
            before = f"{row.decided_by or 'owner'} chose {row.chosen or 'dismiss'}"
            row.status, row.chosen, row.decided_by, row.decided_at = "pending", None, None, None
            row.outcome, row.undo_json, row.undo_until = "", None, None
            row.expires_at, row.reminded_at = now + self.ttl_s, None
            self._audit(s, row.id or 0, "undone", actor="owner", detail=before)
            self._audit(s, row.id or 0, "reopened", actor="owner")
            s.commit()
            s.refresh(row)
        if self.memory is not None:
            await asyncio.to_thread(self.memory.mark_undone, row.id or 0, row.kind)
        return await self._start(row)

    # ---- many at once -------------------------------------------------------------------
    def matching(self, kind: str | None = None, symbol: str | None = None) -> list[Decision]:
        """Pending decisions of one kind and/or one symbol (every one without either);
        ``kind`` may be said in words ("alerts", "drafts", "incidents")."""
        sym = symbol.strip().upper() if symbol else None
        return [d for d in self.pending(self.kind_named(kind))
                if sym is None or (d.symbol or "") == sym]

    def kind_named(self, kind: str | None) -> str | None:
        if not kind:
            return None
        word = kind.strip().lower().replace(" ", "_")
        found = KIND_WORDS.get(word) or (word if word in self.kinds else None)
        if found is None:
            raise InvalidInput(f"Unknown decision kind {kind!r}; use one of "
                               f"{', '.join(sorted(self.kinds))}.")
        return found

    async def decide_all(self, option: str, caller: Caller, kind: str | None = None,
                         symbol: str | None = None, minutes: float | None = None
                         ) -> tuple[list[Decision], list[int]]:
        """Answer every matching pending decision the same way: ``dismiss`` closes each
        without action; any other option runs where a decision offers it (``minutes``
        replaces the option's duration, as in "snooze all TSLA for 2 hours"). Returns the
        answered decisions and the ids of the matching ones that have no such option."""
        require_owner(caller, "decide")
        answered: list[Decision] = []
        skipped: list[int] = []
        dismiss = option.strip().lower() in DISMISS_WORDS
        for d in self.matching(kind, symbol):
            option_id = None if dismiss else match_option(d.options, option)
            if dismiss:
                answered.append(await self._resume(d, {"type": "ignore", "by": "owner",
                                                       "note": "Dismissed (all at once)."}))
            elif option_id is not None:
                picked = d.option(option_id)
                edits = {"minutes": minutes} if minutes is not None and picked is not None \
                    and "minutes" in picked.args else None
                answered.append(await self.decide(d.id or 0, option_id, caller, edits=edits))
            else:
                skipped.append(d.id or 0)
        return answered, skipped

    # ---- what happened -----------------------------------------------------------------
    def by_kind(self, decisions: list[Decision]) -> dict[str, list[Decision]]:
        groups: dict[str, list[Decision]] = {}
        for d in decisions:
            groups.setdefault(d.kind, []).append(d)
        return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))

    def resolved_since(self, since: float) -> list[tuple[str, Decision]]:
        """What was resolved without the owner since ``since``, from the audit trail
        (so an autopilot choice undone since is still there): (event, the decision as it
        is now) for each autopilot choice, expiry and question that went away."""
        with Session(self.sql) as s:
            rows = s.exec(select(DecisionEvent, Decision)
                          .join(Decision, col(Decision.id) == col(DecisionEvent.decision_id))
                          .where(col(DecisionEvent.at) >= since,
                                 col(DecisionEvent.event).in_(["auto", "expired", "closed"]))
                          .order_by(col(DecisionEvent.at), col(DecisionEvent.id))).all()
        return [(e.event, d) for e, d in rows]

    # ---- housekeeping -----------------------------------------------------------------
    async def expire_stale(self) -> list[int]:
        """Close decisions nobody answered in time (their thread ends without action)."""
        now = self.clock()
        expired = []
        for d in self.pending():
            if d.expires_at is not None and d.expires_at <= now:
                await self._resume(d, {"type": "ignore", "by": "system",
                                       "note": "expired"})
                expired.append(d.id or 0)
        return expired

    async def remind(self) -> list[Decision]:
        """Pending decisions past half their time get one reminder."""
        now = self.clock()
        due = []
        for d in self.pending():
            half = d.created_at + ((d.expires_at or now) - d.created_at) / 2
            if d.reminded_at is None and now >= half:
                with Session(self.sql) as s:
                    row = s.get(Decision, d.id)
                    assert row is not None
                    row.reminded_at = now
                    self._audit(s, d.id or 0, "reminded")
                    s.commit()
                    s.refresh(row)
                due.append(row)
                if self.bus is not None:
                    await self.bus.publish(DECISION_RAISED, row)
        return due


