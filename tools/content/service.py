"""Content lifecycle: draft -> approved -> scheduled -> publishing -> published | failed.

Drafting (``drafting.py``) fills a channel's template in the tone's voice from the data it
gathers here; editing (``editing.py``) changes text, tone or title, grounding-checked.
Publishing (``tools/content/publishing.py``) claims the draft first, so two callers can
never both send it; a send in doubt or a crash is settled by asking the channel whether the
post exists (WordPress) or by reporting it, never by resending blind."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.market import MarketData
from core.markettime import DEFAULT_ZONE
from core.ports import AlertFeed
from core.storage import update_row
from core.when import parse_when
from tools.content.drafting import (
    TONE_WORDS,
    Polisher,
    canonical_tone,
    is_market_topic,
    polish,
    render,
    tone_choices,
)
from tools.content.editing import Editing
from tools.content.grounding import ungrounded
from tools.content.models import Channel, ContentDraft, Feedback, Status
from tools.content.publishers import Publisher
from tools.content.publishing import Publishing

log = structlog.get_logger(__name__)
TICKER_IN_TOPIC = re.compile(r"(?<![\w.])\$?([A-Z][A-Z.\-]{1,9})(?![\w])")


# ---- titles: the topic, without the request around it -----------------------------------
_ASK = re.compile(
    r"^(?:please|pls|hey|ok(?:ay)?|so|can you|could you|would you|will you|"
    r"i (?:want|need|'d like) (?:you to )?|let's|lets|go ahead and|draft(?: up)?|"
    r"write(?: up)?|compose|prepare|create|generate|whip up|put together|make|do|"
    r"give me|send me|me|us)\b[\s,:]*", re.IGNORECASE)
_KIND = (r"(?:look|post|posts|blog post|blog|article|piece|tweet|thread|newsletter|email|e-mail|"
         r"mail|note|message|update|write-?up|take|thoughts|summary|content|something|"
         r"words?)")
_CHANNEL_NOUN = (r"(?:post|posts|blog post|article|tweet|thread|newsletter|email|e-mail|"
                 r"discord post|message|write-?up)")
_ADJ = (r"(?:a|an|the|my|some|another|quick|short|brief|little|new|fresh|small|discord|"
        r"blog|email|newsletter|" + "|".join(TONE_WORDS) + r")")
_ABOUT_RE = re.compile(rf"^(?:{_ADJ}\s+)*{_KIND}?\s*(?:about|on|regarding|re|covering|"
                       r"concerning|around|of|for|look at|looking at)\s+(.+)$", re.IGNORECASE)
_KIND_LEAD = re.compile(rf"^(?:{_ADJ}\s+)*{_CHANNEL_NOUN}\b[\s,:-]+(?=\S)", re.IGNORECASE)
_TAIL = re.compile(
    r"(?:[\s,]+(?:(?:for|to|on|in|as|via)\s+(?:the\s+|a\s+|an\s+|my\s+)?"
    r"(?:discord|blog|email|e-mail|newsletter|mail|twitter|channel|server|readers|audience)"
    r"(?:\s+(?:post|channel|server))?"
    r"|(?:in|with)\s+an?\s+\w+\s+(?:tone|voice)|please|pls|thanks|thank you|"
    r"for me|asap|right now))+[\s.!?]*$",
    re.IGNORECASE)
_PHRASES = ((re.compile(r"\bcross(?:es|ed)?[ _](above|below)\b", re.I), r"crosses \1"),
            (re.compile(r"\bpct[ _]change\b", re.I), "moves"))


def _ticker_case(word: str, symbol: str | None) -> str:
    from core.symbols import NAME_TO_SYMBOL, UNIVERSE

    bare = word.strip("$.,:;!?()'\"")
    up = bare.upper()
    if symbol and up == symbol.upper():
        return word.replace(bare, up)
    if up in UNIVERSE and (len(up) >= 3 or word.startswith("$")):
        return word.replace(bare, up)
    if bare.islower() and bare in NAME_TO_SYMBOL and len(bare) >= 4:
        return word.replace(bare, bare.capitalize())  # a company people name: apple -> Apple
    if bare == "i":
        return word.replace(bare, "I")
    return word


def clean_topic(topic: str, symbol: str | None = None) -> str:
    """The topic a request was about: 'write a bullish discord post about nvda earnings
    please' -> 'NVDA earnings'; 'bullish divergence on RSI' stays as it is. Empty when
    nothing but request words was left."""
    strip = " \"'`“”‘’.,;:!?-"
    text = " ".join((topic or "").split()).strip(strip)
    for _ in range(8):  # "please can you write me ..."
        stripped = _ASK.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    about = _ABOUT_RE.match(text)
    if about:
        text = about.group(1)
    else:
        text = _KIND_LEAD.sub("", text, count=1)
    text = _TAIL.sub("", text).strip(strip)
    if re.fullmatch(rf"(?i)(?:{_ADJ}\s+)*{_KIND}?", text):
        return ""  # only request words: "a quick bullish post"
    for pattern, repl in _PHRASES:
        text = pattern.sub(repl, text)
    return " ".join(_ticker_case(w, symbol) for w in text.split())


class ContentService(Editing, Publishing):
    def __init__(self, sql: Engine, market: MarketData | None = None,
                 alerts: AlertFeed | None = None,
                 publishers: dict[str, Publisher] | None = None,
                 clock: Callable[[], float] = time.time, disclaimer: str = "Not financial advice.",
                 polisher: Polisher | None = None, timezone: str = DEFAULT_ZONE) -> None:
        self.sql = sql
        self.timezone = timezone  # the owner's: "tomorrow 9am" is read on his clock
        self.market = market
        self.alerts = alerts
        self.publishers = publishers or {}
        self.clock = clock
        self.disclaimer = disclaimer
        self.polisher = polisher
        # set by the capability: raise a content_ready decision / schedule a publish job
        self.on_ready: Callable[[ContentDraft], Awaitable[Any]] | None = None
        self.on_schedule: Callable[[ContentDraft], None] | None = None
        # set by the capability: close a deleted draft's pending decision (its ids)
        self.on_delete: Callable[[ContentDraft], Awaitable[list[int]]] | None = None
        self._sentiment: Any = None
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._init_publishing()

    # ---- drafting -------------------------------------------------------------------
    async def gather(self, topic: str, symbol: str | None) -> dict[str, Any]:
        """The data a draft may use; it is also the grounding reference. A ticker's quote,
        30-session history and the alerts that fired; for a market recap the watchlist's
        biggest movers; for any other topic, the topic alone."""
        data: dict[str, Any] = {"topic": topic}
        if symbol and self.market is not None:
            from core.symbols import UNIVERSE

            result = await self.market.quote(symbol)
            q = result.quote
            data["symbol"] = q.symbol
            data["name"] = UNIVERSE.get(q.symbol, (q.symbol,))[0]
            data["quote"] = {"price": q.price, "change_pct": q.change_pct,
                             "as_of": q.as_of.isoformat(), "demo": q.demo}
            bars = await self.market.history(q.symbol, 30)
            first, last = bars[0], bars[-1]
            data["history"] = {
                "days": len(bars), "first_close": first.close, "last_close": last.close,
                "change_pct": round((last.close - first.close) / first.close * 100, 2),
                "high": max(b.high for b in bars), "low": min(b.low for b in bars),
            }
            if self.alerts is not None:
                data["alerts"] = [f.message for f in self.alerts.recent_firings(
                    self.clock() - 86400, symbol=q.symbol)]
        elif self.market is not None and is_market_topic(topic):
            quotes = [(await self.market.quote(sym, interest=False)).quote
                      for sym in self.market.watchlist()[:10]]
            quotes.sort(key=lambda q: abs(q.change_pct), reverse=True)
            data["movers"] = [{"symbol": q.symbol, "price": q.price, "change_pct": q.change_pct}
                              for q in quotes[:3]]
        return data

    @staticmethod
    def ticker_in(topic: str) -> str | None:
        """A ticker written in the topic ("NVDA after earnings", "$AMD"), if it is one the
        co-pilot knows; short ones only with a $ (MA is also a moving average)."""
        from core.symbols import UNIVERSE

        for m in TICKER_IN_TOPIC.finditer(topic):
            sym = m.group(1).rstrip(".-")
            if sym in UNIVERSE and (len(sym) >= 3 or m.group(0).startswith("$")):
                return sym
        return None

    async def draft(self, topic: str, channel: str = "discord", symbol: str | None = None,
                    tone: str | None = None, notify: bool = True) -> ContentDraft:
        try:
            channel = Channel(channel).value
        except ValueError:
            raise InvalidInput("channel must be discord, blog or email.") from None
        written = canonical_tone(tone) if tone else "neutral"
        if written is None:
            raise InvalidInput(f"I don't write in a {tone!r} tone; pick one of {tone_choices()}.")
        symbol = (symbol or "").strip() or self.ticker_in(topic or "")
        topic = clean_topic(topic or "", symbol) or (
            f"{symbol.upper()} update" if symbol else "market update")
        data = await self.gather(topic, symbol)
        data["disclaimer"] = self.disclaimer
        drafted = render(channel, topic, written, data, self.disclaimer)
        drafted = await polish(drafted, channel, written, data, self.polisher)
        problems = ungrounded(drafted.body, data)
        if problems:  # the template itself must never fail this; if it does, refuse
            raise InvalidInput(f"The draft mentions numbers not in its data: {', '.join(problems)}.")
        draft = ContentDraft(
            channel=channel, topic=topic, symbol=data.get("symbol"), tone=written,
            title=drafted.title, body=drafted.body, html=drafted.html, excerpt=drafted.excerpt,
            tags_json=json.dumps(drafted.tags), source_json=json.dumps(data, default=str),
            created_at=self.clock(), polished=drafted.polished, last_error=drafted.note,
        )
        with Session(self.sql) as s:
            s.add(draft)
            s.commit()
            s.refresh(draft)
        if notify and self.on_ready is not None:
            await self.on_ready(draft)
        return draft

    def check(self, draft_id: int) -> list[str]:
        """Numbers in the draft's current text that its data does not support."""
        d = self.get(draft_id)
        return ungrounded(d.body, d.source)

    # ---- reading --------------------------------------------------------------------
    def get(self, draft_id: int) -> ContentDraft:
        with Session(self.sql) as s:
            d = s.get(ContentDraft, draft_id)
        if d is None:
            raise NotFound(f"There is no draft {draft_id}; 'list drafts' shows them.")
        return d

    def drafts(self, status: str | None = None) -> list[ContentDraft]:
        with Session(self.sql) as s:
            q = select(ContentDraft).order_by(col(ContentDraft.id))
            if status:
                q = q.where(ContentDraft.status == status)
            return list(s.exec(q).all())

    # ---- approving and scheduling ----------------------------------------------------
    def _set(self, draft_id: int, **values: Any) -> ContentDraft:
        return update_row(self.sql, ContentDraft, draft_id,
                          not_found=f"There is no draft {draft_id}.", **values)

    def approve(self, draft_id: int) -> ContentDraft:
        d = self.get(draft_id)
        if d.status != Status.draft:
            raise InvalidInput(f"Draft {draft_id} is {d.status}, not a draft.")
        return self._set(draft_id, status=Status.approved.value)

    def schedule(self, draft_id: int, when: str) -> ContentDraft:
        self._unpublished(draft_id, "scheduled")
        at = parse_when(when, self.clock(), tz=self.timezone)
        row = self._set(draft_id, status=Status.scheduled.value, scheduled_for=at)
        if self.on_schedule is not None:
            self.on_schedule(row)
        return row

    def skip(self, draft_id: int) -> ContentDraft:
        return self._set(draft_id, status=Status.failed.value, last_error="skipped by the owner")

    def unskip(self, draft_id: int) -> ContentDraft:
        return self._set(draft_id, status=Status.draft.value, last_error="")

    # ---- feedback -------------------------------------------------------------------
    def sentiment(self, text: str) -> float:
        if self._sentiment is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._sentiment = SentimentIntensityAnalyzer()
        return float(self._sentiment.polarity_scores(text)["compound"])

    def record_feedback(self, external_id: str, kind: str, text: str = "",
                        user_id: str = "") -> Feedback | None:
        """A reaction or reply to a published post; ignored when the post isn't ours."""
        with Session(self.sql) as s:
            d = s.exec(select(ContentDraft).where(ContentDraft.external_id == external_id)).first()
            if d is None:
                return None
            fb = Feedback(draft_id=d.id or 0, kind=kind, text=text, user_id=user_id,
                          sentiment=self.sentiment(text) if text else 0.0, at=self.clock())
            s.add(fb)
            s.commit()
            s.refresh(fb)
            return fb

    def stats(self) -> list[dict[str, Any]]:
        """Engagement per topic and symbol: reactions count 1, replies 2, scaled by mood."""
        with Session(self.sql) as s:
            drafts = {d.id: d for d in s.exec(select(ContentDraft).where(
                ContentDraft.status == "published"))}
            feedback = list(s.exec(select(Feedback)))
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for d in drafts.values():
            key = (d.symbol or "-", d.topic)
            groups.setdefault(key, {"symbol": key[0], "topic": key[1], "posts": 0,
                                    "reactions": 0, "replies": 0, "sentiment": []})
            groups[key]["posts"] += 1
        for fb in feedback:
            post = drafts.get(fb.draft_id)
            if post is None:
                continue
            g = groups[(post.symbol or "-", post.topic)]
            g["reactions" if fb.kind == "reaction" else "replies"] += 1
            if fb.kind == "reply":
                g["sentiment"].append(fb.sentiment)
        out = []
        for g in groups.values():
            mood = sum(g["sentiment"]) / len(g["sentiment"]) if g["sentiment"] else 0.0
            raw = g["reactions"] + 2 * g["replies"]
            g["sentiment"] = round(mood, 3)
            g["engagement"] = round(raw * (1 + 0.5 * mood) / max(1, g["posts"]), 2)
            out.append(g)
        out.sort(key=lambda g: g["engagement"], reverse=True)
        return out

    def suggest_topics(self, k: int = 3) -> list[str]:
        """Symbols whose posts engaged the audience most, best first."""
        return [g["symbol"] for g in self.stats() if g["symbol"] != "-"][:k]
