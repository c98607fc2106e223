"""What the offline model says when no tool is called: greetings, thanks, who it is, what
it can do, an honest sentence for general questions, and the answer written from tool
results."""

from __future__ import annotations

import json
import re

from langchain_core.messages import BaseMessage, ToolMessage

CAPABILITIES = (
    "I can get quotes (\"what's AAPL at?\"), history and charts (\"chart NVDA 6 months\"), "
    "tell you if the market is open, manage your watchlist and price alerts (\"alert me "
    "when TSLA crosses 250\", \"make it 260\", \"what fired today?\"), draft, edit, schedule "
    "and publish posts, check system health and recent errors, review your architecture, "
    "brief you, and walk you through pending decisions (with undo and autopilot)."
)
MODEL_HINT = (
    "Offline I only know my own tools, not general knowledge; to ask me anything, switch on "
    "a model: set OPENAI_API_KEY, or COPILOT_LLM_BASE_URL for a local OpenAI-compatible "
    "server (Ollama, vLLM, llama.cpp)."
)
NOT_SURE = "I'm not sure what you need. " + CAPABILITIES

SMALL_TALK: tuple[tuple[str, str], ...] = (
    (r"^(?:(?:hi|hello|hey|heya|hiya|yo|gm|good (?:morning|afternoon|evening)|sup|howdy|"
     r"what's up|whats up|wassup)(?: there| bot| copilot| buddy| man| bro| fam| team| all| "
     r"everyone|victor)*|hi+|he+y+)$",
     "Hi! " + CAPABILITIES),
    (r"^(?:(?:thanks|thank you|thx|ty|tysm|cheers|thnx|much appreciated|appreciate it|"
     r"nice|great|perfect|awesome|cool|ok|okay|k|kk|got it|sounds good|good bot|nice one|"
     r"legend|lovely|sweet|noted)(?: a lot| so much| man| bro| mate| buddy| bot| again)*)+$",
     "You're welcome."),
    (r"^(?:ok |okay |alright |great |perfect )?(?:thanks|thank you|thx|ty|cheers|much "
     r"appreciated|appreciate (?:it|that|the help))\b(?: (?:for|a lot|so much|again|very much)"
     r"\b[^,]{0,30})?(?:,? (?:you are|you're|youre|that was|that is|thats) (?:very |so |"
     r"really )?(?:kind|helpful|great|the best|awesome|a star|a legend)|,? (?:man|bro|mate))?$",
     "You're welcome."),
    (r"^(?:(?:hi|hello|hey|yo) )?(?:are you|you) (?:there|online|up|awake|alive|around|"
     r"working|here)\b", "I'm here. " + CAPABILITIES),
    (r"\b(?:who are you|what are you|are you a bot|are you human|are you an? ai|your name|"
     r"who made you|who built you|introduce yourself)\b",
     "I'm victor-copilot, your trading co-pilot. " + CAPABILITIES),
    (r"^(?:help|commands|menu|\?|what can you do|what do you do|how do i use (?:you|this)|"
     r"what can i ask|what can i do|what are your commands|options)\b|\bwhat can you do\b|"
     r"\bwhat (?:else )?can you help\b|\bhow does this work\b|\bwhat can i ask you\b",
     CAPABILITIES),
    (r"^(?:bye|goodbye|cya|see ya|later|gn|good night|night)\b", "Talk soon."),
)
GENERAL = re.compile(
    r"^(?:what(?:'s| is| are| was| were)|who(?:'s| is| was| are)|why|how (?:does|do|did|is|"
    r"are|can|many|much|old|far)|when (?:is|was|did|does)|where (?:is|was|are)|explain|"
    r"define|tell me (?:about|a joke)|can you explain|what does|should i|is it (?:a good|"
    r"smart|wise)|will)\b|\b(?:diff|difference) between\b|\bmeaning of\b|\bhow to\b")


def small_talk(norm: str) -> tuple[str, bool] | None:
    """The reply to a greeting, thanks or question about the co-pilot, and whether that is
    the whole message ("ok thank you, you are very kind")."""
    for pattern, reply in SMALL_TALK:
        if re.search(pattern, norm):
            return reply, pattern.endswith("$")
    return None


def general_question(norm: str) -> bool:
    return bool(GENERAL.search(norm))


def text_of(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


def write_answer(results: list[ToolMessage]) -> str:
    """The tools' own summaries, in order; errors as the sentence the tool gave."""
    lines = []
    for msg in results:
        content = text_of(msg)
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
