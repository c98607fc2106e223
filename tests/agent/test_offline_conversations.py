"""The offline model in a conversation: what a follow-up means is read from the thread
(comparisons, the watchlist, silences, drafts, alerts), and a reference that fits nothing
is asked about instead of acted on."""

from __future__ import annotations

from typing import Any

import pytest

from agent.runtime import open_runtime
from core.settings import Settings

TUESDAY_OPEN = 1795534200.0  # 2026-11-24 15:30 UTC, NYSE open


async def converse(settings: Settings, turns: list[str]) -> list[Any]:
    """Each turn's tool calls as (name, args) pairs, or its reply when it called none."""
    out: list[Any] = []
    async with open_runtime(settings, clock=lambda: TUESDAY_OPEN) as rt:
        for text in turns:
            result = await rt.ask(text, thread_id="t")
            calls = [(c["name"], c["args"]) for c in result.tool_calls]
            out.append(calls or result.answer)
    return out


@pytest.mark.parametrize(("turns", "last"), [
    (["wats tsla at rn", "how'd it do vs nvda this week", "and last week?"],
     ("compare_returns", {"symbols": ["TSLA", "NVDA"], "period": "last week"})),
    (["how did nvda do this week vs amd", "add avgo", "chart that"],
     ("compare_returns", {"symbols": ["NVDA", "AMD", "AVGO"], "period": "this week",
                          "chart": True})),
    (["spy and qqq today?", "iwm too", "which one did best this week"],
     ("compare_returns", {"symbols": ["SPY", "QQQ", "IWM"], "period": "this week"})),
    (["watchlist", "put brk.b on it"], ("watchlist", {"action": "add", "symbol": "BRK.B"})),
    (["mute tsla alerts for 2 hours", "ack the scheduler problem", "show silences",
      "unmute the tsla one"], ("unsilence", {"silence_id": 1})),
    (["draft discord posts for nvda and amd", "skip draft 2"],
     ("decide", {"decision_id": 2, "option": "skip"})),
    (["draft a short discord post on coin, casual", "schedule it in 2 hours",
      "change it to 3pm today instead"],
     ("schedule_content", {"draft_id": 1, "when": "3pm today"})),
    (["set: googl above 165, amzn above 230, jpm below 225", "drop the amazon one",
      "and the bank one"], ("delete_alert", {"alert_id": 3})),
    # a new size without a direction keeps the alert's direction (it was made either way)
    (["alert me if nvda pops 4%", "make it 6%"],
     ("update_alert", {"alert_id": 1, "threshold": 6.0, "condition": None})),
    (["alert me if tsla is up 5% today", "make it down 2%"],
     ("update_alert", {"alert_id": 1, "condition": "down_pct_from_close", "threshold": 2.0})),
    # ... nor its unit unless said, and a day's move stays one
    (["tsla drops $5 in 30 min", "make it 6%"],
     ("update_alert", {"alert_id": 1, "condition": "moving_down_pct", "threshold": 6.0})),
    (["alert me if nvda drops $10 today", "make it 6%"],
     ("update_alert", {"alert_id": 1, "condition": "down_pct_from_close", "threshold": 6.0})),
    (["alert me if amd is up 5% today", "make it $10"],
     ("update_alert", {"alert_id": 1, "condition": "up_from_close", "threshold": 10.0})),
    # a direction said without a unit turns the move; "the tesla one" is an edit
    (["alert me if tsla drops 4%", "make it up 6"],
     ("update_alert", {"alert_id": 1, "condition": "moving_up_pct", "threshold": 6.0})),
    (["alert me if tsla drops 4%", "alert me if nvda pops 3%", "make the tesla one 5%"],
     ("update_alert", {"alert_id": 1, "threshold": 5.0, "condition": None})),
    # a window said on a day's move makes it a windowed one
    (["tsla up $5 today", "make it $8 in 30 min"],
     ("update_alert", {"alert_id": 1, "condition": "moving_up", "threshold": 8.0,
                       "window_minutes": 30})),
    # "change that 250 alert to 255": 250 names the alert, 255 is its new level
    (["alert aapl above 240", "alert aapl above 250", "alert aapl above 260",
      "change that 250 alert to 255"], ("update_alert", {"alert_id": 2, "threshold": 255.0})),
    # alerts "on my lists" are listed, never deleted
    (["alert aapl above 240", "alert tsla above 300", "which alerts are on my lists"],
     ("list_alerts", {})),
    # a named list after listing alerts is that list, not "show the alerts again"
    (["show my alerts", "take avgo off the semis list"],
     ("watchlist", {"action": "remove", "symbol": "AVGO", "list_name": "semis"})),
    # "make it $10": the alert in focus, not another whose level is 10
    (["alert me if nvda drops $10 today", "alert me if amd is up 5% today", "make it $10"],
     ("update_alert", {"alert_id": 2, "condition": "up_from_close", "threshold": 10.0})),
])
async def test_a_follow_up_means_what_the_conversation_is_on(settings, turns, last):
    said = await converse(settings, turns)
    name, args = last
    assert isinstance(said[-1], list), said[-1]
    assert said[-1][0][0] == name
    assert {k: said[-1][0][1].get(k) for k in args} == args


async def test_publish_both_publishes_each_draft(settings):
    said = await converse(settings, ["draft discord posts for nvda and amd", "publish both"])
    assert said[-1] == [("publish_content", {"draft_id": 1}),
                        ("publish_content", {"draft_id": 2})]


