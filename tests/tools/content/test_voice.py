"""Drafts read like a person wrote them: titles from the topic, a tone that changes the
text, topic drafts about their topic, and takes that never contradict their own data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import InvalidInput
from core.market import Bar, Quote, QuoteResult
from core.storage import make_engine
from tools.content.drafting import TONES
from tools.content.grounding import ungrounded
from tools.content.models import ContentDraft, Feedback
from tools.content.service import ContentService, clean_topic


class FakeMarket:
    """Prices set by the test: ``moves`` is the 30-session change per symbol (%)."""

    demo = False

    def __init__(self, moves: dict[str, float], day: float = 0.4) -> None:
        self.moves = moves
        self.day = day

    def _closes(self, symbol: str) -> list[float]:
        start = 100.0
        end = start * (1 + self.moves[symbol] / 100)
        return [round(start + (end - start) * i / 29, 2) for i in range(30)]

    async def quote(self, symbol: str, *, interest: bool = True) -> QuoteResult:
        closes = self._closes(symbol)
        q = Quote(symbol=symbol, price=closes[-1], change_pct=self.day,
                  as_of=datetime(2026, 11, 24, 15, tzinfo=UTC), source="test")
        return QuoteResult(quote=q, age_s=0.0)

    async def history(self, symbol: str, days: int = 30) -> list[Bar]:
        first = date(2026, 10, 1)
        return [Bar(day=first + timedelta(days=i), open=c, high=round(c * 1.01, 2),
                    low=round(c * 0.99, 2), close=c, volume=1000)
                for i, c in enumerate(self._closes(symbol))]

    def watchlist(self) -> list[str]:
        return list(self.moves)


def service(tmp_path, market: FakeMarket | None = None) -> ContentService:
    sql = make_engine(f"sqlite:///{tmp_path}/content.sqlite", [ContentDraft, Feedback])
    return ContentService(sql, market, clock=lambda: 1795530600.0)


def paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip()]


@pytest.mark.parametrize(("asked", "topic"), [
    ("write a bullish discord post about nvda earnings please", "NVDA earnings"),
    ("a quick post on tesla deliveries for the blog", "Tesla deliveries"),
    ("draft a blog post on position sizing in a casual tone", "position sizing"),
    ("summary of Q3 earnings", "Q3 earnings"),
    ("bullish divergence on RSI", "bullish divergence on RSI"),  # a topic, not a request
    ("NVDA cross above 210", "NVDA crosses above 210"),
    ("a quick bullish post", ""),  # nothing but the request
])
def test_the_topic_is_cleaned_of_the_request_around_it(asked, topic):
    assert clean_topic(asked) == topic


async def test_titles_come_from_the_topic_cleaned_and_capitalized(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 8.0, "SPY": 1.0}))
    d = await svc.draft("please write a post about risk management for discord", "discord",
                        notify=False)
    assert d.title == "Risk management" and d.topic == "risk management"
    bare = await svc.draft("nvda", "blog", "NVDA", notify=False)
    assert bare.title == "NVIDIA (NVDA)"
    named = await svc.draft("a bearish discord post about nvidia", "discord", "NVDA", notify=False)
    assert named.title == "NVIDIA (NVDA)"
    empty = await svc.draft("a quick bullish post", "discord", "NVDA", "bullish", notify=False)
    assert empty.title == "NVDA update"
    assert "quick" not in empty.body.split("\n")[0].lower()


async def test_the_tone_changes_headline_take_and_closing(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 3.0}))
    drafts = {tone: await svc.draft("AAPL breakout", "discord", "AAPL", tone, notify=False)
              for tone in TONES}
    bodies = {tone: d.body for tone, d in drafts.items()}
    assert all(ungrounded(d.body, d.source) == [] for d in drafts.values())
    assert {d.title for d in drafts.values()} == {"AAPL breakout"}
    # every tone's headline, opening, take and closing are its own
    for index in (0, 1, 3, 4):  # headline, intro, (facts), take, closing
        seen = {paragraphs(body)[index] for body in bodies.values()}
        assert len(seen) == len(TONES), index
    # the facts are the same data in every tone
    assert len({paragraphs(body)[2] for body in bodies.values()}) == 1
    neutral = bodies["neutral"].lower()
    assert paragraphs(bodies["neutral"])[0] == "**AAPL breakout**"
    assert not re.search(r"bull|bear|🔥|🚀|!", neutral)
    assert "the bull case" in bodies["bullish"] and "the bear case" in bodies["bearish"]


async def test_every_draft_stays_grounded_in_every_tone_and_channel(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 25.31, "TSLA": -18.4, "SPY": 0.3}))
    for tone in TONES:
        for channel in ("discord", "blog", "email"):
            for topic, symbol in (("AAPL run", "AAPL"), ("TSLA slide", "TSLA"),
                                  ("market recap", None), ("the Fed meeting", None)):
                d = await svc.draft(topic, channel, symbol, tone, notify=False)
                assert ungrounded(d.body, d.source) == [], (tone, channel, topic, d.body)
                assert "Not financial advice." in d.body


async def test_a_bearish_draft_on_a_rally_says_it_is_contrarian(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 25.31}))
    d = await svc.draft("AAPL", "discord", "AAPL", "bearish", notify=False)
    assert "though the stock is up 25.3% over 30 sessions, so this is a contrarian view" in d.body
    assert "Sellers are in control" not in d.body and "on my side" not in d.body
    assert ungrounded(d.body, d.source) == []
    with_trend = await svc.draft("AAPL", "discord", "AAPL", "bullish", notify=False)
    assert "contrarian" not in with_trend.body
    assert "The data is on my side: the stock is up 25.3% over 30 sessions" in with_trend.body


async def test_a_bullish_draft_on_a_slide_says_so_plainly(tmp_path):
    svc = service(tmp_path, FakeMarket({"TSLA": -18.4, "AMD": -3.0}))
    d = await svc.draft("TSLA", "blog", "TSLA", "bullish", notify=False)
    assert "though the stock is down 18.4% over 30 sessions, so this is a contrarian view" \
        in d.body
    mild = await svc.draft("AMD", "discord", "AMD", "bullish", notify=False)
    assert "the stock is down 3.0% over 30 sessions" in mild.body and "early" in mild.body


async def test_a_draft_without_a_ticker_is_about_its_topic_not_movers(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 8.0, "SPY": 1.0}))
    d = await svc.draft("position sizing", "blog", tone="educational", notify=False)
    assert "movers" not in d.source and "quote" not in d.source
    assert "position sizing" in d.body and "SPY" not in d.body and "No fresh data" not in d.body
    assert "What happened" not in d.body  # no empty facts section
    recap = await svc.draft("weekly market recap", "discord", notify=False)
    assert [m["symbol"] for m in recap.source["movers"]] == ["NVDA", "SPY"]
    assert "- NVDA +0.40% at $" in recap.body


async def test_a_ticker_written_in_the_topic_is_used(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 8.0, "MA": 1.0}))
    d = await svc.draft("NVDA after earnings", "discord", notify=False)
    assert d.symbol == "NVDA" and "NVDA last traded at $" in d.body
    ma = await svc.draft("MA crossover strategy", "discord", notify=False)
    assert ma.symbol is None  # a moving average, not Mastercard


async def test_an_unknown_tone_is_refused_and_synonyms_are_understood(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 2.0}))
    with pytest.raises(InvalidInput, match="pick one of neutral, bullish"):
        await svc.draft("AAPL", "discord", "AAPL", "sarcastic", notify=False)
    d = await svc.draft("AAPL", "discord", "AAPL", "Optimistic", notify=False)
    assert d.tone == "bullish"
