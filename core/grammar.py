"""The offline model's grammar contract. Each capability contributes a ``Grammar``: one
``Intent`` per tool (weighted trigger phrases, vetoes, example sentences, and a ``build``
function that fills the tool's arguments from the ``Entities`` of a message and the
``Context`` of the conversation so far), plus ``FollowUp``s that read a fragment ("make it
190", "6 months instead", "and MSFT?") against the last thing the conversation did, and
``Refusal``s for what the tools cannot do. The offline model in ``agent/offline`` extracts
the entities, reads the context from the thread and combines the grammars.

A builder returns the arguments (one call, or a list of calls), an ``Ask`` (one question,
when something essential is missing or unclear: the model asks instead of acting), or
``None`` (the intent's own ``missing`` question)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Args = dict[str, Any]


@dataclass(frozen=True)
class Ask:
    """One question instead of a tool call."""

    question: str


@dataclass(frozen=True)
class Call:
    """A call to another tool than the intent's own ("publish draft 3 tomorrow 9am" is a
    schedule)."""

    tool: str
    args: Args


Built = Args | list[Args] | Ask | Call | None


@dataclass
class Entities:
    """What the extractor found in one message."""

    text: str
    norm: str
    symbols: list[str] = field(default_factory=list)
    prices: list[float] = field(default_factory=list)
    percents: list[float] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    id_lists: dict[str, list[int]] = field(default_factory=dict)  # "alerts 3 and 5"
    bare_ints: list[int] = field(default_factory=list)
    duration_min: int | None = None
    days: int | None = None
    period: str | None = None  # a calendar period as said: "3 months", "ytd", "52-week"
    when: str | None = None  # a time as said: "tomorrow 9am", "in 2 hours", "friday's close"
    channel: str | None = None
    tone: str | None = None
    # a pronoun or demonstrative that points back ("it", "that one", "the last one")
    refers_back: bool = False

    def has(self, phrase: str) -> bool:
        return has(self.norm, phrase)


@dataclass
class Context:
    """What the conversation so far points at, newest first: read from the thread (earlier
    tool calls and their results) by the offline model. Empty on a fresh thread."""

    last_tool: str | None = None
    last_args: Args = field(default_factory=dict)
    last_calls: list[tuple[str, Args]] = field(default_factory=list)  # the last turn's
    symbols: list[str] = field(default_factory=list)  # of the last call that named any
    recent_symbols: list[str] = field(default_factory=list)  # said or looked at, oldest first
    quotes: list[Args] = field(default_factory=list)  # {symbol, price} of the last quotes
    # the tickers of the latest run of market looks (quotes, history, charts): "they all"
    looked_at: list[str] = field(default_factory=list)
    alert_id: int | None = None  # created, updated, snoozed or the only one listed
    alert: Args = field(default_factory=dict)  # its fields as last seen
    alert_before: Args = field(default_factory=dict)  # before the last update ("revert")
    alerts: list[Args] = field(default_factory=list)  # made in this conversation, oldest first
    alert_ambiguous: bool = False  # the last turn made several: "it" needs asking
    draft_id: int | None = None
    drafts: list[Args] = field(default_factory=list)  # {id, symbol, channel, decision_id}
    draft_ambiguous: bool = False
    # the draft in focus is only the newest one made (nothing singled it out since)
    draft_by_recency: bool = False
    decision_id: int | None = None
    decision_kind: str | None = None
    decision_options: list[str] = field(default_factory=list)  # its option ids, when known
    days: int | None = None
    period: str | None = None
    channel: str | None = None
    autopilot_kind: str | None = None
    silence_id: int | None = None  # the last silence or acknowledgement made
    # the silences made or listed: {id, symbol, component, topic}, for "the tsla one"
    silences: list[Args] = field(default_factory=list)
    component: str | None = None
    turns: int = 0  # earlier turns seen
    # the owner's last message when the answer to it was a question ("make it 215" ->
    # "which alert?"): the next message may be the answer ("the apple one")
    pending: str | None = None
    # the calls the offline model proposed last turn instead of making them ("Do you want
    # me to ...?"): a "yes" makes them, a "no" drops them
    proposed: list[tuple[str, Args]] = field(default_factory=list)
    # the last known price of a symbol (the quote cache; None when unknown): lets "alert me
    # when it hits 250" mean above or below
    price_of: Callable[[str], float | None] | None = None

    def price(self, symbol: str) -> float | None:
        if self.price_of is None:
            return None
        try:
            return self.price_of(symbol)
        except Exception:  # noqa: BLE001 - a hint only: unknown is fine
            return None

    @property
    def symbol(self) -> str | None:
        return self.symbols[0] if self.symbols else None


def has(norm: str, phrase: str) -> bool:
    """``phrase`` occurs in ``norm`` as whole words."""
    return re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", norm) is not None


FILLER = (r"okay|ok|so|then|now|please|pls|just|only|and|also|too|as well|well|actually|"
          r"hmm|meh|eh|ugh|welp|alright|yes|no|oh|ah|um|uh|wait|lol|haha|thanks|thank you|"
          r"cool|nice|great|"
          r"the|a|an|it|that|this|one|ones|them|those|for|on|of|to|what about|how about|"
          r"instead|again|then|right|sure|fine|go|bro|man|mate|dude|[,.!?:;-]")


def only(norm: str, allowed: str) -> bool:
    """``norm`` says nothing but ``allowed`` (a regex alternation) and filler words: a
    fragment answering or continuing the conversation, not a request of its own."""
    rest = re.sub(rf"(?<![\w])(?:{allowed}|{FILLER})(?![\w])", " ", norm)
    return not rest.strip()


Builder = Callable[[Entities, Context], Built]


@dataclass(frozen=True)
class Intent:
    """One tool's share of the grammar. ``mutating`` intents change something (create,
    delete, publish, switch autopilot): the model never guesses them from weak evidence."""

    tool: str
    triggers: dict[str, float]
    build: Builder
    missing: str = "Could you say that with a bit more detail?"
    needs_symbol: bool = False
    # phrases that rule this intent out ("alerts" for get_quote, say)
    vetoes: tuple[str, ...] = field(default_factory=tuple)
    # sentences this intent means, for the example matcher (entities are masked)
    examples: tuple[str, ...] = field(default_factory=tuple)
    mutating: bool = False
    # considered only when this holds ("draft 3" is never a new draft)
    when: Callable[[Entities, Context], bool] | None = None
    # evidence beyond trigger words, counted once a trigger is there (a calendar period
    # and a ticker suggest history) ...
    boost: Callable[[Entities, Context], float] | None = None
    # ... or on its own (a ticker, a direction and a level are an alert however it is said)
    evidence: Callable[[Entities, Context], float] | None = None

    def applies(self, entities: Entities, ctx: Context) -> bool:
        return self.when is None or self.when(entities, ctx)

    def score(self, norm: str, entities: Entities, ctx: Context | None = None) -> float:
        if any(has(norm, v) for v in self.vetoes):
            return 0.0
        total = sum(w for phrase, w in self.triggers.items() if has(norm, phrase))
        if self.needs_symbol and entities.symbols and total > 0:
            total += 0.5
        if self.boost is not None and total > 0:
            total += self.boost(entities, ctx or Context())
        if self.evidence is not None:
            total += self.evidence(entities, ctx or Context())
        return total


@dataclass(frozen=True)
class FollowUp:
    """A fragment read against the conversation: returns the call(s) it means (or an
    ``Ask``) when it applies, else None. Tried when no intent is clearly asked for."""

    name: str
    apply: Callable[[Entities, Context], tuple[str, Built] | None]


@dataclass(frozen=True)
class Refusal:
    """Something the tools cannot do, said plainly with what can be done instead."""

    name: str
    pattern: str  # a regular expression over the normalised message
    reply: str


@dataclass(frozen=True)
class Grammar:
    """One capability's share of the offline model: its intents, in tie-break order, its
    follow-ups and refusals, and word forms the typo fixer must leave alone."""

    intents: tuple[Intent, ...]
    words: frozenset[str] = frozenset()
    follow_ups: tuple[FollowUp, ...] = ()
    refusals: tuple[Refusal, ...] = ()


# ---- argument builders several capabilities share ----------------------------------------

PLURAL_REF = re.compile(r"\b(one of (?:them|those|these|the two|my alerts|the alerts|the drafts)|"
                        r"either (?:one|of them)|which ever|whichever)\b")
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "older": 0,
             "earlier": 0, "last": -1, "latest": -1, "newest": -1, "newer": -1, "recent": -1}


# "make it 250", "set that to 255": the number is the new value ("change that 250 alert to
# 255": 250 names the alert)
MAKE_IT = re.compile(r"\b(?:make|set|change|move|bump|raise|lower|put)\s+(?:it|that|this)\s+"
                     r"(?:to\s+|at\s+)?\$?\d+(?:\.\d+)?(?![\d.])\s*(?:k\b|%|bucks|dollars)?"
                     r"(?!\s*(?:one|alert|rule)\b)")


def pick(candidates: list[Args], e: Entities, current: int | None = None) -> Args | None:
    """The one of ``candidates`` (alerts or drafts seen in the conversation) a message
    singles out: by its ticker ("the apple one"), channel ("the blog one"), order ("the
    first one", "the other"), or level ("the lower one"). None when it singles out none."""
    if len(candidates) < 2:
        return None
    found = [c for c in candidates if c.get("symbol") in e.symbols] if e.symbols else []
    if len(found) == 1:
        return found[0]
    pool = found or candidates
    if e.channel:
        by_channel = [c for c in pool if c.get("channel") == e.channel]
        if len(by_channel) == 1:
            return by_channel[0]
    if re.search(r"\bthe other\b|\bother one\b", e.norm) and current is not None:
        others = [c for c in pool if c.get("id") != current]
        if len(others) == 1:
            return others[0]
    for word, index in _ORDINALS.items():
        if re.search(rf"\b(the )?{word}( one)?\b", e.norm) and not re.search(
                rf"\b{word} (hour|day|week|month|minute|session|time)", e.norm):
            return pool[index] if -len(pool) <= index < len(pool) else None
    levels = [c for c in pool if isinstance(c.get("threshold"), int | float)]
    if len(levels) == len(pool):
        at = [c for c in levels if any(abs(float(c["threshold"]) - p) < 1e-6 for p in e.prices)
              and not MAKE_IT.search(e.norm)]  # "make it 250": 250 is the new value
        if len(at) == 1:  # "the 250"
            return at[0]
        if re.search(r"\b(lower|lowest|smaller|bottom)\b", e.norm):
            return min(levels, key=lambda c: c["threshold"])
        if re.search(r"\b(higher|highest|bigger|upper|top)\b", e.norm):
            return max(levels, key=lambda c: c["threshold"])
    named = re.search(r"\bthe (\w+) one\b", e.norm)
    if named and not found:  # "the fed one": a word of its topic (not a ticker said again)
        by_topic = [c for c in pool if named.group(1) in str(c.get("topic", "")).lower().split()]
        if len(by_topic) == 1:
            return by_topic[0]
        from core.symbols import KINDS  # "the bank one": the one ticker of that kind

        by_kind = [c for c in pool if c.get("symbol") in KINDS.get(named.group(1), ())]
        if len(by_kind) == 1:
            return by_kind[0]
    return found[0] if len(found) == 1 else None

def per_symbol(extra: Callable[[Entities], Args] | None = None) -> Builder:
    """One call per symbol in the message (``and TSLA, NVDA`` -> three calls); with no
    symbol but a reference back ("chart it"), the conversation's symbols."""

    def build(e: Entities, ctx: Context) -> list[Args] | None:
        symbols = e.symbols or ctx.symbols
        if not symbols:
            return None
        more = extra(e) if extra else {}
        return [{"symbol": s, **more} for s in symbols]

    return build


def id_of(kind: str, *fallback: str) -> Callable[[Entities], int | None]:
    """The id the message gives for ``kind`` ("alert 3", "#3", or a lone number)."""

    def get(e: Entities) -> int | None:
        for k in (kind, *fallback, "id"):
            if k in e.ids:
                return e.ids[k]
        return e.bare_ints[0] if len(e.bare_ints) == 1 else None

    return get
