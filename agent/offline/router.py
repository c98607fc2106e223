"""From one message (and the conversation's context) to tool calls, a question, or a
sentence. The order of reading:

1. what the tools cannot do (indicator alerts, orders, advice) is refused, saying what
   can be done instead: never approximated by something that can;
2. the answer to a question asked last turn ("which alert?" -> "the apple one") completes
   the message that was asked about;
3. each intent is scored by its trigger phrases plus its nearest examples;
4. in a conversation, a fragment ("make it 190", "6 months instead", "and MSFT?") is read
   as a follow-up of what the conversation did last;
5. a clear intent builds its arguments from the message and the context, or asks; two
   clear intents joined by "and"/"then" are both done;
6. greetings, thanks and questions about the co-pilot get an answer; a bare ticker a
   quote; anything else one sentence saying what it can do.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from agent.offline.examples import ExampleIndex, mask
from agent.offline.extract import extract
from agent.offline.normalize import fix_typos, simplify
from agent.offline.talk import MODEL_HINT, NOT_SURE, general_question, small_talk
from core.grammar import (
    Ask,
    Built,
    Call,
    Context,
    Entities,
    FollowUp,
    Grammar,
    Intent,
    Refusal,
    pick,
)
from core.symbols import NAME_TO_SYMBOL, UNIVERSE

MIN_SCORE = 2.0  # a rule score this high names an intent on its own
EXAMPLE_WEIGHT = 4.0  # how much the nearest examples add to the rule score
EXAMPLE_ALONE = 0.55  # an example similarity this high names an intent without a trigger
ON_TOPIC = 0.25  # what a read-only intent of the capability the conversation is on gains
SHORT = 6  # words: a message this short in a conversation may be a follow-up
FRAGMENT = re.compile(
    r"^(?:(?:okay|no|yes|hmm|wait|actually|and|but|also|oh|ah|cool|great|nice|sorry|"
    r"please|then|so|oops|meh|hm)\s+)*"
    r"(?:make it|make that|change it to|change that to|set it to|move it to|bump it to|"
    r"lower it to|raise it to|instead|same for|same with|same thing for|do the same for|"
    r"and|what about|how about|now|also|for|with|over|but|only|just|try|have it|let it)\b")
REPEATABLE = {"draft_content"}  # "a discord post on AMD and a blog post on the AI trade"
# a message opening like this continues the conversation, whatever its length
OPENER = re.compile(r"^(?:actually|no|nah|hmm+|wait|oh|oops|okay|also|and|but|then|so|instead|"
                    r"force|yes|sure|go ahead|do it|do not|dont|stop|undo|revert|"
                    r"(?:turn|switch|make|set|put|take|move|push|change|snooze|delete|kill|"
                    r"skip|publish|chart|show|keep|drop|remove) (?:it|that|them|those|this)|"
                    r"(?:the|that) \w+ one)\b")
SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s+-\s+|,\s+(?=i |i'm |im |i'll |ill |because |cuz |"
                      r"since |after )")
# a question about what happened or what is, not a request: it never changes anything
QUESTION = re.compile(r"^(?:(?:hmm|so|okay|wait|and|but|btw|hey|yo)\s+)*(?:did|does|do|was|were|has|"
                      r"have|had|is|are|why|when did|when will|when does|when is|what time|"
                      r"how come|how many|should i|would it|will it|will they|has it|have they|"
                      r"what happened|what happens|how (?:do|does|did|can|could|would|will|should)|how to|"
                      r"is there (?:a|an|any)|can i)\b(?! you\b)")
# "i might publish that later", "thinking of deleting it": not an order (unless it says when)
_MUTATING_STEM = (r"(?:publish|post|send|ship|delet|remov|kill|nuk|drop|snooz|mut|schedul|queu|"
                  r"draft|writ|edit|undo|revert|dismiss|approv|skip)\w*")
_THINKING = r"(?:i might|i may|maybe i will|maybe i'll|maybe ill|(?:i am |i'm |im )?thinking (?:of|about))"
HEDGED = re.compile(
    rf"\b(?:{_THINKING}\s+(?:\w+\s+)?{_MUTATING_STEM}|"  # "thinking about deleting that one"
    rf"(?:maybe|i'll|ill|i will)\s+(?:\w+\s+)?{_MUTATING_STEM}(?:\s+\w+){{0,2}}\s+"
    r"(?:later|some ?day|at some point|eventually|dunno|idk|not now|maybe)\b)")
# "don't publish it", "no need to draft anything": a refusal of that very action
NEGATED = re.compile(r"\b(?:do not|never|no need to|not yet|hold off(?: on)?|do not want to|without)\s+"
                     r"(?:\w+\s+)?(publish\w*|post\w*|send\w*|ship\w*|delete\w*|remove\w*|"
                     r"draft\w*|write\w*|schedule\w*|skip\w*|undo\w*|kill\w*|nuke\w*|"
                     r"enable\w*|disable\w*)\b")
# verbs that make a message a request of its own
ACTION_WORD = re.compile(r"\b(show|open|read|see|delete|remove|kill|drop|scrap|publish|post|send|"
                         r"ship|skip|schedule|queue|edit|rename|rewrite|make|change|update|set|"
                         r"alert|ping|notify|snooze|mute|silence|unmute|lift|chart|quote|draft|"
                         r"write|list|undo|revert|approve|dismiss|ack|acknowledge|add|track|"
                         r"watch|compare|review|enable|disable|turn)\b")
# a verb with nothing to act on
VAGUE = re.compile(r"^(?:(?:okay|ok|so|now|and|then)\s+)*(?:show|list|check|open|see|get|"
                   r"give|display|pull up)(?: me| it| them| that| this| up)?(?: please| pls| now)?$")
# the sentence of a long message that asks for something
REQUEST = re.compile(r"^(?:(?:so|ok|okay|anyway|and|but|now|then|hey)\s+)*(?:can you|could you|"
                     r"would you|please|pls|pull|show|get|give|check|list|tell me|set|alert|"
                     r"draft|write|ping|let me know|lmk)\b")
HOW_TO = re.compile(r"\bhow (?:do|can|could|would|should) (?:i|we|you)\b|\bhow to\b|"
                    r"^(?:\w+\s+)?can i\b|\bis there a way\b")
_YES_WORDS = (r"(?:yes|sure|do it|go ahead|go for it|confirm(?:ed)?|correct|right|please do|"
              r"please|absolutely|send it|ship it|okay|yes do it|that is right|exactly)")
YES = re.compile(rf"^(?:(?:oh|well|so|yes|okay)\s+)*{_YES_WORDS}(?:\s+{_YES_WORDS})*"
                 r"(?:\s+(?:thanks|thank you|thx|ty|pls))?[\s.!]*$")
NO = re.compile(r"^(?:(?:oh|well|so|okay)\s+)*(?:no|nope|do not|dont|cancel|never ?mind|nvm|"
                r"forget it|leave it|stop|skip it)\b")
SPLIT = re.compile(r"\s*(?:,\s*)?\b(?:and then|then|and also|and|also|plus)\b\s*|\s*;\s*")


@dataclass
class Reading:
    """How a message was read: the calls it means, or what to say instead."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reply: str = ""
    intent: str | None = None  # for evals and logs: which rule or intent decided
    asked: bool = False  # the reply is a question about the message
    proposed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # if "yes"


