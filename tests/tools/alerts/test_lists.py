"""One rule over the watchlist: registered under each member symbol, it fires for each
symbol on its own (its own once / cooldown / session state), follows the list's changes,
and shows as one rule whose firings name their symbol; once_per_bar_close rules are
checked on each session's last price. Both against a naive evaluator on random ticks."""

from __future__ import annotations

import random

import pytest
from sqlmodel import Session, select

from core.bus import InProcessBus
from core.calendar import calendar_for
from core.errors import InvalidInput
from core.market import Tick
from core.storage import create_tables, make_engine
from tools.alerts.capability import AlertsCapability
from tools.alerts.engine import AlertEngine, next_period
from tools.alerts.index import fall_pct
from tools.alerts.models import Firing
from tools.alerts.service import AlertService


class ListHarness:
    def __init__(self, sql, clock, watchlist):
        self.sql, self.clock, self.watchlist = sql, clock, watchlist
        self.engine = self.new_engine()
        self.service = AlertService(sql, None, self.engine, clock=clock, cooldown_s=300)

    def new_engine(self) -> AlertEngine:
        return AlertEngine(self.sql, bus=InProcessBus(), clock=self.clock,
                           members=lambda name: list(self.watchlist))

    def firings(self) -> list[tuple[int, str, float]]:
        with Session(self.sql) as s:
            return [(f.rule_id, f.symbol, f.tick_ts)
                    for f in s.exec(select(Firing).order_by(Firing.id))]


@pytest.fixture
def lists(settings, fixed_clock):
    sql = make_engine(settings.db_url)
    create_tables(sql, AlertsCapability.tables)
    return ListHarness(sql, fixed_clock, ["AAPL", "TSLA"])


@pytest.mark.parametrize("frequency", ["once", "every_time", "once_per_minute", "once_per_day"])
@pytest.mark.parametrize("seed", [1, 2])
async def test_a_list_rule_fires_per_symbol_like_the_naive_evaluator(lists, frequency, seed):
    rule, _ = await lists.service.create(symbol="watchlist", condition="moving_down_pct",
                                         threshold=1.5, window_minutes=30, frequency=frequency)
    assert rule.symbol == "@watchlist" and rule.list_name == "watchlist"
    cooldown = {"every_time": 300.0, "once_per_minute": 60.0}.get(frequency)
    rng = random.Random(seed)
    prices = {"AAPL": 100.0, "TSLA": 200.0, "NVDA": 50.0}
    history: dict[str, list[tuple[float, float]]] = {}
    armed_at: dict[str, float] = {}  # symbol -> when it may fire again (inf: spent)
    expected = []
    for step in range(900):
        if step == 300:  # added to the watchlist later: watched from then on
            lists.watchlist.append("NVDA")
            assert lists.engine.follow_lists() == 1
        dt = rng.uniform(5, 600) if frequency == "once_per_day" else rng.uniform(1, 40)
        lists.clock.advance(dt)
        now = lists.clock()
        symbol = rng.choice(list(prices))
        prices[symbol] = round(prices[symbol] * (1 + rng.gauss(0, 0.006)), 2)
        price = prices[symbol]
        lists.engine.process(Tick(symbol=symbol, price=price, ts=now))
        if symbol not in lists.watchlist:
            continue
        history.setdefault(symbol, []).append((now, price))
        high = max(p for t, p in history[symbol] if t >= now - 30 * 60)
        if fall_pct(price, high) >= 1.5 and now >= armed_at.get(symbol, 0.0):
            expected.append((rule.id, symbol, now))
            armed_at[symbol] = (float("inf") if frequency == "once" else
                                now + cooldown if cooldown else next_period(symbol, now))
    assert lists.firings() == expected
    assert len({s for _, s, _ in expected}) == 3, "every symbol fired, NVDA included"
    assert len(lists.service.rules()) == 1  # one rule, whatever fired


