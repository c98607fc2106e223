"""Drafting, grounding, scheduling, publishing exactly once, feedback."""

from __future__ import annotations

import asyncio

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput, PermissionDenied
from core.settings import Settings
from core.when import parse_when
from tests.helpers.smtp import SMTPSink
from tests.helpers.wordpress import FakeWordPress
from tools.content.grounding import ungrounded

OWNER = Caller.local_owner()


def use_wordpress(monkeypatch, wp: FakeWordPress) -> None:
    monkeypatch.setenv("WORDPRESS_URL", wp.url)
    monkeypatch.setenv("WORDPRESS_USER", "victor")
    monkeypatch.setenv("WORDPRESS_APP_PASSWORD", "abcd efgh ijkl mnop")
NOW = 1795530600.0  # Tuesday 2026-11-24 14:30 UTC


def test_grounding_accepts_data_numbers_and_rejects_invented_ones():
    data = {"quote": {"price": 231.4, "change_pct": 0.52}, "history": {"days": 30, "high": 236.2}}
    assert ungrounded("AAPL at $231.40 (+0.52%), 30 sessions, high $236.20, ~$231", data) == []
    assert ungrounded("AAPL will hit $300 by Friday, up 12%", data) == ["$300", "12"]


def test_parse_when():
    assert parse_when("tomorrow 9am", NOW) == NOW + 18.5 * 3600
    assert parse_when("in 2 hours", NOW) == NOW + 7200
    assert parse_when("2026-12-01 14:30", NOW) == 1796135400.0
    assert parse_when("friday 8:30", NOW) == NOW + 3 * 86400 - 6 * 3600
    with pytest.raises(InvalidInput, match="can't read"):
        parse_when("whenever", NOW)
    with pytest.raises(InvalidInput, match="in the past"):
        parse_when("2020-01-01", NOW)


async def test_drafts_per_channel_are_grounded_and_shaped(settings):
    async with open_runtime(settings) as rt:
        discord = await rt.content.service.draft("AAPL breakout", "discord", "AAPL", "bullish")
        blog = await rt.content.service.draft("NVDA after earnings", "blog", "NVDA")
        email = await rt.content.service.draft("weekly market recap", "email")
        for d in (discord, blog, email):
            assert ungrounded(d.body, d.source) == [], d.body
            assert "Not financial advice." in d.body
        assert len(discord.body) <= 2000 and "AAPL last traded at $" in discord.body
        assert discord.body.startswith("**AAPL breakout: the bull case**")
        assert "I'm leaning bullish on Apple (AAPL)" in discord.body
        assert blog.title == "NVDA after earnings" and blog.excerpt and "nvda" in blog.tags
        assert "<h2>What happened</h2>" in blog.html
        assert "<li>" in email.html and "%" in email.body  # movers from the watchlist
        assert email.title == "Weekly market recap" and email.source["movers"]
        with pytest.raises(InvalidInput, match="channel must be"):
            await rt.content.service.draft("x", "tiktok")


async def test_llm_polish_is_kept_only_when_grounded(settings):
    async with open_runtime(settings) as rt:
        async def liar(text, channel, tone):
            return text + "\nTarget: $999.99 by next week."

        rt.content.service.polisher = liar
        d = await rt.content.service.draft("AAPL", "discord", "AAPL")
        assert not d.polished and "999.99" not in d.body
        assert "invented numbers ($999.99)" in d.last_error

        async def editor(text, channel, tone):
            return "Edited: " + text

        rt.content.service.polisher = editor
        d2 = await rt.content.service.draft("AAPL", "discord", "AAPL")
        assert d2.polished and d2.body.startswith("Edited: ")
        with pytest.raises(InvalidInput, match="adds numbers"):
            rt.content.service.edit(d2.id, d2.body + " Price target $1,234.")


async def test_publish_is_idempotent_and_claimed_once(settings, monkeypatch):
    with FakeWordPress() as wp:
        use_wordpress(monkeypatch, wp)
        async with open_runtime(Settings()) as rt:
            d = await rt.content.service.draft("TSLA deliveries", "blog", "TSLA")
            results = await asyncio.gather(rt.content.service.publish(d.id), rt.content.service.publish(d.id),
                                           return_exceptions=True)
            assert any(getattr(r, "status", "") == "published" for r in results)
            again = await rt.content.service.publish(d.id)
            assert again.status == "published" and again.external_id == "100"
    assert len(wp.posts) == 1
    assert wp.posts[0]["slug"] == f"copilot-draft-{d.id}"


