"""dpytest drives the bot through discord.py's own dispatch, offline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
import discord.ext.test as dpytest
import pytest

from agent.copilot import Copilot
from agent.runtime import open_runtime
from bots.discord.bot import CopilotBot
from core.settings import Settings


@asynccontextmanager
async def dpytest_bot(rt: Copilot) -> AsyncIterator[tuple[CopilotBot, discord.Member,
                                                            discord.Member]]:
    """A bot on ``rt`` behind dpytest's fake gateway: (bot, owner, guest)."""
    intents = discord.Intents.default()
    intents.message_content = True
    intents.members = True  # dpytest caches its fake members only with this intent
    bot = CopilotBot(rt, intents=intents)
    await bot._async_setup_hook()
    await bot.setup_hook()
    dpytest.configure(bot, members=2)
    from discord.ext.test import backend

    backend.get_state().loop = asyncio.get_running_loop()  # for channel.typing()
    config = dpytest.get_config()
    owner, guest = config.members
    bot.policy.owner_ids = {owner.id}
    try:
        yield bot, owner, guest
    finally:
        await dpytest.empty_queue()
        bot.detach()  # dpytest's fake gateway cannot be closed like a real one


@pytest.fixture
async def bot_rt(monkeypatch):
    async with open_runtime(Settings()) as rt, dpytest_bot(rt) as (bot, owner, guest):
        yield bot, rt, owner, guest
