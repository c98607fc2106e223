"""The agent graph: call the model, run the tools it asks for, loop until it answers.

    START -> model -> (tool calls?) -> tools -> model -> ... -> END

The model sees a bounded window of the thread (``conversation_window``): the turn being
answered in full, and before it as many whole earlier turns as fit in ``MAX_WINDOW_TURNS``
turns and about ``MAX_WINDOW_TOKENS`` tokens; older turns are dropped from the prompt (the
system prompt then says how many it does not see). A tool call is never separated from its
results. With ``keep_messages`` the state itself stays bounded too: once a turn is
answered, ``forget`` removes the oldest whole turns beyond that many messages
(``RemoveMessage``) and counts them in ``earlier_turns``, so what each checkpoint stores,
and what every turn loads and saves, no longer grows with the thread:

    ... -> model -> (no tool calls) -> forget -> END

With ``redact`` (the redaction that guards the logs) every message that enters the
graph's state — the owner's message, the model's reply, each tool result, and the error
a failing model call leaves in the checkpoint — is redacted where it enters (the graph's
input, the node that produces it, the state's reducer), so a secret the model or a tool
echoes never reaches a checkpoint (state or pending writes), a later prompt, or an
answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, NotRequired, TypedDict, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.utils import count_tokens_approximately, trim_messages
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, MessagesState, StateGraph, add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.prebuilt.tool_node import ToolCallRequest, ToolInvocationError
from langgraph.types import Command

from core.errors import CopilotError
from core.markettime import DEFAULT_ZONE, format_local
from prompts import load_prompt

Redact = Callable[[str], str]
TokenCounter = Callable[[list[BaseMessage]], int]

MAX_WINDOW_TURNS = 20  # turns of a thread the model sees, the one being answered included
MAX_WINDOW_TOKENS = 6000  # about this many tokens (approximate count) of earlier turns


def tool_error_message(error: Exception) -> str:
    """User-facing errors go back to the model as the tool's answer, and so do arguments
    the tool's schema refuses (one sentence naming the argument); anything else (a bug,
    an infrastructure failure) is re-raised here and ends the run."""
    if isinstance(error, CopilotError):
        return str(error)
    if isinstance(error, ToolInvocationError):
        errors = error.filtered_errors if error.filtered_errors is not None else \
            error.source.errors()
        if not errors:
            return f"The arguments for {error.tool_name} are not valid."
        first = errors[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "arguments"
        msg = " ".join(str(first.get("msg", "is not valid")).split())[:200].rstrip(".")
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"The arguments for {error.tool_name} are not valid: {where}: {msg}{more}."
    raise error


def redact_value(value: Any, redact: Redact) -> Any:
    """``redact`` applied to every string inside ``value`` (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v, redact) for k, v in value.items()}
    if type(value) in (list, tuple):  # not namedtuples and other sequences: left as they are
        return type(value)(redact_value(v, redact) for v in value)
    return value


def redact_exception(error: BaseException, redact: Redact) -> None:
    """Redact an exception in place (its args, and the ``message``/``body`` an API error
    carries), keeping its type and status: LangGraph records a failed node's error in the
    checkpoint's writes, and callers still inspect what kind of failure it was. LangGraph's
    own control flow (an ``interrupt()`` bubbling up) is left alone."""
    if isinstance(error, GraphBubbleUp):
        return
    try:
        error.args = tuple(redact_value(a, redact) for a in error.args)
    except Exception:  # noqa: BLE001 - an exception type with read-only args
        pass
    for attr in ("message", "body"):
        value = getattr(error, attr, None)
        if isinstance(value, str | dict | list):
            try:
                setattr(error, attr, redact_value(value, redact))
            except Exception:  # noqa: BLE001 - a read-only attribute stays as it is
                pass


def redact_message(message: BaseMessage, redact: Redact) -> BaseMessage:
    """A copy of ``message`` with every string it carries redacted: its content (text or
    blocks), extra fields, metadata, and for a model reply the tool calls' arguments."""
    update: dict[str, Any] = {
        "content": redact_value(message.content, redact),
        "additional_kwargs": redact_value(message.additional_kwargs, redact),
        "response_metadata": redact_value(message.response_metadata, redact),
    }
    if isinstance(message, AIMessage):
        update["tool_calls"] = [{**c, "args": redact_value(c["args"], redact)}
                                for c in message.tool_calls]
        update["invalid_tool_calls"] = [redact_value(dict(c), redact)
                                        for c in message.invalid_tool_calls]
    if isinstance(message, ToolMessage):
        update["artifact"] = redact_value(message.artifact, redact)
    return message.model_copy(update=update)


