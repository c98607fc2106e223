"""The decision service: the workflow (``workflow.py``) plus its upkeep: follow-ups of
failed choices, undo (the owner's and autopilot's choices alike), expiry and reminders,
answers to many decisions at once. Each outcome nobody watched happen (autopilot,
expiry) is told as a notice with its undo."""

from __future__ import annotations

import asyncio
import json

import structlog
from sqlmodel import Session, col, select

from agent.decisions.inbox import match_option
from agent.decisions.workflow import DecisionWorkflow
from core.auth import Caller, require_owner
from core.decisions import FAILED, Decision, Option
from core.errors import InvalidInput
from core.events import DECISION_RAISED, NOTICE

log = structlog.get_logger(__name__)
FOLLOW_UP = "follow_up"  # the kind of the question raised when a chosen option failed


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
        options += [o for o in row.options if o.id != row.chosen]
        if not any(o.action == "noop" for o in options):
            options.append(Option(id="skip", label="Leave it", action="noop",
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
        require_owner(caller, "undo decisions")
        d = self.get(decision_id)
        if not d.undo_json or d.status not in ("decided", "auto"):
            raise InvalidInput(f"Decision {decision_id} has nothing to undo.")
        if d.undo_until is not None and self.clock() > d.undo_until:
            raise InvalidInput(f"The undo window for decision {decision_id} has closed.")
        name, args = json.loads(d.undo_json)
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

    # ---- many at once -------------------------------------------------------------------
    def matching(self, kind: str | None = None, symbol: str | None = None) -> list[Decision]:
        """Pending decisions of one kind and/or one symbol (every one without either)."""
        sym = symbol.upper() if symbol else None
        return [d for d in self.pending(kind) if sym is None or (d.symbol or "") == sym]

    async def decide_all(self, option: str, caller: Caller, kind: str | None = None,
                         symbol: str | None = None) -> tuple[list[Decision], list[int]]:
        """Answer every matching pending decision the same way: ``dismiss`` closes each
        without action; any other option runs where a decision offers it. Returns the
        answered decisions and the ids of the matching ones that have no such option."""
        require_owner(caller, "decide")
        answered: list[Decision] = []
        skipped: list[int] = []
        dismiss = option.strip().lower() in ("dismiss", "ignore", "skip all", "dismiss all")
        for d in self.matching(kind, symbol):
            if dismiss:
                answered.append(await self._resume(d, {"type": "ignore", "by": "owner",
                                                       "note": "Dismissed (all at once)."}))
            elif match_option(d.options, option) is not None:
                answered.append(await self.decide(d.id or 0, option, caller))
            else:
                skipped.append(d.id or 0)
        return answered, skipped

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


