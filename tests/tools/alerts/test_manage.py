"""Never a harmful guess at creation, every slot confirmed, natural expiries, edits in
place that the running engine follows, and the history of what fired with each
delivery's state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.auth import Caller
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.market import Quote, QuoteResult, Tick
from tools.alerts.console import ConsoleTarget
from tools.alerts.dispatcher import Dispatcher
from tools.alerts.engine import AlertEngine
from tools.alerts.service import AlertService
from tools.alerts.targets import DeliveryFailed
from tools.alerts.tools import make_alert_tools

OWNER = {"configurable": {"caller": Caller.local_owner()}}
GUEST = {"configurable": {"caller": Caller(user_id="999", is_owner=False)}}


class FakeMarket:
    def __init__(self, **prices: float) -> None:
        self.prices = prices

    async def quote(self, raw_symbol: str, *, interest: bool = True) -> QuoteResult:
        symbol = raw_symbol.upper()
        return QuoteResult(Quote(symbol=symbol, price=self.prices[symbol], source="test",
                                 as_of=datetime(2026, 11, 24, 14, 30, tzinfo=UTC)), age_s=0.0)


@pytest.fixture
def tools(harness):
    harness.service.market = FakeMarket(MSFT=360.12, AAPL=231.5, TSLA=250.0)
    return {t.name: t for t in make_alert_tools(harness.service)}


# ---- never a harmful guess ----------------------------------------------------------------

async def test_a_level_that_already_holds_is_asked_about_not_created(harness, tools):
    out = await tools["create_alert"].ainvoke(
        {"symbol": "MSFT", "condition": "below", "threshold": 370}, OWNER)
    assert out["summary"] == (
        "MSFT is at $360.12, already below $370.00, so this would fire at once. Did you mean "
        "cross_below, or another level? Say 'create it anyway' to keep it.")
    assert out["created"] is False and out["needs_confirmation"] is True
    assert out["proposed"] == {"symbol": "MSFT", "condition": "below", "threshold": 370,
                               "frequency": "once"}
    assert harness.service.rules() == []
    kept = await tools["create_alert"].ainvoke(
        {"symbol": "MSFT", "condition": "below", "threshold": 370, "force": True}, OWNER)
    assert kept["created"] is True
    assert kept["summary"].startswith("Alert 1 set: MSFT at or below $370.00; fires once")
    assert [r.id for r in harness.service.rules()] == [1]


@pytest.mark.parametrize("condition,threshold,says", [
    ("above", 1, "already above $1.00, so this would fire at once. Did you mean cross_above"),
    ("above", 360.12, "already at $360.12, so this would fire at once"),
    ("cross_above", 350, "already above $350.00, so it cannot cross above it until it falls "
                         "back below. Did you mean cross_below"),
    ("cross_below", 400, "already below $400.00, so it cannot cross below it until it climbs "
                         "back above. Did you mean cross_above"),
])
async def test_guesses_that_would_misfire_are_questions(harness, tools, condition, threshold,
                                                         says):
    out = await tools["create_alert"].ainvoke(
        {"symbol": "MSFT", "condition": condition, "threshold": threshold}, OWNER)
    assert says in out["summary"] and out["summary"].startswith("MSFT is at $360.12")
    assert out["created"] is False and harness.service.rules() == []


@pytest.mark.parametrize("condition,threshold", [
    ("above", 400), ("below", 300), ("cross_above", 370), ("cross_below", 350),
    ("cross", 360.12), ("moving_down_pct", 2), ("pct_change", 1), ("moving_up", 5),
])
async def test_rules_that_make_sense_are_created_at_once(harness, tools, condition, threshold):
    out = await tools["create_alert"].ainvoke(
        {"symbol": "MSFT", "condition": condition, "threshold": threshold}, OWNER)
    assert out["created"] is True and out["summary"].startswith("Alert 1 set: MSFT ")
    assert "(MSFT is at $360.12 now)" in out["summary"]


async def test_the_answer_confirms_every_slot(harness, tools):
    out = await tools["create_alert"].ainvoke(
        {"symbol": "aapl", "condition": "moving_down_pct", "threshold": 2, "window_minutes": 30,
         "frequency": "every_time", "expires_at": "until friday", "note": "earnings"}, OWNER)
    assert out["summary"] == (
        "Alert 1 set: AAPL falls 2% from its high within 30 min; fires every time, at most "
        "once per 5 min; until Fri 27 Nov 2026 23:59 EST; note: earnings (AAPL is at "
        "$231.50 now).")
    rule = harness.service.get(1)
    # the end of Friday on the owner's clock (COPILOT_TIMEZONE, America/New_York here)
    assert rule.expires_at == datetime(2026, 11, 28, 4, 59, 59, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("phrase,expected", [  # UTC instants, read on a New York clock
    ("eod", "2026-11-25 04:59:59"), ("end of day", "2026-11-25 04:59:59"),
    ("for 2 days", "2026-11-26 14:30:00"), ("in 3 hours", "2026-11-24 17:30:00"),
    ("friday", "2026-11-28 04:59:59"), ("2026-12-01T15:00:00", "2026-12-01 20:00:00"),
    ("2026-12-01T15:00:00Z", "2026-12-01 15:00:00"), ("friday's close", "2026-11-27 18:00:00"),
])
async def test_expiries_read_natural_phrases(harness, tools, phrase, expected):
    out = await tools["create_alert"].ainvoke(
        {"symbol": "MSFT", "condition": "above", "threshold": 400, "expires_at": phrase}, OWNER)
    want = datetime.fromisoformat(expected).replace(tzinfo=UTC).timestamp()
    assert harness.service.get(out["alert_id"]).expires_at == want


@pytest.mark.parametrize("phrase,says", [
    ("2020-01-01",
     "Can't create that alert: the expiry '2020-01-01' is in the past; when should it be instead?"),
    ("yesterday-ish", "Can't create that alert: I can't read 'yesterday-ish' as an end time"),
])
async def test_a_past_or_unreadable_expiry_is_one_sentence(harness, tools, phrase, says):
    with pytest.raises(InvalidInput) as err:
        await tools["create_alert"].ainvoke(
            {"symbol": "MSFT", "condition": "above", "threshold": 400, "expires_at": phrase},
            OWNER)
    assert str(err.value).startswith(says) and "\n" not in str(err.value)
    assert harness.service.rules() == []


# ---- edits in place -------------------------------------------------------------------------

async def test_update_edits_in_place_and_the_engine_follows(harness, tools):
    rule = await harness.add(symbol="TSLA", condition="above", threshold=300, note="old")
    out = await tools["update_alert"].ainvoke(
        {"alert_id": rule.id, "threshold": 260, "expires_at": "eod", "note": "new"}, OWNER)
    assert out["summary"].startswith(
        "Alert 1 updated: TSLA at or above $260.00; fires once; until Tue 24 Nov 2026 23:59 "
        "EST; note: new (was: TSLA at or above $300.00; fires once; no expiry; note: old)")
    assert [r.id for r in harness.service.rules()] == [rule.id]  # the same rule, edited
    assert await harness.tick("TSLA", 270) == [rule.id]  # the new level, at once


async def test_another_process_s_edit_reaches_a_running_engine_keeping_crossings(harness):
    running = AlertEngine(harness.sql, clock=harness.clock)
    rule = await harness.add(symbol="NVDA", condition="cross_above", threshold=200)
    running.load()
    assert running.process(Tick(symbol="NVDA", price=150, ts=harness.clock())) == []
    elsewhere = AlertService(harness.sql, None, None, clock=harness.clock)  # e.g. the CLI
    await elsewhere.update(rule.id, threshold=160)
    assert running.changed_elsewhere()
    running.refresh_if_changed()
    fired = running.process(Tick(symbol="NVDA", price=165, ts=harness.clock() + 1))
    assert [f.rule_id for f in fired] == [rule.id]  # 150 -> 165 crossed the new 160


async def test_update_is_validated_like_create(harness, tools):
    rule = await harness.add(symbol="TSLA", condition="above", threshold=300, frequency="every_time")
    cases = [
        ({"threshold": -1}, "Can't update that alert: threshold must be a positive price"),
        ({"condition": "moving_down_pct"}, "moving_down_pct needs a percentage"),
        ({"window_minutes": 0}, "window_minutes"),
        ({"expires_at": "2020-01-01"}, "is in the past"),
        ({}, "Tell me what to change on alert 1"),
    ]
    for change, says in cases:
        with pytest.raises(InvalidInput, match=says):
            await tools["update_alert"].ainvoke({"alert_id": rule.id, **change}, OWNER)
    with pytest.raises(InvalidInput, match="Can't update that alert: condition must be one of"):
        await harness.service.update(rule.id, condition="sideways", threshold=3)
    after = harness.service.get(rule.id)
    assert (after.condition, after.threshold, after.frequency) == ("above", 300, "every_time")
    with pytest.raises(NotFound, match="There is no alert 42"):
        await tools["update_alert"].ainvoke({"alert_id": 42, "threshold": 1}, OWNER)
    with pytest.raises(PermissionDenied):
        await tools["update_alert"].ainvoke({"alert_id": rule.id, "threshold": 310}, GUEST)
    assert harness.service.get(rule.id).threshold == 300


async def test_only_active_alerts_can_be_edited(harness, tools):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=100)
    await harness.tick("AAPL", 101)  # fired once: no longer active
    with pytest.raises(NotFound, match="There is no active alert 1"):
        await tools["update_alert"].ainvoke({"alert_id": rule.id, "threshold": 120}, OWNER)
    assert harness.service.get(rule.id).threshold == 100


async def test_update_asks_before_a_change_that_would_fire_at_once(harness, tools):
    rule = await harness.add(symbol="MSFT", condition="above", threshold=400)
    out = await tools["update_alert"].ainvoke({"alert_id": rule.id, "threshold": 350}, OWNER)
    assert out["updated"] is False and "Say 'update it anyway'" in out["summary"]
    assert harness.service.get(rule.id).threshold == 400
    out = await tools["update_alert"].ainvoke(
        {"alert_id": rule.id, "threshold": 350, "force": True}, OWNER)
    assert out["updated"] is True and harness.service.get(rule.id).threshold == 350


async def test_update_changes_kind_window_and_clears_expiry_and_note(harness, tools):
    rule = await harness.add(symbol="AAPL", condition="above", threshold=300, note="x",
                             expires_at="friday")
    await tools["update_alert"].ainvoke(
        {"alert_id": rule.id, "condition": "moving_up_pct", "threshold": 1.5,
         "window_minutes": 15, "expires_at": "never", "note": ""}, OWNER)
    after = harness.service.get(rule.id)
    assert (after.condition, after.threshold, after.window_minutes) == ("moving_up_pct", 1.5, 15)
    assert after.expires_at is None and after.note == ""
    await tools["update_alert"].ainvoke({"alert_id": rule.id, "condition": "moving_down_pct"},
                                        OWNER)  # same kind: the threshold and window stay
    after = harness.service.get(rule.id)
    assert (after.condition, after.threshold, after.window_minutes) == ("moving_down_pct", 1.5, 15)
    await tools["update_alert"].ainvoke({"alert_id": rule.id, "condition": "cross",
                                         "threshold": 240}, OWNER)
    assert harness.service.get(rule.id).window_minutes is None  # a level has no window


# ---- history ------------------------------------------------------------------------------

class Flaky:
    name = "webhook"

    async def send(self, payload, key):
        raise DeliveryFailed("webhook answered HTTP 500")


async def test_history_newest_first_with_each_delivery_state(harness, tools):
    a = await harness.add(symbol="AAPL", condition="above", threshold=100)
    m = await harness.add(symbol="MSFT", condition="below", threshold=50)
    await harness.tick("AAPL", 101.5)
    harness.clock.advance(3600)
    await harness.tick("MSFT", 49)
    console = ConsoleTarget(harness.sql, harness.clock)
    d = Dispatcher(harness.sql, {"console": console, "webhook": Flaky()}, clock=harness.clock,
                   group_wait_s=0, max_age_s=7200)
    await d.step()
    out = await tools["alert_history"].ainvoke({}, OWNER)
    assert out["total"] == 2
    assert [f["alert_id"] for f in out["firings"]] == [m.id, a.id]  # newest first
    first = out["firings"][1]
    assert first["price"] == 101.5 and first["symbol"] == "AAPL"
    assert {x["target"]: x["state"] for x in first["deliveries"]} == {
        "console": "sent", "webhook": "retrying"}
    lines = out["summary"].splitlines()
    assert lines[0] == "2 alerts fired, newest first:"
    assert lines[1].startswith("Tue 24 Nov 2026 10:30 EST — MSFT is at or below $50.00")
    assert "console sent, webhook retrying (1 tries: webhook answered HTTP 500)" in lines[2]
    harness.clock.advance(7200)
    await d.step()  # past max age: the webhook copy is a dead letter
    dead = await tools["alert_history"].ainvoke({"symbol": "aapl"}, OWNER)
    assert dead["total"] == 1 and "webhook dead" in dead["summary"]
    assert "MSFT" not in dead["summary"]


async def test_history_since_and_nothing_fired(harness, tools):
    await harness.add(symbol="AAPL", condition="above", threshold=100, frequency="every_time")
    await harness.tick("AAPL", 101)
    harness.clock.advance(2 * 86400)
    await harness.tick("AAPL", 102)
    assert (await tools["alert_history"].ainvoke({"since": "24h"}, OWNER))["total"] == 1
    assert (await tools["alert_history"].ainvoke({"since": "3d"}, OWNER))["total"] == 2
    today = await tools["alert_history"].ainvoke({"since": "today"}, OWNER)
    # "today" starts at the owner's midnight: 00:00 EST is 05:00 UTC
    assert today["total"] == 1 and today["since"] == datetime(2026, 11, 26, 5,
                                                              tzinfo=UTC).timestamp()
    none = await tools["alert_history"].ainvoke({"symbol": "TSLA", "since": "1h"}, OWNER)
    assert none["summary"] == "No alerts fired on TSLA since Thu 26 Nov 2026 08:30 EST."
    with pytest.raises(InvalidInput, match="can't read 'whenever'"):
        await tools["alert_history"].ainvoke({"since": "whenever"}, OWNER)
    with pytest.raises(PermissionDenied):
        await tools["alert_history"].ainvoke({}, GUEST)
