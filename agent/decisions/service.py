"""The decision port's implementation: raise (a SQL row, then the workflow graph up to
its interrupt), decide, close, undo, expire and remind. The graph (``graph.py``) is the
source of truth for where a decision stands; the ``Decision`` row is its projection,
which lists and audits it, and the vector memory learns from each resolved one."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from agent.decisions.graph import build_decision_graph
from agent.decisions.recommend import Recommendation, Recommender
from core.auth import Caller, require_owner
from core.bus import EventBus
from core.decisions import (
    Action,
    ActionResult,
    Decision,
    DecisionEvent,
    DecisionKind,
    HumanInterrupt,
    HumanResponse,
    Option,
)
from core.errors import CopilotError, InvalidInput, NotFound
from core.events import DECISION_RAISED, DECISION_RESOLVED
from core.storage import kv_get, kv_set
from memory.decisions import DecisionMemory, decision_text

log = structlog.get_logger(__name__)


async def _noop(args: dict[str, Any]) -> ActionResult:
    return ActionResult(args.get("summary", "Noted; nothing else to do."))


def interrupt_request(decision: Decision, allow_edit: bool) -> HumanInterrupt:
    """The interrupt payload, shaped like Agent Inbox's ``HumanInterrupt``."""
    return {
        "action_request": {
            "action": decision.kind,
            "args": {"decision_id": decision.id,
                     "options": [o.model_dump() for o in decision.options],
                     "recommended": decision.recommended},
        },
        "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": allow_edit,
                   "allow_accept": decision.recommended is not None},
        "description": decision.prompt_text(),
    }


def chosen_option(request: HumanInterrupt, response: HumanResponse) -> dict[str, Any] | None:
    """Map a HumanResponse to the option dict to run (None for ignore)."""
    args = request["action_request"]["args"]
    options = {o["id"]: o for o in args["options"]}
    kind = response.get("type")
    if kind == "ignore":
        return None
    if kind == "accept":
        return options.get(args.get("recommended") or "")
    if kind == "edit":
        edit = response.get("args") or {}
        base = dict(options.get(edit.get("option", ""), {}))
        base["args"] = {**base.get("args", {}), **edit.get("args", {})}
        return base
    return options.get(str(response.get("args")))


