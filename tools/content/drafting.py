"""Drafts from signals: gather the data, fill the channel's template in a voice (the tone),
optionally let an LLM polish it, and keep the polish only if it invents no number.

A draft reads like a person wrote it: its title is the topic, cleaned of the words of the
request that asked for it; the tone shapes the headline, the opening, the take and the
closing (neutral stays neutral); a draft without a ticker talks about its topic (movers
only for market recaps); and a take never contradicts the draft's own data: a bearish
take on a stock that went up says so, plainly, with the figure."""

from __future__ import annotations

import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from prompts import load_prompt
from tools.content.grounding import ungrounded

DISCORD_LIMIT = 2000
TONES = ("neutral", "bullish", "bearish", "cautious", "educational", "hype", "casual")
# what people say for a tone -> the tone it is written in
_SAID = {  # what people say for a tone -> the tone it is written in
    "neutral": "formal professional serious factual objective balanced plain sober calm calmer",
    "bullish": "optimistic positive upbeat bull",
    "bearish": "pessimistic negative gloomy bear",
    "cautious": "careful measured conservative skeptical sceptical",
    "educational": "informative explanatory teaching explainer",
    "hype": "excited exciting enthusiastic hyped energetic punchy snappy",
    "casual": "friendly conversational relaxed fun funny playful informal chill",
}
TONE_WORDS: dict[str, str] = {**{t: t for t in TONES},
                              **{w: t for t, words in _SAID.items() for w in words.split()}}
MARKET_TOPIC = re.compile(r"\b(markets?|movers?|recaps?|wrap(?:-?up)?|round-?up|watchlist|"
                          r"weekly|(?:the|this|last) week)\b", re.IGNORECASE)
MILD, STRONG = 1.5, 5.0  # % moves: below MILD is flat; from STRONG on, a view against it is contrarian


class Polisher(Protocol):
    """An LLM rewrite: ``(text, channel, tone)`` polishes a draft; with an ``instruction``
    it applies the owner's edit request ("make it punchier") instead."""

    def __call__(self, text: str, channel: str, tone: str, instruction: str = "", /
                 ) -> Awaitable[str]: ...


def canonical_tone(tone: str | None) -> str | None:
    """'Optimistic' -> 'bullish'; None for a tone the drafts are not written in."""
    if tone is None:
        return None
    return TONE_WORDS.get(tone.strip().lower())


def tone_choices() -> str:
    return ", ".join(TONES)


@dataclass
class Drafted:
    title: str
    body: str
    html: str = ""
    excerpt: str = ""
    tags: list[str] = field(default_factory=list)
    polished: bool = False
    note: str = ""


def markdown_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(text)


# ---- titles ------------------------------------------------------------------------------
def short_name(name: str) -> str:
    """'Apple Inc.' -> 'Apple', 'NVIDIA Corporation' -> 'NVIDIA'."""
    out = re.sub(r",?\s+(Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|plc|Ltd\.?|"
                 r"Holdings,? Inc\.?|Platforms,? Inc\.?|Technologies Inc\.?|Group, Inc\.|"
                 r"Class [A-Z])$", "", name.strip())
    out = re.sub(r"^The\s+", "", out)
    return out if out and out != name else name


def title_for(topic: str, data: dict[str, Any]) -> str:
    """The draft's title: its topic, capitalized; a bare ticker or company name becomes
    'Apple (AAPL)'."""
    from core.symbols import NAME_TO_SYMBOL

    sym = data.get("symbol")
    bare = topic.strip().lower()
    if sym and (bare in (sym.lower(), f"${sym.lower()}") or NAME_TO_SYMBOL.get(bare) == sym):
        name = short_name(str(data.get("name") or sym))
        return f"{name} ({sym})" if name.upper() != sym.upper() else sym
    title = topic[:1].upper() + topic[1:]
    return title[:120].rstrip()


def is_market_topic(topic: str) -> bool:
    return bool(MARKET_TOPIC.search(topic))


# ---- what the data says: the trend a take must agree with (or say it goes against) --------
@dataclass(frozen=True)
class Trend:
    direction: int  # +1 up, -1 down, 0 flat
    strong: bool
    move: str  # "up 25.3% over 30 sessions" (empty for the movers)
    subject: str  # "the stock", "today's biggest movers"

    @property
    def evidence(self) -> str:
        if self.move:
            return f"{self.subject} is {self.move}"
        word = {1: "mostly higher", -1: "mostly lower", 0: "mixed"}[self.direction]
        return f"{self.subject} are {word}"


