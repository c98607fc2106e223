"""An alert's own message (a template with placeholders, filled by substitution, never
evaluated) and its own targets (console, a Discord DM, a Discord channel, a webhook)."""

from __future__ import annotations

import re

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput
from core.settings import Settings
from tests.tools.alerts.test_silences import started, tick
from tools.alerts.templates import Slots, check_template, parse_targets, render

CONFIG = {"configurable": {"caller": Caller.local_owner()}}
CHANNEL = "discord:123456789012345678"


def test_placeholders_are_substituted_and_anything_else_left_as_typed():
    slots = Slots("TSLA", "$1,001.00", "TSLA at or above $1,000.00", "$1,000.00",
                  "09:35 EST", "breakout", "+2.50%")
    text = render("{{ticker}} {{ price }} ({{change_pct}}) {{nope}} {ticker} {{note}}", slots)
    assert text == "TSLA $1,001.00 (+2.50%) {{nope}} {ticker} breakout"


@pytest.mark.parametrize("template", ["{{__class__}} {{ticker}}", "{{tickr}}", "x" * 501])
def test_a_template_that_cannot_work_is_one_sentence(template):
    with pytest.raises(InvalidInput, match="^Can't create that alert: .*\\.$"):
        check_template(template)


@pytest.mark.parametrize(("given", "expected"), [
    ("console, Discord", ("console", "discord")), ([CHANNEL], (CHANNEL,)), (None, None)])
def test_targets_are_read(given, expected):
    assert parse_targets(given, ("console", "discord")) == expected


@pytest.mark.parametrize(("given", "says"), [
    ("email", "'email' is not a target"), ("discord:abc", "'discord:abc' is not a target"),
    ("webhook", "no webhook is configured"), (" , ", "name at least one target")])
def test_bad_targets_are_one_sentence(given, says):
    with pytest.raises(InvalidInput, match=says):
        parse_targets(given, ("console", "discord"))


async def test_a_firing_is_delivered_with_its_template_to_its_own_targets(fixed_clock):
    told: list[str] = []
    posted: list[tuple[str, dict]] = []

    async def channel(text: str, payload: dict) -> None:
        posted.append((text, payload))

    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        rt.register_alert_sender("discord_channel", channel)
        await started(rt, told)
        create = next(t for t in rt.tools if t.name == "create_alert")
        with pytest.raises(InvalidInput, match="{{unknown_later}} is not a placeholder"):
            await create.ainvoke({"symbol": "TSLA", "condition": "above", "threshold": 1000,
                                  "template": "{{ticker}} {{unknown_later}}"}, CONFIG)
        assert rt.alerts.service.rules() == []
        out = await create.ainvoke({
            "symbol": "TSLA", "condition": "cross_above", "threshold": 1000,
            "note": "breakout", "targets": f"console,{CHANNEL}",
            "template": "🚀 {{ticker}} {{condition}}: {{price}} at {{time}} vs "
                        "{{threshold}}, {{change_pct}} today ({{note}})"}, CONFIG)
        assert out["created"] is True
        assert f"; to console, {CHANNEL}; message: 🚀 {{{{ticker}}}}" in out["summary"]
        await tick(rt, fixed_clock, "TSLA", 990.0)
        shown = await tick(rt, fixed_clock, "TSLA", 1001.0)
        await rt.alerts.dispatcher.step(flush=True)
        expected = ("🚀 TSLA TSLA crosses above $1,000.00: $1,001.00 at Tue 24 Nov 09:40 EST vs "
                    "$1,000.00, ")
        assert len(shown) == 1 and shown[0].startswith(expected), shown
        assert re.search(r", [+-]\d+\.\d\d% today \(breakout\)$", shown[0])  # from the close
        assert [text for text, _ in posted] == shown  # the same text, in the channel
        assert posted[0][1]["channel_id"] == 123456789012345678
        records, _, _ = rt.alerts.service.history("TSLA")
        assert sorted(d.target for d in records[0].deliveries) == ["console", CHANNEL]
        assert records[0].firing.message.startswith("🔔 TSLA crossed above")  # history: facts


async def test_update_changes_targets_and_template_and_an_empty_one_restores_the_text(
        fixed_clock):
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, template="{{ticker}}!")
        update = next(t for t in rt.tools if t.name == "update_alert")
        bad = update.ainvoke({"alert_id": rule.id, "template": "{{px}}"}, CONFIG)
        with pytest.raises(InvalidInput, match="Can't update that alert: {{px}} is not a"):
            await bad
        out = await update.ainvoke({"alert_id": rule.id, "targets": "discord",
                                    "template": ""}, CONFIG)
        assert out["updated"] is True and out["summary"].endswith("; to discord.")
        kept = rt.alerts.service.get(rule.id)
        assert (kept.targets, kept.template) == ("discord", "")


def test_cli_add_and_edit_take_targets_and_a_template():
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["alerts", "add", "AAPL", "above", "1000", "--targets", "console",
                              "--template", "{{ticker}} at {{price}}"])
    assert out.exit_code == 0, out.output
    assert "; to console; message: {{ticker}} at {{price}}" in out.stdout
    out = runner.invoke(app, ["alerts", "edit", "1", "--targets", "smoke-signal"])
    assert out.exit_code != 0 and "'smoke-signal' is not a target" in out.output
    assert "Traceback" not in out.output


def test_a_database_from_before_templates_gets_the_column(tmp_path):
    from sqlalchemy import text
    from sqlmodel import Session

    from core.storage import create_tables, make_engine
    from tools.alerts.models import AlertRule

    sql = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    create_tables(sql, (AlertRule,))
    with sql.begin() as conn:
        conn.execute(text("ALTER TABLE alert_rules DROP COLUMN template"))
        conn.execute(text("INSERT INTO alert_rules (symbol, condition, threshold, frequency, "
                          "cooldown_s, note, owner, targets, active, created_at, fire_count) "
                          "VALUES ('AAPL', 'above', 200, 'once', 300, '', 'owner', 'console', "
                          "1, 0, 0)"))
    create_tables(sql, (AlertRule,))
    with Session(sql) as s:
        assert s.get(AlertRule, 1).template == ""
