"""Drafts from signals: gather the data, fill the channel's template, optionally let an
LLM polish it, and keep the polish only if it invents no number."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from prompts import load_prompt
from tools.content.grounding import ungrounded

DISCORD_LIMIT = 2000
TAKES = {
    "bullish": "Momentum looks constructive; the question is whether buyers defend the move.",
    "bearish": "Sellers have the upper hand for now; I'd wait for the dust to settle.",
    "cautious": "Interesting, but not a reason to rush: let the market confirm it first.",
    "educational": "Worth studying how price behaves around levels like this one.",
    "hype": "This is the kind of move that gets the whole chat talking.",
    "casual": "Just putting it on the radar — curious how it plays out.",
}
DEFAULT_TAKE = "Here's what the data says; how it plays out next is the interesting part."

Polisher = Callable[[str, str, str], Awaitable[str]]  # (text, channel, tone) -> text


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


def render(channel: str, topic: str, tone: str, data: dict[str, Any], disclaimer: str) -> Drafted:
    sym = data.get("symbol")
    name = data.get("name") or sym or ""
    headline = topic[:1].upper() + topic[1:] if topic else f"{sym} update"
    bullet_list = "\n".join(f"- {f}" for f in facts(data)) or "- No fresh data for this topic."
    take = TAKES.get(tone, DEFAULT_TAKE)
    intro = (f"A quick look at {name} ({sym})." if sym else f"A quick look at {topic}.")
    fields = {"headline": headline, "facts": bullet_list, "take": take,
              "disclaimer": disclaimer, "intro": intro, "symbol": sym or "", "topic": topic}
    body = load_prompt(f"content_{channel}").format(**fields)
    tags = [t for t in {sym.lower() if sym else None, "markets", tone} if t]
    excerpt = re.sub(r"\s+", " ", f"{intro} {facts(data)[0] if facts(data) else ''}").strip()[:200]
    html = markdown_html(body) if channel in ("blog", "email") else ""
    if channel == "discord" and len(body) > DISCORD_LIMIT:
        body = body[: DISCORD_LIMIT - 3] + "..."
    return Drafted(title=headline, body=body, html=html, excerpt=excerpt, tags=sorted(tags))


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