def _redacting_state(redact: Redact) -> type:
    """``MessagesState`` whose reducer redacts every incoming message (the input too)."""
    from langchain_core.messages import RemoveMessage, convert_to_messages

    def add_redacted(left: Any, right: Any) -> Any:
        incoming = right if isinstance(right, list) else [right]
        messages: list[Any] = [m if isinstance(m, RemoveMessage) else redact_message(m, redact)
                               for m in convert_to_messages(incoming)]
        return add_messages(left, messages)

    # the functional form evaluates the annotation now, with the closure in it
    return TypedDict(  # type: ignore[operator]
        "RedactedMessagesState", {"messages": Annotated[list[AnyMessage], add_redacted],
                                  "earlier_turns": NotRequired[int]})


class ThreadState(MessagesState):
    """The messages, and how many earlier turns ``forget`` removed from them."""

    earlier_turns: NotRequired[int]


def forget(messages: Sequence[BaseMessage], keep: int) -> tuple[list[RemoveMessage], int]:
    """What to remove so at most ``keep`` messages stay: the oldest whole turns (a turn
    starts on a human message, so a tool call never loses its results), and how many
    turns that is. The latest turn always stays whole, whatever its size."""
    if keep <= 0 or len(messages) <= keep:
        return [], 0
    starts = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not starts:
        return [], 0
    cut = next((i for i in starts if len(messages) - i <= keep), starts[-1])
    gone = messages[:cut]
    return ([RemoveMessage(id=str(m.id)) for m in gone if m.id],
            sum(isinstance(m, HumanMessage) for m in gone))


def _guard_input(compiled: Any, redact: Redact) -> Any:
    """Redact the messages a caller puts in before the graph sees them: LangGraph
    checkpoints its input as it is (the first checkpoint and its writes) before any
    reducer runs. ``invoke``/``ainvoke`` go through ``stream``/``astream``."""
    from langchain_core.messages import RemoveMessage, convert_to_messages

    def clean(value: Any) -> Any:
        if isinstance(value, dict) and value.get("messages"):
            incoming = value["messages"]
            incoming = incoming if isinstance(incoming, list) else [incoming]
            return {**value, "messages": [
                m if isinstance(m, RemoveMessage) else redact_message(m, redact)
                for m in convert_to_messages(incoming)]}
        return value

    stream, astream = compiled.stream, compiled.astream

    def guarded_stream(input: Any = None, *args: Any, **kwargs: Any) -> Any:
        return stream(clean(input), *args, **kwargs)

    def guarded_astream(input: Any = None, *args: Any, **kwargs: Any) -> Any:
        return astream(clean(input), *args, **kwargs)

    compiled.stream, compiled.astream = guarded_stream, guarded_astream
    return compiled


