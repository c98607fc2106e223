"""Named lists beside the watchlist ("semis"): made by adding a ticker, shown, emptied;
one alert over a list fires for each ticker on it and follows the list's changes; an
alert over a list with no ticker is asked about, never stored to watch nothing."""

from __future__ import annotations

import pytest

from core.auth import Caller
from core.errors import InvalidInput
from core.market import Tick

OWNER = Caller.local_owner()


async def test_a_named_list_is_made_shown_and_alerted_on_per_ticker(settings):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        for sym in ("nvda", "AMD"):
            added = await rt.run_tool("watchlist", {"action": "add", "symbol": sym,
                                                    "list_name": "Semis"}, OWNER)
            assert added["summary"] == f"Added {sym.upper()} to your semis list."
        again = await rt.run_tool("watchlist", {"action": "add", "symbol": "NVDA",
                                                "list_name": "my semis list"}, OWNER)
        assert again["summary"] == "NVDA is on your semis list already."
        shown = await rt.run_tool("watchlist", {"action": "list", "list_name": "semis"}, OWNER)
        assert shown["symbols"] == ["NVDA", "AMD"]
        main = await rt.run_tool("watchlist", {"action": "list"}, OWNER)
        assert main["lists"] == {"semis": 2} and "other lists: semis (2)" in main["summary"]
        with pytest.raises(InvalidInput, match="one word"):
            await rt.run_tool("watchlist", {"action": "add", "symbol": "NVDA",
                                            "list_name": "semis; drop table"}, OWNER)
        made = await rt.run_tool("create_alert", {"symbol": "@semis", "condition": "rsi_above",
                                                  "threshold": 1}, OWNER)
        assert made["created"] and "anything on the semis list" in made["summary"]
        assert {"NVDA", "AMD"} <= set(rt.alerts.service.active_symbols())
        engine = rt.alerts.engine
        members = lambda: sorted(v.symbol for v in engine.rules.values() if v.id < 0)  # noqa: E731
        assert members() == ["AMD", "NVDA"]
        # off the list: no longer watched by it; a ticker added later is
        await rt.run_tool("watchlist", {"action": "remove", "symbol": "AMD",
                                        "list_name": "semis"}, OWNER)
        await rt.run_tool("watchlist", {"action": "add", "symbol": "AVGO",
                                        "list_name": "semis"}, OWNER)
        assert engine.follow_lists() == 2 and members() == ["AVGO", "NVDA"]
        await rt.alerts.seed_indicators()
        ts = rt.clock()
        fired = []
        for i, sym in enumerate(("NVDA", "AMD", "AVGO", "TSLA")):
            fired += engine.process(Tick(symbol=sym, price=10_000.0, ts=ts + i))
        assert sorted(f.symbol for f in fired) == ["AVGO", "NVDA"]
        assert {f.rule_id for f in fired} == {made["alert_id"]}


async def test_an_alert_over_an_empty_list_is_asked_about(settings):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        with pytest.raises(InvalidInput, match="Your swing list has no tickers yet"):
            await rt.run_tool("create_alert", {"symbol": "my swing list",
                                               "condition": "moving_down_pct",
                                               "threshold": 5}, OWNER)
        assert rt.alerts.service.rules() == []


@pytest.mark.parametrize(("message", "calls"), [
    ("add NVDA to my semis list",
     [("watchlist", {"action": "add", "symbol": "NVDA", "list_name": "semis"})]),
    ("create a list called swing with tsla and pltr",
     [("watchlist", {"action": "add", "symbol": "TSLA", "list_name": "swing"}),
      ("watchlist", {"action": "add", "symbol": "PLTR", "list_name": "swing"})]),
    ("take nvda off my semis list",
     [("watchlist", {"action": "remove", "symbol": "NVDA", "list_name": "semis"})]),
    ("what's on the swing list", [("watchlist", {"action": "list", "list_name": "swing"})]),
    ("what's on my lists", [("watchlist", {"action": "list"})]),
    ("what lists do i have", [("watchlist", {"action": "list"})]),
    ("add pltr to my watchlist", [("watchlist", {"action": "add", "symbol": "PLTR"})]),
    ("alert me if anything on my semis list drops 5%",
     [("create_alert", {"symbol": "@semis", "condition": "moving_down_pct", "threshold": 5.0})]),
    ("create a semis list with nvda and amd",
     [("watchlist", {"action": "add", "symbol": "NVDA", "list_name": "semis"}),
      ("watchlist", {"action": "add", "symbol": "AMD", "list_name": "semis"})]),
    ("list tsla alerts", [("list_alerts", {"symbol": "TSLA"})]),
    ("list tsla alerts above 200", [("list_alerts", {"symbol": "TSLA"})]),
    ("delete my tsla alerts", [("delete_alert", {"symbol": "TSLA"})]),
])
def test_the_offline_model_reads_named_lists(message, calls):
    from agent.runtime import grammars, offline_model

    tools = {i.tool for g in grammars() for i in g.intents}
    said = offline_model().route(message, tools).tool_calls
    assert [(c["name"], c["args"]) for c in said] == calls


def test_the_cli_manages_lists_and_alerts_over_them(settings):
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    added = runner.invoke(app, ["lists", "add", "semis", "NVDA", "amd"])
    assert added.exit_code == 0 and "Added AMD to your semis list." in added.output
    assert "other lists: semis (2)" in runner.invoke(app, ["lists"]).output
    assert "Your semis list: NVDA, AMD." in runner.invoke(app, ["lists", "show", "semis"]).output
    made = runner.invoke(app, ["alerts", "add", "--list", "semis", "moving_down_pct", "5"])
    assert made.exit_code == 0 and "anything on the semis list" in made.output, made.output
    empty = runner.invoke(app, ["alerts", "add", "--list", "swing", "moving_down_pct", "5"])
    assert empty.exit_code == 1 and "no tickers yet" in empty.output
    bad = runner.invoke(app, ["lists", "add", "no good!", "NVDA"])
    assert bad.exit_code == 1 and "one word" in bad.output and "Traceback" not in bad.output
    gone = runner.invoke(app, ["lists", "rm", "semis", "AMD", "NVDA"])
    assert "Removed NVDA from your semis list." in gone.output
    assert "other lists" not in runner.invoke(app, ["lists"]).output
