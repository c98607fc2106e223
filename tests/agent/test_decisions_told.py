"""Every outcome is told, with its undo, in every front end (#17, items 3, 4 and 7):
autopilot's choices and expiries in the console's notices, Discord DMs (with an Undo
button that still works after a restart) and the CLI listing; undo, answers to many
decisions at once and the digest from the console, Discord and the CLI. Decisions come
from real firings (ticks through the engine)."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent.runtime import open_runtime
from bots.console import CONSOLE_UNDO, ConsoleChat
from bots.discord.bot import CopilotBot
from cli import app
from core.auth import Caller
from core.events import TICKS
from core.market import Tick
from core.settings import Settings
from tests.bots.discord.fakes import FakeInteraction, FakeMessage

OWNER = Caller.local_owner()
OWNER_ID = 1001


async def fire(rt, clock, symbol: str = "TSLA"):  # noqa: ANN001
    clock.advance(301)
    await rt.kernel.bus.publish(TICKS, Tick(symbol=symbol, price=1001.0, ts=clock()))
    await rt.kernel.bus.drain()
    return next(d for d in rt.decisions.recent() if d.symbol == symbol)


async def autopilot_dismisses(rt, clock):  # noqa: ANN001
    """An NVDA decision waiting, five TSLA dismissals by the owner, autopilot on: the
    sixth TSLA firing is autopilot's."""
    await rt.alerts.start()
    rt.kernel.bus.start()
    for symbol in ("TSLA", "NVDA"):
        await rt.alerts.service.create(symbol=symbol, condition="above", threshold=1000,
                                       frequency="every_time")
    await fire(rt, clock, "NVDA")  # waits for the owner
    for _ in range(5):
        d = await fire(rt, clock)
        await rt.decisions.decide(d.id, "dismiss", OWNER)
    rt.decisions.set_autopilot("alert_fired", True, OWNER)
    auto = await fire(rt, clock)
    assert (auto.status, auto.decided_by, auto.chosen) == ("auto", "autopilot", "dismiss")
    assert auto.rationale == ("You chose “Dismiss” for 5 of the last 5 similar TSLA "
                              "decisions (#6, #5, #4, #3, #2).")  # #1, NVDA's, still waits
    return auto


async def test_the_console_tells_autopilot_and_expiry_and_undoes_from_its_commands(
        settings, fixed_clock):
    async with open_runtime(settings, clock=fixed_clock) as rt:
        inbox = rt.notices(CONSOLE_UNDO)
        auto = await autopilot_dismisses(rt, fixed_clock)
        await rt.kernel.bus.drain()
        told = [n.text for n in inbox.drain() if "Autopilot" in n.text]
        assert told == [f"🤖 Autopilot chose “Dismiss” on decision {auto.id} (TSLA alert 1 "
                        f"fired): Dismissed the alert. Undo until 10:35 EST (asks it again): "
                        f"`/undo {auto.id}`."]
        (nvda,) = rt.decisions.pending()
        lines = iter(["/undo", f"/d {auto.id} 2", "/all dismiss alerts", "/digest", "/quit"])

        async def read(_prompt: str) -> str:
            await rt.kernel.bus.drain()
            return next(lines)

        console = Console(record=True, width=200)
        await ConsoleChat(rt, console=console, read_line=read, notices=inbox).run()
        text = console.export_text()
        assert (f"Undid decision {auto.id} (autopilot's), “TSLA alert 1 fired”: it is open "
                "again.") in text
        assert f"Decision {auto.id}: Snoozed alert 1 for 60 min." in text
        assert rt.decisions.get(nvda.id).outcome == "Dismissed (all at once)."
        assert "Dismissed 1 decision:" in text
        assert "**Autopilot today:**" not in text and "Autopilot today: 1 decision" in text
        # an expiry is told too
        await fire(rt, fixed_clock, "NVDA")
        fixed_clock.advance(25 * 3600)
        (expired,) = await rt.decisions.expire_stale()
        await rt.kernel.bus.drain()
        assert [n.text for n in inbox.drain() if n.text.startswith("⌛")] == [
            f"⌛ Decision {expired} (NVDA alert 2 fired) expired unanswered; nothing was done."]


