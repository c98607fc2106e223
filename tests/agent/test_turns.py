"""Conversation mechanics of the facade: one turn at a time per thread (the second waits,
nothing branches), the turn lock table empties when idle, ``ask_stream`` with a model that
does not stream, attached text and its own limit, conversation generations that survive
a restart, and `copilot ask --thread NAME`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field
from typer.testing import CliRunner

from agent.runtime import open_runtime
from agent.turns import (
    MAX_ATTACHMENT_CHARS,
    MAX_MESSAGE_CHARS,
    TurnResult,
    compose_message,
    settled_text,
)
from cli import app
from core.errors import InvalidInput
from core.settings import Settings


class GatedModel(BaseChatModel):
    """Answers each question by echoing it, but the first call waits for ``release``:
    a second turn started meanwhile has every chance to run ahead."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    entered: int = 0
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    release: asyncio.Event = Field(default_factory=asyncio.Event)

    @property
    def _llm_type(self) -> str:
        return "gated"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None,
                         run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.entered += 1
        self.prompts.append(list(messages))
        await self.release.wait()
        reply = AIMessage(f"answer to {messages[-1].content}")
        return ChatResult(generations=[ChatGeneration(message=reply)])


async def wait_until(condition, tries: int = 500) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_two_messages_at_once_on_one_thread_take_turns_and_keep_both(settings):
    model = GatedModel()
    async with open_runtime(settings, model=model) as rt:
        first = asyncio.create_task(rt.ask("first", thread_id="busy"))
        await wait_until(lambda: model.entered == 1)
        second = asyncio.create_task(rt.ask("second", thread_id="busy"))
        # the second turn has arrived: it waits on the thread's lock, not in the model
        await wait_until(lambda: rt._turns.users("busy") == 2 or model.entered == 2)
        assert model.entered == 1  # it waits: it has not started from the same checkpoint
        model.release.set()
        one, two = await asyncio.gather(first, second)
        state = await rt.graph.aget_state({"configurable": {"thread_id": "busy"}})

    messages = state.values["messages"]
    assert [m.content for m in messages] == ["first", "answer to first",
                                             "second", "answer to second"]
    assert one.answer == "answer to first" and two.answer == "answer to second"
    # the second turn's model saw the first turn: it ran after it, on its checkpoint
    assert [m.content for m in model.prompts[1][1:]] == ["first", "answer to first", "second"]
    assert len(rt._turns) == 0  # no lock left behind once the thread is idle


async def test_a_waiting_turn_that_is_cancelled_leaves_no_lock(settings):
    model = GatedModel()
    async with open_runtime(settings, model=model) as rt:
        first = asyncio.create_task(rt.ask("first", thread_id="t"))
        await wait_until(lambda: model.entered == 1)
        other = asyncio.create_task(rt.ask("elsewhere", thread_id="other"))
        waiting = asyncio.create_task(rt.ask("second", thread_id="t"))
        await wait_until(lambda: rt._turns.users("t") == 2 and model.entered == 2)
        assert rt._turns.users("other") == 1 and len(rt._turns) == 2  # not held up
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert rt._turns.users("t") == 1
        model.release.set()
        await asyncio.gather(first, other)
        assert len(rt._turns) == 0


async def test_ask_stream_with_a_model_that_does_not_stream_yields_the_result_once(settings):
    async with open_runtime(settings) as rt:
        items = [item async for item in rt.ask_stream("what's AAPL at?", thread_id="s")]
        again = await rt.ask("and MSFT?", thread_id="s")  # the same thread, continued
    assert len(items) == 1 and isinstance(items[0], TurnResult)
    assert items[0].tool_calls == [{"name": "get_quote", "args": {"symbol": "AAPL"}}]
    assert "AAPL is at $" in items[0].answer
    assert again.tool_calls == [{"name": "get_quote", "args": {"symbol": "MSFT"}}]


def test_settled_text_holds_back_the_word_being_written():
    assert settled_text("AAPL is at $23") == "AAPL is at "
    assert settled_text("AAPL is at $234.41 ") == "AAPL is at $234.41 "
    assert settled_text("line one\nhalf") == "line one\n"
    assert settled_text("sk-abc") == ""


def test_attached_text_has_its_own_limit_apart_from_the_typed_message():
    typed = "y" * MAX_MESSAGE_CHARS
    text = compose_message(typed, [("notes.md", "z" * MAX_ATTACHMENT_CHARS)])
    assert text.startswith(typed + "\n\n[attached file notes.md]\n")
    assert text.endswith("z\n[end of notes.md]")
    with pytest.raises(InvalidInput, match="That message is 4,001 characters"):
        compose_message("y" * (MAX_MESSAGE_CHARS + 1))
    with pytest.raises(InvalidInput, match="The attached text comes to 16,001 characters; "
                                           "I read at most 16,000"):
        compose_message("hi", [("a.txt", "z" * 8000), ("b.txt", "z" * 8001)])
    assert compose_message("", [("[x]\ny.txt", "data")]) == \
        "[attached file x y.txt]\ndata\n[end of x y.txt]"


async def test_attachments_reach_the_thread_redacted(monkeypatch, settings):
    monkeypatch.setenv("FINNHUB_API_KEY", "fh-secret-key-123456")
    async with open_runtime(Settings()) as rt:
        await rt.ask("what's in here?", thread_id="files",
                     attachments=[("keys.txt", "finnhub fh-secret-key-123456\nAAPL 190")])
        state = await rt.graph.aget_state({"configurable": {"thread_id": "files"}})
    first = str(state.values["messages"][0].content)
    assert first.startswith("what's in here?\n\n[attached file keys.txt]\n")
    assert "AAPL 190" in first and "fh-secret-key-123456" not in first


async def test_conversation_generations_survive_a_restart(settings):
    async with open_runtime(settings) as rt:
        assert await rt.conversation_generation("discord-dm-1") == 0
        assert await rt.new_conversation("discord-dm-1") == 1
        assert await rt.new_conversation("discord-dm-1") == 2
    async with open_runtime(settings) as rt:
        assert await rt.conversation_generation("discord-dm-1") == 2
        assert await rt.conversation_generation("discord-dm-2") == 0


runner = CliRunner()


def ask_json(*args: str) -> dict:
    result = runner.invoke(app, ["ask", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def thread_messages(thread: str) -> list[BaseMessage]:
    async with open_runtime(Settings()) as rt:
        state = await rt.graph.aget_state({"configurable": {"thread_id": thread}})
    return list((state.values or {}).get("messages", []))


def test_cli_ask_thread_continues_a_named_conversation():
    first = ask_json("quote AAPL", "--thread", "desk")
    assert first["tool_calls"] == [{"name": "get_quote", "args": {"symbol": "AAPL"}}]
    ask_json("what's NVDA at?")  # no --thread: a fresh thread, not "desk"
    second = ask_json("and MSFT?", "--thread", "desk")
    assert second["tool_calls"] == [{"name": "get_quote", "args": {"symbol": "MSFT"}}]
    assert set(second) == {"answer", "tool_calls", "decisions"}
    messages = asyncio.run(thread_messages("cli-desk"))
    assert [m.content for m in messages if isinstance(m, HumanMessage)] == \
        ["quote AAPL", "and MSFT?"]
    assert len(messages) == 8


def test_cli_ask_refuses_a_bad_thread_name_in_one_sentence():
    result = runner.invoke(app, ["ask", "quote AAPL", "--thread", "../etc/passwd"])
    assert result.exit_code == 1
    assert "--thread NAME takes letters, digits" in result.stderr
    assert "Traceback" not in result.output