async def test_the_named_ticker_never_deletes_another_tickers_alert(settings):
    """After listing only AMD's alerts, "the nvda one" is not the AMD alert in focus."""
    said = await converse(settings, ["alert me if amd drops below 150", "show my amd alerts",
                                     "nuke the nvda one"])
    assert isinstance(said[-1], str) and "NVDA" in said[-1]


async def test_the_request_of_a_long_message_gives_the_arguments(settings):
    story = ("ok so this morning the scanner api was timing out for like 20 min around 9:45 "
             "and I had to restart it by hand. I think the cron jobs and the scanner hit "
             "finnhub at the same moment. can you pull whatever errors you logged in the "
             "last hour")
    said = await converse(settings, [story])
    assert said[0] == [("recent_errors", {"since_minutes": 60})]


async def test_a_bare_verb_with_nothing_to_act_on_is_asked_about(settings):
    said = await converse(settings, ["thanks for the help earlier", "show me", "my drafts"])
    assert said[0] == "You're welcome."
    assert isinstance(said[1], str) and said[1].startswith("Show you what")
    assert said[2] == [("list_drafts", {})]


@pytest.mark.parametrize("turns", [
    ["alert me if aapl drops below 200", "how do i undo things if i mess up?"],
    ["how does undo work?"],
    ["draft a post about nvda earnings", "i might publish that later, not now"],
    ["ping me if googl falls below 150", "thinking about deleting that one"],
    ["write a discord post about amd", "i want to edit the draft"],
])
async def test_questions_hedges_and_edits_naming_no_change_change_nothing(settings, turns):
    """How-to questions, 'might ... later' and an edit that says no change are not orders."""
    said = await converse(settings, turns)
    assert isinstance(said[-1], str), said[-1]


async def test_a_hedge_with_a_time_is_still_an_order(settings):
    said = await converse(settings, ["draft a discord post about nvda",
                                     "not now, schedule it for tomorrow 9am"])
    assert said[-1][0][0] == "schedule_content"


async def test_an_alerts_message_template_is_kept_never_dropped(settings):
    said = await converse(settings, [
        "alert me when nvda drops below 150 with the message {{ticker}} dumped to {{price}}"])
    assert said[0] == [("create_alert", {"symbol": "NVDA", "condition": "below",
                                         "threshold": 150.0,
                                         "template": "{{ticker}} dumped to {{price}}"})]


@pytest.mark.parametrize("turns", [
    # two drafts made one after the other: "it" could be either, and a publish is final
    ["write a discord post about tesla", "also one about meta for the blog", "ok post it"],
    ["draft a post on amd", "draft one on nvda", "delete it"],
])
async def test_publishing_or_deleting_it_asks_when_it_is_only_the_newest_of_several_drafts(settings, turns):
    said = await converse(settings, turns)
    assert isinstance(said[-1], str) and said[-1].startswith("Which"), said[-1]


@pytest.mark.parametrize(("turns", "last"), [
    (["write a discord post about tesla", "also one about meta for the blog", "ok post it",
      "the tsla one"], ("publish_content", {"draft_id": 1})),
    (["draft a post on amd", "draft one on nvda", "show it", "publish it"],
     ("publish_content", {"draft_id": 2})),
    (["draft a blog post on apple, bearish take", "do a discord one too"],
     ("draft_content", {"channel": "discord", "symbol": "AAPL", "tone": "bearish"})),
    (["draft a blog post on apple", "do a discord one too", "delete the blog one",
      "publish the discord one"], ("publish_content", {"draft_id": 2})),
    (["alert tsla over 320", "alert tsla under 210", "nvm, delete all of those"],
     ("delete_alert", {"symbol": "TSLA"})),  # the bulk form: it asks to confirm
    (["draft a newsletter on eth", "anything pending?", "skip it", "undo that"],
     ("undo", {"decision_id": 1})),
])
async def test_a_singled_out_reference_acts_on_that_one(settings, turns, last):
    said = await converse(settings, turns)
    name, args = last
    assert isinstance(said[-1], list), said[-1]
    assert said[-1][0][0] == name
    assert {k: said[-1][0][1].get(k) for k in args} == args


async def test_a_deleted_draft_is_no_longer_it(settings):
    said = await converse(settings, ["draft a post on amd", "delete it", "publish it"])
    assert isinstance(said[-1], str) and "Which draft" in said[-1]


async def test_a_how_to_question_is_answered_with_how_to_say_it_and_nothing_done(settings):
    said = await converse(settings, ["alert tsla over 320", "how do i delete an alert?"])
    assert isinstance(said[-1], str) and said[-1].startswith('Say e.g. "delete'), said[-1]


async def test_the_tsla_one_after_drafts_means_the_tsla_alert_not_a_draft(settings):
    said = await converse(settings, ["alert tsla over 320", "write a discord post about amd",
                                     "also one on meta for the blog", "delete the tsla one"])
    assert said[-1] == [("delete_alert", {"alert_id": 1})]


async def test_a_move_said_of_a_list_never_deletes_and_an_impossible_edit_changes_nothing(
        settings):
    said = await converse(settings, [
        "alert aapl above 240", "alert tsla above 300", "alert msft above 500",
        "alert amd above 250", "alert nvda above 250",
        "alert me if chips on my semis list drop 5%"])
    assert not any(isinstance(s, list) and s[0][0] == "delete_alert" for s in said), said
    said = await converse(settings, ["aapl moves 5% either way in 1 hour", "make it 10 bucks"])
    assert not (isinstance(said[-1], list) and said[-1]), said[-1]  # no dollar either-way move

