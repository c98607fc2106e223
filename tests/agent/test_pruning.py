"""A thread's storage stays bounded: the state forgets the oldest whole turns beyond
COPILOT_THREAD_KEEP_MESSAGES (and counts them), each thread keeps only its latest
checkpoint, idle threads go; the conversation still follows up across the boundary."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from agent.checkpoints import checkpoint_time, delete_idle, thread_activity
from agent.graph import build_graph, forget
from agent.runtime import offline_model, open_runtime
from core.settings import Settings


def turn(i: int) -> list:
    call = {"name": "get_quote", "args": {"symbol": "AAPL"}, "id": f"c{i}", "type": "tool_call"}
    return [HumanMessage(f"q{i}", id=f"h{i}"), AIMessage("", tool_calls=[call], id=f"a{i}"),
            ToolMessage("{}", tool_call_id=f"c{i}", id=f"t{i}"), AIMessage(f"r{i}", id=f"f{i}")]


def test_forget_removes_whole_turns_from_the_front():
    messages = [m for i in range(10) for m in turn(i)]
    removals, turns = forget(messages, keep=10)
    gone = {r.id for r in removals}
    kept = [m for m in messages if m.id not in gone]
    assert len(kept) == 8 and turns == 8  # two whole turns fit in 10 messages
    assert isinstance(kept[0], HumanMessage) and kept[0].content == "q8"


def test_forget_keeps_the_latest_turn_whole_and_short_threads_alone():
    messages = [*turn(0), *turn(1)]
    removals, turns = forget(messages, keep=2)
    assert {r.id for r in removals} == {"h0", "a0", "t0", "f0"} and turns == 1
    assert forget(messages, keep=100) == ([], 0)
    assert forget(messages, keep=0) == ([], 0)


async def test_the_state_stays_bounded_and_follow_ups_cross_the_boundary():
    graph = build_graph(offline_model(), _tools(), checkpointer=InMemorySaver(),
                        keep_messages=6)
    config = {"configurable": {"thread_id": "t"}}
    for text in ["hello", "what's MSFT at?", "thanks", "what's NVDA at?", "hello",
                 "what's AAPL at?"]:
        await graph.ainvoke({"messages": [HumanMessage(text)]}, config)
    state = (await graph.aget_state(config)).values
    assert len(state["messages"]) <= 6
    assert state["earlier_turns"] >= 4
    assert isinstance(state["messages"][0], HumanMessage)
    # the turn about AAPL survived the cut: "and TSLA?" is still read as a quote
    out = await graph.ainvoke({"messages": [HumanMessage("and TSLA?")]}, config)
    calls = [c for m in out["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert calls and calls[-1]["name"] == "get_quote" and calls[-1]["args"]["symbol"] == "TSLA"
    assert len(out["messages"]) <= 6


class Recorder(BaseChatModel):
    """Answers "ok" and keeps the system prompt of every call."""

    systems: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recorder"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.systems.append(str(messages[0].content))
        return ChatResult(generations=[ChatGeneration(message=AIMessage("ok"))])


async def test_the_model_is_told_about_the_forgotten_turns():
    model = Recorder()
    graph = build_graph(model, [], checkpointer=InMemorySaver(), keep_messages=4,
                        system_prompt="SYSTEM")
    config = {"configurable": {"thread_id": "n"}}
    for i in range(6):
        await graph.ainvoke({"messages": [HumanMessage(f"q{i}")]}, config)
    state = (await graph.aget_state(config)).values
    assert len(state["messages"]) == 4 and state["earlier_turns"] == 4
    # the sixth turn's prompt: two turns kept before it, the first three forgotten
    assert "its first 3 turns are no longer shown" in model.systems[-1]
    assert "no longer shown" not in model.systems[1]


async def test_each_thread_keeps_only_its_latest_checkpoint(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", http_port=None, thread_keep_messages=8)
    async with open_runtime(settings) as rt:
        for i in range(12):
            result = await rt.ask("what's AAPL at?" if i % 2 else "hello", thread_id="long")
        assert result.tool_calls and result.tool_calls[0]["name"] == "get_quote"
        await rt.ask("and MSFT?", thread_id="long")
        follow = await rt.ask("and TSLA?", thread_id="long")
        assert follow.tool_calls[0]["args"]["symbol"] == "TSLA"
    with sqlite3.connect(settings.checkpoint_path) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id='long'").fetchone()
        stray = conn.execute("SELECT COUNT(*) FROM writes WHERE thread_id='long' AND "
                             "checkpoint_id NOT IN (SELECT checkpoint_id FROM checkpoints)"
                             ).fetchone()
    assert rows[0] == 1 and stray[0] == 0


async def test_without_pruning_every_checkpoint_stays(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", http_port=None, thread_keep_messages=0,
                        thread_checkpoints=0)
    async with open_runtime(settings) as rt:
        for _ in range(3):
            await rt.ask("hello", thread_id="long")
    with sqlite3.connect(settings.checkpoint_path) as conn:
        rows = conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id='long'").fetchone()
    assert rows[0] > 3


async def test_idle_threads_go_but_decisions_stay(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", http_port=None)
    async with open_runtime(settings) as rt:
        await rt.ask("hello", thread_id="old")
        await rt.ask("hello", thread_id="decision-99")  # stands in for a decision's thread
        activity = await thread_activity(rt.checkpointer)
        assert abs(activity["old"] - time.time()) < 60  # read from the uuid6 checkpoint id
        assert await delete_idle(rt.checkpointer, idle_s=3600, now=time.time() + 60) == 0
        gone = await delete_idle(rt.checkpointer, idle_s=3600, now=time.time() + 7200)
        left = await thread_activity(rt.checkpointer)
    assert gone >= 1 and "old" not in left and "decision-99" in left


def test_checkpoint_time_reads_the_uuid6_clock():
    from langgraph.checkpoint.base.id import uuid6

    assert abs(checkpoint_time(str(uuid6(clock_seq=1))) - time.time()) < 5


def _tools() -> list:
    @tool
    def get_quote(symbol: str) -> dict:
        """Latest quote for a ticker."""
        return {"symbol": symbol, "price": 100.0}

    return [get_quote]


async def test_the_notice_inbox_keeps_the_latest_and_says_how_many_went(tmp_path):
    from agent.notices import NoticeInbox
    from core.events import NOTICE

    settings = Settings(data_dir=tmp_path / "d", http_port=None)
    async with open_runtime(settings) as rt:
        inbox = NoticeInbox(rt, limit=5)
        rt.kernel.bus.start()
        for i in range(12):
            await rt.kernel.bus.publish(NOTICE, f"notice {i}")
        for _ in range(200):
            if len(inbox.items) == 5 and inbox.dropped == 7:
                break
            await asyncio.sleep(0.01)
        texts = [n.text for n in inbox.drain()]
        inbox.close()
    assert texts[0].startswith("(7 older notices were let go")
    assert texts[1:] == [f"notice {i}" for i in range(7, 12)]
    assert inbox.dropped == 0 and not inbox.items