async def test_publish_retries_then_fails_cleanly(settings, monkeypatch):
    with FakeWordPress(fail_first=5) as wp:
        use_wordpress(monkeypatch, wp)
        async with open_runtime(Settings()) as rt:
            async def no_sleep(_):
                pass

            rt.content.service.sleep = no_sleep
            d = await rt.content.service.draft("TSLA", "blog", "TSLA")
            with pytest.raises(Exception, match="HTTP 500"):
                await rt.content.service.publish(d.id)
            failed = rt.content.service.get(d.id)
            assert failed.status == "failed" and failed.attempts == 1
            wp.fail_first = 0
            assert (await rt.content.service.publish(d.id)).status == "published"
    assert len(wp.posts) == 1


async def test_crash_while_publishing_is_recovered_without_a_second_post(settings, monkeypatch):
    with FakeWordPress() as wp:
        use_wordpress(monkeypatch, wp)
        async with open_runtime(Settings()) as rt:
            d = await rt.content.service.draft("AMD", "blog", "AMD")
            await rt.content.service.publishers["blog"].publish(d)  # the post went out...
            rt.content.service._claim(d.id)  # ...and the process died before bookkeeping
            assert await rt.content.service.recover() == [d.id]
            assert rt.content.service.get(d.id).status == "published"
            await rt.content.service.publish(d.id)
    assert len(wp.posts) == 1


async def test_alert_to_draft_to_decision_to_wordpress_and_smtp(settings, monkeypatch):
    with FakeWordPress() as wp, SMTPSink() as smtp:
        use_wordpress(monkeypatch, wp)
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("EMAIL_TO", "readers@example.com")
        monkeypatch.setenv("COPILOT_ALERT_GROUP_WAIT", "0")
        async with open_runtime(Settings()) as rt:
            await rt.start()
            price = (await rt.market.service.quote("NVDA")).quote.price
            rule, _ = await rt.alerts.service.create(symbol="NVDA", condition="above",
                                                     threshold=round(price * 0.5, 2),
                                                     frequency="every_time")
            from core.market import Tick

            for channel, firing_ts in (("blog", 1.0), ("email", 400.0)):
                await rt.alerts.engine.handle(Tick(symbol="NVDA", price=price,
                                                   ts=rt.clock() + firing_ts))
                await rt.kernel.bus.drain()
                alert_decision = next(d for d in rt.decisions.pending()
                                      if d.kind == "alert_fired")
                await rt.decisions.decide(alert_decision.id, "draft", OWNER,
                                          edits={"channel": channel})
                ready = next(d for d in rt.decisions.pending() if d.kind == "content_ready")
                assert ready.recommended == "publish"
                done = await rt.decisions.decide(ready.id, "publish", OWNER)
                assert done.outcome.startswith("Published draft")
                with pytest.raises(InvalidInput, match="already decided"):
                    await rt.decisions.decide(ready.id, "publish", OWNER)
            drafts = rt.content.service.drafts("published")
    assert len(wp.posts) == 1 and len(smtp.messages) == 1
    assert wp.posts[0]["title"]["rendered"].startswith("NVDA")
    mail = smtp.messages[0]
    assert mail["To"] == "readers@example.com" and "copilot-draft" in mail["Message-ID"]
    assert mail.is_multipart()
    assert sorted(d.channel for d in drafts) == ["blog", "email"]


async def test_publish_tool_is_owner_only_and_goes_through_a_decision(settings):
    async with open_runtime(settings) as rt:
        d = await rt.content.service.draft("AAPL", "discord", "AAPL", notify=False)
        tool = next(t for t in rt.tools if t.name == "publish_content")
        with pytest.raises(PermissionDenied):
            await tool.ainvoke({"draft_id": d.id}, {"configurable": {"caller": Caller("g", False)}})
        result = await rt.ask(f"publish draft {d.id}")
        assert f"Draft {d.id} is waiting for your go" in result.answer
        assert result.decisions and result.decisions[0]["kind"] == "content_ready"
        assert rt.content.service.get(d.id).status == "draft"  # nothing published yet
        # no Discord channel is configured here: publishing is not offered, and why
        raised = rt.decisions.get(result.decisions[0]["id"])
        assert [o.id for o in raised.options] == ["skip"]
        assert "no discord channel is configured (set DISCORD_WEBHOOK_URL)" in raised.context
        with pytest.raises(InvalidInput, match="has no option 'publish'"):
            await rt.decisions.decide(raised.id, "publish", OWNER)
        assert rt.content.service.get(d.id).status == "draft"


