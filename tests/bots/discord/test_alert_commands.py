"""The alert group's slash commands: the new conditions in /alert add, /alert edit,
/alert history and /alert remove by ticker (a confirmation, never silent)."""

from __future__ import annotations

import pytest

from agent.runtime import open_runtime
from bots.discord.bot import CopilotBot
from bots.discord.commands import CopilotCommands
from core.market import Tick
from core.settings import Settings
from tests.bots.discord.fakes import FakeInteraction

OWNER, GUEST = 1001, 2002


@pytest.fixture
def owner_env(monkeypatch):
    monkeypatch.setenv("OWNER_IDS", str(OWNER))


async def make_bot(rt) -> tuple[CopilotBot, CopilotCommands]:
    bot = CopilotBot(rt)
    await bot.setup_hook()
    cog = bot.get_cog("CopilotCommands")
    assert isinstance(cog, CopilotCommands)
    return bot, cog


async def test_alert_group_add_edit_history_remove(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        price = (await rt.market.service.quote("TSLA")).quote.price
        add = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, add, symbol="TSLA", condition="moving_down_pct",
                                     threshold=2.0, window_minutes=30, expires_at="friday")
        assert "Alert 1 set: TSLA falls 2% from its high within 30 min; fires once; until" \
            in add.texts()[-1]
        misfire = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, misfire, symbol="TSLA", condition="above",
                                     threshold=round(price / 2, 2))
        assert "so this would fire at once" in misfire.texts()[-1]
        assert len(rt.alerts.service.rules()) == 1
        forced = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, forced, symbol="TSLA", condition="above",
                                     threshold=round(price / 2, 2), force=True)
        assert "Alert 2 set" in forced.texts()[-1]

        edit = FakeInteraction(bot, OWNER)
        await cog.alert_edit.callback(cog, edit, alert_id=1, threshold=3.0, note="-")
        assert "Alert 1 updated: TSLA falls 3% from its high within 30 min" in edit.texts()[-1]
        guest = FakeInteraction(bot, GUEST)
        await cog.alert_edit.callback(cog, guest, alert_id=1, threshold=9.0)
        assert guest.texts() == ["That command is for the owner."]
        assert rt.alerts.service.get(1).threshold == 3.0

        rt.alerts.engine.load()
        rt.alerts.engine.process(Tick(symbol="TSLA", price=price, ts=rt.kernel.clock()))
        history = FakeInteraction(bot, OWNER)
        await cog.alert_history.callback(cog, history, symbol="TSLA", since="today")
        assert "1 alert fired on TSLA since" in history.texts()[-1]
        assert "(alert 2)" in history.texts()[-1]

        remove = FakeInteraction(bot, OWNER)
        await cog.alert_remove.callback(cog, remove, symbol="TSLA")
        assert "Delete your 1 TSLA alert? #1 — waiting for your confirmation" \
            in remove.texts()[-1]
        assert [r.id for r in rt.alerts.service.rules()] == [1]  # nothing deleted yet
        assert [d.kind for d in rt.pending()] == ["alerts_delete"]


async def test_alert_pause_and_resume_by_ticker(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        for level in (10_000.0, 11_000.0):
            await rt.alerts.service.create(symbol="TSLA", condition="above", threshold=level)
        paused = FakeInteraction(bot, OWNER)
        await cog.alert_pause.callback(cog, paused, symbol="TSLA")
        assert "Paused 2 alerts on TSLA: #1 #2." in paused.texts()[-1]
        assert all(r.snoozed_until for r in rt.alerts.service.rules())
        guest = FakeInteraction(bot, GUEST)
        await cog.alert_resume.callback(cog, guest, alert_id=1)
        assert guest.texts() == ["That command is for the owner."]
        resumed = FakeInteraction(bot, OWNER)
        await cog.alert_resume.callback(cog, resumed, alert_id=1)
        assert "Resumed 1 alert: #1." in resumed.texts()[-1]
        assert [r.snoozed_until is None for r in rt.alerts.service.rules()] == [True, False]


async def test_alert_add_and_edit_take_targets_and_a_template(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        add = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, add, symbol="TSLA", condition="above",
                                     threshold=10_000.0, targets="discord:123456789012345678",
                                     template="{{ticker}} {{price}}")
        assert "; to discord:123456789012345678; message: {{ticker}} {{price}}" \
            in add.texts()[-1]
        bad = FakeInteraction(bot, OWNER)
        await cog.alert_edit.callback(cog, bad, alert_id=1, template="{{oops}}")
        assert "{{oops}} is not a placeholder" in bad.texts()[-1]
        edit = FakeInteraction(bot, OWNER)
        await cog.alert_edit.callback(cog, edit, alert_id=1, template="-")
        assert rt.alerts.service.get(1).template == ""
