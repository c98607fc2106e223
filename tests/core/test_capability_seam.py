"""A new capability plugs in through the seam alone: its own files (here, this test) and
one line in the root (here, ``extra=``). It brings a table, a tool the offline model
routes to, a scheduled job and a decision kind with an action."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, tool
from sqlmodel import Field, Session, SQLModel, select

from agent.runtime import open_runtime
from core.auth import Caller
from core.capability import Capability, Job, Kernel
from core.decisions import ActionResult, Decision, DecisionKind, DecisionPort, Option
from core.grammar import Grammar, Intent, per_symbol
from core.settings import Settings


class Bookmark(SQLModel, table=True):
    __tablename__ = "test_bookmarks"
    id: int | None = Field(default=None, primary_key=True)
    symbol: str


class BookmarksCapability(Capability):
    name = "bookmarks"
    tables = (Bookmark,)
    grammar = Grammar(intents=(Intent("bookmark", {"bookmark": 5.0}, per_symbol()),))

    def __init__(self, kernel: Kernel, decisions: DecisionPort) -> None:
        self.kernel = kernel
        self.decisions = decisions
        self.digests = 0

    def tools(self) -> list[BaseTool]:
        @tool
        def bookmark(symbol: str) -> dict[str, Any]:
            """Bookmark a ticker symbol for later."""
            with Session(self.kernel.db) as s:
                s.add(Bookmark(symbol=symbol))
                s.commit()
            return {"summary": f"Bookmarked {symbol}."}

        return [bookmark]

    def jobs(self) -> list[Job]:
        async def digest() -> None:
            self.digests += 1

        return [Job("bookmarks_digest", digest, "interval", {"hours": 1})]

    def decision_kinds(self) -> list[DecisionKind]:
        async def clear(args: dict[str, Any]) -> ActionResult:
            with Session(self.kernel.db) as s:
                rows = s.exec(select(Bookmark)).all()
                for row in rows:
                    s.delete(row)
                s.commit()
            return ActionResult(f"Cleared {len(rows)} bookmarks.")

        return [DecisionKind("bookmark_review", {"clear_bookmarks": clear})]

    async def review(self) -> Decision:
        return await self.decisions.raise_decision(
            "bookmark_review", "Bookmarks piling up", [
                Option(id="clear", label="Clear them", action="clear_bookmarks"),
                Option(id="keep", label="Keep them", action="noop")],
            source_key="bookmarks:review", default="keep")


async def test_a_throwaway_capability_plugs_in_through_the_seam(settings):
    made: list[BookmarksCapability] = []

    def make(kernel: Kernel, decisions: DecisionPort) -> BookmarksCapability:
        made.append(BookmarksCapability(kernel, decisions))
        return made[0]

    async with open_runtime(Settings(), extra=[make]) as rt:
        turn = await rt.ask("bookmark NVDA please")
        assert turn.tool_calls == [{"name": "bookmark", "args": {"symbol": "NVDA"}}]
        assert turn.answer == "Bookmarked NVDA."
        with Session(rt.kernel.db) as s:
            assert [b.symbol for b in s.exec(select(Bookmark))] == ["NVDA"]

        await rt.start()
        assert "bookmarks_digest" in {j["id"] for j in rt.kernel.scheduler.jobs()}

        d = await made[0].review()
        assert d.status == "pending" and d.recommended == "keep"
        done = await rt.decide(d.id or 0, "clear", Caller.local_owner())
        assert done.outcome == "Cleared 1 bookmarks."
        with Session(rt.kernel.db) as s:
            assert s.exec(select(Bookmark)).all() == []
        # a guest gets no such tool: it is not among the capability's guest tools
        assert "bookmark" not in {t.name for t in rt.tools if t.name in
                                  rt.components.guest_tools()}
