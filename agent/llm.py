"""LLM factory: a registry of chat-model builders keyed by name, and the adapter that
lends a configured model to capabilities as a ``TextModel`` (prose only, no tools)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from langchain_core.language_models import BaseChatModel

from core.errors import InvalidInput
from core.grammar import Grammar
from core.settings import Settings

ModelBuilder = Callable[[Settings, Sequence[Grammar]], BaseChatModel]
MODELS: dict[str, ModelBuilder] = {}


def register(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    def deco(builder: ModelBuilder) -> ModelBuilder:
        MODELS[name] = builder
        return builder

    return deco


@register("offline")
def _offline(settings: Settings, grammars: Sequence[Grammar]) -> BaseChatModel:
    from agent.offline import OfflineChatModel

    return OfflineChatModel.from_grammars(grammars)


@register("openai")
def _openai(settings: Settings, grammars: Sequence[Grammar]) -> BaseChatModel:
    """OpenAI, or any OpenAI-compatible server when COPILOT_LLM_BASE_URL is set."""
    from langchain_openai import ChatOpenAI

    if not settings.openai_api_key and not settings.llm_base_url:
        raise InvalidInput("The openai model needs OPENAI_API_KEY or COPILOT_LLM_BASE_URL.")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "local"
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,  # type: ignore[arg-type]
        base_url=settings.llm_base_url,
        timeout=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,  # type: ignore[call-arg]
        max_retries=2,
        temperature=0,
    )


def make_chat_model(settings: Settings, name: str | None = None,
                    grammars: Sequence[Grammar] = ()) -> BaseChatModel:
    kind = name or settings.effective_llm
    if kind not in MODELS:
        raise InvalidInput(f"Unknown model {kind!r}; choose one of {', '.join(sorted(MODELS))}.")
    return MODELS[kind](settings, grammars)


class ChatTextModel:
    """A chat model as a ``core.ports.TextModel``: one system + one user message in, the
    reply's text out."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    async def complete(self, system: str, prompt: str) -> str:
        from langchain_core.messages import HumanMessage, SystemMessage

        reply = await self.model.ainvoke([SystemMessage(system), HumanMessage(prompt)])
        return str(reply.content)
