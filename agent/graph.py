"""The agent graph: call the model, run the tools it asks for, loop until it answers.

    START -> model -> (tool calls?) -> tools -> model -> ... -> END

With ``redact`` (the redaction that guards the logs) every message that enters the
graph's state — the owner's message, the model's reply, each tool result, and the error
a failing model call leaves in the checkpoint — is redacted where it enters (the graph's
input, the node that produces it, the state's reducer), so a secret the model or a tool
echoes never reaches a checkpoint (state or pending writes), a later prompt, or an
answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypedDict, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, MessagesState, StateGraph, add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.prebuilt.tool_node import ToolCallRequest, ToolInvocationError
from langgraph.types import Command

from core.errors import CopilotError
from prompts import load_prompt

Redact = Callable[[str], str]


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
        "RedactedMessagesState", {"messages": Annotated[list[AnyMessage], add_redacted]})


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


def build_graph(
    model: BaseChatModel,
    tools: Sequence[BaseTool],
    checkpointer: Any = None,
    system_prompt: str | None = None,
    redact: Redact | None = None,
):
    """Compile the agent. Tests pass their own model and checkpointer; the runtime passes
    ``redact`` (``core.logs.Redactor(settings_secrets(settings)).text``)."""
    bound = model.bind_tools(list(tools))
    prompt = system_prompt or load_prompt("system")

    async def call_model(state: Any, config: RunnableConfig) -> dict:
        system = SystemMessage(prompt.replace("{now}", datetime.now(UTC).isoformat(timespec="minutes")))
        try:
            response: BaseMessage = await bound.ainvoke([system, *state["messages"]], config)
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
    schema: type = _redacting_state(redact) if redact is not None else MessagesState
    graph: StateGraph[Any, Any, Any, Any] = StateGraph(schema)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(list(tools), handle_tool_errors=tool_error_message, **wrappers))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition, {"tools": "tools", END: END})
    graph.add_edge("tools", "model")
    compiled = graph.compile(checkpointer=checkpointer)
    return _guard_input(compiled, redact) if redact is not None else compiled