class DecisionService:
    def __init__(self, sql: Any, memory: DecisionMemory | None, checkpointer: Any = None,
                 bus: EventBus | None = None, clock: Callable[[], float] = time.time,
                 ttl_hours: float = 24.0, undo_minutes: float = 30.0, autopilot_n: int = 5,
                 autopilot_similarity: float = 0.6) -> None:
        self.sql = sql
        self.memory = memory
        self.bus = bus
        self.clock = clock
        self.ttl_s = ttl_hours * 3600
        self.undo_s = undo_minutes * 60
        self.recommender = Recommender(memory, n=autopilot_n, threshold=autopilot_similarity)
        self.kinds: dict[str, DecisionKind] = {}
        self.actions: dict[str, Action] = {"noop": _noop}
        self.graph = build_decision_graph(self, checkpointer)
        self._defaults: dict[int, str | None] = {}

    # ---- the port: kinds and records --------------------------------------------------
    def register_kind(self, kind: DecisionKind) -> None:
        self.kinds[kind.name] = kind
        self.actions.update(kind.actions)

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

    def pending(self, kind: str | None = None) -> list[Decision]:
        rows = sorted(self.recent("pending", limit=200), key=lambda d: d.id or 0)
        return [d for d in rows if kind in (None, d.kind)]

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
        if kind not in self.kinds:
            raise InvalidInput(f"Unknown decision kind {kind!r}; use one of "
                               f"{', '.join(self.kinds)}.")
        kv_set(self.sql, f"autopilot:{kind}", "on" if on else "off")

    def autopilot_status(self) -> dict[str, bool]:
        return {k: self.autopilot_enabled(k) for k in self.kinds}

    # ---- raise ----------------------------------------------------------------------
    async def raise_decision(self, kind: str, title: str, options: Sequence[Option], *,
                             context: str = "", symbol: str | None = None,
                             source_key: str | None = None, default: str | None = None,
                             allow_edit: bool = False, ttl_s: float | None = None) -> Decision:
        """Create the row, then run the workflow up to its interrupt (or to the end, when
        autopilot decides). The same ``source_key`` never raises two decisions."""
        if source_key:
            existing = self._by_source(source_key)
            if existing is not None:
                return existing
        offered = [o for o in options if o.action in self.actions]
        now = self.clock()
        decision = Decision(kind=kind, title=title, context=context, symbol=symbol,
                            options_json=json.dumps([o.model_dump() for o in offered]),
                            recommended=default, source_key=source_key, allow_edit=allow_edit,
                            created_at=now, expires_at=now + (ttl_s or self.ttl_s))
        try:
            with Session(self.sql) as s:
                s.add(decision)
                s.flush()
                self._audit(s, decision.id or 0, "raised", detail=title)
                s.commit()
                s.refresh(decision)
        except IntegrityError:  # raised at the same moment elsewhere: that one stands
            existing = self._by_source(source_key or "")
            if existing is None:
                raise
            return existing
        return await self._start(decision)

    def _by_source(self, source_key: str) -> Decision | None:
        with Session(self.sql) as s:
            return s.exec(select(Decision).where(Decision.source_key == source_key)).first()

    async def _start(self, decision: Decision) -> Decision:
        decision_id = decision.id or 0
        self._defaults[decision_id] = decision.recommended
        try:
            await self.graph.ainvoke({"decision_id": decision_id,
                                      "allow_edit": decision.allow_edit}, _config(decision))
        finally:
            self._defaults.pop(decision_id, None)
        row = self.get(decision_id)
        if row.status == "pending" and self.bus is not None:
            await self.bus.publish(DECISION_RAISED, row)
        return row

    async def repair(self) -> list[int]:
        """Pending decisions whose workflow never reached its interrupt (the process
        stopped mid-raise) are raised again; they act only after an answer."""
        fixed = []
        for d in self.pending():
            snapshot = await self.graph.aget_state(_config(d))
            if not snapshot.next:
                log.warning("decision was not fully raised; raising it again", decision=d.id)
                await self._start(d)
                fixed.append(d.id or 0)
        return fixed

    # ---- the workflow's steps (called by the graph) -----------------------------------
    async def recommend(self, decision_id: int, allow_edit: bool) -> tuple[HumanInterrupt, bool]:
        d = self.get(decision_id)
        default = self._defaults.get(decision_id, d.recommended)
        text = decision_text(d.kind, d.title, d.context, d.symbol)
        rec: Recommendation = await asyncio.to_thread(
            self.recommender.recommend, d.kind, text, d.options, default)
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            row.recommended, row.rationale = rec.option, rec.rationale
            row.cited_json = json.dumps(rec.cited)
            s.add(row)
            s.commit()
            s.refresh(row)
        autopilot = self.autopilot_enabled(row.kind) and self.recommender.autopilot_agrees(rec)
        return interrupt_request(row, allow_edit), autopilot

    async def act(self, request: HumanInterrupt, response: HumanResponse) -> dict[str, Any]:
        option = chosen_option(request, response)
        if option is None:
            return {"option": None, "summary": response.get("note") or
                    "Dismissed without action.", "undo": None}
        action = self.actions.get(option.get("action", "noop"))
        try:
            if action is None:
                raise InvalidInput(f"No action named {option.get('action')!r} is available.")
            outcome = await action(option.get("args", {}))
        except CopilotError as exc:  # the choice stands; the owner sees why it didn't work
            return {"option": option["id"], "summary": f"That didn't work: {exc}",
                    "undo": None, "error": str(exc)}
        return {"option": option["id"], "summary": outcome.summary,
                "undo": list(outcome.undo) if outcome.undo else None}

    async def record(self, decision_id: int, response: HumanResponse,
                     result: dict[str, Any]) -> None:
        extra: dict[str, Any] = dict(response)
        by = extra.get("by") or "owner"
        chosen = result.get("option")
        status = extra.get("status") or {"owner": "decided", "autopilot": "auto"}.get(by, "expired")
        note = extra.get("note") or ""
        now = self.clock()
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            if by == "autopilot":
                note = f"Autopilot: {row.rationale}"
            row.status, row.chosen, row.decided_by = status, chosen, by
            row.decided_at, row.outcome = now, result.get("summary", "")
            if result.get("undo"):
                row.undo_json = json.dumps(result["undo"])
                row.undo_until = now + self.undo_s
            self._audit(s, decision_id, status, actor=by,
                        detail=f"{chosen or 'no action'}: {row.outcome}" + (f" ({note})" if note else ""))
            s.commit()
            s.refresh(row)
        if chosen is not None and self.memory is not None:
            picked = row.option(chosen)
            await asyncio.to_thread(
                self.memory.remember, decision_id=decision_id, kind=row.kind, title=row.title,
                context=row.context, symbol=row.symbol, chosen=chosen,
                chosen_label=picked.label if picked is not None else chosen, decided_by=by,
                outcome=row.outcome, created_at=row.created_at)
        if self.bus is not None:
            await self.bus.publish(DECISION_RESOLVED, row)

    # ---- answers ----------------------------------------------------------------------
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
        response: HumanResponse = {"type": "response", "args": option_id, "by": "owner"}
        if edits:
            response = {"type": "edit", "args": {"option": option_id, "args": edits},
                        "by": "owner"}
        return await self._resume(decision, response)

    async def close(self, decision_id: int, reason: str) -> Decision:
        """The question went away by itself (e.g. the service recovered)."""
        d = self.get(decision_id)
        if d.status != "pending":
            return d
        return await self._resume(d, {"type": "ignore", "by": "system", "status": "closed",
                                      "note": reason})

    async def _resume(self, decision: Decision, response: HumanResponse) -> Decision:
        """Answer the workflow's interrupt. A decision whose raise was cut short (no
        checkpoint at its interrupt) is raised again first, so the answer always lands."""
        from langgraph.types import Command

        snapshot = await self.graph.aget_state(_config(decision))
        if "ask" not in (snapshot.next or ()):
            log.warning("decision had no interrupt to answer; raising it again",
                        decision=decision.id)
            decision = await self._start(decision)
            if decision.status != "pending":
                return decision  # autopilot answered it while it was raised again
        await self.graph.ainvoke(Command(resume=response), _config(decision))
        return self.get(decision.id or 0)

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


def _config(decision: Decision) -> dict[str, Any]:
    return {"configurable": {"thread_id": decision.thread_id}}
