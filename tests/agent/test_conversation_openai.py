"""The real-model path, held to the same conversation mechanics: LangChain's ChatOpenAI
against a scripted OpenAI-compatible server on 127.0.0.1 that records every request.
Turn 2's request carries turn 1's messages and tool results; a tool error goes back to
the model as a tool message; an unreachable endpoint is one sentence; a streamed answer
arrives as growing text (never a half-written secret) and ends with the TurnResult."""

from __future__ import annotations

import json
import re

import pytest

from agent.runtime import open_runtime
from agent.turns import TurnResult
from core.auth import Caller
from core.settings import Settings
from tests.helpers.openai_server import FakeOpenAIServer, Reply
from tests.helpers.smtp import free_port

KEY = "victorKEY-4f9a8b7c6d5e3f2a1b0c"  # shaped like no known credential pattern


@pytest.fixture
def use_server(monkeypatch):
    def use(server: FakeOpenAIServer) -> Settings:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_LLM_MODEL", "local-test")
        settings = Settings()
        assert settings.effective_llm == "openai"
        return settings

    return use


def roles(request: dict) -> list[str]:
    return [m["role"] for m in request["messages"]]


async def test_a_follow_up_is_resolved_from_the_history_sent_to_the_model(use_server):
    script = [Reply.tool("get_quote", {"symbol": "AAPL"}),
              Reply("AAPL is at the price above."),
              Reply.tool("get_price_history", {"symbol": "AAPL", "days": 5}),
              Reply("Over five sessions AAPL moved as shown.")]
    with FakeOpenAIServer(script=script) as server:
        async with open_runtime(use_server(server)) as rt:
            await rt.ask("quote AAPL", thread_id="desk")
            second = await rt.ask("and how did it do this week?", thread_id="desk")

    assert second.tool_calls == [{"name": "get_price_history",
                                  "args": {"symbol": "AAPL", "days": 5}}]
    assert second.answer == "Over five sessions AAPL moved as shown."
    turn2 = server.chat_requests[2]  # turn 2's first request: all of turn 1, then the question
    assert roles(turn2) == ["system", "user", "assistant", "tool", "assistant", "user"]
    _, question, call, result, answer, follow_up = turn2["messages"]
    assert question["content"] == "quote AAPL"
    assert call["tool_calls"][0]["function"]["name"] == "get_quote"
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {"symbol": "AAPL"}
    assert result["tool_call_id"] == call["tool_calls"][0]["id"]
    quote = json.loads(result["content"])
    assert quote["symbol"] == "AAPL" and quote["demo"] is True
    assert answer["content"] == "AAPL is at the price above."
    assert follow_up["content"] == "and how did it do this week?"
    assert roles(server.chat_requests[3])[-2:] == ["assistant", "tool"]


async def test_tool_errors_go_back_to_the_model_as_tool_messages(use_server):
    script = [Reply(tool_calls=[("get_quote", {"symbol": "ZZZQ"}),
                                ("get_price_history", {"symbol": "AAPL", "days": "lots"})]),
              Reply("I couldn't: ZZZQ is unknown and the period was not a number.")]
    with FakeOpenAIServer(script=script) as server:
        async with open_runtime(use_server(server)) as rt:
            result = await rt.ask("quote ZZZQ and AAPL's history for lots of days")

    assert result.answer.startswith("I couldn't")
    assert [c["name"] for c in result.tool_calls] == ["get_quote", "get_price_history"]
    second = server.chat_requests[1]
    assert roles(second)[-3:] == ["assistant", "tool", "tool"]
    calls = {c["id"]: c["function"]["name"] for c in second["messages"][-3]["tool_calls"]}
    answers = {calls[m["tool_call_id"]]: m["content"] for m in second["messages"][-2:]}
    assert answers["get_quote"].startswith("I don't know the ticker ZZZQ")
    assert answers["get_price_history"].startswith(
        "The arguments for get_price_history are not valid: days:")


async def test_an_unreachable_endpoint_is_one_sentence_streamed_or_not(monkeypatch):
    from langchain_openai import ChatOpenAI

    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    monkeypatch.setenv("COPILOT_LLM_BASE_URL", url)
    model = ChatOpenAI(model="local-test", api_key="local", base_url=url,  # type: ignore[arg-type]
                       timeout=2, max_retries=0)
    guest = Caller("guest", is_owner=False)
    async with open_runtime(Settings(), model=model) as rt:
        plain = await rt.ask("what's AAPL at?", caller=guest)
        streamed = [i async for i in rt.ask_stream("what's AAPL at?", caller=guest)]
        owner = [i async for i in rt.ask_stream("what's AAPL at?", thread_id="o")]

    problem = rf"The model at {re.escape(url)} is unreachable \(\w*ConnectionError\)\."
    sentence = problem + r" Nothing was done; try again in a moment\."
    assert re.fullmatch(sentence, plain.answer), plain.answer
    assert len(streamed) == 1 and isinstance(streamed[0], TurnResult)
    assert re.fullmatch(sentence, streamed[0].answer)
    # the owner is answered by the offline model, labelled
    final = owner[-1]
    assert isinstance(final, TurnResult)
    assert re.match("_" + problem + " The offline model answered instead:_", final.answer)
    assert "AAPL is at $" in final.answer


async def test_a_streamed_turn_yields_growing_text_then_the_result(use_server):
    words = ("AAPL is at two hundred and thirty four dollars, down a little today, "
             "and this is demo data.")
    script = [Reply.tool("get_quote", {"symbol": "AAPL"}), Reply(words)]
    with FakeOpenAIServer(script=script) as server:
        async with open_runtime(use_server(server)) as rt:
            items = [i async for i in rt.ask_stream("quote AAPL", thread_id="s")]
            state = await rt.graph.aget_state({"configurable": {"thread_id": "s"}})

    assert all(r.get("stream") is True for r in server.chat_requests)  # SSE both times
    *partials, final = items
    assert isinstance(final, TurnResult)
    assert final.answer == words
    assert final.tool_calls == [{"name": "get_quote", "args": {"symbol": "AAPL"}}]
    assert len(partials) >= 10 and all(isinstance(p, str) for p in partials)
    assert all(words.startswith(p) for p in partials)  # the answer, as written so far
    assert [len(p) for p in partials] == sorted({len(p) for p in partials})  # growing
    assert len(state.values["messages"]) == 4  # the turn is checkpointed as usual


async def test_a_secret_streamed_in_pieces_is_never_shown(monkeypatch, use_server):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    pieces = ["Your key ", "is victorKEY-4f9a", "8b7c6d5e3f2a1b0c", " and that is all."]
    with FakeOpenAIServer(script=[Reply(pieces=pieces)]) as server:
        async with open_runtime(use_server(server)) as rt:
            items = [i async for i in rt.ask_stream("what is my key?")]

    *partials, final = items
    assert isinstance(final, TurnResult)
    assert final.answer == "Your key is [REDACTED] and that is all."
    assert partials and all("victorKEY" not in p for p in partials)
    assert "Your key is [REDACTED] and that is" in partials
