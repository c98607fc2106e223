"""LLM factory: a registry of chat-model builders keyed by name."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.language_models import BaseChatModel

from agent.errors import InvalidInput
from agent.settings import Settings

ModelBuilder = Callable[[Settings], BaseChatModel]
MODELS: dict[str, ModelBuilder] = {}


def register(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    def deco(builder: ModelBuilder) -> ModelBuilder:
        MODELS[name] = builder
        return builder

    return deco


@register("offline")
def _offline(settings: Settings) -> BaseChatModel:
    from agent.offline import OfflineChatModel

    return OfflineChatModel()


@register("openai")
def _openai(settings: Settings) -> BaseChatModel:
    """OpenAI, or any OpenAI-compatible server when COPILOT_LLM_BASE_URL is set."""
    from langchain_openai import ChatOpenAI

    if not settings.openai_api_key and not settings.llm_base_url:
        raise InvalidInput("The openai model needs OPENAI_API_KEY or COPILOT_LLM_BASE_URL.")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "local"
    return ChatOpenAI(
        model=settings.llm_model,
        api_key=key,
        base_url=settings.llm_base_url,
        timeout=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
        max_retries=2,
        temperature=0,
    )


def make_chat_model(settings: Settings, name: str | None = None) -> BaseChatModel:
    kind = name or settings.effective_llm
    if kind not in MODELS:
        raise InvalidInput(f"Unknown model {kind!r}; choose one of {', '.join(sorted(MODELS))}.")
    return MODELS[kind](settings)