async def test_one_rule_in_lists_and_history_with_each_firings_symbol(lists):
    rule, _ = await lists.service.create(symbol="my watchlist", condition="pct_change",
                                         threshold=2, frequency="once")
    assert rule.describe() == "anything on the watchlist moves 2% within 60 min"
    assert "for each symbol on it" in rule.details("UTC")
    for symbol, prices in (("AAPL", [100, 103]), ("TSLA", [200, 210])):
        for p in prices:
            lists.clock.advance(5)
            lists.engine.process(Tick(symbol=symbol, price=p, ts=lists.clock()))
    records, total, _ = lists.service.history()
    assert total == 2 and {r.firing.symbol for r in records} == {"AAPL", "TSLA"}
    assert {r.firing.rule_id for r in records} == {rule.id}
    assert f"(alert {rule.id})" in records[0].firing.message
    assert [r.id for r in lists.service.rules()] == [rule.id]  # still active: once per symbol
    # a restart keeps each symbol's state: both spent, a new one armed
    lists.watchlist.append("MSFT")
    fresh = lists.new_engine()
    fresh.load()
    assert sorted(v.symbol for v in fresh.rules.values() if v.id < 0) == ["MSFT"]
    # removed from the watchlist: no longer watched
    lists.watchlist.remove("MSFT")
    assert fresh.follow_lists() == 1 and not [v for v in fresh.rules.values() if v.id < 0]
    # deleting the rule drops every member
    lists.service.delete(rule.id)
    assert not lists.engine.rules and not lists.engine.has_lists


async def test_list_rules_refuse_what_means_nothing_across_a_list(lists):
    with pytest.raises(InvalidInput, match="means nothing across a list"):
        await lists.service.create(symbol="watchlist", condition="above", threshold=100)
    with pytest.raises(InvalidInput, match="A list's name is one word"):
        await lists.service.create(symbol="@tech stocks!", condition="pct_change", threshold=2)


def closes_between(symbol: str, start: float, end: float) -> list[float]:
    """Session closes in (start, end]."""
    from datetime import UTC, datetime

    cal, out, at = calendar_for(symbol), [], start
    while True:
        at = cal.next_close(datetime.fromtimestamp(at, UTC)).timestamp()
        if at > end:
            return out
        out.append(at)


@pytest.mark.parametrize("symbol", ["AAPL", "BTC-USD", "watchlist"])
@pytest.mark.parametrize("seed", [3, 4])
async def test_once_per_bar_close_fires_on_closing_prices_like_the_naive_evaluator(
        lists, symbol, seed):
    rng = random.Random(seed)
    conditions = ["above", "below", "cross_above", "cross_below", "cross"]
    if symbol == "watchlist":
        conditions = ["pct_change", "moving_down_pct", "moving_up_pct"]
    rules = []
    for _ in range(6):
        condition = rng.choice(conditions)
        threshold = (round(rng.uniform(95, 105), 1) if condition in ("above", "below") or
                     condition.startswith("cross") else round(rng.uniform(0.5, 4), 1))
        rule, _ = await lists.service.create(
            symbol=symbol, condition=condition, threshold=threshold,
            window_minutes=1440 if symbol == "watchlist" else None,
            frequency="once_per_bar_close")
        assert rule.frequency == "once_per_bar_close"
        rules.append(rule)
    symbols = ["AAPL", "TSLA"] if symbol == "watchlist" else [symbol]
    price = {s: 100.0 for s in symbols}
    last_seen: dict[str, float] = {}
    closes: dict[str, list[tuple[float, float]]] = {s: [] for s in symbols}
    settled = lists.clock()
    for _ in range(250):
        lists.clock.advance(rng.uniform(600, 4 * 3600))
        now = lists.clock()
        fired = lists.engine.settle_closes(now)  # what `copilot run` does every second
        assert all(f.repeats for f in fired)
        for s in symbols:
            for close in closes_between(s, settled, now):
                if s in last_seen:
                    closes[s].append((close, last_seen[s]))
        settled = now
        s = rng.choice(symbols)
        price[s] = round(price[s] * (1 + rng.gauss(0, 0.01)), 2)
        last_seen[s] = price[s]
        lists.engine.process(Tick(symbol=s, price=price[s], ts=now))
    expected = []
    for s in symbols:
        series = closes[s]
        for i, (close, p) in enumerate(series):
            last = series[i - 1][1] if i else None
            window = [q for t, q in series[: i + 1] if t >= close - 1440 * 60]
            for r in rules:
                th, c = r.threshold, r.condition
                hit = {"above": p >= th, "below": p <= th,
                       "cross_above": last is not None and last < th <= p,
                       "cross_below": last is not None and p <= th < last,
                       "cross": last is not None and (last < th <= p or p <= th < last),
                       "pct_change": max((p - min(window)) / min(window),
                                         (max(window) - p) / max(window)) * 100 >= th,
                       "moving_down_pct": fall_pct(p, max(window)) >= th,
                       "moving_up_pct": (p - min(window)) / min(window) * 100 >= th}[c]
                if hit:
                    expected.append((r.id, s, close))
    assert sorted(lists.firings()) == sorted(expected)
    assert len(expected) > 3
    assert not any(lists.engine.index.evaluate(s, 1.0, lists.clock()) for s in symbols), \
        "bar-close rules are never on the tick path"


