"""The Discord bot: an adapter between Discord and the runtime.

Chat happens in DMs and when the bot is mentioned in an allowed channel; each person has
their own agent thread (per DM; per channel *and* user in a server), so the owner's turns
never see a guest's words and a guest never sees the owner's tool results. Decision
prompts are DMed to the owners with buttons; alerts are DMed with a nonce derived from
the notification's idempotency key, so a resend after a crash does not post twice.
``run_bot`` keeps the connection up in the background (see ``gateway``)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import discord
import structlog
from discord.ext import commands

from agent.copilot import Copilot
from bots.discord.access import AccessPolicy, thread_id
from bots.discord.gateway import GatewayState, gateway_check, keep_connected
from bots.discord.render import AUTOCOMPLETE_LIMIT, decision_embed, split_message
from bots.discord.views import DecisionButton, EditDraftButton, decision_view
from core.errors import CopilotError, InvalidInput
from core.events import DECISION_RAISED, DECISION_RESOLVED, NOTICE

log = structlog.get_logger(__name__)

__all__ = ["CopilotBot", "alert_nonce", "gateway_check", "run_bot"]
NONCE_LENGTH = 25  # Discord accepts string nonces of up to 25 characters


def alert_nonce(key: str, recipient: int, index: int) -> str:
    """A stable message nonce for chunk ``index`` of the notification ``key`` DMed to
    ``recipient``: the same notification always gets the same nonces, so Discord (with
    enforce_nonce) returns the earlier message instead of posting a resend again. The
    recipient is part of it because Discord checks nonces per author, and the bot is the
    author of every owner's DM."""
    digest = hashlib.sha256(f"{key}\x1f{recipient}\x1f{index}".encode()).hexdigest()
    return digest[:NONCE_LENGTH]


