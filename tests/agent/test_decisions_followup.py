"""Options that fail are told at once and followed up (#17, item 2), with real publish
attempts against the local WordPress stand-in and SMTP server: retry once the channel is
back, or another configured channel, or leave it."""

from __future__ import annotations

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.events import DECISION_RAISED, NOTICE
from core.settings import Settings
from tests.helpers.smtp import SMTPSink
from tests.helpers.wordpress import FakeWordPress

OWNER = Caller.local_owner()


@pytest.fixture
def channels(monkeypatch):
    with FakeWordPress(fail_first=1000) as wp, SMTPSink() as smtp:
        monkeypatch.setenv("WORDPRESS_URL", wp.url)
        monkeypatch.setenv("WORDPRESS_USER", "victor")
        monkeypatch.setenv("WORDPRESS_APP_PASSWORD", "abcd efgh ijkl mnop")
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("EMAIL_TO", "readers@example.com")
        yield wp, smtp


async def failed_publish(rt, notices: list[str]):  # noqa: ANN001
    async def no_sleep(_s: float) -> None:
        pass

    rt.content.service.sleep = no_sleep
    rt.kernel.bus.subscribe(NOTICE, lambda text: notices.append(str(text)), name="t-notices")
    rt.kernel.bus.start()
    draft = await rt.content.service.draft("TSLA deliveries", "blog", "TSLA", notify=True)
    (ask,) = rt.decisions.pending("content_ready")
    chose = await rt.decisions.decide(ask.id, "publish", OWNER)
    await rt.kernel.bus.drain()
    return draft, chose


async def test_a_failed_publish_is_told_and_followed_up_with_another_channel(channels):
    wp, smtp = channels
    notices: list[str] = []
    async with open_runtime(Settings()) as rt:
        draft, chose = await failed_publish(rt, notices)
        assert chose.failed and "HTTP 500" in chose.outcome
        assert rt.content.service.get(draft.id).status == "failed"
        (follow,) = rt.decisions.pending("follow_up")
        assert notices == [f"⚠️ Decision {chose.id}: “Publish to blog” didn't work: "
                           f"{chose.outcome.removeprefix('That didn' + chr(39) + 't work: ')} "
                           f"Decision {follow.id} asks what to do instead."]
        assert [(o.id, o.label) for o in follow.options] == [
            ("retry", "Retry: Publish to blog"), ("draft_email", "Draft it for email instead"),
            ("skip", "Skip it"), ("leave", "Leave it")]
        assert follow.follow_up_of == chose.id and follow.recommended == "leave"
        # another channel: drafted again for email, asked, then sent through SMTP
        moved = await rt.decisions.decide(follow.id, "draft_email", OWNER)
        assert moved.outcome.startswith(f"Drafted #{draft.id + 1} for email")
        (ask_email,) = rt.decisions.pending("content_ready")
        sent = await rt.decisions.decide(ask_email.id, "publish", OWNER)
        assert sent.outcome.startswith(f"Published draft {draft.id + 1} to email")
    assert len(smtp.messages) == 1 and wp.posts == []


async def test_a_failed_publish_retried_once_the_channel_is_back(channels):
    wp, _smtp = channels
    notices: list[str] = []
    async with open_runtime(Settings()) as rt:
        draft, chose = await failed_publish(rt, notices)
        (follow,) = rt.decisions.pending("follow_up")
        wp.fail_first = 0
        retried = await rt.decisions.decide(follow.id, "retry", OWNER)
        assert retried.outcome.startswith(f"Published draft {draft.id} to blog: ")
        assert rt.content.service.get(draft.id).status == "published"
        # a follow-up never teaches the subject's memory: the failed publish stays failed
        assert rt.decisions.get(chose.id).failed
    assert len(wp.posts) == 1


async def test_an_unconfigured_channel_is_never_offered(settings):
    async with open_runtime(settings) as rt:
        await rt.content.service.draft("TSLA deliveries", "blog", "TSLA", notify=True)
        (ask,) = rt.decisions.pending("content_ready")
        assert [o.id for o in ask.options] == ["skip"]
        assert ("Not offered: Publish to blog (no blog channel is configured (set "
                "WORDPRESS_URL, WORDPRESS_USER and WORDPRESS_APP_PASSWORD))") in ask.context


async def test_a_failed_scheduled_publish_is_told_and_a_published_draft_closes_its_decision(
        channels, fixed_clock):
    wp, _smtp = channels
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        async def no_sleep(_s: float) -> None:
            pass

        rt.content.service.sleep = no_sleep
        told: list[str] = []
        rt.kernel.bus.subscribe(DECISION_RAISED, lambda d: told.append(d.title), name="t-r")
        rt.kernel.bus.start()
        draft = await rt.content.service.draft("TSLA deliveries", "blog", "TSLA")
        rt.content.service.schedule(draft.id, "in 5 minutes")
        fixed_clock.advance(6 * 60)
        assert await rt.content.publish_due() == []  # WordPress answers HTTP 500
        await rt.kernel.bus.drain()
        assert told == [f"Draft {draft.id} ready: TSLA deliveries",
                        f"Scheduled publish of draft {draft.id} to blog failed"]
        first, ask = [d for d in rt.decisions.recent() if d.kind == "content_ready"][::-1]
        assert first.status == "closed" and rt.decisions.pending("content_ready") == [ask]
        assert [o.id for o in ask.options] == ["publish", "draft_email", "skip"]
        assert "HTTP 500" in ask.context
        # published some other way (`copilot content publish`, another process): the
        # decision about it closes itself at the next look
        wp.fail_first = 0
        await rt.content.service.publish(draft.id)
        await rt.content.publish_due()
        closed = rt.decisions.get(ask.id)
        assert closed.status == "closed" and closed.outcome.startswith(
            f"Draft {draft.id} was published to blog already: http://127.0.0.1/?p=")
    assert len(wp.posts) == 1
