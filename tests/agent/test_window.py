"""The model sees a bounded window of each thread: the turn being answered whole, then as
many earlier turns as fit in MAX_WINDOW_TURNS turns and about MAX_WINDOW_TOKENS tokens;
never a tool call without its results. The state keeps everything."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from agent.graph import MAX_WINDOW_TURNS, build_graph, conversation_window


def turn(i: int, size: int = 10) -> list[BaseMessage]:
    """One whole turn: a question, a tool call, its result, the answer."""
    call = {"name": "echo", "args": {"text": str(i)}, "id": f"c{i}", "type": "tool_call"}
    return [HumanMessage(f"q{i} " + "x" * size, id=f"h{i}"),
            AIMessage("", tool_calls=[call], id=f"a{i}"),
            ToolMessage(f"r{i}", tool_call_id=f"c{i}", name="echo", id=f"t{i}"),
            AIMessage(f"answer {i}", id=f"f{i}")]


def humans(messages: list[BaseMessage]) -> list[str]:
    return [str(m.content).split()[0] for m in messages if isinstance(m, HumanMessage)]


def assert_whole_exchanges(messages: list[BaseMessage]) -> None:
    """Every tool call is followed by its results, every result follows its call."""
    results = {m.tool_call_id: i for i, m in enumerate(messages) if isinstance(m, ToolMessage)}
    calls: dict[str, int] = {}
    for i, m in enumerate(messages):
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                assert c["id"] in results and results[c["id"]] > i, f"call {c['id']} cut off"
                calls[c["id"]] = i
    for call_id in results:
        assert call_id in calls, f"result {call_id} without its call"


def test_a_short_thread_is_shown_whole():
    messages = [m for i in range(3) for m in turn(i)] + [HumanMessage("q3 now")]
    window, dropped = conversation_window(messages)
    assert window == messages and dropped == 0


def test_the_turn_budget_keeps_the_last_turns_whole():
    messages = [m for i in range(30) for m in turn(i)] + [HumanMessage("q30 now")]
    window, dropped = conversation_window(messages, max_turns=5, max_tokens=100_000)
    assert humans(window) == ["q26", "q27", "q28", "q29", "q30"]
    assert dropped == 26
    assert isinstance(window[0], HumanMessage)
    assert_whole_exchanges(window)


def test_the_token_budget_drops_whole_turns_from_the_front():
    messages = [m for i in range(10) for m in turn(i, size=400)] + [HumanMessage("q10 now")]
    window, dropped = conversation_window(messages, max_turns=20, max_tokens=500)
    # each earlier turn is about 120 tokens: only the last few fit, never half of one
    assert 1 <= len(humans(window)) - 1 < 10
    assert humans(window)[-1] == "q10" and dropped == 11 - len(humans(window))
    assert isinstance(window[0], HumanMessage)
    assert_whole_exchanges(window)


def test_the_current_turn_is_kept_whole_even_over_budget():
    big = turn(1, size=50_000)  # one turn far over the token budget, tool results included
    messages = [*turn(0), *big[:3]]  # the model is about to answer after its tool result
    window, dropped = conversation_window(messages, max_turns=20, max_tokens=1000)
    assert window == big[:3] and dropped == 1


def test_a_tool_call_cut_short_in_an_earlier_turn_is_left_out():
    broken = [HumanMessage("q0", id="h0"),
              AIMessage("", tool_calls=[{"name": "echo", "args": {}, "id": "lost",
                                         "type": "tool_call"}], id="a0"),
              ToolMessage("orphan", tool_call_id="nobody", id="t0")]
    messages = [*broken, *turn(1), HumanMessage("q2")]
    window, _ = conversation_window(messages)
    assert [m.id for m in window[:1]] == ["h0"]
    assert "a0" not in {m.id for m in window} and "t0" not in {m.id for m in window}
    assert_whole_exchanges(window)


@tool
def echo(text: str) -> str:
    """Echo the text."""
    return f"echo {text}"


class Recorder(BaseChatModel):
    """Calls ``echo`` once per question, then answers; records every prompt it sees."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "recorder"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        last = messages[-1]
        if isinstance(last, HumanMessage):
            n = len(self.prompts)
            reply = AIMessage("", tool_calls=[{"name": "echo", "args": {"text": str(n)},
                                               "id": f"call{n}", "type": "tool_call"}])
        else:
            reply = AIMessage(f"done: {last.content}")
        return ChatResult(generations=[ChatGeneration(message=reply)])


async def test_the_graph_shows_the_model_a_bounded_window_and_keeps_everything():
    model = Recorder()
    graph = build_graph(model, [echo], checkpointer=InMemorySaver(), system_prompt="sys")
    config = {"configurable": {"thread_id": "long"}}
    for i in range(MAX_WINDOW_TURNS + 5):
        await graph.ainvoke({"messages": [HumanMessage(f"q{i} hello")]}, config)

    last = model.prompts[-1]  # the final answer of the last turn
    assert isinstance(last[0], SystemMessage)
    assert "its first 5 turns are no longer shown to you" in str(last[0].content)
    shown = last[1:]
    assert humans(shown) == [f"q{i}" for i in range(5, MAX_WINDOW_TURNS + 5)]
    assert isinstance(shown[0], HumanMessage)
    assert_whole_exchanges(shown)
    for prompt in model.prompts:  # no prompt ever carried more than the budget
        assert len(humans(prompt)) <= MAX_WINDOW_TURNS
        assert_whole_exchanges(prompt[1:])
    state = await graph.aget_state(config)
    assert len(state.values["messages"]) == 4 * (MAX_WINDOW_TURNS + 5)  # nothing deleted
    early = model.prompts[1]
    assert "no longer shown" not in str(early[0].content)  # no note while nothing is left out


async def test_the_graph_passes_its_budgets_on():
    model = Recorder()
    graph = build_graph(model, [echo], checkpointer=InMemorySaver(), system_prompt="sys",
                        max_turns=3, max_tokens=100_000)
    config = {"configurable": {"thread_id": "short"}}
    for i in range(5):
        await graph.ainvoke({"messages": [HumanMessage(f"q{i}")]}, config)
    assert humans(model.prompts[-1]) == ["q2", "q3", "q4"]
    assert "its first 2 turns" in str(model.prompts[-1][0].content)