class CopilotBot(commands.Bot):
    def __init__(self, rt: Copilot, policy: AccessPolicy | None = None,
                 intents: discord.Intents | None = None, gateway: GatewayState | None = None,
                 sync_commands: bool = False) -> None:
        if intents is None:
            intents = discord.Intents.default()
            intents.message_content = True  # privileged: enable it in the developer portal
            intents.dm_messages = True
        super().__init__(command_prefix=commands.when_mentioned_or("!"), intents=intents,
                         help_command=None)
        self.rt = rt
        settings = rt.settings
        self.policy = policy or AccessPolicy(
            owner_ids=set(settings.owner_ids), allowed_channels=set(settings.discord_allowed_channels),
            per_minute=settings.discord_rate_per_minute)
        self._unsubscribe: list[Any] = []
        self.gateway = gateway or GatewayState()
        self.gateway.bot = self
        self._sync_commands = sync_commands  # run_bot syncs slash commands once per login

    async def setup_hook(self) -> None:
        from bots.discord.commands import CopilotCommands

        # persistent buttons: any copilot:decision:* custom_id resolves after a restart
        self.add_dynamic_items(DecisionButton, EditDraftButton)
        await self.add_cog(CopilotCommands(self))
        self.rt.register_alert_sender("discord", self.send_alert)
        self.rt.register_check(gateway_check(self.gateway))
        self._unsubscribe.append(self.rt.subscribe(DECISION_RAISED, self.send_decision,
                                                   name="discord-decisions"))
        self._unsubscribe.append(self.rt.subscribe(DECISION_RESOLVED, self.update_decision,
                                                   name="discord-outcomes"))
        self._unsubscribe.append(self.rt.subscribe(NOTICE, self.send_notice,
                                                   name="discord-notices"))

    def detach(self) -> None:
        """Stop listening to the runtime's bus."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

    async def close(self) -> None:
        self.detach()
        await super().close()

    # ---- the gateway -----------------------------------------------------------------
    async def on_ready(self) -> None:  # fires again after every reconnect: sync once
        self.gateway.connected()
        if self._sync_commands:
            guild_id = self.rt.settings.discord_guild_id
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
            else:
                await self.tree.sync()
            self._sync_commands = False  # a failed sync is tried again on the next READY
        log.info("discord bot ready", user=str(self.user))

    async def on_disconnect(self) -> None:
        self.gateway.problem = "gateway disconnected; reconnecting"

    # ---- chat -----------------------------------------------------------------------
    def thread_for(self, message: discord.Message) -> str:
        """One conversation per person: per DM, or per channel and user in a server."""
        return thread_id(message.author.id, getattr(message.channel, "id", None),
                         message.guild is None)

    def may_use_here(self, user_id: int, channel_id: int | None, is_dm: bool) -> bool:
        """The one channel gate for messages, slash commands and autocomplete."""
        return self.policy.may_chat(user_id, channel_id, is_dm)

    def _addressed(self, message: discord.Message) -> bool:
        if isinstance(message.channel, discord.DMChannel):
            return True
        return self.user is not None and self.user in message.mentions

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        ref = message.reference.message_id if message.reference else None
        if ref is not None:  # a reply to one of our published posts is audience feedback
            self.rt.record_feedback(str(ref), "reply", message.content, str(message.author.id))
        if not self._addressed(message):
            return
        await self.chat(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        self.rt.record_feedback(str(payload.message_id), "reaction", str(payload.emoji),
                                str(payload.user_id))

    async def chat(self, message: discord.Message) -> None:
        author = message.author
        is_dm = message.guild is None  # outside a server: private, as for slash commands
        if not self.may_use_here(author.id, getattr(message.channel, "id", None), is_dm):
            await message.reply("Sorry, I only answer my owner here.")
            return
        if not self.policy.allow(author.id):
            await message.reply("You're sending messages too fast; try again in a minute.")
            return
        text = message.clean_content
        if self.user is not None:
            text = text.replace(f"@{self.user.display_name}", "").strip()
        caller = self.policy.caller(author.id, author.display_name)
        try:
            async with message.channel.typing():
                result = await self.rt.ask(text, thread_id=self.thread_for(message),
                                           caller=caller)
        except CopilotError as exc:
            await message.reply(str(exc))
            return
        chunks = split_message(result.answer or "Done.")
        files = [discord.File(p) for p in result.attachments]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if i == 0:
                await message.reply(chunk, files=files if last else [])
            else:
                await message.channel.send(chunk, files=files if last else [])

    # ---- tools for slash commands -----------------------------------------------------
    async def run_tool(self, name: str, args: dict[str, Any], user_id: int) -> dict[str, Any]:
        caller = self.policy.caller(user_id)
        if not caller.is_owner and not self.policy.allow(user_id):
            raise InvalidInput("You're sending commands too fast; try again in a minute.")
        return await self.rt.run_tool(name, args, caller)

    def ticker_choices(self, current: str, user_id: int, channel_id: int | None = None,
                       is_dm: bool = False) -> list[str]:
        """Autocomplete: nothing where the user may not ask, nothing past their rate
        limit; plain symbol search for guests; the owner's watchlist first for owners."""
        from core import symbols

        if not self.may_use_here(user_id, channel_id, is_dm):
            return []
        if not self.policy.allow_autocomplete(user_id):
            return []
        current = current.upper().strip()
        known = [s.symbol for s in symbols.search(current, AUTOCOMPLETE_LIMIT)] if current \
            else sorted(symbols.UNIVERSE)
        if not self.policy.is_owner(user_id):
            return known[:AUTOCOMPLETE_LIMIT]  # the watchlist is the owner's business
        watch = self.rt.watchlist()
        matching = set(known)
        ordered = [s for s in watch if s in matching or s.startswith(current)]
        ordered += [s for s in known if s not in ordered]
        return ordered[:AUTOCOMPLETE_LIMIT]

    def draft_body(self, decision_id: int) -> str:
        decision = self.rt.decision(decision_id)
        for option in decision.options:
            if "body" in option.args:
                return str(option.args["body"])
        return decision.context

    # ---- what the runtime sends ------------------------------------------------------------
    async def send_alert(self, text: str, payload: dict[str, Any]) -> None:
        """The alert dispatcher's Discord target: DMs every owner. Each chunk carries a
        nonce derived from ``payload["key"]`` (the notification's idempotency key), and
        discord.py then sends ``enforce_nonce``: the dispatcher's resend of the same
        notification after a crash is returned by Discord instead of posted again.
        Any exception means "retry later" to the dispatcher."""
        if not self.policy.owner_ids:
            raise InvalidInput("OWNER_IDS is empty: nobody to send alerts to.")
        if self.is_closed():
            raise discord.ClientException("the Discord connection is closed")
        key = payload.get("key")
        for owner_id in sorted(self.policy.owner_ids):
            user = self.get_user(owner_id) or await self.fetch_user(owner_id)
            for i, chunk in enumerate(split_message(text)):
                if key:
                    await user.send(chunk, nonce=alert_nonce(str(key), owner_id, i))
                else:  # a caller without a key: nothing to deduplicate on
                    await user.send(chunk)

    async def send_decision(self, decision: Any) -> None:
        """DM each owner the decision with its buttons."""
        for owner_id in self.policy.owner_ids:
            try:
                user = self.get_user(owner_id) or await self.fetch_user(owner_id)
                await user.send(embed=decision_embed(decision), view=decision_view(decision))
            except discord.HTTPException as exc:
                log.warning("could not DM a decision", owner=owner_id, error=str(exc))

    async def send_notice(self, text: str) -> None:
        for owner_id in self.policy.owner_ids:
            try:
                user = self.get_user(owner_id) or await self.fetch_user(owner_id)
                await user.send(text[:2000])
            except discord.HTTPException as exc:
                log.warning("could not DM a notice", owner=owner_id, error=str(exc))

    async def update_decision(self, decision: Any) -> None:
        """Autopilot and expiry resolve decisions too: tell the owner what happened."""
        if decision.decided_by in ("autopilot", "system"):
            for owner_id in self.policy.owner_ids:
                try:
                    user = self.get_user(owner_id) or await self.fetch_user(owner_id)
                    await user.send(embed=decision_embed(decision))
                except discord.HTTPException as exc:
                    log.warning("could not DM an outcome", owner=owner_id, error=str(exc))


async def run_bot(rt: Copilot, *,
                  sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Log in and serve until cancelled, in the background: while Discord is unreachable
    it retries with backoff and the ``discord`` health check says "down"; a token Discord
    rejects raises ``ConfigurationError`` (not worth retrying). Slash commands are synced
    once per login."""
    if rt.settings.discord_token is None:
        raise InvalidInput("DISCORD_TOKEN is not set.")
    token = rt.settings.discord_token.get_secret_value()
    state = GatewayState()
    rt.register_check(gateway_check(state))  # "down" from the start, not only once connected

    if not rt.settings.owner_ids:
        log.warning("OWNER_IDS is empty: nobody can run privileged commands")

    def make_bot(gateway: GatewayState) -> CopilotBot:
        return CopilotBot(rt, gateway=gateway, sync_commands=True)

    await keep_connected(token, make_bot, state, sleep=sleep)
