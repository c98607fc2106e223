"""``OfflineChatModel``: deterministic routing of plain English to tool calls."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool

from agent.offline.extract import extract, normalize
from core.grammar import Entities, Grammar, Intent

MIN_SCORE = 2.0
CAPABILITIES = (
    "I can get quotes (\"what's AAPL at?\"), price history and charts, manage your "
    "watchlist and price alerts (\"alert me when TSLA crosses 250\"), draft, schedule and "
    "publish content, check system health and recent errors, review your architecture, "
    "and walk you through pending decisions."
)
SMALL_TALK = (
    (r"^(hi|hello|hey|yo|gm|good (morning|afternoon|evening)|sup)\b",
     "Hi! " + CAPABILITIES),
    (r"\b(thanks|thank you|thx|ty|cheers)\b", "You're welcome."),
    (r"^(help|what can you do|commands|\?)\b|\bwhat can you do\b|\bhelp me\b", CAPABILITIES),
)


# English word forms the typo fixer must leave alone, whatever the capabilities say
BASE_WORDS = frozenset({"apple", "tesla", "nvidia", "microsoft", "amazon", "google", "netflix", "alphabet",
     "bitcoin", "ethereum", "above", "below", "discord", "email", "tomorrow", "minutes",
     "hours", "hour", "week", "month", "snooze", "alerts", "watchlist", "percent",
     "publish", "schedule", "decision", "newsletter", "about", "when", "what", "should",
     # word forms that must not be "corrected" into a trigger
     "scheduled", "scheduler", "published", "publishing", "tracking", "watching", "drafted",
     "alerted", "alerting", "charts", "quoted", "quotes", "errored", "healthier", "reviewed",
     "decided", "decisions", "handled", "anything", "something", "everything", "nothing",
     "there", "where", "morning", "thanks", "these", "those", "today", "weekly",
     "daily", "yesterday", "tonight", "stock", "stocks", "share", "shares", "price", "prices"})


def vocabulary(intents: Sequence[Intent], words: frozenset[str] = frozenset()) -> set[str]:
    """Every word of four letters or more that a trigger or veto uses, plus ``words``."""
    return {
        word
        for intent in intents
        for phrase in (*intent.triggers, *intent.vetoes)
        for word in re.findall(r"[a-z]{4,}", phrase)
    } | BASE_WORDS | words


class OfflineChatModel(BaseChatModel):
    """Routes a message to the canonical tools it was bound to, then writes the answer
    from the tools' results. No network, no randomness: the same input, the same output.

    It knows nothing of the capabilities: their grammars are combined here, in the order
    given (which breaks ties between intents)."""

    intents: list[Intent]
    words: set[str]

    @classmethod
    def from_grammars(cls, grammars: Sequence[Grammar]) -> OfflineChatModel:
        intents = [i for g in grammars for i in g.intents]
        extra = frozenset(w for g in grammars for w in g.words)
        return cls(intents=intents, words=vocabulary(intents, extra))

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
            return AIMessage(content=self.write_answer(results))
        text = _text(messages[last_human])
        return self.route(text, tool_names, previous_calls(messages[:last_human]))

    def route(self, text: str, tool_names: set[str], previous: list[dict] | None = None) -> AIMessage:
        norm = normalize(text, self.words)
        entities = extract(text, norm)
        candidates = sorted(
            (
                (intent.score(norm, entities), -i, intent)
                for i, intent in enumerate(self.intents)
                if intent.tool in tool_names
            ),
            key=lambda c: (c[0], c[1]),
            reverse=True,
        )
        best = candidates[0] if candidates else None
        if best and best[0] >= MIN_SCORE:
            return self._call_or_ask(best[2], entities)
        for pattern, reply in SMALL_TALK:
            if re.search(pattern, norm):
                return AIMessage(content=reply)
        if entities.symbols:
            follow = _follow_up_tool(previous or [], tool_names)
            intent = next((i for i in self.intents if i.tool == follow), None)
            if intent is None:
                intent = next((i for i in self.intents if i.tool == "get_quote"
                               and i.tool in tool_names), None)
            if intent is not None:
                return self._call_or_ask(intent, entities)
        return AIMessage(content="I'm not sure what you need. " + CAPABILITIES)

    def _call_or_ask(self, intent: Intent, entities: Entities) -> AIMessage:
        built = intent.build(entities)
        if built is None:
            return AIMessage(content=intent.missing)
        calls = built if isinstance(built, list) else [built]
        return AIMessage(
            content="",
            tool_calls=[
                {"name": intent.tool, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}",
                 "type": "tool_call"}
                for args in calls
            ],
        )

    @staticmethod
    def write_answer(results: list[ToolMessage]) -> str:
        lines = []
        for msg in results:
            content = _text(msg)
            if getattr(msg, "status", "success") == "error":
                lines.append(content.removeprefix("Error: "))
                continue
            try:
                data = json.loads(content)
            except (json.JSONDecodeError, TypeError):
                lines.append(content)
                continue
            if isinstance(data, dict) and "summary" in data:
                lines.append(str(data["summary"]))
            else:
                lines.append(content)
        return "\n".join(line for line in lines if line) or "Done."


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


def previous_calls(messages: list[BaseMessage]) -> list[dict]:
    return [dict(call) for m in messages if isinstance(m, AIMessage) for call in m.tool_calls]


SYMBOL_TOOLS = ("get_quote", "get_price_history", "price_chart", "list_alerts")


def _follow_up_tool(previous: list[dict], tool_names: set[str]) -> str | None:
    """'and TSLA?' after a chart of AAPL means a chart of TSLA."""
    for call in reversed(previous):
        if call["name"] in SYMBOL_TOOLS and call["name"] in tool_names:
            return call["name"]
    return None