def _complete_exchanges(messages: list[BaseMessage]) -> list[BaseMessage]:
    """``messages`` without tool calls whose results are missing (a turn that failed
    half-way leaves them) and without results whose call is missing: an OpenAI-compatible
    endpoint refuses a request with either."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    kept: list[BaseMessage] = []
    called: set[str] = set()
    for m in messages:
        if isinstance(m, AIMessage) and (m.tool_calls or m.invalid_tool_calls):
            ids = [c.get("id") for c in [*m.tool_calls, *m.invalid_tool_calls]]
            if not all(i in answered for i in ids):
                continue  # an exchange cut short: neither the call nor its results
            called.update(str(i) for i in ids)
        if isinstance(m, ToolMessage) and m.tool_call_id not in called:
            continue
        kept.append(m)
    return kept


def conversation_window(
    messages: Sequence[BaseMessage],
    max_turns: int = MAX_WINDOW_TURNS,
    max_tokens: int = MAX_WINDOW_TOKENS,
    token_counter: TokenCounter = count_tokens_approximately,
) -> tuple[list[BaseMessage], int]:
    """What the model sees of a thread, and how many earlier turns it does not see.

    A turn is a human message and everything after it up to the next one. The turn being
    answered (from the last human message on: its tool calls and results) is always kept
    whole, whatever its size; before it come the most recent earlier turns, whole, while
    there are at most ``max_turns`` turns in all and the earlier ones fit in what is left
    of ``max_tokens`` (``trim_messages``, starting on a human message, so a tool call is
    never cut from its results). Only the turn budget's slice is ever counted, so the cost
    does not grow with the thread."""
    messages = list(messages)
    humans = [i for i, m in enumerate(messages) if isinstance(m, HumanMessage)]
    if not humans:
        return messages, 0
    last = humans[-1]
    current = messages[last:]
    earlier = humans[:-1]
    keep = earlier[-(max_turns - 1):] if max_turns > 1 else []
    history = _complete_exchanges(messages[keep[0]:last]) if keep else []
    budget = max_tokens - token_counter(current)
    if history and budget > 0:
        history = trim_messages(history, max_tokens=budget, token_counter=token_counter,
                                strategy="last", start_on="human")
    else:
        history = []
    shown = sum(isinstance(m, HumanMessage) for m in history)
    return [*history, *current], len(earlier) - shown


def window_note(dropped: int) -> str:
    """The sentence the system prompt gains when earlier turns are out of the window."""
    if dropped <= 0:
        return ""
    turns = "turn" if dropped == 1 else "turns"
    return (f"\n\n(This conversation began earlier: its first {dropped} {turns} are no "
            "longer shown to you. If asked about them, say you no longer see them; do not "
            "guess.)")


def build_graph(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    checkpointer: Any = None,
    system_prompt: str | None = None,
    redact: Redact | None = None,
    max_turns: int = MAX_WINDOW_TURNS,
    max_tokens: int = MAX_WINDOW_TOKENS,
    timezone: str = DEFAULT_ZONE,
    keep_messages: int = 0,
):
    """Compile the agent. Tests pass their own model and checkpointer; the runtime passes
    ``redact`` (``core.logs.Redactor(settings_secrets(settings)).text``). ``max_turns`` and
    ``max_tokens`` bound the window of the thread the model sees (``conversation_window``);
    ``keep_messages`` bounds the state (``forget``; 0 keeps every message). ``timezone``
    is the owner's: the model is told the time on his clock."""
    bound = model.bind_tools(list(tools))
    prompt = system_prompt or load_prompt("system")

    async def call_model(state: Any, config: RunnableConfig) -> dict:
        window, dropped = conversation_window(state["messages"], max_turns, max_tokens)
        dropped += state.get("earlier_turns", 0)
        now = f"{format_local(time.time(), timezone, year=True)} ({timezone})"
        text = prompt.replace("{now}", now)
        system = SystemMessage(text + window_note(dropped))
        try:
            response: BaseMessage = await bound.ainvoke([system, *window], config)
        except Exception as exc:
            if redact is not None:  # an endpoint may echo the key in its error body
                redact_exception(exc, redact)
            raise
        if redact is not None:
            response = redact_message(response, redact)
        return {"messages": [response]}

    def clean(result: ToolMessage | Command) -> ToolMessage | Command:
        if redact is not None and isinstance(result, ToolMessage):
            return cast(ToolMessage, redact_message(result, redact))
        return result

    async def redact_tool_result(
        request: ToolCallRequest,
        execute: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command]],
    ) -> ToolMessage | Command:
        try:
            return clean(await execute(request))
        except Exception as exc:
            redact_exception(exc, cast(Redact, redact))
            raise

    def redact_tool_result_sync(
        request: ToolCallRequest,
        execute: Callable[[ToolCallRequest], ToolMessage | Command],
    ) -> ToolMessage | Command:
        try:
            return clean(execute(request))
        except Exception as exc:
            redact_exception(exc, cast(Redact, redact))
            raise

    wrappers: dict[str, Any] = {}
    if redact is not None:
        wrappers = {"awrap_tool_call": redact_tool_result,
                    "wrap_tool_call": redact_tool_result_sync}
    def forget_old_turns(state: Any) -> dict:
        removals, turns = forget(state["messages"], keep_messages)
        if not removals:
            return {}
        return {"messages": removals, "earlier_turns": state.get("earlier_turns", 0) + turns}

    schema: type = _redacting_state(redact) if redact is not None else ThreadState
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(schema)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(list(tools), handle_tool_errors=tool_error_message, **wrappers))
    graph.add_edge(START, "model")
    answered = END
    if keep_messages > 0:
        graph.add_node("forget", forget_old_turns)
        graph.add_edge("forget", END)
        answered = "forget"
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: answered})
    graph.add_edge("tools", "model")
    compiled = graph.compile(checkpointer=checkpointer)
    return _guard_input(compiled, redact) if redact is not None else compiled
