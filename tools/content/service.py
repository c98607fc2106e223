"""Content lifecycle: draft -> approved -> scheduled -> publishing -> published | failed.

Publishing (``tools/content/publishing.py``) claims the draft first, so two callers can
never both send it; a send in doubt or a crash is settled by asking the channel whether the
post exists (WordPress) or by reporting it, never by resending blind."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.market import MarketData
from core.ports import AlertFeed
from core.storage import update_row
from core.when import parse_when
from tools.content.drafting import Polisher, polish, render
from tools.content.grounding import ungrounded
from tools.content.models import Channel, ContentDraft, Feedback, Status
from tools.content.publishers import Publisher
from tools.content.publishing import Publishing

log = structlog.get_logger(__name__)


class ContentService(Publishing):
    def __init__(self, sql: Engine, market: MarketData | None = None,
                 alerts: AlertFeed | None = None,
                 publishers: dict[str, Publisher] | None = None,
                 clock: Callable[[], float] = time.time, disclaimer: str = "Not financial advice.",
                 polisher: Polisher | None = None) -> None:
        self.sql = sql
        self.market = market
        self.alerts = alerts
        self.publishers = publishers or {}
        self.clock = clock
        self.disclaimer = disclaimer
        self.polisher = polisher
        # set by the capability: raise a content_ready decision / schedule a publish job
        self.on_ready: Callable[[ContentDraft], Awaitable[Any]] | None = None
        self.on_schedule: Callable[[ContentDraft], None] | None = None
        self._sentiment: Any = None
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._init_publishing()

    # ---- drafting -------------------------------------------------------------------
    async def gather(self, topic: str, symbol: str | None) -> dict[str, Any]:
        """The data a draft may use; it is also the grounding reference."""
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
        elif self.market is not None:
            quotes = [(await self.market.quote(sym, interest=False)).quote
                      for sym in self.market.watchlist()[:10]]
            quotes.sort(key=lambda q: abs(q.change_pct), reverse=True)
            data["movers"] = [{"symbol": q.symbol, "price": q.price, "change_pct": q.change_pct}
                              for q in quotes[:3]]
        return data

    async def draft(self, topic: str, channel: str = "discord", symbol: str | None = None,
                    tone: str | None = None, notify: bool = True) -> ContentDraft:
        try:
            channel = Channel(channel).value
        except ValueError:
            raise InvalidInput("channel must be discord, blog or email.") from None
        topic = (topic or "").strip() or (f"{symbol} update" if symbol else "market update")
        tone = tone or "neutral"
        data = await self.gather(topic, symbol)
        data["disclaimer"] = self.disclaimer
        drafted = render(channel, topic, tone, data, self.disclaimer)
        drafted = await polish(drafted, channel, tone, data, self.polisher)
        problems = ungrounded(drafted.body, data)
        if problems:  # the template itself must never fail this; if it does, refuse
            raise InvalidInput(f"The draft mentions numbers not in its data: {', '.join(problems)}.")
        draft = ContentDraft(
            channel=channel, topic=topic, symbol=data.get("symbol"), tone=tone,
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

    # ---- editing and scheduling -----------------------------------------------------
    def edit(self, draft_id: int, body: str) -> ContentDraft:
        d = self.get(draft_id)
        if d.status in (Status.published, Status.publishing):
            raise InvalidInput(f"Draft {draft_id} is already {d.status}.")
        bad = ungrounded(body, d.source)
        if bad:
            raise InvalidInput(f"The edit adds numbers the data doesn't support: {', '.join(bad)}.")
        from tools.content.drafting import markdown_html

        with Session(self.sql) as s:
            row = s.get(ContentDraft, draft_id)
            assert row is not None
            row.body = body
            row.html = markdown_html(body) if row.channel in ("blog", "email") else ""
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    def _set(self, draft_id: int, **values: Any) -> ContentDraft:
        return update_row(self.sql, ContentDraft, draft_id,
                          not_found=f"There is no draft {draft_id}.", **values)

    def approve(self, draft_id: int) -> ContentDraft:
        d = self.get(draft_id)
        if d.status != Status.draft:
            raise InvalidInput(f"Draft {draft_id} is {d.status}, not a draft.")
        return self._set(draft_id, status=Status.approved.value)

    def schedule(self, draft_id: int, when: str) -> ContentDraft:
        d = self.get(draft_id)
        if d.status in (Status.published, Status.publishing):
            raise InvalidInput(f"Draft {draft_id} is already {d.status}.")
        at = parse_when(when, self.clock())
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
