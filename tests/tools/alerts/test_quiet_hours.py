"""Quiet hours (COPILOT_QUIET_HOURS on the owner's clock): firings are recorded but not
told, no decision is raised, and one notice says what was held back once they end."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.runtime import open_runtime
from core.errors import InvalidInput
from core.quiethours import QuietHours, parse_quiet_hours
from core.settings import Settings
from tests.tools.alerts.test_silences import started, tick


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_window_over_midnight_on_the_owners_clock():
    quiet = QuietHours.of("22:00-07:00", "America/New_York")
    assert quiet is not None
    # 23:30 and 06:59 New York (EST, UTC-5) are inside; 07:00 and 21:59 are not
    assert quiet.window_at(ts("2026-11-25T04:30:00")) == (ts("2026-11-25T03:00:00"),
                                                          ts("2026-11-25T12:00:00"))
    assert quiet.window_at(ts("2026-11-25T11:59:00")) is not None
    assert quiet.window_at(ts("2026-11-25T12:00:00")) is None
    assert quiet.window_at(ts("2026-11-25T02:59:00")) is None
    assert quiet.last_ended(ts("2026-11-25T15:00:00")) == (ts("2026-11-25T03:00:00"),
                                                           ts("2026-11-25T12:00:00"))
    assert QuietHours.of("", "UTC") is None


def test_the_setting_is_explained_on_the_owners_clock():
    quiet = QuietHours.of("22:00-07:00", "America/New_York")
    assert quiet is not None
    inside = quiet.explain(ts("2026-11-25T04:30:00"))  # 23:30 EST
    assert inside.startswith("22:00-07:00 America/New_York: every night from 22:00 EST to "
                             "07:00 EST the next morning (03:00-12:00 UTC)")
    assert inside.endswith("quiet now, until Wed 25 Nov 07:00 EST")
    afternoon = quiet.explain(ts("2026-11-25T18:00:00"))  # 13:00 EST
    assert afternoon.endswith("next from 22:00 EST")
    summer = QuietHours.of("12:00-13:30", "Europe/Paris")
    assert summer is not None and "every day from 12:00 CEST to 13:30 CEST (10:00-11:30 UTC)" \
        in summer.explain(ts("2026-07-01T08:00:00"))


def test_copilot_config_shows_quiet_hours_with_their_meaning(monkeypatch):
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setenv("COPILOT_TIMEZONE", "America/Chicago")
    monkeypatch.setenv("COPILOT_QUIET_HOURS", "21:30-06:00")
    shown = CliRunner().invoke(app, ["config"], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert "COPILOT_QUIET_HOURS" in shown.output
    assert "21:30-06:00 America/Chicago: every night from 21:30 C" in shown.output
    assert "alert firings recorded but not sent" in shown.output
    monkeypatch.delenv("COPILOT_QUIET_HOURS")
    off = CliRunner().invoke(app, ["config"], env={"COLUMNS": "400"})
    assert "off (e.g. 22:00-07:00" in off.output


@pytest.mark.parametrize("text", ["25:00-07:00", "22:00", "22:00-22:00", "ten-six"])
def test_a_window_that_cannot_be_read_is_one_sentence(text):
    with pytest.raises(InvalidInput, match="is not a window such as 22:00-07:00"):
        parse_quiet_hours(text)


async def test_quiet_hours_hold_notices_back_and_say_so_once_when_they_end(
        monkeypatch, fixed_clock):
    # the fixed clock is 09:30 New York: quiet from 09:00 to 10:00
    monkeypatch.setenv("COPILOT_QUIET_HOURS", "09:00-10:00")
    told: list[str] = []
    async with open_runtime(Settings(), clock=fixed_clock) as rt:
        await started(rt, told)
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="above",
                                                 threshold=1000, frequency="every_time")
        shown = []
        for i in range(3):
            shown += await tick(rt, fixed_clock, "TSLA", 1001.0 + i)
        assert rt.alerts.service.get(rule.id).fire_count == 3  # recorded
        assert shown == [] and told == [] and rt.decisions.pending() == []
        records, total, _ = rt.alerts.service.history("TSLA")
        assert total == 3
        assert records[0].deliveries[0].text() == \
            "console silenced (quiet hours until 10:00 EST)"
        await rt.alerts.silences_ended()
        await rt.kernel.bus.drain()
        assert told == []  # still quiet: nothing said yet
        fixed_clock.advance(16 * 60)  # 10:01
        await rt.alerts.silences_ended()
        await rt.alerts.silences_ended()  # said once
        await rt.kernel.bus.drain()
        assert told == ["🌙 Quiet hours ended at 10:00 EST: 3 firings were held back (TSLA), "
                        "the last TSLA at $1,003.00 (09:45 EST, alert 1). `copilot alerts "
                        "history --since 24h` lists them."]
        assert await tick(rt, fixed_clock, "TSLA", 1010.0) != []  # told again
