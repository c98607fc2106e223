"""The offline model's grammar contract. Each capability contributes a ``Grammar``: one
``Intent`` per tool, with weighted trigger phrases, vetoes, and a ``build`` function that
fills the tool's arguments from the ``Entities`` found in a message (``None`` when a
required slot is missing, together with the question to ask). The offline model in
``agent/offline`` extracts the entities and combines the grammars."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Args = dict[str, Any]
Built = Args | list[Args] | None


@dataclass
class Entities:
    """What the extractor found in one message."""

    text: str
    norm: str
    symbols: list[str] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)
    percents: list[float] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    bare_ints: list[int] = field(default_factory=list)
    duration_min: int | None = None
    days: int | None = None
    channel: str | None = None
    tone: str | None = None


def has(norm: str, phrase: str) -> bool:
    """``phrase`` occurs in ``norm`` as whole words."""
    return re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", norm) is not None


@dataclass(frozen=True)
class Intent:
    tool: str
    triggers: dict[str, float]
    build: Callable[[Entities], Built]
    missing: str = "Could you say that with a bit more detail?"
    needs_symbol: bool = False
    # phrases that rule this intent out ("alerts" for get_quote, say)
    vetoes: tuple[str, ...] = field(default_factory=tuple)

    def score(self, norm: str, entities: Entities) -> float:
        if any(has(norm, v) for v in self.vetoes):
            return 0.0
        total = sum(w for phrase, w in self.triggers.items() if has(norm, phrase))
        if self.needs_symbol and entities.symbols and total > 0:
            total += 0.5
        return total


@dataclass(frozen=True)
class Grammar:
    """One capability's share of the offline model: its intents, in tie-break order, and
    word forms the typo fixer must leave alone."""

    intents: tuple[Intent, ...]
    words: frozenset[str] = frozenset()


# ---- argument builders several capabilities share ----------------------------------------

def per_symbol(extra: Callable[[Entities], Args] | None = None) -> Callable[[Entities], Built]:
    """One call per symbol in the message (``and TSLA, NVDA`` -> three calls)."""

    def build(e: Entities) -> list[Args] | None:
        if not e.symbols:
            return None
        more = extra(e) if extra else {}
        return [{"symbol": s, **more} for s in e.symbols]

    return build


def id_of(kind: str, *fallback: str) -> Callable[[Entities], int | None]:
    """The id the message gives for ``kind`` ("alert 3", "#3", or a lone number)."""

    def get(e: Entities) -> int | None:
        for k in (kind, *fallback, "id"):
            if k in e.ids:
                return e.ids[k]
        return e.bare_ints[0] if len(e.bare_ints) == 1 else None

    return get
