"""The Discord bot: an adapter between Discord and the runtime.

Chat happens in DMs, when the bot is mentioned in an allowed channel, and in replies to
its answers; each person has their own agent thread (per DM; per channel *and* user in a
server), so the owner's turns never see a guest's words and a guest never sees the
owner's tool results. ``/new`` starts a person's next conversation in that place; a reply
to one of the bot's answers continues the conversation that answer belongs to (the
replier's own conversations only). A streaming model's answer appears as it is written:
the reply is edited at most once per ``STREAM_EDIT_INTERVAL_S``. Text files attached to a
message (``TEXT_SUFFIXES``, up to ``MAX_ATTACHMENT_BYTES`` each) are read and added to
what the agent sees; they do not count toward the typed message's 4,000 characters but
toward their own ``agent.turns.MAX_ATTACHMENT_CHARS``.

Decision prompts are DMed to the owners with buttons; alerts are DMed with a nonce derived
from the notification's idempotency key, so a resend after a crash does not post twice.
``run_bot`` keeps the connection up in the background (see ``gateway``)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from typing import Any

import discord
import structlog
from discord.ext import commands

from agent.copilot import Copilot
from agent.turns import TurnResult
from bots.discord.access import AccessPolicy, conversation_key, thread_id
from bots.discord.gateway import GatewayState, gateway_check, keep_connected
from bots.discord.render import AUTOCOMPLETE_LIMIT, MESSAGE_LIMIT, decision_embed, split_message
from bots.discord.views import DecisionButton, EditDraftButton, UndoButton, decision_view, outcome_view
from core.errors import CopilotError, InvalidInput
from core.events import DECISION_RAISED, DECISION_RESOLVED, NOTICE

log = structlog.get_logger(__name__)

__all__ = ["CopilotBot", "alert_nonce", "gateway_check", "run_bot"]
NONCE_LENGTH = 25  # Discord accepts string nonces of up to 25 characters
STREAM_EDIT_INTERVAL_S = 1.0  # a streaming answer's message is edited at most this often
STREAMING_MARK = " …"  # ends the text of an answer still being written
ANSWERS_REMEMBERED = 10_000  # our latest answers' message ids, for reply chains
TEXT_SUFFIXES = (".txt", ".md", ".csv", ".json", ".yaml", ".yml", ".log")
MAX_ATTACHMENT_BYTES = 100 * 1024  # per file; bigger files are not downloaded
NEW_CONVERSATION = ("Fresh start: I won't see our earlier messages here. Replying to one of "
                    "my earlier answers still continues that conversation.")


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
        self.clock: Callable[[], float] = time.monotonic  # paces streaming edits
        # message id of an answer we sent -> (its thread, the person it answered)
        self._answers: OrderedDict[int, tuple[str, int]] = OrderedDict()

    async def setup_hook(self) -> None:
        from bots.discord.commands import CopilotCommands

        # persistent buttons: any copilot:decision:* custom_id resolves after a restart
        self.add_dynamic_items(DecisionButton, EditDraftButton, UndoButton)
        await self.add_cog(CopilotCommands(self))
        self.rt.register_alert_sender("discord", self.send_alert)
        self.rt.register_alert_sender("discord_channel", self.send_alert_to_channel)
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
    async def thread_for(self, message: discord.Message) -> str:
        """The conversation a message continues: the one of the answer it replies to, if
        that answered the same person; else the author's current one in this place."""
        answered = self._replied_answer(message)
        if answered is not None and answered[1] == message.author.id:
            return answered[0]
        return await self.current_thread(message.author.id,
                                         getattr(message.channel, "id", None),
                                         message.guild is None)

    async def current_thread(self, user_id: int, channel_id: int | None, is_dm: bool) -> str:
        """One conversation per person: per DM, or per channel and user in a server; its
        generation goes up with each ``/new`` (kept in the database)."""
        key = conversation_key(user_id, channel_id, is_dm)
        return thread_id(user_id, channel_id, is_dm, await self.rt.conversation_generation(key))

    async def new_conversation(self, user_id: int, channel_id: int | None, is_dm: bool) -> str:
        """``/new``: the person's next conversation in this place; its thread id."""
        key = conversation_key(user_id, channel_id, is_dm)
        return thread_id(user_id, channel_id, is_dm, await self.rt.new_conversation(key))

    def remember_answer(self, message_id: int, thread: str, user_id: int) -> None:
        self._answers[message_id] = (thread, user_id)
        self._answers.move_to_end(message_id)
        while len(self._answers) > ANSWERS_REMEMBERED:
            self._answers.popitem(last=False)

    def _replied_answer(self, message: discord.Message) -> tuple[str, int] | None:
        ref = message.reference.message_id if message.reference else None
        return self._answers.get(ref) if ref is not None else None

    def may_use_here(self, user_id: int, channel_id: int | None, is_dm: bool) -> bool:
        """The one channel gate for messages, slash commands and autocomplete."""
        return self.policy.may_chat(user_id, channel_id, is_dm)

    def _addressed(self, message: discord.Message) -> bool:
        if isinstance(message.channel, discord.DMChannel):
            return True
        if self._replied_answer(message) is not None:
            return True  # a reply to one of our answers, even with its mention switched off
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

    async def read_attachments(self, message: discord.Message
                               ) -> tuple[list[tuple[str, str]], str | None]:
        """The text files attached to ``message`` as ``(name, text)``, or one sentence
        saying which file cannot be read (then none is used)."""
        files: list[tuple[str, str]] = []
        kinds = ", ".join(TEXT_SUFFIXES)
        limit = f"{MAX_ATTACHMENT_BYTES // 1024} KB"
        for attachment in message.attachments:
            name = attachment.filename
            if not name.lower().endswith(TEXT_SUFFIXES):
                return [], f"I can't read {name}: I read text files ({kinds}) only."
            if attachment.size > MAX_ATTACHMENT_BYTES:
                return [], (f"{name} is {attachment.size / 1024:,.0f} KB; I read text files "
                            f"of up to {limit}, so send the part that matters.")
            data = await attachment.read()
            if len(data) > MAX_ATTACHMENT_BYTES:  # the size Discord announced was wrong
                return [], (f"{name} is {len(data) / 1024:,.0f} KB; I read text files of "
                            f"up to {limit}, so send the part that matters.")
            try:
                files.append((name, data.decode("utf-8-sig")))
            except UnicodeDecodeError:
                return [], f"I can't read {name}: it is not UTF-8 text."
        return files, None

    async def chat(self, message: discord.Message) -> None:
        author = message.author
        channel_id = getattr(message.channel, "id", None)
        is_dm = message.guild is None  # outside a server: private, as for slash commands
        if not self.may_use_here(author.id, channel_id, is_dm):
            await message.reply("Sorry, I only answer my owner here.")
            return
        if not self.policy.allow(author.id):
            await message.reply("You're sending messages too fast; try again in a minute.")
            return
        text = message.clean_content
        if self.user is not None:
            text = text.replace(f"@{self.user.display_name}", "").strip()
        if text.lower() in ("/new", "!new") and not message.attachments:  # /new where the
            await self.new_conversation(author.id, channel_id, is_dm)  # slash one is absent
            await message.reply(NEW_CONVERSATION)
            return
        files, problem = await self.read_attachments(message)
        if problem is not None:
            await message.reply(problem)
            return
        thread = await self.thread_for(message)
        caller = self.policy.caller(author.id, author.display_name)
        shown: discord.Message | None = None  # the reply, once the answer started to show
        result: TurnResult | None = None
        last_edit = 0.0
        try:
            async with message.channel.typing():
                stream = self.rt.ask_stream(text, thread_id=thread, caller=caller,
                                            attachments=files)
                async with aclosing(stream):
                    async for item in stream:
                        if isinstance(item, TurnResult):
                            result = item
                            continue
                        now = self.clock()  # the answer so far: shown, at most once a second
                        if shown is None:
                            shown = await message.reply(_writing(item))
                            last_edit = now
                        elif now - last_edit >= STREAM_EDIT_INTERVAL_S:
                            await shown.edit(content=_writing(item))
                            last_edit = now
        except CopilotError as exc:
            if shown is not None:
                await shown.edit(content=str(exc))
            else:
                await message.reply(str(exc))
            return
        if result is not None:  # ask_stream always ends with it
            await self._send_answer(message, shown, result, thread)

    async def _send_answer(self, message: discord.Message, shown: discord.Message | None,
                           result: TurnResult, thread: str) -> None:
        """The whole answer: the streamed message edited into its first part (or a reply),
        the rest sent after it, files with the last part; each remembered for replies."""
        chunks = split_message(result.answer or "Done.")
        files = [discord.File(p) for p in result.attachments]
        for i, chunk in enumerate(chunks):
            attach = files if i == len(chunks) - 1 else []
            if i == 0 and shown is not None:
                if attach:
                    await shown.edit(content=chunk, attachments=attach)
                else:
                    await shown.edit(content=chunk)
                sent = shown
            elif i == 0:
                sent = await message.reply(chunk, files=attach)
            else:
                sent = await message.channel.send(chunk, files=attach)
            self.remember_answer(sent.id, thread, message.author.id)

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

    async def send_alert_to_channel(self, text: str, payload: dict[str, Any]) -> None:
        """An alert naming a channel (``discord:<id>``): posted there, nonces as for DMs."""
        channel_id = int(payload["channel_id"])
        channel = self.get_channel(channel_id) or await self.fetch_channel(channel_id)
        if not hasattr(channel, "send"):  # a category or a forum takes no messages
            raise InvalidInput(f"Discord channel {channel_id} does not take messages.")
        for i, chunk in enumerate(split_message(text)):
            await channel.send(chunk, nonce=alert_nonce(str(payload.get("key")), channel_id, i))

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
            view = outcome_view(decision)  # autopilot's choice: its Undo button
            for owner_id in self.policy.owner_ids:
                try:
                    user = self.get_user(owner_id) or await self.fetch_user(owner_id)
                    await user.send(embed=decision_embed(decision),
                                    view=view)  # type: ignore[arg-type] # None: no buttons
                except discord.HTTPException as exc:
                    log.warning("could not DM an outcome", owner=owner_id, error=str(exc))


def _writing(text: str) -> str:
    """An answer still being written, as one Discord message."""
    room = MESSAGE_LIMIT - len(STREAMING_MARK)
    return (text if len(text) <= room else text[:room - 1] + "…") + STREAMING_MARK


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