def trend_of(data: dict[str, Any]) -> Trend | None:
    h, q, movers = data.get("history"), data.get("quote"), data.get("movers")
    if h and h.get("days"):
        pct, span = float(h["change_pct"]), f"over {h['days']} sessions"
    elif q:
        pct, span = float(q["change_pct"]), "on the day"
    elif movers:
        ups = sum(1 for m in movers if m["change_pct"] > 0)
        downs = sum(1 for m in movers if m["change_pct"] < 0)
        mean = sum(m["change_pct"] for m in movers) / len(movers)
        direction = 1 if ups > downs and mean > 0 else -1 if downs > ups and mean < 0 else 0
        return Trend(direction, abs(mean) >= STRONG / 2, "", "today's biggest movers")
    else:
        return None
    direction = 0 if abs(pct) < MILD else (1 if pct > 0 else -1)
    move = (f"roughly flat {span}" if direction == 0
            else f"{'up' if pct > 0 else 'down'} {abs(pct):.1f}% {span}")
    kind = "coin" if str(data.get("symbol", "")).endswith("-USD") else "stock"
    return Trend(direction, abs(pct) >= STRONG, move, f"the {kind}")


def _range_spot(data: dict[str, Any]) -> str:
    h = data.get("history")
    if not h or h["high"] <= h["low"]:
        return ""
    where = (h["last_close"] - h["low"]) / (h["high"] - h["low"])
    return ("near the top of its range" if where >= 0.75 else
            "near the bottom of its range" if where <= 0.25 else "mid-range")


# ---- voices: each tone's headline, opening, take and closing -----------------------------
@dataclass(frozen=True)
class Voice:
    kicker: str  # the headline's framing: "{title}: the bull case"
    heading: str  # the blog's take section
    opener: str  # about a ticker or the market ({subject})
    opener_topic: str  # about a topic without data ({topic})
    take_topic: str  # the take without data
    closing: str
    lean: int = 0  # +1 bullish, -1 bearish: the take must agree with the data or say so


