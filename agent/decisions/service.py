"""Decision lifecycle: raise (with a recommendation), decide (owner or autopilot), undo,
expire and remind. Each decision is a checkpointed LangGraph thread; this service keeps
the SQL log, the audit trail and the vector memory in step with it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import structlog
from langgraph.types import Command
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from agent.auth import Caller, require_owner
from agent.bus import DECISION_RESOLVED, EventBus
from agent.decisions.actions import ActionRegistry
from agent.decisions.graph import interrupt_request
from agent.decisions.models import KINDS, Decision, DecisionEvent, Option
from agent.decisions.recommend import Recommender
from agent.errors import InvalidInput, NotFound
from agent.storage import kv_get, kv_set
from memory.decisions import DecisionMemory, decision_text

log = structlog.get_logger(__name__)
DECISION_RAISED = "decision_raised"


class DecisionService:
    def __init__(self, sql: Engine, graph: Any, actions: ActionRegistry,
                 memory: DecisionMemory | None, bus: EventBus | None = None,
                 clock: Callable[[], float] = time.time, ttl_hours: float = 24.0,
                 undo_minutes: float = 30.0, autopilot_n: int = 5,
                 autopilot_similarity: float = 0.6) -> None:
        self.sql = sql
        self.graph = graph
        self.actions = actions
        self.memory = memory
        self.bus = bus
        self.clock = clock
        self.ttl_s = ttl_hours * 3600
        self.undo_s = undo_minutes * 60
        self.recommender = Recommender(memory, n=autopilot_n, threshold=autopilot_similarity)

    # ---- records ------------------------------------------------------------------
    def _audit(self, s: Session, decision_id: int, event: str, actor: str = "system",
               detail: str = "") -> None:
        s.add(DecisionEvent(decision_id=decision_id, at=self.clock(), event=event, actor=actor,
                            detail=detail))

    def get(self, decision_id: int) -> Decision:
        with Session(self.sql) as s:
            d = s.get(Decision, decision_id)
        if d is None:
            raise NotFound(f"There is no decision {decision_id}.")
        return d

    def recent(self, status: str | None = None, limit: int = 50) -> list[Decision]:
        with Session(self.sql) as s:
            q = select(Decision).order_by(col(Decision.id).desc()).limit(limit)
            if status:
                q = q.where(Decision.status == status)
            return list(s.exec(q).all())

    def pending(self) -> list[Decision]:
        return sorted(self.recent("pending", limit=200), key=lambda d: d.id or 0)

    def events(self, decision_id: int | None = None, limit: int = 100) -> list[DecisionEvent]:
        with Session(self.sql) as s:
            q = select(DecisionEvent).order_by(col(DecisionEvent.id).desc()).limit(limit)
            if decision_id is not None:
                q = q.where(DecisionEvent.decision_id == decision_id)
            return list(s.exec(q).all())

    # ---- autopilot switches -------------------------------------------------------
    def autopilot_enabled(self, kind: str) -> bool:
        return kv_get(self.sql, f"autopilot:{kind}", "off") == "on"

    def set_autopilot(self, kind: str, on: bool, caller: Caller) -> None:
        require_owner(caller, "change autopilot")
        if kind not in KINDS:
            raise InvalidInput(f"Unknown decision kind {kind!r}; use one of {', '.join(KINDS)}.")
        kv_set(self.sql, f"autopilot:{kind}", "on" if on else "off")

    def autopilot_status(self) -> dict[str, bool]:
        return {k: self.autopilot_enabled(k) for k in KINDS}

    # ---- lifecycle ----------------------------------------------------------------
    async def raise_decision(self, kind: str, title: str, options: list[Option], *,
                             context: str = "", symbol: str | None = None,
                             source_key: str | None = None, default: str | None = None,
                             allow_edit: bool = False, ttl_s: float | None = None) -> Decision:
        """Create a decision and park it at its interrupt. The same ``source_key`` (e.g. an
        alert firing) never raises two decisions."""
        if source_key:
            with Session(self.sql) as s:
                existing = s.exec(select(Decision).where(Decision.source_key == source_key)).first()
            if existing is not None:
                return existing
        options = [o for o in options if self.actions.has(o.action)]
        text = decision_text(kind, title, context, symbol)
        rec = self.recommender.recommend(kind, text, options, default)
        now = self.clock()
        decision = Decision(
            kind=kind, title=title, context=context, symbol=symbol,
            options_json=json.dumps([o.model_dump() for o in options]),
            recommended=rec.option, rationale=rec.rationale, cited_json=json.dumps(rec.cited),
            source_key=source_key, created_at=now, expires_at=now + (ttl_s or self.ttl_s),
        )
        with Session(self.sql) as s:
            s.add(decision)
            s.flush()
            self._audit(s, decision.id or 0, "raised", detail=title)
            s.commit()
            s.refresh(decision)
        config = {"configurable": {"thread_id": decision.thread_id}}
        await self.graph.ainvoke({"decision_id": decision.id,
                                  "request": interrupt_request(decision, allow_edit)}, config)
        if self.autopilot_enabled(kind) and self.recommender.autopilot_agrees(rec):
            return await self._resolve(decision, {"type": "accept"}, "autopilot",
                                       note=f"Autopilot: {rec.rationale}")
        if self.bus is not None:
            await self.bus.publish(DECISION_RAISED, decision)
        return decision

    def _option_id(self, decision: Decision, option: str) -> str:
        """Accept an option id, its 1-based number or its label."""
        options = decision.options
        raw = str(option).strip()
        if raw.isdigit() and 1 <= int(raw) <= len(options):
            return options[int(raw) - 1].id
        for o in options:
            if raw.lower() in (o.id.lower(), o.label.lower()):
                return o.id
        choices = ", ".join(f"{i}={o.id}" for i, o in enumerate(options, 1))
        raise InvalidInput(f"Decision {decision.id} has no option {option!r}; choose {choices}.")

    async def decide(self, decision_id: int, option: str, caller: Caller,
                     edits: dict[str, Any] | None = None) -> Decision:
        require_owner(caller, "decide")
        decision = self.get(decision_id)
        if decision.status != "pending":
            raise InvalidInput(f"Decision {decision_id} is already {decision.status}.")
        option_id = self._option_id(decision, option)
        response: dict[str, Any] = {"type": "response", "args": option_id}
        if edits:
            response = {"type": "edit", "args": {"option": option_id, "args": edits}}
        return await self._resolve(decision, response, "owner")

    async def close(self, decision_id: int, reason: str) -> Decision:
        """The question went away by itself (e.g. the service recovered)."""
        d = self.get(decision_id)
        if d.status != "pending":
            return d
        return await self._resolve(d, {"type": "ignore"}, "system", note=reason,
                                   status="closed", outcome=reason)

    async def _resolve(self, decision: Decision, response: dict[str, Any], by: str,
                       note: str = "", status: str | None = None, outcome: str | None = None
                       ) -> Decision:
        config = {"configurable": {"thread_id": decision.thread_id}}
        state = await self.graph.ainvoke(Command(resume=response), config)
        result = state.get("result") or {}
        chosen = result.get("option")
        status = status or {"owner": "decided", "autopilot": "auto"}.get(by, "expired")
        now = self.clock()
        with Session(self.sql) as s:
            row = s.get(Decision, decision.id)
            assert row is not None
            row.status, row.chosen, row.decided_by = status, chosen, by
            row.decided_at, row.outcome = now, outcome or result.get("summary", "")
            if result.get("undo"):
                row.undo_json = json.dumps(result["undo"])
                row.undo_until = now + self.undo_s
            self._audit(s, row.id or 0, status, actor=by,
                        detail=f"{chosen or 'no action'}: {row.outcome}" + (f" ({note})" if note else ""))
            s.commit()
            s.refresh(row)
        if chosen is not None and self.memory is not None:
            picked = row.option(chosen)
            label = picked.label if picked is not None else chosen
            self.memory.remember(
                decision_id=row.id or 0, kind=row.kind, title=row.title, context=row.context,
                symbol=row.symbol, chosen=chosen, chosen_label=label, decided_by=by,
                outcome=row.outcome, created_at=row.created_at)
        if self.bus is not None:
            await self.bus.publish(DECISION_RESOLVED, row)
        return row

    async def undo(self, decision_id: int, caller: Caller) -> Decision:
        require_owner(caller, "undo decisions")
        d = self.get(decision_id)
        if not d.undo_json or d.status not in ("decided", "auto"):
            raise InvalidInput(f"Decision {decision_id} has nothing to undo.")
        if d.undo_until is not None and self.clock() > d.undo_until:
            raise InvalidInput(f"The undo window for decision {decision_id} has closed.")
        name, args = json.loads(d.undo_json)
        result = await self.actions.run(name, args)
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            row.status, row.outcome = "undone", f"{row.outcome} Undone: {result.summary}"
            row.undo_json = None
            self._audit(s, decision_id, "undone", actor="owner", detail=result.summary)
            s.commit()
            s.refresh(row)
        if self.memory is not None:
            self.memory.mark_undone(decision_id, row.kind)
        return row

    async def expire_stale(self) -> list[int]:
        """Close decisions nobody answered in time (their thread ends without action)."""
        now = self.clock()
        expired = []
        for d in self.pending():
            if d.expires_at is not None and d.expires_at <= now:
                await self._resolve(d, {"type": "ignore"}, "system", note="expired")
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
