"""The decision records: the ``Decision`` rows that list and audit decisions, their
audit trail, and the autopilot switches. The workflow (``workflow.py``) writes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from core.auth import Caller, require_owner
from core.decisions import Decision, DecisionEvent, DecisionKind
from core.errors import InvalidInput, NotFound
from core.storage import kv_get, kv_set


class DecisionRecords:
    sql: Any
    clock: Callable[[], float]
    kinds: dict[str, DecisionKind]

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

    def _open_in_group(self, group_key: str) -> Decision | None:
        with Session(self.sql) as s:
            return s.exec(select(Decision).where(Decision.group_key == group_key,
                                                 Decision.status == "pending")
                          .order_by(col(Decision.id))).first()


    def _by_source(self, source_key: str) -> Decision | None:
        with Session(self.sql) as s:
            return s.exec(select(Decision).where(Decision.source_key == source_key)).first()