async def test_discord_dms_autopilot_with_an_undo_button_that_survives_a_restart(
        monkeypatch, fixed_clock):
    monkeypatch.setenv("OWNER_IDS", str(OWNER_ID))
    sent: list[dict] = []

    class User:
        async def send(self, content=None, **kwargs):  # noqa: ANN001, ANN003
            sent.append({"content": content, **kwargs})

    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        bot = CopilotBot(rt)
        await bot.setup_hook()
        bot.get_user = lambda _id: User()  # type: ignore[method-assign,assignment,return-value]
        auto = await autopilot_dismisses(rt, fixed_clock)
        await rt.kernel.bus.drain()
        dm = next(m for m in sent if m.get("view") is not None
                  and m["embed"].title.startswith(f"Decision {auto.id}:"))
        assert [i.item.custom_id for i in dm["view"].children] == [f"copilot:undo:{auto.id}"]
        assert dm["embed"].fields[-1].value.startswith("until Tue 24 Nov 10:35 EST (asks it again)")
        await bot.close()
        bot2 = CopilotBot(rt)  # as after a restart: the template resolves the button
        await bot2.setup_hook()
        bot2.get_user = lambda _id: User()  # type: ignore[method-assign,assignment,return-value]
        store = bot2._connection._view_store._dynamic_items
        custom_id = f"copilot:undo:{auto.id}"
        cls, match = next((c, p.fullmatch(custom_id)) for p, c in store.items()
                          if p.fullmatch(custom_id))
        click = FakeInteraction(bot2, OWNER_ID, FakeMessage())
        button = await cls.from_custom_id(click, SimpleNamespace(label="Undo"), match)
        await button.callback(click)
        reopened = rt.decisions.get(auto.id)
        assert reopened.status == "pending"  # asked again, never citing itself
        assert reopened.rationale == auto.rationale
        assert click.followup.sent[0][0].startswith(f"Undid decision {auto.id} (autopilot's)")
        # bulk and digest as slash commands
        cog = bot2.get_cog("CopilotCommands")
        bulk = FakeInteraction(bot2, OWNER_ID)
        await cog.decide_all.callback(cog, bulk, option="snooze", symbol="tsla", minutes=120)
        assert "Answered 1 decision with “snooze”:" in bulk.texts()[-1]
        assert rt.alerts.service.get(1).snoozed_until == fixed_clock() + 7200
        digest = FakeInteraction(bot2, OWNER_ID)
        await cog.digest.callback(cog, digest)
        assert "**Autopilot today:** 1 decision" in digest.texts()[-1]
        assert (f"- 🤖 Autopilot's choice on decision {auto.id} (TSLA alert 1 fired) was "
                "undone; now decided by you: Snoozed alert 1 for 120 min.") in \
            digest.texts()[-1]
        await bot2.close()


class Behind:
    """The wall clock, an hour behind at first, moved on by ``advance``: firings need
    their cooldowns to pass, and the CLI (on the wall clock) must find the undo windows
    still open."""

    def __init__(self) -> None:
        self.offset = -3600.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def test_the_cli_lists_undoes_answers_in_bulk_and_digests():
    runner = CliRunner()

    async def prepare() -> int:
        clock = Behind()
        async with open_runtime(Settings(), clock=clock) as rt:
            auto = await autopilot_dismisses(rt, clock)
            return auto.id or 0

    auto_id = asyncio.run(prepare())
    listed = runner.invoke(app, ["decisions", "list", "--status", "auto"],
                           env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "autopilot" in listed.output and "undo until" in \
        listed.output
    digest = runner.invoke(app, ["decisions", "digest", "--hours", "2"])
    assert "Autopilot in the last 2 h: 1 decision" in digest.output, digest.output
    undone = runner.invoke(app, ["decisions", "undo"])
    assert f"Undid decision {auto_id} (autopilot's)" in undone.output, undone.output
    bulk = runner.invoke(app, ["decisions", "all", "dismiss", "--kind", "alerts"])
    assert bulk.output.startswith("Dismissed 2 decisions:"), bulk.output  # NVDA's, TSLA's
    answered = runner.invoke(app, ["decisions", "answer", str(auto_id), "snooze"])
    assert "is already decided" in answered.output and answered.exit_code == 1
    silenced = runner.invoke(app, ["silences", "add", "--symbol", "tsla", "--minutes", "30"])
    assert silenced.output.startswith("Silenced TSLA until "), silenced.output
    assert runner.invoke(app, ["silences", "list"]).output.startswith("#1 TSLA: silenced until")
    assert "Lifted #1 on TSLA" in runner.invoke(app, ["silences", "rm", "1"]).output
    bad = runner.invoke(app, ["silences", "add", "--component", "webste"])
    assert bad.exit_code == 1 and "There is no health check 'webste'" in bad.output


@pytest.fixture(autouse=True)
def _hashing_embedder(monkeypatch):
    """Meaning does not matter here: the same symbol's decisions are the similar ones."""
    monkeypatch.setenv("COPILOT_EMBEDDER", "hashing")
