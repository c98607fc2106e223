"""The decision workflow's side: raise (a SQL row, then the workflow graph up to its
interrupt; a repeat updates the open decision of its group), the graph's steps,
decide, respond (Agent Inbox's answers) and close. The graph (``graph.py``) is the
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
from sqlmodel import Session, select

from agent.decisions.graph import build_decision_graph
from agent.decisions.inbox import as_response, interpret, interrupt_request, match_option
from agent.decisions.instruct import read_instruction
from agent.decisions.recommend import Recommendation, Recommender
from agent.decisions.records import DecisionRecords
from core.auth import Caller, require_owner
from core.bus import EventBus
from core.decisions import (
    FAILED,
    REOPEN,
    Action,
    ActionResult,
    Alternatives,
    Decision,
    DecisionEvent,
    DecisionKind,
    HumanInterrupt,
    HumanResponse,
    Option,
    Precondition,
)
from core.errors import CopilotError, InvalidInput
from core.events import DECISION_RAISED, DECISION_RESOLVED, NOTICE
from core.markettime import DEFAULT_ZONE, format_local
from core.ports import TextModel
from memory.decisions import DecisionMemory, decision_text

log = structlog.get_logger(__name__)


async def _noop(args: dict[str, Any]) -> ActionResult:
    return ActionResult(args.get("summary", "Noted; nothing else to do."))


class DecisionWorkflow(DecisionRecords):
    def __init__(self, sql: Any, memory: DecisionMemory | None, checkpointer: Any = None,
                 bus: EventBus | None = None, clock: Callable[[], float] = time.time,
                 ttl_hours: float = 24.0, undo_minutes: float = 30.0, autopilot_n: int = 5,
                 autopilot_similarity: float = 0.6, llm: TextModel | None = None,
                 timezone: str = DEFAULT_ZONE) -> None:
        self.sql = sql
        self.llm = llm  # with one, a free-text answer that clearly means an option runs it
        self.timezone = timezone  # the owner's: the times a decision's text shows
        self.memory = memory
        self.bus = bus
        self.clock = clock
        self.ttl_s = ttl_hours * 3600
        self.undo_s = undo_minutes * 60
        self.recommender = Recommender(memory, n=autopilot_n, threshold=autopilot_similarity)
        self.kinds: dict[str, DecisionKind] = {}
        self.actions: dict[str, Action] = {"noop": _noop}
        self.preconditions: dict[str, Precondition] = {}
        self.alternatives: dict[str, Alternatives] = {}
        self._group_lock = asyncio.Lock()  # one open decision per group, in this process
        self.graph = build_decision_graph(self, checkpointer)
        self._defaults: dict[int, str | None] = {}

    # ---- the port: kinds and records --------------------------------------------------
    def register_kind(self, kind: DecisionKind) -> None:
        self.kinds[kind.name] = kind
        self.register_actions(kind.actions, kind.preconditions)
        self.alternatives.update(kind.alternatives)

    def register_actions(self, actions: dict[str, Action],
                         preconditions: dict[str, Precondition] | None = None) -> None:
        """Actions any kind's options may run, without a kind of their own."""
        self.actions.update(actions)
        self.preconditions.update(preconditions or {})

    # ---- raise ----------------------------------------------------------------------
    async def raise_decision(self, kind: str, title: str, options: Sequence[Option], *,
                             context: str = "", symbol: str | None = None,
                             source_key: str | None = None, default: str | None = None,
                             allow_edit: bool = False, ttl_s: float | None = None,
                             group_key: str | None = None, renotify: bool = False,
                             follow_up_of: int | None = None) -> Decision:
        """Create the row, then run the workflow up to its interrupt (or to the end, when
        autopilot decides). The same ``source_key`` never raises two decisions; while a
        decision of the same ``group_key`` is pending, a new raise updates it instead
        (how many times, since when, the latest context) and, with ``renotify``, shown
        again."""
        if source_key:
            existing = self._by_source(source_key)
            if existing is not None:
                return existing
        offered, context = await self._offer(options, context)
        now = self.clock()
        decision = Decision(kind=kind, title=title, context=context, symbol=symbol,
                            options_json=json.dumps([o.model_dump() for o in offered]),
                            recommended=default, source_key=source_key, allow_edit=allow_edit,
                            created_at=now, expires_at=now + (ttl_s or self.ttl_s),
                            group_key=group_key, last_at=now, follow_up_of=follow_up_of)
        if group_key is not None:
            async with self._group_lock:  # the check and the insert, never the workflow
                open_ = self._open_in_group(group_key)
                repeated = None if open_ is None else \
                    self._repeat(open_, title, context, source_key, ttl_s)
                if repeated is None:
                    inserted = self._insert(decision, source_key)
            if repeated is not None:
                counted, row = repeated
                if counted and renotify and self.bus is not None:
                    await self.bus.publish(DECISION_RAISED, row)
                return row
        else:
            inserted = self._insert(decision, source_key)
        if inserted.id != decision.id or inserted.status != "pending":
            return inserted  # raised at the same moment elsewhere: that one stands
        return await self._start(inserted)

    async def _offer(self, options: Sequence[Option], context: str) -> tuple[list[Option], str]:
        """The options that can work now; the context says which were left out and why."""
        offered, left_out = [], []
        for o in options:
            reason = await self.blocked(o)
            if reason is None:
                offered.append(o)
            else:
                left_out.append(f"{o.label} ({reason.rstrip('.')})")
        if left_out:
            context = (context + "\n" if context else "") + "Not offered: " + \
                "; ".join(left_out) + "."
        return offered, context

    def _insert(self, decision: Decision, source_key: str | None) -> Decision:
        try:
            with Session(self.sql) as s:
                s.add(decision)
                s.flush()
                self._audit(s, decision.id or 0, "raised", detail=source_key or decision.title)
                s.commit()
                s.refresh(decision)
        except IntegrityError:
            existing = self._by_source(source_key or "")
            if existing is None:
                raise
            return existing
        return decision

    def _repeat(self, decision: Decision, title: str, context: str, source_key: str | None,
                ttl_s: float | None) -> tuple[bool, Decision]:
        """The subject happened again while its decision is open: count it there (False
        when this very occurrence was counted already)."""
        now = self.clock()
        with Session(self.sql) as s:
            row = s.get(Decision, decision.id)
            assert row is not None
            if source_key and s.exec(select(DecisionEvent).where(
                    DecisionEvent.decision_id == row.id, DecisionEvent.event == "repeated",
                    DecisionEvent.detail == source_key)).first() is not None:
                return False, row  # the same occurrence told twice counts once
            kind = self.kinds.get(row.kind)
            word = kind.repeat_word if kind is not None else "Raised"
            row.occurrences += 1
            row.last_at, row.title = now, title
            since = format_local(row.created_at, self.timezone, now=now)
            row.context = (f"{context}\n{word} {row.occurrences} times since {since}, "
                           f"last at {format_local(now, self.timezone, now=now)}.")
            row.expires_at = max(row.expires_at or now, now + (ttl_s or self.ttl_s))
            self._audit(s, row.id or 0, "repeated", detail=source_key or title)
            s.add(row)
            s.commit()
            s.refresh(row)
            return True, row

    async def _after(self, row: Decision) -> Decision:
        """What follows a resolved decision (the service follows up failed choices)."""
        return row

    async def blocked(self, option: Option) -> str | None:
        """Why ``option`` cannot work right now (one sentence), or None when it can."""
        if option.action not in self.actions:
            return f"no action named {option.action!r} is available"
        check: Precondition | None = self.preconditions.get(option.action)
        if check is None:
            return None
        try:
            return await check(option.args)
        except CopilotError as exc:
            return str(exc)

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
        return await self._after(row)

    # ---- the workflow's steps (called by the graph) -----------------------------------
    async def recommend(self, decision_id: int, allow_edit: bool) -> tuple[HumanInterrupt, bool]:
        d = self.get(decision_id)
        default = self._defaults.get(decision_id, d.recommended)
        text = decision_text(d.kind, d.title, d.context, d.symbol)
        rec: Recommendation = await asyncio.to_thread(
            self.recommender.recommend, d.kind, text, d.options, default, d.symbol, d.id)
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            row.recommended, row.rationale = rec.option, rec.rationale
            row.cited_json = json.dumps(rec.cited)
            s.add(row)
            s.commit()
            s.refresh(row)
        # a follow-up (the chosen option failed) and a question asked again after an undo
        # always wait for the owner
        autopilot = (row.follow_up_of is None and self.autopilot_enabled(row.kind)
                     and not self._reopened(decision_id)
                     and self.recommender.autopilot_agrees(rec))
        return interrupt_request(row, allow_edit), autopilot

    def _reopened(self, decision_id: int) -> bool:
        return any(e.event == "reopened" for e in self.events(decision_id, limit=500))

    async def act(self, request: HumanInterrupt, response: HumanResponse) -> dict[str, Any]:
        answer = interpret(request, response)
        said = ""
        if answer.instruction is not None:
            meant = None
            if self.llm is not None and response.get("type") == "response":
                meant = await read_instruction(self.llm, request["action_request"]["args"],
                                               request["description"] or "",
                                               answer.instruction)
            if meant is None:
                return {"instruction": answer.instruction}
            answer.option, said = meant, f"As you said (“{answer.instruction}”): "
        option = answer.option
        if option is None:
            return {"option": None, "summary": response.get("note") or
                    "Dismissed without action.", "undo": None}
        try:
            reason = await self.blocked(Option.model_validate(option))
            if reason is not None:  # it could work when raised; it cannot now
                raise InvalidInput(reason[:1].upper() + reason[1:])
            outcome = await self.actions[option.get("action", "noop")](option.get("args", {}))
        except CopilotError as exc:  # the choice stands; the owner sees why it didn't work
            return {"option": option["id"], "summary": f"{FAILED}{exc}", "undo": None,
                    "error": str(exc)}
        return {"option": option["id"], "summary": said + outcome.summary,
                "undo": list(outcome.undo) if outcome.undo else None}

    async def note(self, decision_id: int, response: HumanResponse, instruction: str) -> None:
        """A free-text answer: the owner's instruction, recorded and acknowledged; the
        decision stays open for a choice."""
        by = response.get("by") or "owner"
        with Session(self.sql) as s:
            row = s.get(Decision, decision_id)
            assert row is not None
            row.context = f"{row.context}\nYour instruction: “{instruction}”".strip()
            self._audit(s, decision_id, "instruction", actor=by, detail=instruction)
            s.add(row)
            s.commit()
        if self.bus is not None:
            await self.bus.publish(NOTICE, f"📝 Noted for decision {decision_id}: "
                                           f"“{instruction}”. It stays open until you choose.")

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
            undo = result.get("undo")
            if undo is None and by in ("owner", "autopilot") and not row.failed and \
                    self._ran_nothing(row, chosen):
                undo = [REOPEN, {}]  # a dismissal is undone by asking the question again
            if undo:
                row.undo_json = json.dumps(undo)
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

    def _ran_nothing(self, row: Decision, chosen: str | None) -> bool:
        option = row.option(chosen) if chosen else None
        return chosen is None or (option is not None and option.action == "noop")

    # ---- answers ----------------------------------------------------------------------
    def _option_id(self, decision: Decision, option: str) -> str:
        """Accept an option id, its 1-based number or its label."""
        found = match_option(decision.options, option)
        if found is None:
            choices = ", ".join(f"{i}={o.id}" for i, o in enumerate(decision.options, 1))
            raise InvalidInput(f"Decision {decision.id} has no option {option!r}; choose "
                               f"{choices}.")
        return found

    async def decide(self, decision_id: int, option: str, caller: Caller,
                     edits: dict[str, Any] | None = None) -> Decision:
        require_owner(caller, "decide")
        decision = self._pending(decision_id)
        option_id = self._option_id(decision, option)
        response: HumanResponse = {"type": "response", "args": option_id, "by": "owner"}
        if edits:
            response = {"type": "edit", "args": {"option": option_id, "args": edits},
                        "by": "owner"}
        return await self._resume(decision, response)

    async def respond(self, decision_id: int, response: Any, caller: Caller) -> Decision:
        """Answer in Agent Inbox's terms: a ``HumanResponse`` or its list (accept, edit,
        response, ignore), with the same meaning as the buttons."""
        require_owner(caller, "decide")
        decision = self._pending(decision_id)
        answer: HumanResponse = {**as_response(response), "by": "owner"}  # type: ignore[typeddict-item]
        return await self._resume(decision, answer)

    def _pending(self, decision_id: int) -> Decision:
        decision = self.get(decision_id)
        if decision.status != "pending":
            raise InvalidInput(f"Decision {decision_id} is already {decision.status}.")
        return decision

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
        return await self._after(self.get(decision.id or 0))


def _config(decision: Decision) -> dict[str, Any]:
    return {"configurable": {"thread_id": decision.thread_id}}