class Router:
    def __init__(self, grammars: Sequence[Grammar], vocabulary: frozenset[str]) -> None:
        self.intents: list[Intent] = [i for g in grammars for i in g.intents]
        # which capability each tool belongs to: a near tie goes to the one the
        # conversation is on ("what do i have scheduled" after scheduling a draft)
        self.family = {i.tool: n for n, g in enumerate(grammars) for i in g.intents}
        self.follow_ups: list[FollowUp] = [f for g in grammars for f in g.follow_ups]
        self.refusals: list[Refusal] = [r for g in grammars for r in g.refusals]
        self.vocabulary = vocabulary
        self.protected = frozenset(
            {s.lower() for s in UNIVERSE} | {w for n in NAME_TO_SYMBOL for w in n.split()})
        self.index = ExampleIndex(
            (intent.tool, ex) for intent in self.intents for ex in intent.examples)

    # ---- reading -------------------------------------------------------------------------
    def read(self, text: str, tool_names: set[str], ctx: Context | None = None) -> Reading:
        reading = self._read(text, tool_names, ctx)
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s.strip()]
        if not reading.calls or len(sentences) < 3:
            return reading
        # a story then a request ("... the scanner was timing out for 20 min ... can you pull
        # the errors of the last hour"): the request's own words give the arguments
        asked = [s for s in sentences if REQUEST.search(simplify(s))]
        if not asked:
            return reading
        alone = self._read(asked[-1], tool_names, ctx)
        same = {n for n, _ in alone.calls} == {n for n, _ in reading.calls}
        return alone if alone.calls and same else reading

    def _read(self, text: str, tool_names: set[str], ctx: Context | None = None) -> Reading:
        ctx = ctx or Context()
        norm = fix_typos(simplify(text), self.vocabulary, self.protected)
        if not norm:
            return Reading(reply=NOT_SURE, intent="empty")
        e = extract(text, norm)
        if ctx.proposed:  # the answer to "Do you want me to ...?"
            if YES.match(norm):
                return Reading(calls=list(ctx.proposed), intent="confirmed")
            if NO.match(norm):
                return Reading(reply="Okay, I left everything as it was.", intent="declined")
        for refusal in self.refusals:
            if re.search(refusal.pattern, norm):
                return Reading(reply=refusal.reply, intent=f"refuse:{refusal.name}")
        if VAGUE.match(norm) and not ctx.last_tool:  # "show me", with nothing to show yet
            return Reading(reply="Show you what: your alerts, drafts, watchlist, what's "
                                 "pending, or a chart (\"chart NVDA 6 months\")?",
                           intent="ask:vague", asked=True)
        said = small_talk(norm)
        talk = said[0] if said else None
        if said and (len(norm.split()) <= 4 or said[1]) and not e.symbols:
            return Reading(reply=said[0], intent="talk")
        ranked = self.rank(norm, e, tool_names, ctx)
        best_score, best = ranked[0] if ranked else (0.0, None)
        # a request of its own ("skip draft 2", "show me draft 1") is no answer to the open
        # question, whatever that question was about: its own words decide
        own = bool(ranked) and (ranked[0][1].score(norm, e, ctx) >= MIN_SCORE or bool(
            e.ids) and best_score >= MIN_SCORE) and bool(ACTION_WORD.search(norm))
        if ctx.pending and len(norm.split()) <= 4 and not own:  # "the feed", "the apple one"
            answered = self._answer(ctx, e, text, tool_names)
            if answered is not None:
                return answered
        alone = self._intended(text, norm, e, ctx, tool_names, ranked)
        if ctx.pending and not own and len(norm.split()) <= SHORT + 2 and not (
                alone is not None and alone.calls and best_score >= MIN_SCORE + 2):
            answered = self._answer(ctx, e, text, tool_names)
            if answered is not None:
                return answered
        if alone is not None:
            return alone
        if talk:
            return Reading(reply=talk, intent="talk")
        if e.symbols and not general_question(norm):
            quote = next((i for i in self.intents if i.tool == "get_quote"
                          and i.tool in tool_names), None)
            if quote is not None:
                return self._built(quote.tool, quote.build(e, ctx), quote, "bare-symbol")
        if general_question(norm):
            return Reading(reply=MODEL_HINT, intent="general")
        return Reading(reply=NOT_SURE, intent="not-sure")

    def _intended(self, text: str, norm: str, e: Entities, ctx: Context, tool_names: set[str],
                  ranked: list[tuple[float, Intent]]) -> Reading | None:
        """The message read on its own: a follow-up of the conversation, or a clear intent."""
        best_score, best = ranked[0] if ranked else (0.0, None)
        if ctx.last_tool and (FRAGMENT.match(norm) or OPENER.match(norm)
                              or len(norm.split()) <= SHORT or best_score < MIN_SCORE):
            followed = self._follow(e, ctx, tool_names)
            if followed is not None:
                return followed
            first = SENTENCE.split(text.strip(), maxsplit=1)[0]
            if first != text.strip():  # "Actually, skip it. I'll write this one by hand."
                first_norm = fix_typos(simplify(first), self.vocabulary, self.protected)
                followed = self._follow(extract(first, first_norm), ctx, tool_names)
                if followed is not None:
                    return followed
        negated = NEGATED.search(norm)
        if best is not None and best.mutating and negated and best_score >= MIN_SCORE:
            return Reading(reply=f"Understood: I won't {negated.group(1)} anything. Say what "
                                 "you'd like instead, or 'what's pending' to see what's open.",
                           intent=f"negated:{best.tool}")
        if best is not None and best.mutating and HEDGED.search(norm) and e.when is None:
            return Reading(reply="Okay, I'll leave it as it is; say when you want it done "
                                 "(\"publish draft 1\", \"schedule it for 9am\").",
                           intent=f"hedged:{best.tool}")
        if best is not None and best.mutating and QUESTION.search(norm):
            if HOW_TO.search(norm) and best_score >= MIN_SCORE and best.examples:
                # "how do i delete an alert?": how to say it, and nothing done
                said = how_to_say(best.examples[0])
                return Reading(reply=f"Say e.g. \"{said}\" and I'll do it.",
                               intent=f"how-to:{best.tool}")
            # "did it publish?", "was alert 3 deleted?": asked, not ordered
            quiet = [(sc, i) for sc, i in ranked if not i.mutating]
            best_score, best = quiet[0] if quiet else (0.0, None)
        if best is not None and best_score >= MIN_SCORE:
            several = self._several(text, norm, tool_names, ctx, best)
            if several is not None:
                return several
            built = self._built(best.tool, best.build(e, ctx), best, best.tool)
            if built.calls and best.mutating and best.score(norm, e, ctx) <= 0.0:
                # it only resembles a request (no word of it says so): proposed, not done
                return Reading(reply=f"Do you want me to {proposal(built.calls)}? "
                                     "Say yes to go ahead.",
                               intent=f"propose:{best.tool}", asked=True,
                               proposed=built.calls)
            return built
        return None

    def rank(self, norm: str, e: Entities, tool_names: set[str],
             ctx: Context | None = None) -> list[tuple[float, Intent]]:
        ctx = ctx or Context()
        near = self.index.scores(mask(norm, e.symbols))
        scored = []
        for order, intent in enumerate(self.intents):
            if intent.tool not in tool_names or not intent.applies(e, ctx):
                continue
            rule = intent.score(norm, e, ctx)
            if rule == 0.0 and any(re.search(rf"(?<![\w]){re.escape(v)}(?![\w])", norm)
                                   for v in intent.vetoes):
                continue
            sim = near.get(intent.tool, 0.0)
            total = rule + EXAMPLE_WEIGHT * sim
            if rule > 0 and not intent.mutating and ctx.last_tool is not None and \
                    self.family.get(ctx.last_tool) == self.family.get(intent.tool):
                total += ON_TOPIC
            if rule == 0.0 and sim < EXAMPLE_ALONE:
                total = min(total, MIN_SCORE - 0.01)
            scored.append((total - order * 1e-6, intent))
        scored.sort(key=lambda pair: pair[0], reverse=True)
        return scored

    # ---- conversations -------------------------------------------------------------------
    def _follow(self, e: Entities, ctx: Context, tool_names: set[str]) -> Reading | None:
        for follow in self.follow_ups:
            found = follow.apply(e, ctx)
            if found is None:
                continue
            tool, built = found
            if tool in tool_names or isinstance(built, Ask):
                return self._built(tool, built, None, f"follow:{follow.name}")
        return None

    def _answer(self, ctx: Context, e: Entities, text: str,
                tool_names: set[str]) -> Reading | None:
        """The message answers the question asked about ``ctx.pending``: read that message
        again with what this one singles out (an alert, a draft, a ticker, a time)."""
        narrowed = replace(ctx, pending=None)
        chosen = pick(ctx.alerts, e, ctx.alert_id)
        if chosen is not None:
            narrowed = replace(narrowed, alerts=[chosen], alert_id=chosen.get("id"),
                               alert=chosen, alert_ambiguous=False,
                               symbols=[chosen["symbol"]] if chosen.get("symbol") else
                               narrowed.symbols)
        draft = pick(ctx.drafts, e, ctx.draft_id)
        if draft is not None:
            narrowed = replace(narrowed, drafts=[draft], draft_id=draft.get("id"),
                               draft_ambiguous=False)
        if chosen is None and draft is None and e.symbols:
            narrowed = replace(narrowed, symbols=e.symbols)
        pending = ctx.pending or ""
        again = self.read(f"{pending} {text}" if chosen is None and draft is None
                          else pending, tool_names, narrowed)
        return again if again.calls else None

    def _several(self, text: str, norm: str, tool_names: set[str], ctx: Context,
                 best: Intent) -> Reading | None:
        """'quote TSLA and chart it ytd', 'check health and show me errors': two clear
        requests joined by and/then, each done; a later "it" is the earlier ticker."""
        parts = [p for p in SPLIT.split(text) if p and p.strip()]
        if len(parts) < 2 or len(norm.split()) > 18:  # a long message is one request with context
            return None
        readings: list[Reading] = []
        tools: list[str] = []
        local = ctx
        for part in parts:
            part_norm = fix_typos(simplify(part), self.vocabulary, self.protected)
            pe = extract(part, part_norm)
            ranked = self.rank(part_norm, pe, tool_names, local)
            score, intent = ranked[0] if ranked else (0.0, None)
            if intent is None or score < MIN_SCORE or intent.score(part_norm, pe, local) <= 0 or (
                    intent.tool in tools and intent.tool not in REPEATABLE):
                return None  # each part must say what it wants in words, not by resemblance
            reading = self._built(intent.tool, intent.build(pe, local), intent, intent.tool)
            if not reading.calls:
                return None
            readings.append(reading)
            tools.append(intent.tool)
            symbols = [a["symbol"] for _, a in reading.calls if a.get("symbol")]
            if symbols:
                local = replace(local, symbols=symbols)
        if best.tool not in tools:
            return None
        return Reading(calls=[c for r in readings for c in r.calls], intent="+".join(tools))

    @staticmethod
    def _built(tool: str, built: Built, intent: Intent | None, why: str) -> Reading:
        if isinstance(built, Ask):
            return Reading(reply=built.question, intent=f"ask:{why}", asked=True)
        if built is None:
            missing = intent.missing if intent is not None else NOT_SURE
            return Reading(reply=missing, intent=f"missing:{why}", asked=True)
        if isinstance(built, Call):
            return Reading(calls=[(built.tool, built.args)], intent=f"{why}->{built.tool}")
        calls = built if isinstance(built, list) else [built]
        return Reading(calls=[(tool, args) for args in calls], intent=why)


def tool_calls(reading: Reading) -> list[dict[str, Any]]:
    return [{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}",
             "type": "tool_call"} for name, args in reading.calls]


def proposal(calls: list[tuple[str, dict[str, Any]]]) -> str:
    """'create_alert AAPL above 250' as words for a question."""
    said = []
    for name, args in calls:
        words = " ".join(str(v) for k, v in args.items() if v not in (None, "", [], {})
                         and k not in ("topic", "instruction", "body"))
        said.append(f"{name.replace('_', ' ')}" + (f" ({words})" if words else ""))
    return " and ".join(said)


def how_to_say(example: str) -> str:
    """An intent's example as the owner could type it ("delete draft ref" -> "delete
    draft 3")."""
    for placeholder, value in (("sym", "TSLA"), ("ref", "3"), ("num", "250"), ("pct", "5%")):
        example = re.sub(rf"\b{placeholder}\b", value, example)
    return example
