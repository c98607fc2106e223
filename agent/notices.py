"""What a console-like front end shows between turns (``NoticeInbox``): alert messages,
decisions raised, autopilot outcomes and notices. It holds at most ``MAX_NOTICES``: a
console that nobody reads for weeks (or a run where no console drains it) keeps the
latest ones and says how many older ones it let go; the decisions themselves stay in the
database (``/d`` lists them)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.decisions import Decision
from core.events import DECISION_RAISED, DECISION_RESOLVED, NOTICE

if TYPE_CHECKING:
    from agent.copilot import Copilot

MAX_NOTICES = 200


@dataclass
class Notice:
    text: str
    decision_id: int | None = None  # a decision the owner can answer by number


class NoticeInbox:
    """What a console-like front end shows between turns: alert messages, decisions
    raised, autopilot outcomes and notices, in arrival order."""

    def __init__(self, copilot: Copilot, undo: str = "undo {id}",
                 limit: int = MAX_NOTICES) -> None:
        self.items: deque[Notice] = deque(maxlen=limit)  # the latest ``limit`` notices
        self.dropped = 0  # older ones let go since the last drain
        self.undo = undo  # how the front end says "undo decision {id}"
        self._copilot = copilot
        self._changed = asyncio.Event()
        bus = copilot.kernel.bus
        self._unsubscribe = [
            bus.subscribe(DECISION_RAISED, self._raised, name="console-decisions"),
            bus.subscribe(DECISION_RESOLVED, self._resolved, name="console-outcomes"),
            bus.subscribe(NOTICE, lambda text: self._add(Notice(str(text))),
                          name="console-notices"),
        ]
        self._copilot.alerts.console.on_new = self._changed.set  # alert texts (in the DB)

    def _add(self, notice: Notice) -> None:
        if len(self.items) == self.items.maxlen:
            self.dropped += 1
        self.items.append(notice)
        self._changed.set()

    async def wait(self) -> None:
        """Until something new arrives (returns at once if something is waiting)."""
        await self._changed.wait()
        self._changed.clear()

    def _raised(self, decision: Decision) -> None:
        self._add(Notice(decision.prompt_text() + "\n\n_Answer with the option number, "
                         "or `/d` to list decisions._", decision.id))

    def _resolved(self, decision: Decision) -> None:
        """What happened without the owner (autopilot, expiry, a question gone), with
        its undo while the window is open."""
        if decision.decided_by in ("autopilot", "system"):
            self._add(Notice(decision.told(self.undo, self._copilot.settings.timezone,
                                           self._copilot.clock())))

    def drain(self) -> list[Notice]:
        out = [Notice(text) for text in self._copilot.alerts.console.drain()]
        if self.dropped:
            out.append(Notice(f"({self.dropped} older notices were let go; `/d` lists the "
                              "decisions still waiting.)"))
        out += list(self.items)
        self.items.clear()
        self.dropped = 0
        return out

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
