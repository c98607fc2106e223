"""Full agent turns through the compiled graph."""

from __future__ import annotations

import json

from agent.runtime import open_runtime
from core.auth import Caller
from core.settings import Settings
from tests.helpers.openai_server import FakeOpenAIServer


async def test_offline_turn_quotes_with_demo_label(settings):
    async with open_runtime(settings) as rt:
        result = await rt.ask("what's AAPL at?")
    assert result.tool_calls == [{"name": "get_quote", "args": {"symbol": "AAPL"}}]
    assert "AAPL is at $" in result.answer
    assert "demo data" in result.answer


async def test_bad_ticker_is_a_plain_sentence_not_a_crash(settings):
    async with open_runtime(settings) as rt:
        result = await rt.ask("quote ZZZQ")
    assert result.tool_calls[0]["args"] == {"symbol": "ZZZQ"}
    assert result.answer.startswith("I don't know the ticker ZZZQ")


async def test_thread_keeps_history_between_turns(settings):
    async with open_runtime(settings) as rt:
        await rt.ask("quote AAPL", thread_id="t1")
        second = await rt.ask("and MSFT?", thread_id="t1")
        state = await rt.graph.aget_state({"configurable": {"thread_id": "t1"}})
    assert second.tool_calls == [{"name": "get_quote", "args": {"symbol": "MSFT"}}]
    assert len(state.values["messages"]) == 8  # 2 x (human, call, tool, answer)


async def test_chatopenai_turn_against_local_server(monkeypatch):
    def route(text: str):
        return ("get_quote", {"symbol": "MSFT"}) if "MSFT" in text else None

    with FakeOpenAIServer(route) as server:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_LLM_MODEL", "local-test")
        settings = Settings()
        assert settings.effective_llm == "openai"
        async with open_runtime(settings) as rt:
            result = await rt.ask("quote MSFT", caller=Caller.local_owner())

    assert result.tool_calls == [{"name": "get_quote", "args": {"symbol": "MSFT"}}]
    assert result.answer.startswith("Final: ")
    tool_payload = json.loads(result.answer.removeprefix("Final: "))
    assert tool_payload["symbol"] == "MSFT" and tool_payload["demo"] is True
    first = server.requests[0]
    assert first["model"] == "local-test"
    assert "get_quote" in {t["function"]["name"] for t in first["tools"]}
    assert first["messages"][0]["role"] == "system"
    assert len(server.requests) == 2
