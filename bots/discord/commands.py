"""Slash commands. Each one passes the same channel gate as messages (guests only in
allowed channels, never in DMs), parses, defers, runs the same LangChain tool the agent
uses (so the same owner checks apply) and renders the result; no business logic here."""

from __future__ import annotations

from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.render import decision_embed, result_embed, split_message
from bots.discord.views import decision_view
from core.errors import CopilotError

PUBLIC = {"get_quote", "price_chart"}  # answers others in the channel may see
REFUSED = "Sorry, I only answer my owner here."


def _where(interaction: discord.Interaction) -> tuple[int | None, bool]:
    """(channel id, is private): an interaction outside a server is a DM or group DM."""
    return interaction.channel_id, interaction.guild_id is None


async def ticker_autocomplete(interaction: discord.Interaction, current: str
                              ) -> list[app_commands.Choice[str]]:
    bot: Any = interaction.client
    channel_id, is_dm = _where(interaction)
    return [app_commands.Choice(name=s, value=s)
            for s in bot.ticker_choices(current, interaction.user.id, channel_id, is_dm)]


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

    @alert.command(name="add", description="Create a price alert")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def alert_add(
        self, interaction: discord.Interaction, symbol: str,
        condition: Literal["above", "below", "cross_above", "cross_below", "pct_change"],
        threshold: float, frequency: Literal["once", "once_per_day", "every_time"] = "once",
        window_minutes: int | None = None, note: str | None = None,
    ) -> None:
        await self._run(interaction, "create_alert", {
            "symbol": symbol, "condition": condition, "threshold": threshold,
            "frequency": frequency, "window_minutes": window_minutes, "note": note,
        }, "Alert")

    @alert.command(name="list", description="Active alerts")
    async def alert_list(self, interaction: discord.Interaction, symbol: str | None = None) -> None:
        await self._run(interaction, "list_alerts", {"symbol": symbol}, "Alerts")

    @alert.command(name="remove", description="Delete an alert")
    async def alert_remove(self, interaction: discord.Interaction, alert_id: int) -> None:
        await self._run(interaction, "delete_alert", {"alert_id": alert_id}, "Alert")

    @alert.command(name="snooze", description="Silence an alert for a while")
    async def alert_snooze(self, interaction: discord.Interaction, alert_id: int,
                           minutes: app_commands.Range[int, 1, 43200] = 60) -> None:
        await self._run(interaction, "snooze_alert", {"alert_id": alert_id, "minutes": minutes},
                        "Alert")

    watch = app_commands.Group(name="watch", description="Your watchlist")

    @watch.command(name="add", description="Add a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def watch_add(self, interaction: discord.Interaction, symbol: str) -> None:
        await self._run(interaction, "watchlist", {"action": "add", "symbol": symbol}, "Watchlist")

    @watch.command(name="remove", description="Remove a ticker")
    @app_commands.autocomplete(symbol=ticker_autocomplete)
    async def watch_remove(self, interaction: discord.Interaction, symbol: str) -> None:
        await self._run(interaction, "watchlist", {"action": "remove", "symbol": symbol},
                        "Watchlist")

    @watch.command(name="list", description="Show the watchlist")
    async def watch_list(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, "watchlist", {"action": "list"}, "Watchlist")

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
