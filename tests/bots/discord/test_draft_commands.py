"""/draft_show, /draft_edit (options or a dialog), /draft_delete, /undo and /briefing:
the owner's, through the same tools as the chat."""

from __future__ import annotations

import pytest

from agent.runtime import open_runtime
from bots.discord.bot import CopilotBot
from bots.discord.commands import DIALOG_LIMIT, DraftBodyModal
from core.settings import Settings
from tests.bots.discord.fakes import FakeInteraction

OWNER, GUEST = 1001, 2002


@pytest.fixture
def owner_env(monkeypatch):
    monkeypatch.setenv("OWNER_IDS", str(OWNER))


async def make_bot(rt):
    bot = CopilotBot(rt)
    await bot.setup_hook()
    return bot, bot.get_cog("CopilotCommands")


async def test_draft_show_edit_and_delete(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        d = await rt.content.service.draft("AAPL breakout", "discord", "AAPL", notify=True)
        shown = FakeInteraction(bot, OWNER)
        await cog.draft_show.callback(cog, shown, draft_id=d.id)
        assert shown.response.deferred == {"ephemeral": True, "thinking": True}
        assert f"Draft {d.id} · discord · draft · neutral tone" in shown.texts()[-1]

        edited = FakeInteraction(bot, OWNER)
        await cog.draft_edit.callback(cog, edited, draft_id=d.id, instruction="make it bearish")
        assert f"Draft {d.id}: rewrote it in a bearish tone." in edited.texts()[-1]
        assert rt.content.service.get(d.id).tone == "bearish"

        refused = FakeInteraction(bot, OWNER)
        await cog.draft_edit.callback(cog, refused, draft_id=d.id, body="AAPL to $999")
        assert "adds numbers the data doesn't support: $999" in refused.texts()[-1]

        guest = FakeInteraction(bot, GUEST)
        bot.policy.allowed_channels = {guest.channel_id}
        await cog.draft_delete.callback(cog, guest, draft_id=d.id)
        assert guest.texts() == ["That command is for the owner."]

        gone = FakeInteraction(bot, OWNER)
        await cog.draft_delete.callback(cog, gone, draft_id=d.id)
        assert f"Deleted draft {d.id}" in gone.texts()[-1] and "Closed its pending decision" \
            in gone.texts()[-1]
        assert rt.decisions.pending() == []


async def test_draft_edit_with_only_the_number_opens_a_dialog(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        d = await rt.content.service.draft("NVDA", "discord", "NVDA", notify=False)
        opened = FakeInteraction(bot, OWNER)
        await cog.draft_edit.callback(cog, opened, draft_id=d.id)
        modal = opened.response.modal
        assert isinstance(modal, DraftBodyModal) and modal.body.default == d.body
        modal.body._value = "NVDA, in short. Not financial advice."
        submitted = FakeInteraction(bot, OWNER)
        await modal.on_submit(submitted)
        assert f"Draft {d.id}: replaced the text." in submitted.texts()[-1]
        assert rt.content.service.get(d.id).body == "NVDA, in short. Not financial advice.\n"

        long = await rt.content.service.draft("weekly notes", "blog", notify=False)
        rt.content.service._set(long.id, body="x " * DIALOG_LIMIT)
        too_long = FakeInteraction(bot, OWNER)
        await cog.draft_edit.callback(cog, too_long, draft_id=long.id)
        assert too_long.response.modal is None
        assert "longer than a dialog holds" in too_long.texts()[-1]

        guest = FakeInteraction(bot, GUEST, channel_id=None, guild_id=None)
        await cog.draft_edit.callback(cog, guest, draft_id=d.id)
        assert guest.response.modal is None and guest.texts() == [
            "Sorry, I only answer my owner here."]


async def test_undo_and_briefing(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        nothing = FakeInteraction(bot, OWNER)
        await cog.undo.callback(cog, nothing)
        assert "There's nothing to undo" in nothing.texts()[-1]
        d = await rt.content.service.draft("AAPL", "discord", "AAPL", notify=True)
        decision = rt.decisions.pending("content_ready")[0]
        await rt.decisions.decide(decision.id, "skip", bot.policy.caller(OWNER))
        assert rt.content.service.get(d.id).status == "failed"
        undone = FakeInteraction(bot, OWNER)
        await cog.undo.callback(cog, undone)
        assert f"Undid decision {decision.id}" in undone.texts()[-1]
        assert rt.content.service.get(d.id).status == "draft"

        brief = FakeInteraction(bot, OWNER)
        await cog.briefing.callback(cog, brief)
        assert "**Drafts waiting:** 1" in brief.texts()[-1]
        assert rt.decisions.pending() == []  # the briefing raised nothing
