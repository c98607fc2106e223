"""The Discord bot: an adapter between Discord and the runtime.

Chat happens in DMs and when the bot is mentioned in an allowed channel; each DM or
channel is one agent thread. Decision prompts are DMed to the owners with buttons.
discord.py reconnects on gateway loss by itself (``reconnect=True``)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import structlog
from discord.ext import commands

from agent.copilot import Copilot
from bots.discord.access import AccessPolicy
from bots.discord.render import AUTOCOMPLETE_LIMIT, decision_embed, split_message
from bots.discord.views import DecisionButton, EditDraftButton, decision_view
from core.errors import CopilotError, InvalidInput
from core.events import DECISION_RAISED, DECISION_RESOLVED, NOTICE
from core.ports import CheckResult, FnCheck

log = structlog.get_logger(__name__)


def gateway_check(bot: CopilotBot) -> FnCheck:
    """The Discord front end's own health: is the gateway connected, and how fast."""

    def run() -> CheckResult:
        if bot.is_closed() or not bot.is_ready():
            return CheckResult("down", "gateway disconnected")
        latency = bot.latency * 1000
        return CheckResult("degraded" if latency > 1000 else "ok", f"gateway {latency:.0f} ms",
                           latency)

    return FnCheck("discord", run)


class CopilotBot(commands.Bot):
    def __init__(self, rt: Copilot, policy: AccessPolicy | None = None,
                 intents: discord.Intents | None = None) -> None:
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

    async def setup_hook(self) -> None:
        from bots.discord.commands import CopilotCommands

        # persistent buttons: any copilot:decision:* custom_id resolves after a restart
        self.add_dynamic_items(DecisionButton, EditDraftButton)
        await self.add_cog(CopilotCommands(self))
        self.rt.register_alert_sender("discord", self.send_alert)
        self.rt.register_check(gateway_check(self))
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

    # ---- chat -----------------------------------------------------------------------
    def thread_for(self, message: discord.Message) -> str:
        if isinstance(message.channel, discord.DMChannel):
            return f"discord-dm-{message.author.id}"
        return f"discord-ch-{message.channel.id}"

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
        is_dm = isinstance(message.channel, discord.DMChannel)
        if not self.policy.may_chat(author.id, getattr(message.channel, "id", None), is_dm):
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

    def ticker_choices(self, current: str) -> list[str]:
        from core import symbols

        current = current.upper().strip()
        watch = self.rt.watchlist()
        known = [s.symbol for s in symbols.search(current, AUTOCOMPLETE_LIMIT)] if current \
            else sorted(symbols.UNIVERSE)
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
        """The alert dispatcher's Discord target: DMs every owner."""
        if not self.policy.owner_ids:
            raise InvalidInput("OWNER_IDS is empty: nobody to send alerts to.")
        for owner_id in self.policy.owner_ids:
            user = self.get_user(owner_id) or await self.fetch_user(owner_id)
            for chunk in split_message(text):
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


async def run_bot(rt: Copilot) -> None:
    """Log in and serve until cancelled; slash commands are synced at start."""
    if rt.settings.discord_token is None:
        raise InvalidInput("DISCORD_TOKEN is not set.")
    token = rt.settings.discord_token.get_secret_value()
    bot = CopilotBot(rt)
    if not bot.policy.owner_ids:
        log.warning("OWNER_IDS is empty: nobody can run privileged commands")

    synced = False

    @bot.event
    async def on_ready() -> None:  # fires again after every reconnect: sync once
        nonlocal synced
        if synced:
            return
        synced = True
        guild_id = rt.settings.discord_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            await bot.tree.sync(guild=guild)
        else:
            await bot.tree.sync()
        log.info("discord bot ready", user=str(bot.user))

    try:
        await bot.start(token, reconnect=True)
    finally:
        if not bot.is_closed():
            await bot.close()
        await asyncio.sleep(0)
