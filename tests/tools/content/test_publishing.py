"""Publishing exactly once against channels that are slow, lose requests, answer garbage
or are down: the post is looked up before every retry and every resend, a send nobody
answered is settled by the channel, never by posting twice."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from core.storage import make_engine
from tests.tools.content.channels import HTML, DiscordWebhook, WordPress
from tools.content.models import ContentDraft, Feedback
from tools.content.publishers import (
    DiscordWebhookPublisher,
    PublishFailed,
    PublishInDoubt,
    PublishRefused,
    UnexpectedReply,
    WordPressPublisher,
    smtp_failure,
)
from tools.content.service import ContentService


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


def service_for(tmp_path, clock, publishers) -> ContentService:
    sql = make_engine(f"sqlite:///{tmp_path}/content.sqlite", [ContentDraft, Feedback])
    service = ContentService(sql, publishers=publishers, clock=clock)

    async def no_sleep(_s):
        pass

    service.sleep = no_sleep
    return service


def wordpress(http, wp: WordPress, timeout_s: float = 5.0) -> WordPressPublisher:
    return WordPressPublisher(http, wp.url, "victor", "abcd efgh ijkl mnop", timeout_s=timeout_s)


async def until(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_an_answer_slower_than_the_timeout_is_looked_up_not_resent(tmp_path, http, fixed_clock):
    with WordPress() as wp:
        wp.reply_after_s = 1.0  # the post is stored at once, the answer is slow
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp, 0.2)})
        d = await service.draft("weekly notes", "blog", notify=False)
        done = await service.publish(d.id)
        assert done.status == "published" and done.external_id == "100"
        assert done.sent_at is None and done.last_error == ""
    assert wp.slugs() == [f"copilot-draft-{d.id}"] and wp.posts_sent() == 1


async def test_a_post_that_lands_late_is_waited_for_then_confirmed(tmp_path, http, fixed_clock):
    with WordPress() as wp:
        wp.store_after_s, wp.reply_after_s = 0.5, 0.7  # stored after we stopped waiting
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp, 0.2)})
        d = await service.draft("weekly notes", "blog", notify=False)
        with pytest.raises(PublishInDoubt, match="stays 'publishing'"):
            await service.publish(d.id)
        waiting = service.get(d.id)
        assert waiting.status == "publishing" and waiting.sent_at is not None
        assert await service.recover() == []  # not there yet, and too early to resend
        await until(lambda: wp.slugs())
        assert await service.recover() == [d.id]
        assert service.get(d.id).status == "published"
    assert wp.slugs() == [f"copilot-draft-{d.id}"] and wp.posts_sent() == 1


async def test_a_lost_send_is_resent_once_only_after_it_settled(tmp_path, http, fixed_clock):
    with WordPress() as wp:
        wp.drop, wp.reply_after_s = True, 0.5  # the request is lost, nothing answers
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp, 0.2)})
        d = await service.draft("weekly notes", "blog", notify=False)
        with pytest.raises(PublishInDoubt):
            await service.publish(d.id)
        wp.drop, wp.reply_after_s = False, 0.0
        assert await service.recover() == []
        assert wp.posts_sent() == 1  # within the settle time nothing is resent
        fixed_clock.advance(service.settle_s + 1)
        assert await service.recover() == [d.id]
        assert await service.recover() == []
    assert wp.posts_sent() == 2 and wp.slugs() == [f"copilot-draft-{d.id}"]


async def test_a_retry_looks_the_post_up_before_sending_again(tmp_path, http, fixed_clock):
    with WordPress() as wp:
        # WordPress stored the post, then a plugin failed the request
        wp.post_reply = lambda: (500, b'{"code":"internal_server_error"}', "application/json")
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp)})
        d = await service.draft("weekly notes", "blog", notify=False)
        done = await service.publish(d.id)
        assert done.status == "published" and done.external_id == "100"
    assert wp.posts_sent() == 1
    assert [m for m, _ in wp.requests] == ["POST", "GET"]


@pytest.mark.parametrize("answer", [
    (200, HTML, "text/html"),
    (201, b"OK", "text/plain"),
    (201, json.dumps({"status": "publish"}).encode(), "application/json"),
    (201, json.dumps({"id": [100]}).encode(), "application/json"),
    (201, json.dumps({"id": True}).encode(), "application/json"),
    (201, json.dumps([{"id": 100}]).encode(), "application/json"),
], ids=["html", "text", "no-id", "id-list", "id-bool", "json-list"])
async def test_an_unexpected_answer_is_a_failed_publish_with_a_note(tmp_path, http, fixed_clock,
                                                                    answer):
    with WordPress() as wp:
        wp.drop, wp.post_reply = True, lambda: answer
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp)})
        d = await service.draft("weekly notes", "blog", notify=False)
        with pytest.raises(UnexpectedReply):
            await service.publish(d.id)
        failed = service.get(d.id)
        assert failed.status == "failed" and failed.sent_at is None
        assert "WordPress answered" in failed.last_error
        assert failed.last_error.endswith("Check the blog before publishing again.")
        assert wp.posts_sent() == 1  # never retried blind
        wp.drop, wp.post_reply = False, None
        before = len(wp.requests)
        assert (await service.publish(d.id)).status == "published"
        assert [m for m, _ in wp.requests[before:]] == ["GET", "POST"]  # looked up first
    assert wp.slugs() == [f"copilot-draft-{d.id}"]


async def test_an_unexpected_answer_after_the_post_was_stored_is_confirmed(tmp_path, http,
                                                                           fixed_clock):
    with WordPress() as wp:
        wp.post_reply = lambda: (200, HTML, "text/html")
        service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp)})
        d = await service.draft("weekly notes", "blog", notify=False)
        done = await service.publish(d.id)
        assert done.status == "published" and done.external_id == "100"
    assert wp.posts_sent() == 1


async def test_recovery_never_raises_for_a_down_or_garbled_wordpress(tmp_path, http, fixed_clock):
    wp = WordPress().start()
    service = service_for(tmp_path, fixed_clock, {"blog": wordpress(http, wp)})
    first = await service.draft("one", "blog", notify=False)
    second = await service.draft("two", "blog", notify=False)
    for d in (first, second):
        service._claim(d.id)
    service._set(first.id, sent_at=fixed_clock() - 3600)
    wp.lookup_reply = lambda: (200, HTML, "text/html")
    assert await service.recover() == []
    assert "an HTML page" in service.channel_errors["blog"]
    assert sum(1 for r in wp.requests if r[0] == "GET") == 1  # one failure: stop asking
    wp.stop()
    assert await service.recover() == []
    for d in (first, second):
        row = service.get(d.id)
        assert row.status == "publishing"
        assert row.last_error.startswith("Waiting for WordPress to answer")
    assert "unreachable" in service.channel_errors["blog"]
    assert wp.posts_sent() == 0


async def test_a_discord_send_in_doubt_is_failed_with_a_note_never_resent(tmp_path, http,
                                                                          fixed_clock):
    with DiscordWebhook() as hook:
        publisher = DiscordWebhookPublisher(http, hook.url, timeout_s=0.2)
        service = service_for(tmp_path, fixed_clock, {"discord": publisher})
        ok = await service.draft("AAPL", "discord", notify=False)
        assert (await service.publish(ok.id)).external_id == "9000"  # ?wait=true: the message
        hook.reply_after_s = 0.6
        slow = await service.draft("TSLA", "discord", notify=False)
        with pytest.raises(PublishInDoubt, match="check the Discord channel"):
            await service.publish(slow.id)
        assert service.get(slow.id).status == "failed"
        await asyncio.sleep(0.5)
        hook.reply_after_s = 0.0
        # a crash mid-send: the webhook cannot be asked, so recovery never resends
        crashed = await service.draft("NVDA", "discord", notify=False)
        service._claim(crashed.id)
        service._set(crashed.id, sent_at=fixed_clock())
        assert await service.recover() == []  # maybe another process is still sending it
        fixed_clock.advance(service.settle_s + 1)
        # a crash before the send began: nothing went out, so recovery sends it
        early = await service.draft("AMD", "discord", notify=False)
        service._claim(early.id)
        assert sorted(await service.recover()) == [crashed.id, early.id]
        assert service.get(crashed.id).status == "failed"
        assert "never resent automatically" in service.get(crashed.id).last_error
        assert service.get(early.id).status == "published"
        hook.raw_reply = HTML
        garbled = await service.draft("MSFT", "discord", notify=False)
        with pytest.raises(UnexpectedReply, match="HTML page"):
            await service.publish(garbled.id)
        assert service.get(garbled.id).status == "failed"
    assert len(hook.messages) == 4  # ok, slow, early, garbled: each sent once


async def test_each_channel_can_be_probed(http):
    from tests.helpers.smtp import SMTPSink, free_port
    from tools.content.publishers import EmailPublisher

    with WordPress() as wp, DiscordWebhook() as hook, SMTPSink() as smtp:
        await wordpress(http, wp).probe()
        await DiscordWebhookPublisher(http, hook.url).probe()
        await EmailPublisher("127.0.0.1", smtp.port, "me@example.com", ["you@example.com"],
                             start_tls=False).probe()
        wp.lookup_reply = lambda: (200, HTML, "text/html")
        with pytest.raises(UnexpectedReply, match="HTML page"):
            await wordpress(http, wp).probe()
    with pytest.raises(PublishFailed, match="WordPress is unreachable"):
        await wordpress(http, wp).probe()
    with pytest.raises(PublishFailed, match="mail server is unreachable"):
        await EmailPublisher("127.0.0.1", free_port(), "me@example.com", ["you@example.com"],
                             start_tls=False).probe()
    assert smtp.messages == [] and hook.messages == [] and wp.posts == []


def test_smtp_failures_are_classified_by_what_they_mean():
    import aiosmtplib

    assert isinstance(smtp_failure(aiosmtplib.SMTPReadTimeoutError("slow")), PublishInDoubt)
    assert isinstance(smtp_failure(aiosmtplib.SMTPServerDisconnected("gone")), PublishInDoubt)
    unreachable = smtp_failure(aiosmtplib.SMTPConnectError("refused"))
    assert type(unreachable) is PublishFailed and unreachable.retry
    assert type(smtp_failure(aiosmtplib.SMTPConnectTimeoutError("slow"))) is PublishFailed
    assert isinstance(smtp_failure(aiosmtplib.SMTPAuthenticationError(535, "no")), PublishRefused)
    assert isinstance(smtp_failure(aiosmtplib.SMTPDataError(550, "spam")), PublishRefused)
    assert smtp_failure(aiosmtplib.SMTPDataError(451, "later")).retry
