"""``OfflineChatModel``: deterministic routing of plain English to tool calls, following
the conversation. No network, no randomness: the same thread, the same output."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from agent.offline.dialogue import ASKED, PROPOSED, read_context
from agent.offline.router import Reading, Router, tool_calls
from agent.offline.talk import CAPABILITIES, text_of, write_answer
from core.grammar import Context, Grammar, Intent

# word forms the typo fixer may correct towards, whatever the capabilities say
BASE_WORDS = frozenset({
    "apple", "tesla", "nvidia", "microsoft", "amazon", "google", "netflix", "alphabet",
    "bitcoin", "ethereum", "above", "below", "discord", "email", "tomorrow", "minutes",
    "hours", "hour", "week", "month", "snooze", "alerts", "alert", "watchlist", "percent",
    "publish", "schedule", "decision", "newsletter", "about", "when", "what", "should",
    "chart", "quote", "price", "draft", "delete", "remove", "history", "health", "errors",
    "autopilot", "briefing", "pending", "decisions", "market", "please", "notify",
})


def vocabulary(intents: Sequence[Intent], words: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every word of four letters or more that a trigger or veto uses, plus ``words``."""
    return frozenset({
        word
        for intent in intents
        for phrase in (*intent.triggers, *intent.vetoes)
        for word in re.findall(r"[a-z]{4,}", phrase)
    } | BASE_WORDS | words)


class OfflineChatModel(BaseChatModel):
    """Routes a message to the canonical tools it was bound to, reading the thread for
    what "it" and "that one" mean, then writes the answer from the tools' results.

    It knows nothing of the capabilities: their grammars are combined here, in the order
    given (which breaks ties between intents)."""

    grammars: list[Grammar]
    _router: Router | None = PrivateAttr(default=None)
    # the last known price of a symbol (set by the runtime from the quote cache), so "alert
    # me when AAPL hits 250" reads as above or below
    _price_of: Callable[[str], float | None] | None = PrivateAttr(default=None)

    def use_prices(self, price_of: Callable[[str], float | None] | None) -> None:
        self._price_of = price_of

    @classmethod
    def from_grammars(cls, grammars: Sequence[Grammar]) -> OfflineChatModel:
        return cls(grammars=list(grammars))

    @property
    def router(self) -> Router:
        if self._router is None:
            intents = [i for g in self.grammars for i in g.intents]
            extra = frozenset(w for g in self.grammars for w in g.words)
            self._router = Router(self.grammars, vocabulary(intents, extra))
        return self._router

    @property
    def _llm_type(self) -> str:
        return "offline"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any):
        specs = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=specs, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        names = {t["function"]["name"] for t in kwargs.get("tools") or []}
        message = self.respond(messages, names)
        return ChatResult(generations=[ChatGeneration(message=message)])

    # ---- the two halves of a turn -----------------------------------------------------
    def respond(self, messages: list[BaseMessage], tool_names: set[str]) -> AIMessage:
        last_human = max(
            (i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1
        )
        if last_human < 0:
            return AIMessage(content=CAPABILITIES)
        results = [m for m in messages[last_human + 1:] if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content=write_answer(results))
        ctx = read_context(messages[:last_human])
        ctx.price_of = self._price_of
        return self.route(text_of(messages[last_human]), tool_names, ctx)

    def read(self, text: str, tool_names: set[str], ctx: Context | None = None) -> Reading:
        if ctx is None:
            ctx = Context(price_of=self._price_of)
        return self.router.read(text, tool_names, ctx)

    def route(self, text: str, tool_names: set[str], ctx: Context | None = None) -> AIMessage:
        reading = self.read(text, tool_names, ctx)
        if reading.calls:
            return AIMessage(content="", tool_calls=tool_calls(reading))
        if reading.proposed:  # "yes" next turn makes these calls (read_context finds them)
            return AIMessage(content=reading.reply, additional_kwargs={
                ASKED: reading.intent, PROPOSED: [[n, a] for n, a in reading.proposed]})
        if reading.asked:  # the next message may answer it (read_context finds the mark)
            return AIMessage(content=reading.reply, additional_kwargs={ASKED: reading.intent})
        return AIMessage(content=reading.reply)

    @staticmethod
    def write_answer(results: list[ToolMessage]) -> str:
        return write_answer(results)