async def test_schedule_through_the_agent(settings):
    async with open_runtime(settings) as rt:
        d = await rt.content.service.draft("AAPL", "discord", "AAPL")
        result = await rt.ask(f"schedule draft {d.id} for tomorrow 9am")
        assert result.answer.startswith(f"Scheduled: #{d.id}")
        assert rt.content.service.get(d.id).status == "scheduled"
        listed = await rt.ask("show my drafts")
        assert f"#{d.id} [discord]" in listed.answer


async def test_feedback_sentiment_and_stats(settings, monkeypatch):
    async with open_runtime(settings) as rt:
        d = await rt.content.service.draft("AAPL breakout", "discord", "AAPL")
        rt.content.service._set(d.id, status="published", external_id="msg-1")
        d2 = await rt.content.service.draft("TSLA recap", "discord", "TSLA")
        rt.content.service._set(d2.id, status="published", external_id="msg-2")
        rt.content.service.record_feedback("msg-1", "reaction", "🔥")
        rt.content.service.record_feedback("msg-1", "reply", "Great call, love this analysis!")
        rt.content.service.record_feedback("msg-2", "reply", "This is terrible and wrong.")
        assert rt.content.service.record_feedback("not-ours", "reaction", "👍") is None
        stats = rt.content.service.stats()
        assert [g["symbol"] for g in stats] == ["AAPL", "TSLA"]
        assert stats[0]["sentiment"] > 0.5 and stats[1]["sentiment"] < -0.4
        assert rt.content.service.suggest_topics() == ["AAPL", "TSLA"]


async def test_calendar_slot_drafts_from_the_latest_signal(settings):
    from tools.content.calendar import draft_from_signals, parse_slot

    assert parse_slot("mon-fri 21:30 discord").job("Europe/Berlin") == ("cron", {
        "day_of_week": "mon-fri", "hour": 21, "minute": 30, "timezone": "Europe/Berlin"})
    for phrase in ("close+30", "at the close +30", "30 min after the close"):
        assert parse_slot(f"mon-fri {phrase} blog").job("UTC") == ("session", {
            "event": "close", "offset_minutes": 30, "day_of_week": "mon-fri"})
    assert parse_slot("fri 15 min before the open email").offset_minutes == -15
    for bad in ("every day", "someday 21:30 discord", "mon-fri 25:00 blog", "mon lunch blog"):
        with pytest.raises(InvalidInput, match="Content slot"):
            parse_slot(bad)
    async with open_runtime(settings) as rt:
        price = (await rt.market.service.quote("AMD")).quote.price
        await rt.alerts.service.create(symbol="AMD", condition="above", threshold=price / 2)
        from core.market import Tick

        await rt.alerts.engine.handle(Tick(symbol="AMD", price=price, ts=rt.clock()))
        await rt.kernel.bus.drain()
        draft = await draft_from_signals(rt.content.service, rt.market.service, rt.alerts.service,
                                         "discord")
        assert draft.symbol == "AMD" and draft.topic == "AMD daily recap"
        assert "Alert: AMD is at or above" in draft.body
        ready = [d for d in rt.decisions.pending() if d.kind == "content_ready"]
        assert ready and ready[0].source_key == f"draft:{draft.id}"


async def test_scheduled_draft_is_published_by_its_job(settings, monkeypatch, fixed_clock):
    with SMTPSink() as smtp:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("EMAIL_TO", "readers@example.com")
        async with open_runtime(Settings(), clock=fixed_clock) as rt:
            await rt.start()
            d = await rt.content.service.draft("weekly", "email", notify=False)
            rt.content.service.schedule(d.id, "in 1 hours")
            jobs = {j["id"] for j in rt.kernel.scheduler.jobs()}
            assert f"content-publish-{d.id}" in jobs
            assert await rt.content.service.publish_due() == []  # not yet
            fixed_clock.advance(3601)
            from core.scheduler import run_registered

            await run_registered("content_publish", d.id)
            assert rt.content.service.get(d.id).status == "published"
    assert len(smtp.messages) == 1
