"""Alerts DMed by the bot carry a nonce derived from the notification's idempotency key,
so a resend after a crash is returned by Discord instead of posted twice. The fakes act
like Discord with ``enforce_nonce``: a message whose nonce the author already used is
dropped (the earlier one is returned)."""

from __future__ import annotations

from typing import Any

import discord.ext.test as dpytest
import pytest

from agent.runtime import open_runtime
from bots.discord.bot import CopilotBot, alert_nonce
from core.settings import Settings

OWNER, OWNER2 = 1001, 1002
KEY = "copilot-notification-42"


class FakeDiscord:
    """Discord's side: nonces are checked per author (the bot authors every DM)."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.posted: list[tuple[int, str]] = []  # (recipient, text)
        self.nonces: list[Any] = []
        self.seen: set[Any] = set()
        self.fail_on = fail_on  # the n-th send raises once, as a crash mid-alert would

    def user(self, user_id: int) -> FakeUser:
        return FakeUser(self, user_id)


class FakeUser:
    def __init__(self, discord_: FakeDiscord, user_id: int) -> None:
        self.discord = discord_
        self.id = user_id

    async def send(self, content: str, *, nonce: Any = None) -> None:
        d = self.discord
        d.nonces.append(nonce)
        if d.fail_on is not None and len(d.nonces) == d.fail_on:
            d.fail_on = None
            raise ConnectionResetError("the connection dropped")
        if nonce is not None and nonce in d.seen:
            return  # enforce_nonce: Discord hands back the earlier message
        d.seen.add(nonce)
        d.posted.append((self.id, content))


@pytest.fixture
def owners_env(monkeypatch):
    monkeypatch.setenv("OWNER_IDS", f"{OWNER},{OWNER2}")


async def bot_with(rt, fake: FakeDiscord) -> CopilotBot:
    bot = CopilotBot(rt)
    await bot.setup_hook()
    bot.get_user = fake.user  # type: ignore[method-assign,assignment]
    return bot


def test_nonces_are_stable_short_and_distinct():
    n = alert_nonce(KEY, OWNER, 0)
    assert isinstance(n, str) and len(n) <= 25
    assert n == alert_nonce(KEY, OWNER, 0)  # same notification, same nonce: after a restart too
    others = {alert_nonce("copilot-notification-43", OWNER, 0), alert_nonce(KEY, OWNER, 1),
              alert_nonce(KEY, OWNER2, 0)}
    assert n not in others and len(others) == 3


async def test_a_resend_of_the_same_notification_posts_once(owners_env):
    fake = FakeDiscord()
    async with open_runtime(Settings()) as rt:
        await bot_with(rt, fake)
        payload = {"text": "🔔 AAPL crossed above $200.00", "key": KEY}
        await rt.alerts.discord.send(dict(payload), KEY)
        await rt.alerts.discord.send(dict(payload), KEY)  # the dispatcher's resend
        assert fake.posted == [(OWNER, payload["text"]), (OWNER2, payload["text"])]
        assert fake.nonces == [alert_nonce(KEY, OWNER, 0), alert_nonce(KEY, OWNER2, 0)] * 2
        await rt.alerts.discord.send({"text": "🔔 TSLA", "key": "copilot-notification-43"},
                                     "copilot-notification-43")
        assert fake.posted[-2:] == [(OWNER, "🔔 TSLA"), (OWNER2, "🔔 TSLA")]


async def test_a_crash_mid_alert_is_completed_without_duplicates(owners_env):
    text = "\n\n".join(f"paragraph {i} " + "x" * 900 for i in range(5))  # 3 chunks
    fake = FakeDiscord(fail_on=2)
    async with open_runtime(Settings()) as rt:
        await bot_with(rt, fake)
        with pytest.raises(Exception, match="refused the message"):
            await rt.alerts.discord.send({"text": text, "key": KEY}, KEY)
        assert len(fake.posted) == 1  # chunk 0 reached the first owner, then it failed
        await rt.alerts.discord.send({"text": text, "key": KEY}, KEY)  # retried, same key
        assert [r for r, _ in fake.posted] == [OWNER] * 3 + [OWNER2] * 3
        first = [t for r, t in fake.posted if r == OWNER]
        assert "\n\n".join(first) == text and len(set(first)) == 3


async def test_discord_py_sends_the_nonce_with_enforce_nonce(bot_rt):
    """Through discord.py's own send path (dpytest's HTTP layer), not a fake user."""
    bot, _rt, owner, _ = bot_rt
    payloads: list[dict[str, Any]] = []
    earlier: dict[Any, Any] = {}
    real_send = bot.http.send_message

    async def send_message(channel_id: int, *, params: Any) -> Any:
        payloads.append(dict(params.payload))
        nonce = params.payload.get("nonce")
        if params.payload.get("enforce_nonce") and nonce in earlier:
            return earlier[nonce]  # what Discord does for a nonce it has seen
        channel = bot.get_channel(channel_id)  # noqa: F841 - dpytest reads its caller's locals
        earlier[nonce] = await real_send(channel_id, params=params)
        return earlier[nonce]

    bot.http.send_message = send_message  # type: ignore[method-assign]
    payload = {"text": "🔔 NVDA crossed below $100.00", "key": KEY}
    await bot.send_alert(payload["text"], payload)
    await bot.send_alert(payload["text"], payload)
    assert [p["nonce"] for p in payloads] == [alert_nonce(KEY, owner.id, 0)] * 2
    assert all(p["enforce_nonce"] is True for p in payloads)
    assert dpytest.get_message().content == payload["text"]
    assert dpytest.verify().message().nothing()  # the resend was not posted again


async def test_an_alert_that_names_a_channel_is_posted_there_once(owners_env):
    from tools.alerts.targets import ChannelTarget

    fake = FakeDiscord()
    async with open_runtime(Settings()) as rt:
        bot = await bot_with(rt, fake)
        bot.get_channel = fake.user  # type: ignore[method-assign,assignment]
        target = ChannelTarget("discord:123456789012345678", rt.alerts.senders)
        payload = {"text": "🚀 TSLA above $1,000.00", "key": KEY}
        await target.send(dict(payload), KEY)
        await target.send(dict(payload), KEY)  # the dispatcher's resend
        assert fake.posted == [(123456789012345678, payload["text"])]
        assert fake.nonces == [alert_nonce(KEY, 123456789012345678, 0)] * 2
