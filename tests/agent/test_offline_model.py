"""The offline model routes plain English to canonical tool calls."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.runtime import grammars, offline_model

ALL_TOOLS = {intent.tool for intent in [i for g in grammars() for i in g.intents]}

CASES = [
    ("what's AAPL at?", "get_quote", {"symbol": "AAPL"}),
    ("quote MSFT", "get_quote", {"symbol": "MSFT"}),
    ("how is apple doing today", "get_quote", {"symbol": "AAPL"}),
    ("$TSLA price", "get_quote", {"symbol": "TSLA"}),
    ("qoute nvidia", "get_quote", {"symbol": "NVDA"}),
    ("BRK.B?", "get_quote", {"symbol": "BRK.B"}),
    ("where is bitcoin trading", "get_quote", {"symbol": "BTC-USD"}),
    ("show me NVDA history for the last 3 months", "get_price_history",
     {"symbol": "NVDA", "days": 90}),
    ("how did TSLA perform over the past week", "get_price_history",
     {"symbol": "TSLA", "days": 7}),
    ("chart AMD 30 days", "price_chart", {"symbol": "AMD", "days": 30}),
    ("plot microsoft for a year", "price_chart", {"symbol": "MSFT", "days": 365}),
    ("add PLTR to my watchlist", "watchlist", {"action": "add", "symbol": "PLTR"}),
    ("stop watching COIN", "watchlist", {"action": "remove", "symbol": "COIN"}),
    ("what's on my watchlist", "watchlist", {"action": "list"}),
    ("alert me when AAPL goes above $210.50", "create_alert",
     {"symbol": "AAPL", "condition": "above", "threshold": 210.5}),
    ("ping me if bitcoin drops below 60k", "create_alert",
     {"symbol": "BTC-USD", "condition": "below", "threshold": 60000.0}),
    ("tell me when TSLA crosses above 250", "create_alert",
     {"symbol": "TSLA", "condition": "cross_above", "threshold": 250.0}),
    ("notify me when NVDA breaks below 120", "create_alert",
     {"symbol": "NVDA", "condition": "cross_below", "threshold": 120.0}),
    ("alert me if MSFT moves 3% within 30 minutes", "create_alert",
     {"symbol": "MSFT", "condition": "pct_change", "threshold": 3.0, "window_minutes": 30}),
    ("alert every time SPY goes over 600", "create_alert",
     {"symbol": "SPY", "frequency": "every_time"}),
    ("list my alerts", "list_alerts", {}),
    ("which alerts do I have on TSLA", "list_alerts", {"symbol": "TSLA"}),
    ("delete alert 3", "delete_alert", {"alert_id": 3}),
    ("cancel alert #12", "delete_alert", {"alert_id": 12}),
    ("snooze alert 4 for an hour", "snooze_alert", {"alert_id": 4, "minutes": 60}),
    ("mute alert 2 for 30 minutes", "snooze_alert", {"alert_id": 2, "minutes": 30}),
    ("pause alert 3 for an hour", "snooze_alert", {"alert_id": 3, "minutes": 60}),
    ("alert me every time TSLA goes above 300 but at most once a minute", "create_alert",
     {"symbol": "TSLA", "condition": "above", "frequency": "once_per_minute"}),
    ("pause my tsla alerts", "pause_alert", {"symbol": "TSLA", "resume": None}),
    ("pause alert 2", "pause_alert", {"alert_id": 2, "resume": None}),
    ("resume alert 3", "pause_alert", {"alert_id": 3, "resume": True}),
    ("unpause the NVDA alerts", "pause_alert", {"symbol": "NVDA", "resume": True}),
    ("turn alert 5 back on", "pause_alert", {"alert_id": 5, "resume": True}),
    ("draft a discord post about NVDA earnings", "draft_content",
     {"channel": "discord", "symbol": "NVDA"}),
    ("write a blog article on the AAPL breakout", "draft_content",
     {"channel": "blog", "symbol": "AAPL"}),
    ("compose the weekly newsletter", "draft_content", {"channel": "email"}),
    ("show my drafts", "list_drafts", {}),
    ("schedule draft 2 for tomorrow 9am", "schedule_content",
     {"draft_id": 2, "when": "tomorrow 9am"}),
    ("publish draft 3", "publish_content", {"draft_id": 3}),
    ("how are my systems doing", "system_health", {}),
    ("is the database healthy", "system_health", {"component": "database"}),
    ("any errors in the last hour", "recent_errors", {"since_minutes": 60}),
    ("review my architecture", "review_architecture", {}),
    ("review examples/victor-stack.yaml", "review_architecture",
     {"inventory_path": "examples/victor-stack.yaml"}),
    ("what needs my attention", "pending_decisions", {}),
    ("decision 5: option publish", "decide", {"decision_id": 5, "option": "publish"}),
    ("what did I decide about TSLA alerts last time", "recall_decisions", {}),
    ("turn on autopilot for alerts", "autopilot", {"action": "enable", "kind": "alert_fired"}),
    ("autopilot status", "autopilot", {"action": "status"}),
    ("change alert 3 to 250", "update_alert", {"alert_id": 3, "threshold": 250.0}),
    ("what fired today", "alert_history", {"since": "today"}),
    ("show draft 3", "show_draft", {"draft_id": 3}),
    ("make draft 2 punchier", "edit_draft", {"draft_id": 2}),
    ("delete draft 6", "delete_draft", {"draft_id": 6}),
    ("undo decision 7", "undo", {"decision_id": 7}),
    ("dismiss all alert decisions", "decide_all", {"option": "dismiss", "kind": "alert_fired"}),
    ("brief me", "briefing", {}),
    ("is the market open?", "market_status", {}),
    ("how did nvda do this week vs amd", "compare_returns", {"symbols": ["NVDA", "AMD"]}),
    ("what did autopilot do today", "digest", {}),
    ("silence tsla for an hour", "silence", {"symbol": "TSLA", "minutes": 60}),
    ("ack the website incident", "acknowledge", {"component": "website"}),
    ("whats silenced", "silences", {}),
    ("lift silence 3", "unsilence", {"silence_id": 3}),
]


def route(text: str, tools: set[str] = ALL_TOOLS) -> AIMessage:
    return offline_model().route(text, tools)


@pytest.mark.parametrize(("message", "tool", "args"), CASES, ids=[c[0] for c in CASES])
def test_routes_to_the_canonical_tool(message, tool, args):
    msg = route(message)
    assert msg.tool_calls, f"no tool call for {message!r}: {msg.content}"
    call = msg.tool_calls[0]
    assert call["name"] == tool
    for key, value in args.items():
        assert call["args"].get(key) == value, (key, call["args"])


def test_every_canonical_tool_is_reachable():
    assert {c[1] for c in CASES} == ALL_TOOLS


def test_several_symbols_give_several_calls():
    msg = route("quote AAPL and MSFT")
    assert [c["args"]["symbol"] for c in msg.tool_calls] == ["AAPL", "MSFT"]


def test_unknown_request_says_what_it_can_do():
    msg = route("blorp the frobnicator")
    assert not msg.tool_calls
    assert "quotes" in msg.content and "alerts" in msg.content
    general = route("what is the meaning of life")
    assert not general.tool_calls and "OPENAI_API_KEY" in general.content


def test_missing_slot_asks_instead_of_guessing():
    msg = route("delete the alert")
    assert not msg.tool_calls
    assert "Which alert" in msg.content


def test_only_bound_tools_are_called():
    msg = route("alert me when AAPL goes above 200", {"get_quote"})
    assert all(c["name"] == "get_quote" for c in msg.tool_calls)


# the harmful readings measured on commit 723bc60 (issue #16): never again
@pytest.mark.parametrize(("message", "condition", "threshold"), [
    ("alert: amd < 180", "below", 180.0),
    ("alert me when msft < 370 every time", "below", 370.0),
    ("googl crossing below 150, every time", "cross_below", 150.0),
    ("AAPL falls 2%", "moving_down_pct", 2.0),
    ("tsla pops 3% ping me", "moving_up_pct", 3.0),
    ("alert me if eth dumps to 2.5k", "below", 2500.0),
])
def test_direction_words_decide_the_condition(message, condition, threshold):
    call = route(message).tool_calls[0]
    assert call["name"] == "create_alert"
    assert (call["args"]["condition"], call["args"]["threshold"]) == (condition, threshold)


@pytest.mark.parametrize("message", [
    "MACD on TSLA crosses above its signal, alert me", "ping me on the spy golden cross",
    "alert me when nvda crosses its moving average", "ping me on a volume spike in amd",
    "buy 100 shares of aapl", "short tsla at 270",
    "tomorrow at 9 about AAPL", "amd 200 alert", "set an alert on amd at 200",
])
def test_what_it_cannot_represent_is_never_approximated(message):
    msg = route(message)
    assert not [c for c in msg.tool_calls if c["name"] == "create_alert"], msg.tool_calls
    assert msg.content  # a sentence: what it can do, or one question


def test_every_slot_is_kept():
    args = route("alert me if msft goes over 420 every time until friday, note: earnings "
                 "run-up").tool_calls[0]["args"]
    assert args == {"symbol": "MSFT", "condition": "above", "threshold": 420.0,
                    "frequency": "every_time", "expires_at": "friday",
                    "note": "earnings run-up"}
    both = route("alert me if nvda > 200 and amd under 150").tool_calls
    assert [(c["args"]["symbol"], c["args"]["condition"]) for c in both] == [
        ("NVDA", "above"), ("AMD", "below")]


def test_a_numbered_draft_is_never_a_new_draft():
    for message in ("show draft 3", "edit draft 3 make it shorter", "delete draft 6",
                    "queue draft 1 for in 2 hours", "whats in draft 1"):
        assert all(c["name"] != "draft_content" for c in route(message).tool_calls), message


def test_english_words_are_not_corrected_into_others():
    args = route("draft a post about AAPL earnings").tool_calls[0]["args"]
    assert "earnings" in args["topic"] and "warnings" not in args["topic"]


def test_follow_up_reuses_previous_tool():
    model = offline_model()
    first = model.route("chart AAPL", ALL_TOOLS)
    history = [HumanMessage("chart AAPL"), first,
               ToolMessage('{"summary": "ok"}', tool_call_id=first.tool_calls[0]["id"]),
               AIMessage("ok"), HumanMessage("and TSLA?")]
    msg = model.respond(history, ALL_TOOLS)
    assert msg.tool_calls[0]["name"] == "price_chart"
    assert msg.tool_calls[0]["args"]["symbol"] == "TSLA"


def test_answer_is_written_from_tool_results():
    model = offline_model()
    messages = [
        HumanMessage("quote AAPL"),
        AIMessage("", tool_calls=[{"name": "get_quote", "args": {"symbol": "AAPL"}, "id": "c1"}]),
        ToolMessage('{"summary": "AAPL is at $200.00.", "price": 200.0}', tool_call_id="c1"),
    ]
    assert model.respond(messages, ALL_TOOLS).content == "AAPL is at $200.00."


def test_tool_error_becomes_the_answer():
    model = offline_model()
    messages = [
        HumanMessage("quote ZZZZ"),
        AIMessage("", tool_calls=[{"name": "get_quote", "args": {"symbol": "ZZZZ"}, "id": "c1"}]),
        ToolMessage("I don't know the ticker ZZZZ.", tool_call_id="c1", status="error"),
    ]
    assert model.respond(messages, ALL_TOOLS).content == "I don't know the ticker ZZZZ."


def test_invoke_through_langchain_interface():
    model = offline_model()
    from langchain_core.tools import tool

    @tool
    def get_quote(symbol: str) -> str:
        """Quote a symbol."""
        return symbol

    result = model.bind_tools([get_quote]).invoke([HumanMessage("price of AMZN")])
    assert result.tool_calls[0]["args"] == {"symbol": "AMZN"}


def test_a_publish_at_an_iso_moment_schedules_it():
    from agent.offline.extract import extract
    from agent.offline.normalize import simplify

    text = "set draft 1 to publish on 2026-12-01 14:30"
    e = extract(text, simplify(text))
    assert (e.when, e.period) == ("2026-12-01 14:30", None)
    text = "aapl on 2026-10-01"  # a day without a clock stays a period
    e = extract(text, simplify(text))
    assert (e.when, e.period) == (None, "on 2026-10-01")


def _toy_model():
    from agent.offline.model import OfflineChatModel
    from core.grammar import Grammar, Intent

    wipe = Intent("delete_alert", {"delete alert": 4}, lambda e, ctx: {"alert_id": 7},
                  examples=("obliterate the tripwire on sym", "obliterate every tripwire"),
                  mutating=True)
    look = Intent("list_alerts", {"list alerts": 4}, lambda e, ctx: {})
    return OfflineChatModel.from_grammars([Grammar(intents=(wipe, look))])


def test_a_change_it_only_resembles_is_proposed_then_made_on_yes_and_dropped_on_no():
    from langchain_core.messages import AIMessage, HumanMessage

    model, tools = _toy_model(), {"delete_alert", "list_alerts"}
    asked = model.respond([HumanMessage("obliterate the tripwire on nvda")], tools)
    assert not asked.tool_calls and asked.content.startswith("Do you want me to delete alert")
    thread = [HumanMessage("obliterate the tripwire on nvda"), asked]
    yes = model.respond([*thread, HumanMessage("yes")], tools)
    assert [(c["name"], c["args"]) for c in yes.tool_calls] == [("delete_alert", {"alert_id": 7})]
    no = model.respond([*thread, HumanMessage("nope")], tools)
    assert not no.tool_calls and "left everything" in no.content
    # said in words, it is done at once; and a "yes" with nothing proposed makes nothing
    said = model.respond([HumanMessage("delete alert 7")], tools)
    assert [c["name"] for c in said.tool_calls] == ["delete_alert"]
    stray = model.respond([HumanMessage("list alerts"), AIMessage("none"), HumanMessage("yes")],
                          tools)
    assert not stray.tool_calls
