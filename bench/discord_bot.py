"""Bot-side overhead per Discord message: everything the bot does around the agent turn
(dispatch, access checks, rate limit, typing, splitting, sending) on dpytest's offline
gateway.

    .venv/bin/python bench/discord_bot.py [--messages 300]

Overhead = time from dispatching the message to the reply being sent, minus the agent
turn itself (measured around ``Runtime.ask``). Prints p50/p95; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def main(n: int) -> None:
    import discord
    import discord.ext.test as dpytest
    from discord.ext.test import backend

    from agent.runtime import open_runtime
    from bots.discord.bot import CopilotBot
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        intents = discord.Intents.default()
        intents.message_content = True
        intents.members = True
        bot = CopilotBot(rt, intents=intents)
        await bot._async_setup_hook()
        await bot.setup_hook()
        dpytest.configure(bot, members=1)
        backend.get_state().loop = asyncio.get_running_loop()
        owner = dpytest.get_config().members[0]
        bot.policy.owner_ids = {owner.id}
        agent_times: list[float] = []
        real_stream = rt.ask_stream

        async def timed_stream(*args, **kwargs):  # the bot's turns go through ask_stream
            t = time.perf_counter()
            try:
                async for item in real_stream(*args, **kwargs):
                    yield item
            finally:
                agent_times.append(time.perf_counter() - t)

        rt.ask_stream = timed_stream  # type: ignore[method-assign]
        totals: list[float] = []
        for i in range(n + 20):
            t = time.perf_counter()
            await dpytest.message(f"<@{bot.user.id}> quote {['AAPL', 'MSFT', 'NVDA'][i % 3]}",
                                  member=owner)
            dpytest.get_message()
            if i >= 20:  # warm-up
                totals.append(time.perf_counter() - t)
        agent = agent_times[20:]
        overhead = [(tot - ag) * 1000 for tot, ag in zip(totals, agent, strict=True)]
        bot.detach()
    print(f"{n} messages on dpytest's offline gateway (offline agent):")
    print(f"  total per message  p50 {statistics.median(totals) * 1000:.2f} ms")
    print(f"  agent turn         p50 {statistics.median(agent) * 1000:.2f} ms")
    print(f"  bot-side overhead  p50 {statistics.median(overhead):.2f} ms, "
          f"p95 {pct(overhead, 0.95):.2f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["COPILOT_DATA_DIR"] = tmp
        asyncio.run(main(args.messages))
