"""`copilot run`: the long-running service.

Becomes the one running instance, starts the background work, and then serves a front
end — the Discord bot (supervised: a crash restarts it), the console when it has a
terminal, or nothing (headless: systemd, docker, `< /dev/null`) — until SIGTERM or
SIGINT, then shuts down within 10 s."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import structlog

from core.errors import ConfigurationError
from core.lease import AlreadyRunning
from core.settings import Settings

log = structlog.get_logger(__name__)
SHUTDOWN_S = 10.0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201 - the service's own voice


def web_banner(web: Any) -> str:
    """Where the control center is and how to log in; the token itself only when it was
    generated just now (printed this once; it stays in the data dir)."""
    if web.token.generated:
        return (f"Control center: {web.url} — your login token (shown only this once; kept "
                f"in {web.token.path}): {web.token.value}. Alert hooks: {web.url}hooks/ "
                "(`copilot config` shows their secret).")
    where = f"the token in {web.token.path}" if web.token.path else "COPILOT_WEB_TOKEN"
    return (f"Control center: {web.url} (log in with {where}). Alert hooks: POST "
            f"{web.url}hooks/tradingview/<secret> and {web.url}hooks/alert (`copilot config` "
            "shows the secret).")


async def serve(settings: Settings, console: bool = True) -> int:
    """Run until stopped; the exit code: 0 stopped, 1 already running, 2 bad settings."""
    from agent.runtime import open_runtime
    from bots.web.server import open_web

    async with open_runtime(settings) as rt:
        try:
            await rt.start()
            web = open_web(rt)
        except AlreadyRunning as exc:
            say(str(exc))
            return 1
        except ConfigurationError as exc:
            say(str(exc))
            return 2
        if web is not None:
            rt.kernel.supervisor.spawn("web", web.serve)
        stop = asyncio.Event()
        fatal: list[ConfigurationError] = []
        loop = asyncio.get_running_loop()
        chat: Any = None
        ui: asyncio.Task[None] | None = None
        if settings.discord_token:
            from bots.discord.bot import run_bot

            async def discord() -> None:
                try:
                    await run_bot(rt)
                except ConfigurationError as exc:  # a rejected token: no point retrying
                    fatal.append(exc)
                    stop.set()

            rt.kernel.supervisor.spawn("discord", discord)
        elif console and sys.stdin.isatty():
            from bots.console import CONSOLE_UNDO, ConsoleChat

            chat = ConsoleChat(rt, notices=rt.notices(CONSOLE_UNDO))
            ui = asyncio.create_task(chat.run())
            ui.add_done_callback(lambda _: stop.set())
        else:
            say(f"copilot run: headless, {len(rt.kernel.supervisor.snapshot())} background "
                f"tasks; logs in {settings.data_dir / 'logs'}; stop with SIGTERM or Ctrl-C.")
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, chat.interrupt if chat is not None else stop.set)
        if web is not None:
            say(web_banner(web))  # once SIGTERM is ours: whoever reads it may stop us
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            if ui is not None and not ui.done():
                ui.cancel()
            try:
                await asyncio.wait_for(rt.stop(), SHUTDOWN_S)
            except TimeoutError:
                log.error("shutdown took too long; leaving the rest due", seconds=SHUTDOWN_S)
        if fatal:
            say(str(fatal[0]))
            return 2
        return 0
