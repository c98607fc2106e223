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


async def test_alert_add_takes_indicator_options_the_watchlist_and_bar_close(owner_env):
    from bots.discord.alert_options import condition_autocomplete

    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        cases = [  # (options, the words the answer must carry)
            ({"symbol": "TSLA", "condition": "rsi_above", "threshold": 70.0, "period": 9},
             "TSLA RSI(9) at or above 70"),
            ({"symbol": "AAPL", "condition": "cross_sma", "threshold": 50.0},
             "AAPL crosses its 50-session SMA"),
            ({"symbol": "AAPL", "condition": "below_ema", "threshold": 20.0},
             "AAPL at or below its 20-session EMA"),
            ({"symbol": "NVDA", "condition": "volume_spike", "threshold": 3.0, "period": 10},
             "NVDA volume"),
            ({"symbol": "AAPL", "condition": "exiting_channel", "threshold": 190.0,
              "upper": 210.0}, "AAPL exits $190.00–$210.00"),
            ({"symbol": "AAPL", "condition": "moving_up_pct", "threshold": 2.0,
              "window_minutes": 15}, "AAPL rises 2% from its low within 15 min"),
            ({"list_": "watchlist", "condition": "moving_down_pct", "threshold": 5.0},
             "anything on the watchlist falls 5% from its high"),
            ({"symbol": "watchlist", "condition": "rsi_below", "threshold": 30.0},
             "anything on the watchlist RSI(14) at or below 30"),
            ({"symbol": "AAPL", "condition": "cross_above", "threshold": 9999.0,
              "frequency": "once_per_bar_close"}, "checked on each session's closing price"),
        ]
        for options, words in cases:
            reply = FakeInteraction(bot, OWNER)
            await cog.alert_add.callback(cog, reply, **options)
            assert words in reply.texts()[-1], (options, reply.texts())
        rules = rt.alerts.service.rules()
        assert len(rules) == len(cases)
        assert [r.symbol for r in rules].count("@watchlist") == 2
        assert rules[3].period == 10 and rules[4].upper == 210.0
        # edit: the period of the RSI rule, the frequency of another
        edit = FakeInteraction(bot, OWNER)
        await cog.alert_edit.callback(cog, edit, alert_id=rules[0].id, period=21)
        assert "RSI(21)" in edit.texts()[-1]
        edit = FakeInteraction(bot, OWNER)
        await cog.alert_edit.callback(cog, edit, alert_id=rules[5].id,
                                      frequency="once_per_session")
        assert rt.alerts.service.get(rules[5].id).frequency == "once_per_day"
        # one sentence for what cannot be, never a traceback
        for options, words in (
                ({"condition": "above", "threshold": 1.0}, "Give a ticker (symbol) or the watchlist"),
                ({"symbol": "AAPL", "list_": "watchlist", "condition": "above", "threshold": 1.0},
                 "one of them"),
                ({"list_": "watchlist", "condition": "above", "threshold": 100.0},
                 "means nothing across a list"),
                ({"symbol": "AAPL", "condition": "macd_cross", "threshold": 1.0}, "condition")):
            bad = FakeInteraction(bot, OWNER)
            await cog.alert_add.callback(cog, bad, **options)
            assert words in bad.texts()[-1], (options, bad.texts())
        assert len(rt.alerts.service.rules()) == len(cases)
        # the condition option offers every condition, filtered as typed
        offered = await condition_autocomplete(FakeInteraction(bot, OWNER), "rsi")
        assert [c.value for c in offered] == ["rsi_above", "rsi_below"]
        assert len(await condition_autocomplete(FakeInteraction(bot, OWNER), "")) == 25


async def test_watch_and_alert_over_a_named_list(owner_env):
    async with open_runtime(Settings()) as rt:
        bot, cog = await make_bot(rt)
        for sym in ("NVDA", "AMD"):
            added = FakeInteraction(bot, OWNER)
            await cog.watch_add.callback(cog, added, symbol=sym, list_="semis")
            assert f"Added {sym} to your semis list" in added.texts()[-1]
        shown = FakeInteraction(bot, OWNER)
        await cog.watch_list.callback(cog, shown, list_="semis")
        assert "Your semis list: NVDA, AMD" in shown.texts()[-1]
        made = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, made, list_="semis", condition="moving_down_pct",
                                     threshold=4.0)
        assert "anything on the semis list falls 4%" in made.texts()[-1], made.texts()
        empty = FakeInteraction(bot, OWNER)
        await cog.alert_add.callback(cog, empty, list_="swing", condition="moving_down_pct",
                                     threshold=4.0)
        assert "Your swing list has no tickers yet" in empty.texts()[-1]
        assert [r.symbol for r in rt.alerts.service.rules()] == ["@semis"]