def test_an_older_database_gets_the_per_symbol_firing_key_keeping_its_rows(tmp_path):
    from sqlalchemy import inspect

    from tools.alerts.lists import migrate_firing_key

    sql = make_engine(f"sqlite:///{tmp_path}/old.db")
    with sql.begin() as conn:  # the table as the version before list rules made it
        conn.exec_driver_sql(
            "CREATE TABLE alert_firings (id INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL, "
            "symbol VARCHAR NOT NULL, price FLOAT NOT NULL, tick_ts FLOAT NOT NULL, "
            "message VARCHAR NOT NULL, created_at FLOAT NOT NULL, UNIQUE (rule_id, tick_ts))")
        conn.exec_driver_sql("CREATE INDEX ix_alert_firings_tick_ts ON alert_firings (tick_ts)")
        conn.exec_driver_sql("INSERT INTO alert_firings VALUES (1, 7, 'AAPL', 1, 5, 'm', 5)")
    assert migrate_firing_key(sql) is True
    assert migrate_firing_key(sql) is False  # once
    keys = [u["column_names"] for u in inspect(sql).get_unique_constraints("alert_firings")]
    assert keys == [["rule_id", "symbol", "tick_ts"]]
    with Session(sql) as s:
        s.add(Firing(rule_id=7, symbol="TSLA", price=2, tick_ts=5, message="m", created_at=5))
        s.commit()
        assert [f.symbol for f in s.exec(select(Firing).order_by(Firing.id))] == ["AAPL", "TSLA"]


async def test_a_watchlist_rule_through_the_tool_follows_the_real_watchlist(settings):
    from agent.runtime import open_runtime
    from core.auth import Caller

    owner = Caller.local_owner()
    async with open_runtime(settings) as rt:
        made = await rt.run_tool("create_alert", {"symbol": "watchlist",
                                                  "condition": "moving_down_pct",
                                                  "threshold": 5}, owner)
        assert made["created"], made
        assert "anything on the watchlist falls 5% from its high" in made["summary"]
        engine = rt.alerts.engine
        on_list = set(rt.market.service.watchlist())
        members = {v.symbol for v in engine.rules.values() if v.id < 0}
        assert members == on_list and members
        await rt.run_tool("watchlist", {"action": "add", "symbol": "NFLX"}, owner)
        assert engine.follow_lists() == 1
        fired = []
        for i, price in enumerate((100.0, 94.0)):  # NFLX, added after the rule, falls 6%
            fired += engine.process(Tick(symbol="NFLX", price=price, ts=rt.clock() + i))
        assert [(f.rule_id, f.symbol) for f in fired] == [(made["alert_id"], "NFLX")]
        for i, price in enumerate((300.0, 280.0)):  # MSFT falls too: its own decision
            fired += engine.process(Tick(symbol="MSFT", price=price, ts=rt.clock() + 5 + i))
        decisions = [await rt.alerts.on_fired(f) for f in fired]
        assert [d.group_key for d in decisions if d] == [f"alert:{made['alert_id']}:NFLX",
                                                         f"alert:{made['alert_id']}:MSFT"]
        assert await rt.alerts.tidy_decisions() == []  # the rule is still there
        listed = await rt.run_tool("list_alerts", {}, owner)
        assert str(listed).count("anything on the watchlist") == 1
        bar = await rt.run_tool("create_alert", {"symbol": "AAPL", "condition": "above",
                                                 "threshold": 1, "force": True,
                                                 "frequency": "once_per_bar_close"}, owner)
        assert "checked on each session's closing price" in bar["summary"]


