"""Slash commands and ticker autocomplete pass the same channel policy as messages
(guests only in allowed channels, never in DMs); autocomplete never shows the owner's
watchlist to a guest and is rate limited per user."""

from __future__ import annotations

import pytest

from agent.runtime import open_runtime
from bots.discord.bot import CopilotBot
from bots.discord.commands import REFUSED, ticker_autocomplete
from core import symbols
from core.settings import Settings
from tests.bots.discord.fakes import CHANNEL_ID, FakeInteraction

OWNER, GUEST = 1001, 2002
ALLOWED, OTHER, DM = 7001, 7002, 7003


@pytest.fixture
def owner_env(monkeypatch):
    monkeypatch.setenv("OWNER_IDS", str(OWNER))


async def make_bot(rt):
    bot = CopilotBot(rt)
    await bot.setup_hook()
    ran: list[str] = []
    real = bot.run_tool

    async def recording(name, args, user_id):
        ran.append(name)
        return await real(name, args, user_id)

    bot.run_tool = recording  # type: ignore[method-assign]
    return bot, bot.get_cog("CopilotCommands"), ran


# every slash command, with the arguments it needs
COMMANDS = [
    ("quote", {"symbol": "AAPL"}), ("chart", {"symbol": "AAPL", "days": 30}),
    ("alert_add", {"symbol": "AAPL", "condition": "above", "threshold": 300.0}),
    ("alert_list", {}), ("alert_remove", {"alert_id": 1}), ("alert_snooze", {"alert_id": 1}),
    ("alert_pause", {"alert_id": 1}), ("alert_resume", {"alert_id": 1}),
    ("alert_edit", {"alert_id": 1, "threshold": 1.0}), ("alert_history", {}),
    ("watch_add", {"symbol": "GLD"}), ("watch_remove", {"symbol": "AAPL"}), ("watch_list", {}),
    ("draft", {"topic": "AAPL"}), ("drafts", {}),
    ("draft_show", {"draft_id": 1}), ("draft_edit", {"draft_id": 1, "tone": "bearish"}),
    ("draft_delete", {"draft_id": 1}), ("undo", {}), ("briefing", {}),
    ("health", {}), ("review", {}),
    ("decisions", {}), ("memory", {"query": "alerts"}), ("autopilot", {}), ("new", {}),
    ("decide_all", {"option": "dismiss"}), ("digest", {}), ("silence", {"symbol": "TSLA"}),
    ("ack", {"symbol": "TSLA"}), ("silences", {}), ("unsilence", {"silence_id": 1}),
]


def test_every_slash_command_is_listed_here():
    from discord import app_commands

    from bots.discord.commands import CopilotCommands

    leaves = [c for top in CopilotCommands.__cog_app_commands__
              for c in (top.commands if isinstance(top, app_commands.Group) else [top])]
    assert {c.callback.__name__ for c in leaves} == {name for name, _ in COMMANDS}


@pytest.mark.parametrize(("where", "channel_id", "guild_id"), [
    ("a channel that is not allowed", OTHER, 4242), ("a DM", DM, None)])
async def test_guests_are_refused_where_they_may_not_chat(owner_env, where, channel_id,
                                                          guild_id):
    async with open_runtime(Settings()) as rt:
        bot, cog, ran = await make_bot(rt)
        bot.policy.allowed_channels = {ALLOWED}
        for name, kwargs in COMMANDS:
            i = FakeInteraction(bot, GUEST, channel_id=channel_id, guild_id=guild_id)
            await getattr(cog, name).callback(cog, i, **kwargs)
            assert i.response.sent == [(REFUSED, {"ephemeral": True})], (name, where)
            assert i.response.deferred is None and i.followup.sent == [], name
        assert ran == []  # no tool ran for the guest
        assert rt.market.service.watchlist().count("GLD") == 0


async def test_guests_in_an_allowed_channel_get_public_commands_only(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog, ran = await make_bot(rt)
        bot.policy.allowed_channels = {ALLOWED}
        q = FakeInteraction(bot, GUEST, channel_id=ALLOWED)
        await cog.quote.callback(cog, q, symbol="AAPL")
        assert "AAPL is at $" in q.texts()[-1]
        w = FakeInteraction(bot, GUEST, channel_id=ALLOWED)
        await cog.watch_list.callback(cog, w)
        assert w.texts() == ["That command is for the owner."]
        d = FakeInteraction(bot, GUEST, channel_id=ALLOWED)
        await cog.decisions.callback(cog, d)
        assert d.texts() == ["Decisions are for the owner."]
        assert ran == ["get_quote", "watchlist"]


async def test_the_owner_may_use_commands_anywhere_including_dms(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog, ran = await make_bot(rt)
        bot.policy.allowed_channels = {ALLOWED}
        for channel_id, guild_id in [(DM, None), (OTHER, 4242)]:
            i = FakeInteraction(bot, OWNER, channel_id=channel_id, guild_id=guild_id)
            await cog.watch_list.callback(cog, i)
            assert i.response.deferred == {"ephemeral": True, "thinking": True}
            assert "AAPL" in i.texts()[-1]
        assert ran == ["watchlist", "watchlist"]


async def test_autocomplete_never_shows_a_guest_the_owners_watchlist(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, _, _ = await make_bot(rt)
        await rt.market.service.watch("GLD")
        owner_first = [c.value for c in await ticker_autocomplete(FakeInteraction(bot, OWNER),
                                                                  "")]
        watch = rt.watchlist()
        assert owner_first[:len(watch)] == watch and "GLD" in watch

        def no_watchlist() -> list[str]:
            raise AssertionError("a guest's autocomplete read the owner's watchlist")

        rt.watchlist = no_watchlist  # type: ignore[method-assign]
        for typed in ("", "a", "nvid", "gold"):
            got = [c.value for c in await ticker_autocomplete(FakeInteraction(bot, GUEST),
                                                              typed)]
            plain = ([s.symbol for s in symbols.search(typed, 25)] if typed
                     else sorted(symbols.UNIVERSE)[:25])
            assert got == plain, typed
        assert got[0] == "GLD"  # plain search: gold is GLD, whatever the owner watches
        assert [c.value for c in await ticker_autocomplete(FakeInteraction(bot, GUEST), "")] \
            != owner_first


async def test_autocomplete_follows_the_channel_policy_and_is_rate_limited(owner_env):
    now = [1000.0]
    async with open_runtime(Settings()) as rt:
        bot, _, _ = await make_bot(rt)
        bot.policy.clock = lambda: now[0]
        bot.policy.autocomplete_per_minute = 3
        bot.policy.allowed_channels = {CHANNEL_ID}

        async def choices(user: int, **where) -> list[str]:
            return [c.value for c in await ticker_autocomplete(
                FakeInteraction(bot, user, **where), "a")]

        assert await choices(GUEST, channel_id=DM, guild_id=None) == []
        assert await choices(GUEST, channel_id=OTHER) == []
        assert all([await choices(GUEST) for _ in range(3)])
        assert await choices(GUEST) == []  # fourth within a minute
        assert all([await choices(OWNER) for _ in range(20)])  # the owner is exempt
        assert bot.policy.allow(GUEST)  # typing did not use up the guest's questions
        now[0] += 61
        assert await choices(GUEST) != []
