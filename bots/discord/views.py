"""Decision prompts as persistent Discord UI.

Buttons are ``DynamicItem``s: the custom_id carries the decision id and the option
(``copilot:decision:<id>:<option>``, ``copilot:undo:<id>``), and the bot registers the
templates in ``setup_hook``, so a button pressed after a restart still resolves its
decision, or undoes it for as long as its undo window is open."""

from __future__ import annotations

import re
from typing import Any

import discord

from bots.discord.render import decision_embed
from core.errors import CopilotError

MAX_BUTTONS = 5  # one action row


class DecisionButton(discord.ui.DynamicItem[discord.ui.Button],
                     template=r"copilot:decision:(?P<id>[0-9]+):(?P<option>[A-Za-z0-9_\-]+)"):
    def __init__(self, decision_id: int, option: str, label: str = "",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary) -> None:
        super().__init__(discord.ui.Button(
            label=(label or option)[:80], style=style,
            custom_id=f"copilot:decision:{decision_id}:{option}"))
        self.decision_id = decision_id
        self.option = option

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> DecisionButton:
        return cls(int(match["id"]), match["option"], getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        await resolve_from_button(interaction, self.decision_id, self.option)


class EditDraftButton(discord.ui.DynamicItem[discord.ui.Button],
                      template=r"copilot:edit:(?P<id>[0-9]+):(?P<option>[A-Za-z0-9_\-]+)"):
    """Opens a modal to edit a draft before publishing it."""

    def __init__(self, decision_id: int, option: str = "publish") -> None:
        super().__init__(discord.ui.Button(label="Edit", style=discord.ButtonStyle.primary,
                                           custom_id=f"copilot:edit:{decision_id}:{option}"))
        self.decision_id = decision_id
        self.option = option

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> EditDraftButton:
        return cls(int(match["id"]), match["option"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Any = interaction.client
        if not bot.policy.is_owner(interaction.user.id):
            await interaction.response.send_message("Only the owner can edit drafts.",
                                                    ephemeral=True)
            return
        body = bot.draft_body(self.decision_id)
        await interaction.response.send_modal(EditDraftModal(self.decision_id, self.option, body))


class EditDraftModal(discord.ui.Modal, title="Edit the draft"):
    def __init__(self, decision_id: int, option: str, body: str) -> None:
        super().__init__(timeout=None)
        self.decision_id = decision_id
        self.option = option
        self.body: discord.ui.TextInput = discord.ui.TextInput(
            label="Text", style=discord.TextStyle.paragraph, default=body[:4000],
            max_length=4000)
        self.add_item(self.body)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await resolve_from_button(interaction, self.decision_id, self.option,
                                  edits={"body": self.body.value})


class UndoButton(discord.ui.DynamicItem[discord.ui.Button],
                 template=r"copilot:undo:(?P<id>[0-9]+)"):
    """Undo what a decision did (the owner's or autopilot's), within its window."""

    def __init__(self, decision_id: int) -> None:
        super().__init__(discord.ui.Button(label="Undo", style=discord.ButtonStyle.danger,
                                           custom_id=f"copilot:undo:{decision_id}"))
        self.decision_id = decision_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> UndoButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot: Any = interaction.client
        if not bot.policy.is_owner(interaction.user.id):
            await interaction.response.send_message("Only the owner can undo.", ephemeral=True)
            return
        await interaction.response.defer()
        try:
            result = await bot.run_tool("undo", {"decision_id": self.decision_id},
                                        interaction.user.id)
        except CopilotError as exc:
            await interaction.followup.send(str(exc), ephemeral=True)
            return
        decision = bot.rt.decision(self.decision_id)
        if interaction.message is not None:  # the outcome, without its undo now
            await interaction.message.edit(embed=decision_embed(decision), view=None)
        await interaction.followup.send(str(result.get("summary", ""))[:2000], ephemeral=True)


def outcome_view(decision: Any) -> discord.ui.View | None:
    """An outcome's Undo button while its window is open."""
    if decision.status not in ("decided", "auto") or not decision.undo_json:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(UndoButton(decision.id))
    return view


def decision_view(decision: Any) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for option in decision.options[:MAX_BUTTONS]:
        style = (discord.ButtonStyle.success if option.id == decision.recommended
                 else discord.ButtonStyle.secondary)
        view.add_item(DecisionButton(decision.id, option.id, option.label, style))
    if decision.kind == "content_ready" and len(view.children) < MAX_BUTTONS:
        view.add_item(EditDraftButton(decision.id))
    return view


async def resolve_from_button(interaction: discord.Interaction, decision_id: int, option: str,
                              edits: dict[str, Any] | None = None) -> None:
    """The owner clicked: resume the decision and update the message to the outcome."""
    bot: Any = interaction.client
    if not bot.policy.is_owner(interaction.user.id):
        await interaction.response.send_message("Only the owner can decide.", ephemeral=True)
        return
    await interaction.response.defer()
    caller = bot.policy.caller(interaction.user.id)
    try:
        decision = await bot.rt.decide(decision_id, option, caller, edits=edits)
    except CopilotError as exc:
        await interaction.followup.send(str(exc), ephemeral=True)
        return
    view = outcome_view(decision)
    if interaction.message is not None:
        await interaction.message.edit(embed=decision_embed(decision), view=view)
    else:
        await interaction.edit_original_response(embed=decision_embed(decision), view=view)
