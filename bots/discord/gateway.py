"""Keeping the bot connected to Discord, in the background.

Start-up never waits on Discord: ``keep_connected`` logs in and serves, and when Discord
cannot be reached (network errors, the gateway or the API down) it retries with capped,
jittered exponential backoff while the ``discord`` health check says "down" and why.
Once logged in, discord.py itself reconnects when the gateway drops (``reconnect=True``).

A token Discord rejects (``LoginFailure``, HTTP 401, gateway close code 4004) and a
refused privileged intent are configuration errors: retrying cannot fix them, so they
raise ``ConfigurationError`` with one sentence for the owner, and are not retried."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import structlog

from core.errors import ConfigurationError
from core.ports import CheckResult, FnCheck

log = structlog.get_logger(__name__)

BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 60.0
TOKEN_CLOSE_CODE = 4004  # the gateway's "authentication failed"

# what "Discord is unreachable or having a bad moment" looks like: retried
TRANSIENT: tuple[type[BaseException], ...] = (
    OSError, aiohttp.ClientError, TimeoutError, discord.GatewayNotFound,
    discord.ConnectionClosed, discord.HTTPException,
)


@dataclass
class GatewayState:
    """The connection as the health check sees it: the client being driven now, and
    what is wrong while it is not connected."""

    bot: Any = None  # a discord.Client (the CopilotBot of the current attempt)
    problem: str = "not connected to Discord yet"
    failures: int = 0  # failed attempts in a row

    def connected(self) -> None:
        self.problem = ""
        self.failures = 0


def gateway_check(source: Any) -> FnCheck:
    """The Discord front end's own health: is the gateway connected, and how fast.
    ``source`` is a ``GatewayState`` (or, for a bare bot, the bot itself)."""
    state = source if isinstance(source, GatewayState) else GatewayState(
        bot=source, problem="gateway disconnected")

    def run() -> CheckResult:
        bot = state.bot
        if bot is None or bot.is_closed() or not bot.is_ready():
            return CheckResult("down", state.problem or "gateway disconnected")
        latency = bot.latency * 1000
        if math.isnan(latency):  # connected, no heartbeat measured yet
            return CheckResult("ok", "gateway connected")
        return CheckResult("degraded" if latency > 1000 else "ok", f"gateway {latency:.0f} ms",
                           latency)

    return FnCheck("discord", run)


def backoff_s(failures: int, rng: Callable[[], float] = random.random) -> float:
    """Delay before the next attempt after ``failures`` failures in a row (1 s, 2 s, 4 s …
    up to a minute), with up to 10 % jitter so restarts do not stampede."""
    base = min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, failures - 1))
    return base * (1 + 0.1 * rng())


def configuration_problem(exc: BaseException) -> ConfigurationError | None:
    """A failure that retrying cannot fix, as the sentence the owner reads (never with the
    token in it); None for anything else."""
    reason = None
    if isinstance(exc, discord.LoginFailure):
        reason = "the token is not valid"
    elif isinstance(exc, discord.HTTPException) and exc.status == 401:
        reason = "login answered HTTP 401 Unauthorized"
    elif isinstance(exc, discord.ConnectionClosed) and exc.code == TOKEN_CLOSE_CODE:
        reason = "the gateway closed with 4004 (authentication failed)"
    if reason is not None:
        return ConfigurationError(
            f"Discord rejected DISCORD_TOKEN ({reason}): copy the bot token again from the "
            "developer portal (Bot → Reset Token) into DISCORD_TOKEN and restart.")
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return ConfigurationError(
            "Discord refused the bot's Message Content intent: enable it under Bot → "
            "Privileged Gateway Intents in the developer portal and restart.")
    return None


async def keep_connected(token: str, make_bot: Callable[[GatewayState], Any],
                         state: GatewayState, *,
                         sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Serve until cancelled (or until the client is closed on purpose), retrying while
    Discord is unreachable; a fresh client per attempt, since a client that failed to log
    in cannot reuse its HTTP session."""
    while True:
        bot = make_bot(state)
        state.bot = bot
        try:
            await bot.start(token, reconnect=True)
            return  # start() returns only after close(): someone stopped us on purpose
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            fatal = configuration_problem(exc)
            if fatal is not None:
                state.problem = str(fatal)
                log.error("discord configuration error", error=str(fatal))
                raise fatal from exc
            if not isinstance(exc, TRANSIENT):
                raise  # a bug, not the network: the supervisor logs it and restarts us
            state.failures += 1
            delay = backoff_s(state.failures)
            state.problem = (f"Discord unreachable ({type(exc).__name__}); attempt "
                             f"{state.failures + 1} in {delay:.0f} s")
            log.warning("discord unreachable; retrying", error=f"{type(exc).__name__}: {exc}",
                        failures=state.failures, in_s=round(delay, 1))
        finally:
            await _close_quietly(bot)
        await sleep(delay)


async def _close_quietly(bot: Any) -> None:
    try:
        await bot.close()
    except Exception as exc:  # noqa: BLE001 - closing a half-open client must not mask why
        log.debug("closing the discord client failed", error=str(exc))
