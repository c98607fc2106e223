"""One agent turn and the mechanics around it, for the ``Copilot`` facade: what the agent
sees of a message (the typed text and attached files, each within its limit), one turn
at a time per thread (``ThreadLocks``), and the turn itself, streamed or not
(``run_turn``), down to its ``TurnResult``."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from core.auth import Caller
from core.decisions import Decision
from core.errors import InvalidInput

MAX_MESSAGE_CHARS = 4000  # what the person typed
# text attached to a message (Discord files), all files together: apart from the typed
# limit, and with it well inside the window the model sees (agent.graph.MAX_WINDOW_TOKENS)
MAX_ATTACHMENT_CHARS = 16_000


@dataclass
class TurnResult:
    answer: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "tool_calls": self.tool_calls, "decisions": self.decisions}


TurnEvents = AsyncGenerator[str | TurnResult, None]


def compose_message(message: str, attachments: Sequence[tuple[str, str]] = ()) -> str:
    """The text the agent sees: the typed ``message`` (at most ``MAX_MESSAGE_CHARS``),
    then each attached file's text (``(name, text)``, at most ``MAX_ATTACHMENT_CHARS`` in
    all) between markers naming it. Over either limit: ``InvalidInput``, one sentence."""
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInput(f"That message is {len(message):,} characters; I read at most "
                           f"{MAX_MESSAGE_CHARS:,}. Trim it, or send the long part as a file.")
    total = sum(len(text) for _, text in attachments)
    if total > MAX_ATTACHMENT_CHARS:
        raise InvalidInput(f"The attached text comes to {total:,} characters; I read at most "
                           f"{MAX_ATTACHMENT_CHARS:,} with one message. Attach the part that "
                           "matters.")
    parts = [message] if message else []
    for name, text in attachments:
        label = " ".join(re.sub(r"[\[\]]", "", name).split())[:100] or "file"
        parts.append(f"[attached file {label}]\n{text.rstrip()}\n[end of {label}]")
    return "\n\n".join(parts)


def settled_text(text: str) -> str:
    """``text`` up to its last whitespace: the word still being written is held back, so
    a secret streamed in pieces is only ever shown whole (and then redacted)."""
    match = re.match(r"(?s)(.*\s)\S*\Z", text)
    return match.group(1) if match else ""


@dataclass
class _Turns:
    """One thread's turn lock and how many turns hold or wait for it."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class ThreadLocks:
    """One turn at a time per thread. Two turns on one thread at once would both start
    from the same checkpoint and one would be lost: the second waits, in arrival order.
    A thread's lock is dropped when nobody holds or waits for it, so the table only ever
    holds the threads in use."""

    def __init__(self) -> None:
        self._threads: dict[str, _Turns] = {}

    def __len__(self) -> int:
        return len(self._threads)

    def users(self, thread: str) -> int:
        """Turns holding or waiting for ``thread`` now."""
        turns = self._threads.get(thread)
        return turns.users if turns else 0

    @asynccontextmanager
    async def turn(self, thread: str) -> AsyncIterator[None]:
        turns = self._threads.get(thread)
        if turns is None:
            turns = self._threads[thread] = _Turns()
        turns.users += 1
        try:
            async with turns.lock:
                yield
        finally:
            turns.users -= 1
            if turns.users == 0:
                del self._threads[thread]


async def last_result(events: AsyncIterator[str | TurnResult]) -> TurnResult:
    """The ``TurnResult`` that ends ``events`` (the text before it is skipped)."""
    result: TurnResult | None = None
    async for item in events:
        if isinstance(item, TurnResult):
            result = item
    if result is None:
        raise RuntimeError("a turn ended without its result")
    return result


async def run_turn(graph: CompiledStateGraph[Any, Any, Any, Any], message: str, thread: str,
                   caller: Caller, *, pending: Callable[[], list[Decision]],
                   redact: Callable[[str], str], stream: bool) -> TurnEvents:
    """Run one turn of ``graph`` on ``thread``. With ``stream`` the graph runs in
    LangGraph's "messages" mode (a streaming model is then called with streaming on) and
    the text of the reply being written is yielded as it grows: redacted, and only up to
    its last whitespace (``settled_text``). The ``TurnResult`` comes last."""
    config: RunnableConfig = {"configurable": {"thread_id": thread, "caller": caller}}
    snapshot = await graph.aget_state(config)
    # what the thread held before: the turn's own messages are the others (the graph may
    # forget old turns as it ends, so counting from the front would be wrong)
    before = {m.id for m in (snapshot.values or {}).get("messages", [])} if snapshot else set()
    pending_before = {d.id for d in pending()}
    turn_input = {"messages": [HumanMessage(message)]}
    if stream:
        shown, writing, text = "", None, ""
        events: AsyncIterator[Any] = graph.astream(turn_input, config, stream_mode="messages")
        async for chunk, meta in events:
            if not isinstance(chunk, AIMessageChunk) or meta.get("langgraph_node") != "model":
                continue  # tool results, and whole replies of models that don't stream
            if chunk.id != writing:  # the model's next reply (after its tool calls)
                writing, text = chunk.id, ""
            text += chunk.text
            visible = redact(settled_text(text)).strip()
            if visible and visible != shown:
                shown = visible
                yield visible
        after = await graph.aget_state(config)
        messages = list((after.values or {}).get("messages", []))
    else:
        state = await graph.ainvoke(turn_input, config)
        messages = state["messages"]
    new = [m for m in messages if m.id not in before]
    calls = [{"name": c["name"], "args": c["args"]}
             for m in new if isinstance(m, AIMessage) for c in m.tool_calls]
    answer = next((m.content for m in reversed(new) if isinstance(m, AIMessage)), "")
    attachments = [str(path) for m in new if getattr(m, "type", "") == "tool"
                   for path in _attachments(m.content)]
    raised = [d.as_dict() for d in pending() if d.id not in pending_before]
    yield TurnResult(answer=str(answer), tool_calls=calls, decisions=raised,
                     attachments=attachments)


def _attachments(content: Any) -> list[str]:
    try:
        data = json.loads(content) if isinstance(content, str) else content
    except json.JSONDecodeError:
        return []
    if isinstance(data, dict) and isinstance(data.get("path"), str):
        return [data["path"]]
    return []