VOICES: dict[str, Voice] = {
    "neutral": Voice(
        "{title}", "What I'm watching",
        "A quick look at {subject}.", "A few notes on {topic}.",
        "No levels or figures this time, just the topic and why it's worth a few minutes of "
        "your attention.",
        "I'll update this if the picture changes."),
    "bullish": Voice(
        "{title}: the bull case", "The bull case",
        "I'm leaning bullish on {subject}, and here's why.",
        "I'm leaning bullish on {topic}, and here's the short version.",
        "The way I see it, {topic} is more likely to help than hurt from here, and I'd rather "
        "be early than late on it.",
        "Watching for buyers to follow through. Tell me where I'm wrong.", lean=1),
    "bearish": Voice(
        "{title}: the bear case", "The bear case",
        "I'm leaning bearish on {subject}, and here's why.",
        "I'm leaning bearish on {topic}, and here's the short version.",
        "The way I see it, {topic} is more likely to hurt than help from here, and I'd rather "
        "stay careful until that changes.",
        "Protect the downside; there's always another trade.", lean=-1),
    "cautious": Voice(
        "{title}: not so fast", "Why I'm not rushing",
        "{Subject} is worth a look, but I'm not rushing in.",
        "{Topic} is worth a look, but I'm not rushing in.",
        "Interesting, but not a reason to rush: I'd wait for the market to confirm it first.",
        "No position is also a position."),
    "educational": Voice(
        "{title}, explained", "What to take from it",
        "{Subject} makes a good case study in reading price action.",
        "Let's break down {topic}.",
        "The useful question is what {topic} changes for your risk: how big a position, "
        "where you'd be wrong, and what would make you step aside.",
        "Questions welcome: ask and I'll go deeper."),
    "hype": Voice(
        "👀 {title}: all eyes on this one", "Why everyone's talking about it",
        "Okay, {subject} has my full attention!",
        "Okay, {topic} has my full attention!",
        "This is the kind of thing that gets the whole chat talking, and I'm here for it. 🔥",
        "Who's watching this one with me? 👀"),
    "casual": Voice(
        "{title}, quick thoughts", "My two cents",
        "Quick one on {subject}.", "Quick one on {topic}.",
        "Just putting it on the radar; curious how it plays out.",
        "Anyway, that's my two cents."),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def take_for(tone: str, trend: Trend, data: dict[str, Any]) -> str:
    """The take in this tone, in agreement with the data — or saying plainly that it is not."""
    voice = VOICES[tone]
    ev = trend.evidence
    if voice.lean:
        bull = voice.lean > 0
        side, other = ("buyers", "sellers") if bull else ("sellers", "buyers")
        if trend.direction == voice.lean:
            return (f"The data is on my side: {ev}. The question now is whether {side} "
                    f"defend the move on the next {'pullback' if bull else 'bounce'}.")
        if trend.direction == 0:
            return (f"Nothing decisive yet: {ev}. I think the next leg is "
                    f"{'higher' if bull else 'lower'}, and "
                    f"{'a push through the top' if bull else 'a break of the bottom'} of the "
                    "range would confirm it.")
        if trend.strong:
            return (f"I'm {'bullish' if bull else 'bearish'}, though {ev}, so this is a "
                    f"contrarian view: a call on the move running out of steam, and it needs "
                    f"{side} to show up before it's more than a hunch.")
        return (f"I'm early here, though: {ev}, so I'd want to see {side} take over from the "
                f"{other} before leaning on it.")
    spot = _range_spot(data)
    where = f" and sits {spot}" if spot else ""
    if tone == "neutral":
        return (f"For the record, {ev}{where}. No call here: these are the levels I'd keep "
                "an eye on.")
    if tone == "cautious":
        if trend.strong:
            return (f"{_cap(ev)}. After a move like that, chasing it is how you buy the top or "
                    "sell the bottom, so I'd let it settle and the market confirm it first.")
        return (f"{_cap(ev)}{where}. Interesting, but not a reason to rush: there's no edge "
                "in forcing a trade until the market confirms it.")
    if tone == "educational":
        h = data.get("history")
        if h:
            return (f"{_cap(ev)}. The habit worth building: read the day's move against that "
                    f"trend and against the range (${h['low']:,.2f} to ${h['high']:,.2f}). A "
                    "day against the trend is noise until price closes beyond the range.")
        return (f"{_cap(ev)}. The habit worth building: read a single day against the trend "
                "and the range; one session rarely changes the picture on its own.")
    if tone == "hype":
        if trend.direction == 0:
            return f"{_cap(ev)}, and that's exactly when the big moves sneak up on you. 🔥"
        return f"{_cap(ev)}. This is the kind of move that gets the whole chat talking. 🔥"
    return f"{_cap(ev)}{where}. Just putting it on the radar; curious how it plays out."


def facts(data: dict[str, Any]) -> list[str]:
    out = []
    q = data.get("quote")
    sym = data.get("symbol")
    if q:
        out.append(f"{sym} last traded at ${q['price']:,.2f} ({q['change_pct']:+.2f}% on the day)"
                   + (" — demo data" if q.get("demo") else ""))
    h = data.get("history")
    if h:
        out.append(f"Over the last {h['days']} sessions: ${h['first_close']:,.2f} → "
                   f"${h['last_close']:,.2f} ({h['change_pct']:+.2f}%), range "
                   f"${h['low']:,.2f}–${h['high']:,.2f}")
    for message in data.get("alerts", [])[:3]:
        out.append("Alert: " + message.removeprefix("🔔 "))
    for m in data.get("movers", [])[:3]:
        out.append(f"{m['symbol']} {m['change_pct']:+.2f}% at ${m['price']:,.2f}")
    return out


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def render(channel: str, topic: str, tone: str, data: dict[str, Any], disclaimer: str,
           title: str | None = None) -> Drafted:
    """The channel's template filled in the tone's voice; ``title`` keeps a draft's own
    title when it is written again."""
    tone = canonical_tone(tone) or "neutral"
    voice = VOICES[tone]
    sym = data.get("symbol")
    topic = topic or (f"{sym} update" if sym else "market update")
    title = title or title_for(topic, data)
    headline = voice.kicker.format(title=title)
    found = facts(data)
    trend = trend_of(data)
    if sym:
        name = short_name(str(data.get("name") or sym))
        subject = f"{name} ({sym})" if name.upper() != sym.upper() else sym
    elif data.get("movers"):
        subject = "the market"
    else:
        subject = ""
    if subject:
        intro = voice.opener.format(subject=subject, Subject=_cap(subject))
        take = take_for(tone, trend, data) if trend is not None else voice.take_topic.format(
            topic=topic)
    else:
        intro = voice.opener_topic.format(topic=topic, Topic=_cap(topic))
        take = voice.take_topic.format(topic=topic)
    bullet_list = "\n".join(f"- {f}" for f in found)
    fields = {"headline": headline, "title": title, "facts": bullet_list,
              "facts_heading": "## What happened" if found else "", "take": take,
              "take_heading": voice.heading, "closing": voice.closing,
              "disclaimer": disclaimer, "intro": intro, "symbol": sym or "", "topic": topic,
              "tone": tone}
    body = _tidy(load_prompt(f"content_{channel}").format(**fields))
    tags = [t for t in {sym.lower() if sym else None, "markets", tone} if t]
    excerpt = re.sub(r"\s+", " ", f"{intro} {found[0] if found else take}").strip()[:200]
    html = markdown_html(body) if channel in ("blog", "email") else ""
    if channel == "discord" and len(body) > DISCORD_LIMIT:
        body = body[: DISCORD_LIMIT - 3] + "..."
    return Drafted(title=title, body=body, html=html, excerpt=excerpt, tags=sorted(tags))


async def polish(drafted: Drafted, channel: str, tone: str, data: dict[str, Any],
                 polisher: Polisher | None) -> Drafted:
    """Let an LLM rewrite; keep it only when grounded (and short enough for Discord)."""
    if polisher is None:
        return drafted
    try:
        text = (await polisher(drafted.body, channel, tone)).strip()
    except Exception as exc:  # noqa: BLE001 - polishing is optional; the template stands
        drafted.note = f"LLM polish failed ({type(exc).__name__}); kept the template text."
        return drafted
    bad = ungrounded(text, data)
    if bad or not text or (channel == "discord" and len(text) > DISCORD_LIMIT):
        drafted.note = (f"LLM polish invented numbers ({', '.join(bad[:5])}); kept the template "
                        "text." if bad else "LLM polish unusable; kept the template text.")
        return drafted
    drafted.body = text
    drafted.html = markdown_html(text) if channel in ("blog", "email") else ""
    drafted.polished = True
    return drafted
