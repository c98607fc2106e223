"""``run_bot`` never holds start-up hostage to Discord: while Discord is unreachable it
retries in the background with backoff and the ``discord`` health check says "down"; a
token Discord rejects is a configuration error, raised once and not retried.
discord.py's login/connect are patched: nothing here touches the network."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import aiohttp
import discord
import pytest

from agent.runtime import open_runtime
from bots.discord import gateway
from bots.discord.bot import run_bot
from core.errors import ConfigurationError
from core.settings import Settings

TOKEN = "MTIz.fake-token.never-valid"


def unreachable() -> aiohttp.ClientConnectorError:
    key = SimpleNamespace(host="discord.com", port=443, ssl=True)
    return aiohttp.ClientConnectorError(key, OSError(101, "Network is unreachable"))


def http_error(status: int, reason: str) -> discord.HTTPException:
    return discord.HTTPException(SimpleNamespace(status=status, reason=reason), reason)


@pytest.fixture
def token_env(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("OWNER_IDS", "1001")


class FakeDiscord:
    """Stands in for discord.py's login and connect: a script of what each login attempt
    does (an exception to raise, or None to succeed) and what connect does after."""

    def __init__(self, monkeypatch, logins: list[BaseException | None],
                 on_connect=None) -> None:
        self.logins = list(logins)
        self.bots: list[discord.Client] = []
        self.on_connect = on_connect
        self.synced = 0
        fake = self

        async def login(client: discord.Client, token: str) -> None:
            fake.bots.append(client)
            assert token == TOKEN
            outcome = fake.logins.pop(0)
            if outcome is not None:
                raise outcome
            await client._async_setup_hook()
            await client.setup_hook()

        async def connect(client: discord.Client, *, reconnect: bool = True) -> None:
            assert reconnect is True  # discord.py reconnects a dropped gateway itself
            if fake.on_connect is not None:
                await fake.on_connect(client)

        async def sync(tree, *, guild=None) -> list:
            fake.synced += 1
            return []

        monkeypatch.setattr(discord.Client, "login", login)
        monkeypatch.setattr(discord.Client, "connect", connect)
        monkeypatch.setattr(discord.app_commands.CommandTree, "sync", sync)


async def no_retry(seconds: float) -> None:
    pytest.fail(f"run_bot was about to retry (in {seconds:.1f} s) but must not")


async def discord_health(rt) -> tuple[str, str]:
    result = await rt.health.monitor.checks["discord"].check()
    return result.status, result.detail


async def test_a_rejected_token_is_a_configuration_error_and_not_retried(token_env,
                                                                       monkeypatch):
    fake = FakeDiscord(monkeypatch, [discord.LoginFailure("Improper token has been passed.")])
    sleeps: list[float] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)

    async with open_runtime(Settings()) as rt:
        with pytest.raises(ConfigurationError) as info:
            await run_bot(rt, sleep=sleep)
        message = str(info.value)
        assert message.startswith("Discord rejected DISCORD_TOKEN")
        assert TOKEN not in message and message.count(". ") == 0  # one sentence, no secret
        assert len(fake.bots) == 1 and sleeps == []
        assert fake.bots[0].is_closed()
        status, _ = await discord_health(rt)
        assert status == "down"


@pytest.mark.parametrize("failure", [
    http_error(401, "Unauthorized"),
    discord.ConnectionClosed(SimpleNamespace(close_code=4004), shard_id=None),
], ids=["http-401", "gateway-4004"])
async def test_other_token_rejections_are_configuration_errors(token_env, monkeypatch,
                                                                failure):
    async def refused(client: discord.Client) -> None:
        raise failure

    at_login = isinstance(failure, discord.HTTPException)
    fake = FakeDiscord(monkeypatch, [failure if at_login else None],
                       on_connect=None if at_login else refused)
    async with open_runtime(Settings()) as rt:
        with pytest.raises(ConfigurationError, match="^Discord rejected DISCORD_TOKEN"):
            await run_bot(rt, sleep=no_retry)
        assert len(fake.bots) == 1


async def test_a_refused_privileged_intent_is_a_configuration_error(token_env, monkeypatch):
    async def refused(client: discord.Client) -> None:
        raise discord.PrivilegedIntentsRequired(None)

    FakeDiscord(monkeypatch, [None], on_connect=refused)
    async with open_runtime(Settings()) as rt:
        with pytest.raises(ConfigurationError, match="Message Content intent"):
            await run_bot(rt, sleep=no_retry)


async def test_unreachable_discord_is_retried_with_backoff_while_health_says_down(
        token_env, monkeypatch):
    failures = [unreachable(), TimeoutError(), discord.GatewayNotFound(),
                http_error(503, "Service Unavailable"), unreachable()]
    seen_ready: list[tuple[str, str]] = []

    async def connected(client: discord.Client) -> None:
        client._ready.set()  # what discord.py does on READY
        await client.on_ready()
        seen_ready.append(await discord_health(rt))

    fake = FakeDiscord(monkeypatch, [*failures, None], on_connect=connected)
    sleeps: list[float] = []
    health_while_waiting: list[tuple[str, str]] = []

    async def sleep(s: float) -> None:
        sleeps.append(s)
        health_while_waiting.append(await discord_health(rt))

    async with open_runtime(Settings()) as rt:
        await run_bot(rt, sleep=sleep)  # returns once the (fake) connection ends
        assert len(fake.bots) == 6 and len(set(map(id, fake.bots))) == 6  # fresh clients
        assert all(b.is_closed() for b in fake.bots)
        assert len(sleeps) == 5
        assert all(later > earlier for earlier, later in zip(sleeps, sleeps[1:], strict=False))
        assert sleeps[0] < 2 and sleeps[-1] >= 16
        assert all(status == "down" for status, _ in health_while_waiting)
        assert "Discord unreachable (ClientConnectorError)" in health_while_waiting[0][1]
        assert "Discord unreachable (HTTPException)" in health_while_waiting[3][1]
        assert seen_ready == [("ok", "gateway connected")]
        assert fake.synced == 1  # slash commands synced once the login worked
        assert rt.alerts.discord.sender == fake.bots[-1].send_alert


async def test_a_bug_is_left_to_the_supervisor(token_env, monkeypatch):
    FakeDiscord(monkeypatch, [RuntimeError("a bug")])
    async with open_runtime(Settings()) as rt:
        with pytest.raises(RuntimeError, match="a bug"):
            await run_bot(rt, sleep=no_retry)


async def test_the_runtime_works_while_discord_is_unreachable(token_env, monkeypatch):
    """Under the supervisor (as `copilot run` spawns it) the task stays "running" while it
    retries; nothing else waits for it and the health check reports Discord down."""
    FakeDiscord(monkeypatch, [unreachable()] * 3)
    waiting = asyncio.Event()
    never = asyncio.Event()

    async def sleep(s: float) -> None:
        waiting.set()
        await never.wait()

    async with open_runtime(Settings()) as rt:
        rt.kernel.supervisor.spawn("discord", lambda: run_bot(rt, sleep=sleep))
        await asyncio.wait_for(waiting.wait(), 30)
        task = next(t for t in rt.kernel.supervisor.snapshot() if t.name == "discord")
        assert task.state == "running" and task.restarts == 0
        status, detail = await discord_health(rt)
        assert status == "down" and "unreachable" in detail
        answer = await rt.ask("quote MSFT")
        assert "MSFT is at $" in answer.answer
        await rt.kernel.supervisor.stop()
        task = next(t for t in rt.kernel.supervisor.snapshot() if t.name == "discord")
        assert task.state == "stopped"


def test_backoff_doubles_up_to_a_cap():
    delays = [gateway.backoff_s(n, rng=lambda: 0.0) for n in range(1, 10)]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == gateway.BACKOFF_MAX_S
    assert gateway.backoff_s(3, rng=lambda: 1.0) == pytest.approx(4.4)