def test_the_cli_adds_a_watchlist_rule_and_a_bar_close_rule(settings):
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["alerts", "add", "--list", "watchlist", "moving_down_pct", "5"])
    assert made.exit_code == 0, made.output
    assert "anything on the watchlist falls 5% from its high" in made.output
    assert "for each symbol on it" in made.output
    listed = runner.invoke(app, ["alerts", "list"])
    assert "anything on the watchlist" in listed.output
    closing = runner.invoke(app, ["alerts", "add", "AAPL", "cross_above", "999",
                                  "--frequency", "once_per_bar_close"])
    assert closing.exit_code == 0 and "closing price" in closing.output, closing.output
    session = runner.invoke(app, ["alerts", "add", "AAPL", "cross_above", "999",
                                  "--frequency", "once_per_session"])
    assert session.exit_code == 0 and "once per trading session" in session.output
    bad = runner.invoke(app, ["alerts", "add", "--list", "watchlist", "above", "100"])
    assert bad.exit_code != 0 and "means nothing across a list" in bad.output
    missing = runner.invoke(app, ["alerts", "add", "AAPL", "above"])
    assert missing.exit_code == 2 and "Give a ticker, a condition and a threshold" in missing.output
    for result in (bad, missing):
        assert "Traceback" not in result.output


@pytest.mark.parametrize(("message", "args"), [
    ("alert me if anything on my watchlist drops 5%",
     {"symbol": "watchlist", "condition": "moving_down_pct", "threshold": 5.0}),
    ("ping me every time something on my watchlist moves 4% in 30 min",
     {"symbol": "watchlist", "condition": "pct_change", "threshold": 4.0, "window_minutes": 30,
      "frequency": "every_time"}),
    ("alert me when RSI on anything in my watchlist goes below 30",
     {"symbol": "watchlist", "condition": "rsi_below", "threshold": 30.0}),
    ("alert me if TSLA closes above 300",
     {"symbol": "TSLA", "condition": "above", "threshold": 300.0,
      "frequency": "once_per_bar_close"}),
])
async def test_the_offline_model_reads_list_and_bar_close_requests(settings, message, args):
    from agent.runtime import open_runtime

    async with open_runtime(settings) as rt:
        turn = await rt.ask(message)
        assert [(c["name"], c["args"]) for c in turn.tool_calls] == [("create_alert", args)]
        if args["symbol"] == "watchlist":
            assert "anything on the watchlist" in turn.answer
            assert [r.symbol for r in rt.alerts.service.rules()] == ["@watchlist"]


async def test_an_edit_to_an_indicator_condition_without_its_threshold_is_one_sentence(lists):
    rule, _ = await lists.service.create(symbol="watchlist", condition="pct_change", threshold=2)
    for condition, unit in (("rsi_above", "an RSI level"), ("cross_sma", "in sessions"),
                            ("volume_spike", "a multiple")):
        with pytest.raises(InvalidInput, match=f"{condition} needs .*{unit}"):
            await lists.service.update(rule.id, condition=condition)
    edited, _, _ = await lists.service.update(rule.id, condition="rsi_below", threshold=30)
    assert edited.describe() == "anything on the watchlist RSI(14) at or below 30"
