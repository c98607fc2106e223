"""Discord rendering: message splitting under the 2,000-character limit and embeds."""

from __future__ import annotations

import re
from typing import Any

MESSAGE_LIMIT = 2000  # Discord's hard limit per message
EMBED_DESCRIPTION_LIMIT = 4096
AUTOCOMPLETE_LIMIT = 25  # Discord shows at most 25 choices
FENCE = re.compile(r"^\s*```(\S*)")


def _units(text: str) -> list[str]:
    """Paragraphs, with each fenced code block kept whole as one unit."""
    units: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                units.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        units.append("\n".join(current))
    return units


def _hard_split(unit: str, limit: int) -> list[str]:
    """Split one oversized unit by lines, closing and reopening code fences."""
    pieces: list[str] = []
    lines = unit.split("\n")
    current = ""
    fence_lang: str | None = None
    for line in lines:
        while len(line) > limit - 8:  # a single huge line
            head, line = line[: limit - 8], line[limit - 8:]
            lines_out = (current + "\n" if current else "") + head
            pieces.append(lines_out + ("\n```" if fence_lang is not None else ""))
            current = f"```{fence_lang}" if fence_lang is not None else ""
        closing = 4 if fence_lang is not None else 0
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) + closing > limit:
            pieces.append(current + ("\n```" if fence_lang is not None else ""))
            reopen = f"```{fence_lang}\n" if fence_lang is not None else ""
            candidate = reopen + line
        current = candidate
        m = FENCE.match(line)
        if m:
            fence_lang = None if fence_lang is not None else m.group(1)
    if current:
        pieces.append(current)
    return pieces


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split on paragraph boundaries into chunks of at most ``limit`` characters; a code
    block that must be cut is closed and reopened so every chunk renders correctly."""
    if len(text) <= limit:
        return [text] if text else []
    chunks: list[str] = []
    current = ""
    for unit in _units(text):
        candidate = f"{current}\n\n{unit}" if current else unit
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
            current = ""
        if len(unit) <= limit:
            current = unit
        else:
            parts = _hard_split(unit, limit)
            chunks.extend(parts[:-1])
            current = parts[-1]
    if current:
        chunks.append(current)
    return chunks


def decision_embed(decision: Any) -> Any:
    import discord

    colour = {"pending": discord.Colour.gold(), "decided": discord.Colour.green(),
              "auto": discord.Colour.blurple(), "expired": discord.Colour.dark_grey(),
              "undone": discord.Colour.orange()}.get(decision.status, discord.Colour.default())
    embed = discord.Embed(title=f"Decision {decision.id}: {decision.title}"[:256],
                          description=(decision.context or "")[:EMBED_DESCRIPTION_LIMIT],
                          colour=colour)
    rec = decision.option(decision.recommended) if decision.recommended else None
    if rec is not None and decision.status == "pending":
        embed.add_field(name="Recommended", value=f"{rec.label}\n_{decision.rationale}_"[:1024],
                        inline=False)
    if decision.status != "pending":
        by = f" by {decision.decided_by}" if decision.decided_by else ""
        embed.add_field(name=f"{decision.status.capitalize()}{by}",
                        value=(decision.outcome or "—")[:1024], inline=False)
    if decision.status in ("decided", "auto") and decision.undo_json and decision.undo_until:
        from core.silences import at_text

        again = " (asks it again)" if decision.reopens else ""
        embed.add_field(name="Undo", value=f"until {at_text(decision.undo_until)}{again}: "
                                           f"the button, or `/undo {decision.id}`",
                        inline=False)
    embed.set_footer(text=decision.kind)
    return embed


def result_embed(title: str, data: dict[str, Any]) -> Any:
    """A tool result as an embed: the summary is the description."""
    import discord

    return discord.Embed(title=title[:256],
                         description=str(data.get("summary", ""))[:EMBED_DESCRIPTION_LIMIT],
                         colour=discord.Colour.teal())
