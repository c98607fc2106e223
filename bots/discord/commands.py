"""Slash commands. Each one passes the same channel gate as messages (guests only in
allowed channels, never in DMs), parses, defers, runs the same LangChain tool the agent
uses (so the same owner checks apply) and renders the result; no business logic here."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.alert_options import ALERT_OPTIONS, condition_autocomplete
from bots.discord.render import decision_embed, result_embed, split_message
from bots.discord.views import decision_view
from core.errors import CopilotError

PUBLIC = {"get_quote", "price_chart"}  # answers others in the channel may see
REFUSED = "Sorry, I only answer my owner here."
Frequency = Literal["once", "once_per_day", "once_per_session", "once_per_bar_close",
                    "every_time", "once_per_minute"]
MAX_ID = 2**53  # ids as Discord's integer options can carry them
DIALOG_LIMIT = 4000  # a dialog's text field holds at most this much
DecisionKindName = Literal["alert_fired", "content_ready", "health_incident",
                           "architecture_finding", "briefing", "follow_up", "delivery_failed"]
DraftTone = Literal["neutral", "bullish", "bearish", "cautious", "educational", "hype", "casual"]


def _where(interaction: discord.Interaction) -> tuple[int | None, bool]:
    """(channel id, is private): an interaction outside a server is a DM or group DM."""
    return interaction.channel_id, interaction.guild_id is None


async def ticker_autocomplete(interaction: discord.Interaction, current: str
                              ) -> list[app_commands.Choice[str]]:
    bot: Any = interaction.client
    channel_id, is_dm = _where(interaction)
    return [app_commands.Choice(name=s, value=s)
            for s in bot.ticker_choices(current, interaction.user.id, channel_id, is_dm)]


class DraftBodyModal(discord.ui.Modal, title="Edit the draft"):
    """`/draft_edit` with nothing but the number: the text in a dialog, saved through
    edit_draft (grounding-checked like every edit)."""

    def __init__(self, cog: CopilotCommands, draft_id: int, body: str) -> None:
        super().__init__(timeout=None)
        self.cog = cog
        self.draft_id = draft_id
        self.body: discord.ui.TextInput[DraftBodyModal] = discord.ui.TextInput(
            label="Text", style=discord.TextStyle.paragraph, default=body,
            max_length=DIALOG_LIMIT)
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.cog._run(interaction, "edit_draft",
                            {"draft_id": self.draft_id, "body": self.body.value},
                            f"Draft {self.draft_id}")


class CopilotCommands(commands.Cog):
    def __init__(self, bot: Any) -> None:
        self.bot = bot

    async def _admit(self, interaction: discord.Interaction) -> bool:
        """The channel policy, exactly as for messages; a refusal is private."""
        channel_id, is_dm = _where(interaction)
        if self.bot.may_use_here(interaction.user.id, channel_id, is_dm):
            return True
        await interaction.response.send_message(REFUSED, ephemeral=True)
        return False

    async def _run(self, interaction: discord.Interaction, tool: str, args: dict[str, Any],
                   title: str) -> dict[str, Any] | None:
        if not await self._admit(interaction):
            return None
        ephemeral = tool not in PUBLIC
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        try:
            data = await self.bot.run_tool(tool, args, interaction.user.id)
        except CopilotError as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return None
        files = [discord.File(data["path"])] if isinstance(data.get("path"), str) else []
        summary = str(data.get("summary", ""))
        if len(summary) <= 4000:
            await interaction.followup.send(embed=result_embed(title, data), files=files,
                                            ephemeral=ephemeral)
        else:
            for chunk in split_message(summary):
                await interaction.followup.send(chunk, ephemeral=ephemeral)
        return data

    @app_commands.command(name="quote", description="Latest price of a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def quote(self, interaction: discord.Interaction, symbol: str) -> None:
        await self._run(interaction, "get_quote", {"symbol": symbol}, symbol.upper())

    @app_commands.command(name="chart", description="Close and volume chart (PNG)")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def chart(self, interaction: discord.Interaction, symbol: str,
                    days: app_commands.Range[int, 5, 3650] = 90) -> None:
        await self._run(interaction, "price_chart", {"symbol": symbol, "days": days},
                        f"{symbol.upper()} chart")

    alert = app_commands.Group(name="alert", description="Price alerts")

    @alert.command(name="add", description="Create an alert on a ticker or the whole watchlist")
    @app_commands.autocomplete(symbol=ticker_autocomplete, condition=condition_autocomplete)
    @app_commands.rename(list_="list")
    @app_commands.describe(
        **ALERT_OPTIONS,
        symbol="A ticker, or 'watchlist' (or the list option)",
        list_="One rule over a list (watchlist, or a named one: semis): fires per symbol",
        expires_at="friday, eod, 'for 2 days', 'in 3 hours' or an ISO date-time",
        force="Create it even if it would fire at once",
        targets="console, discord, discord:<channel id>, webhook (comma-separated)",
        template="The message: {{ticker}} {{price}} {{condition}} {{threshold}} {{time}} …")
    async def alert_add(
        self, interaction: discord.Interaction, condition: str, threshold: float,
        symbol: str | None = None, list_: str | None = None,
        frequency: Frequency = "once",
        window_minutes: app_commands.Range[int, 1, 1440] | None = None,
        period: app_commands.Range[int, 2, 200] | None = None, upper: float | None = None,
        note: str | None = None, expires_at: str | None = None, force: bool = False,
        targets: str | None = None, template: str | None = None,
    ) -> None:
        if (symbol is None) == (list_ is None):
            if await self._admit(interaction):
                await interaction.response.send_message(
                    "Give a ticker (symbol) or the watchlist (list), one of them.",
                    ephemeral=True)
            return
        await self._run(interaction, "create_alert", {
            "symbol": symbol or "@" + (list_ or "").strip().lstrip("@"),
            "condition": condition, "threshold": threshold,
            "frequency": frequency, "window_minutes": window_minutes, "period": period,
            "upper": upper, "note": note, "expires_at": expires_at, "force": force or None,
            "targets": targets, "template": template}, "Alert")

    @alert.command(name="edit", description="Change an alert in place")
    @app_commands.autocomplete(condition=condition_autocomplete)
    @app_commands.describe(**ALERT_OPTIONS,
                           expires_at="friday, eod, 'for 2 days', ISO, or 'never'",
                           note="'-' removes the note", template="'-' restores the text",
                           force="Change it even if it would fire at once")
    async def alert_edit(
        self, interaction: discord.Interaction, alert_id: int,
        threshold: float | None = None, condition: str | None = None,
        frequency: Frequency | None = None,
        window_minutes: app_commands.Range[int, 1, 1440] | None = None,
        period: app_commands.Range[int, 2, 200] | None = None, upper: float | None = None,
        expires_at: str | None = None, note: str | None = None, force: bool = False,
        targets: str | None = None, template: str | None = None,
    ) -> None:
        await self._run(interaction, "update_alert", {
            "alert_id": alert_id, "threshold": threshold, "condition": condition,
            "frequency": frequency, "window_minutes": window_minutes, "period": period,
            "upper": upper, "expires_at": expires_at,
            "note": "" if note == "-" else note, "force": force or None, "targets": targets,
            "template": "" if template == "-" else template}, "Alert")

    @alert.command(name="history", description="What fired, and whether it was delivered")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    @app_commands.describe(since="today, 24h, 1h, 2d, yesterday or an ISO date-time")
    async def alert_history(self, interaction: discord.Interaction, symbol: str | None = None,
                            since: str | None = None) -> None:
        await self._run(interaction, "alert_history", {"symbol": symbol, "since": since},
                        "Alert history")

    @alert.command(name="list", description="Active alerts")
    async def alert_list(self, interaction: discord.Interaction, symbol: str | None = None) -> None:
        await self._run(interaction, "list_alerts", {"symbol": symbol}, "Alerts")

    @alert.command(name="remove", description="Delete an alert, or all on a ticker (asks first)")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def alert_remove(self, interaction: discord.Interaction, alert_id: int | None = None,
                           symbol: str | None = None) -> None:
        await self._run(interaction, "delete_alert", {"alert_id": alert_id, "symbol": symbol},
                        "Alert")

    @alert.command(name="snooze", description="Silence an alert for a while")
    async def alert_snooze(self, interaction: discord.Interaction, alert_id: int,
                           minutes: app_commands.Range[int, 1, 43200] = 60) -> None:
        await self._run(interaction, "snooze_alert", {"alert_id": alert_id, "minutes": minutes},
                        "Alert")

    @alert.command(name="pause", description="Pause an alert, or every alert on a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def alert_pause(self, interaction: discord.Interaction,
                          alert_id: app_commands.Range[int, 1, MAX_ID] | None = None,
                          symbol: str | None = None) -> None:
        await self._run(interaction, "pause_alert", {"alert_id": alert_id, "symbol": symbol},
                        "Alert")

    @alert.command(name="resume", description="Resume a paused alert, or all on a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def alert_resume(self, interaction: discord.Interaction,
                           alert_id: app_commands.Range[int, 1, MAX_ID] | None = None,
                           symbol: str | None = None) -> None:
        await self._run(interaction, "pause_alert",
                        {"alert_id": alert_id, "symbol": symbol, "resume": True}, "Alert")

    watch = app_commands.Group(name="watch", description="Your watchlist and named lists")
    LIST_HELP = "A named list instead of the watchlist (semis); a new name makes it"

    @watch.command(name="add", description="Add a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    @app_commands.rename(list_="list")
    @app_commands.describe(list_=LIST_HELP)
    async def watch_add(self, interaction: discord.Interaction, symbol: str,
                        list_: str | None = None) -> None:
        await self._run(interaction, "watchlist",
                        {"action": "add", "symbol": symbol, "list_name": list_}, "Watchlist")

    @watch.command(name="remove", description="Remove a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    @app_commands.rename(list_="list")
    @app_commands.describe(list_=LIST_HELP)
    async def watch_remove(self, interaction: discord.Interaction, symbol: str,
                           list_: str | None = None) -> None:
        await self._run(interaction, "watchlist",
                        {"action": "remove", "symbol": symbol, "list_name": list_}, "Watchlist")

    @watch.command(name="list", description="Show the watchlist (and your other lists)")
    @app_commands.rename(list_="list")
    @app_commands.describe(list_="A named list to show instead (semis)")
    async def watch_list(self, interaction: discord.Interaction,
                         list_: str | None = None) -> None:
        await self._run(interaction, "watchlist", {"action": "list", "list_name": list_},
                        "Watchlist")

    @app_commands.command(name="draft", description="Draft content from market data")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def draft(self, interaction: discord.Interaction, topic: str,
                    channel: Literal["discord", "blog", "email"] = "discord",
                    symbol: str | None = None, tone: str | None = None) -> None:
        await self._run(interaction, "draft_content", {"topic": topic, "channel": channel,
                                                       "symbol": symbol, "tone": tone}, "Draft")

    @app_commands.command(name="drafts", description="Your content drafts")
    async def drafts(self, interaction: discord.Interaction, status: str | None = None) -> None:
        await self._run(interaction, "list_drafts", {"status": status}, "Drafts")

    @app_commands.command(name="draft_show", description="One draft: its text, status and schedule")
    async def draft_show(self, interaction: discord.Interaction,
                         draft_id: app_commands.Range[int, 1, MAX_ID]) -> None:
        await self._run(interaction, "show_draft", {"draft_id": draft_id}, f"Draft {draft_id}")

    @app_commands.command(name="draft_edit",
                          description="Edit a draft: a request in words, its tone, title or text")
    @app_commands.describe(
        instruction="e.g. 'make it shorter', 'punchier', 'add the disclaimer'",
        tone="Write it again in this tone", title="A new title",
        body="The whole new text; leave everything else empty to edit it in a dialog")
    async def draft_edit(self, interaction: discord.Interaction,
                         draft_id: app_commands.Range[int, 1, MAX_ID],
                         instruction: str | None = None, tone: DraftTone | None = None,
                         title: str | None = None, body: str | None = None) -> None:
        if instruction is None and tone is None and title is None and body is None:
            await self._edit_in_dialog(interaction, draft_id)
            return
        await self._run(interaction, "edit_draft", {
            "draft_id": draft_id, "instruction": instruction, "tone": tone, "title": title,
            "body": body}, f"Draft {draft_id}")

    async def _edit_in_dialog(self, interaction: discord.Interaction, draft_id: int) -> None:
        """The draft's text in a dialog (slash options can't hold line breaks)."""
        if not await self._admit(interaction):
            return
        try:
            shown = await self.bot.run_tool("show_draft", {"draft_id": draft_id},
                                            interaction.user.id)
        except CopilotError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        body = str(shown.get("body", ""))
        if len(body) > DIALOG_LIMIT:
            await interaction.response.send_message(
                f"Draft {draft_id} is longer than a dialog holds ({DIALOG_LIMIT:,} "
                f"characters): give an instruction, or use `copilot content edit {draft_id} "
                "--body-file`.", ephemeral=True)
            return
        await interaction.response.send_modal(DraftBodyModal(self, draft_id, body))

    @app_commands.command(name="draft_delete", description="Delete a draft that isn't published")
    async def draft_delete(self, interaction: discord.Interaction,
                           draft_id: app_commands.Range[int, 1, MAX_ID]) -> None:
        await self._run(interaction, "delete_draft", {"draft_id": draft_id}, "Draft deleted")

    @app_commands.command(name="health", description="How your systems are doing")
    async def health(self, interaction: discord.Interaction, component: str | None = None) -> None:
        await self._run(interaction, "system_health", {"component": component}, "Health")

    @app_commands.command(name="review", description="Review the architecture inventory")
    async def review(self, interaction: discord.Interaction,
                     inventory_path: str | None = None) -> None:
        await self._run(interaction, "review_architecture", {"inventory_path": inventory_path},
                        "Architecture review")

    @app_commands.command(name="decisions", description="Decisions waiting for you")
    async def decisions(self, interaction: discord.Interaction) -> None:
        if not await self._admit(interaction):
            return
        if not self.bot.policy.is_owner(interaction.user.id):
            await interaction.response.send_message("Decisions are for the owner.",
                                                    ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        pending = self.bot.rt.pending()
        if not pending:
            await interaction.followup.send("Nothing is waiting for you.", ephemeral=True)
            return
        for d in pending[:10]:
            await interaction.followup.send(embed=decision_embed(d), view=decision_view(d),
                                            ephemeral=True)

    @app_commands.command(name="undo",
                          description="Undo a decision (without a number: the latest one)")
    async def undo(self, interaction: discord.Interaction,
                   decision_id: app_commands.Range[int, 1, MAX_ID] | None = None) -> None:
        await self._run(interaction, "undo", {"decision_id": decision_id}, "Undo")

    @app_commands.command(name="decide_all",
                          description="Answer many decisions at once (dismiss all alerts...)")
    @app_commands.describe(option="dismiss, or an option they offer (snooze, acknowledge...)",
                           kind="Only this kind", symbol="Only this ticker",
                           minutes="A duration for the option (snooze all TSLA for 120 min)")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def decide_all(self, interaction: discord.Interaction, option: str,
                         kind: DecisionKindName | None = None, symbol: str | None = None,
                         minutes: app_commands.Range[int, 1, 43200] | None = None) -> None:
        await self._run(interaction, "decide_all", {"option": option, "kind": kind,
                                                    "symbol": symbol, "minutes": minutes},
                        "Decisions")

    @app_commands.command(name="digest",
                          description="What's pending, and what autopilot did today")
    async def digest(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "digest", {}, "Digest")

    @app_commands.command(name="silence",
                          description="Silence a component, a ticker or an alert for a while")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def silence(self, interaction: discord.Interaction,
                      minutes: app_commands.Range[int, 1, 43200] = 60,
                      component: str | None = None, symbol: str | None = None,
                      alert_id: app_commands.Range[int, 1, MAX_ID] | None = None) -> None:
        await self._run(interaction, "silence", {"minutes": minutes, "component": component,
                                                 "symbol": symbol, "alert_id": alert_id},
                        "Silence")

    @app_commands.command(name="ack",
                          description="Acknowledge: no reminders until resolved or changed")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def ack(self, interaction: discord.Interaction, component: str | None = None,
                  symbol: str | None = None,
                  alert_id: app_commands.Range[int, 1, MAX_ID] | None = None) -> None:
        await self._run(interaction, "acknowledge", {"component": component, "symbol": symbol,
                                                     "alert_id": alert_id}, "Acknowledged")

    @app_commands.command(name="silences", description="What is silenced or acknowledged")
    async def silences(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "silences", {}, "Silences")

    @app_commands.command(name="unsilence", description="Lift a silence or acknowledgement")
    async def unsilence(self, interaction: discord.Interaction,
                        silence_id: app_commands.Range[int, 1, MAX_ID]) -> None:
        await self._run(interaction, "unsilence", {"silence_id": silence_id}, "Silences")

    @app_commands.command(name="briefing",
                          description="The briefing now: movers, alerts, drafts, decisions")
    async def briefing(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "briefing", {}, "Briefing")

    @app_commands.command(name="memory", description="Recall similar past decisions")
    async def memory(self, interaction: discord.Interaction, query: str,
                     k: app_commands.Range[int, 1, 20] = 5) -> None:
        await self._run(interaction, "recall_decisions", {"query": query, "k": k}, "Memory")

    @app_commands.command(name="autopilot", description="Autopilot status or switch")
    async def autopilot(self, interaction: discord.Interaction,
                        action: Literal["status", "enable", "disable"] = "status",
                        kind: Literal["alert_fired", "content_ready", "health_incident",
                                      "architecture_finding", "briefing"] | None = None) -> None:
        await self._run(interaction, "autopilot", {"action": action, "kind": kind}, "Autopilot")

    @app_commands.command(name="new", description="Start a fresh conversation with me here")
    async def new(self, interaction: discord.Interaction) -> None:
        """Your next conversation in this channel (or DM): my answers stop seeing the
        earlier messages; replying to an earlier answer still continues its conversation."""
        from bots.discord.bot import NEW_CONVERSATION

        if not await self._admit(interaction):
            return
        channel_id, is_dm = _where(interaction)
        await self.bot.new_conversation(interaction.user.id, channel_id, is_dm)
        await interaction.response.send_message(NEW_CONVERSATION, ephemeral=True)
