"""Session-relative schedules with a fixed clock: the briefings 15 min before each NYSE open
and 15 min after each close, the editorial calendar's slots on the exchange clock or the
owner's, and what `copilot jobs` lists — across the US DST change of 2026-11-01,
Thanksgiving (2026-11-26) and the 13:00 ET early close the day after."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from agent.runtime import open_runtime
from cli import app
from core.scheduler import SessionTrigger, weekdays
from core.settings import Settings


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    def __init__(self, at: str) -> None:
        self.now = utc(at).timestamp()

    def __call__(self) -> float:
        return self.now


def owner(monkeypatch, tz: str, slots: str | None = None) -> Settings:
    monkeypatch.setenv("COPILOT_TIMEZONE", tz)
    if slots is not None:
        monkeypatch.setenv("COPILOT_CONTENT_SLOTS", slots)
    settings = Settings()
    settings.ensure_dirs()
    return settings


async def next_runs(settings: Settings, at: str) -> dict[str, datetime | None]:
    async with open_runtime(settings, clock=Clock(at)) as rt:
        return {r.name: r.next_run for r in await rt.job_plan()}


# (now, pre-open briefing, after-close briefing, default content slot: close + 30 min)
@pytest.mark.parametrize("now,pre_open,after_close,slot", [
    # Wednesday 10:00 EST, the day before Thanksgiving
    ("2026-11-25 15:00", "2026-11-27 14:15", "2026-11-25 21:15", "2026-11-25 21:30"),
    # Wednesday evening: Thursday is Thanksgiving; Friday closes at 13:00 ET
    ("2026-11-25 22:00", "2026-11-27 14:15", "2026-11-27 18:15", "2026-11-27 18:30"),
    # Friday after the early close: Monday
    ("2026-11-27 19:00", "2026-11-30 14:15", "2026-11-30 21:15", "2026-11-30 21:30"),
    # Friday 30 Oct, still EDT (09:15 EDT = 13:15 UTC) ...
    ("2026-10-30 12:00", "2026-10-30 13:15", "2026-10-30 20:15", "2026-10-30 20:30"),
    # ... and Monday 2 Nov, EST since Sunday: the same wall clock, an hour later in UTC
    ("2026-10-30 21:00", "2026-11-02 14:15", "2026-11-02 21:15", "2026-11-02 21:30"),
])
async def test_briefings_and_slots_follow_the_exchange_clock(monkeypatch, now, pre_open,
                                                             after_close, slot):
    runs = await next_runs(owner(monkeypatch, "Europe/Berlin"), now)
    assert runs["briefing_pre_open"] == utc(pre_open)
    assert runs["briefing_after_close"] == utc(after_close)
    assert runs["content_slot_0"] == utc(slot)


async def test_slots_on_the_owners_clock_and_on_named_session_days(monkeypatch):
    settings = owner(monkeypatch, "America/New_York",
                     "mon-fri 09:00 discord; fri at the close blog; sat 10:00 email")
    before = await next_runs(settings, "2026-10-30 12:00")  # Friday, 08:00 EDT
    assert before["content_slot_0"] == utc("2026-10-30 13:00")  # 09:00 EDT
    assert before["content_slot_1"] == utc("2026-10-30 20:00")  # Friday's close, EDT
    assert before["content_slot_2"] == utc("2026-10-31 14:00")  # Saturday 10:00 EDT
    after = await next_runs(settings, "2026-10-30 21:00")
    assert after["content_slot_0"] == utc("2026-11-02 14:00")  # 09:00 EST on Monday
    assert after["content_slot_1"] == utc("2026-11-06 21:00")  # next Friday, EST
    thanksgiving = await next_runs(settings, "2026-11-25 22:00")
    assert thanksgiving["content_slot_0"] == utc("2026-11-26 14:00")  # a wall clock: it runs
    assert thanksgiving["content_slot_1"] == utc("2026-11-27 18:00")  # the early close


async def test_the_weekly_review_is_sunday_evening_on_the_owners_clock(monkeypatch, tmp_path):
    inventory = tmp_path / "stack.yaml"
    inventory.write_text("name: s\ncomponents: []\n")
    monkeypatch.setenv("COPILOT_INVENTORY", str(inventory))
    runs = await next_runs(owner(monkeypatch, "Europe/Berlin"), "2026-11-25 15:00")
    assert runs["architecture_weekly"] == utc("2026-11-29 17:00")  # 18:00 CET


def test_session_days_skip_other_weekdays():
    friday_close = SessionTrigger("close", 0, day_of_week="fri")
    first = friday_close.get_next_fire_time(None, utc("2026-11-23 12:00"))
    assert first == utc("2026-11-27 18:00")
    assert friday_close.get_next_fire_time(first, first) == utc("2026-12-04 21:00")
    assert str(friday_close) == "session[at the close, fri, XNYS]"
    assert weekdays("mon-fri") == frozenset(range(5)) and weekdays("sat-mon") == {5, 6, 0}
    with pytest.raises(ValueError, match="day-of-week"):
        weekdays("someday")


async def test_a_post_scheduled_at_the_close_is_listed_with_the_jobs(monkeypatch):
    settings = owner(monkeypatch, "Europe/Berlin")
    clock = Clock("2026-11-27 15:00")  # Friday, the early close at 18:00 UTC
    async with open_runtime(settings, clock=clock) as rt:
        d = await rt.content.service.draft("AAPL recap", "discord", "AAPL", notify=False)
        rt.content.service.schedule(d.id, "at the close")
        runs = {r.name: r.next_run for r in await rt.job_plan()}
    assert runs[f"content-publish-{d.id}"] == utc("2026-11-27 18:00")


async def test_briefing_decisions_are_named_by_the_session_day(monkeypatch):
    settings = owner(monkeypatch, "Asia/Tokyo")
    clock = Clock("2026-11-27 18:15")  # after Friday's early close; Saturday in Tokyo
    async with open_runtime(settings, clock=clock) as rt:
        d = await rt.decision_center.briefing_decision("after-close")
        assert d.title == "After-close briefing 2026-11-27"
        text = await rt.decision_center.briefing_text()
        assert text.startswith("**Briefing, Sat 28 Nov 2026 03:15 JST**")


def test_copilot_jobs_lists_next_runs_in_the_owners_zone(monkeypatch):
    monkeypatch.setenv("COPILOT_TIMEZONE", "Europe/Berlin")
    result = CliRunner().invoke(app, ["jobs", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["timezone"] == "Europe/Berlin"
    jobs = {j["name"]: j for j in data["jobs"]}
    assert {"briefing_pre_open", "briefing_after_close", "content_slot_0"} <= set(jobs)
    pre_open = jobs["briefing_pre_open"]
    assert pre_open["trigger"] == "session[15 min before the open, XNYS]"
    assert pre_open["next_run_local"].endswith((" CET", " CEST"))
    assert utc(pre_open["next_run"][:16].replace("T", " ")).minute == 15  # xx:15 UTC
    table = CliRunner().invoke(app, ["jobs"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "(Europe/Berlin)" in table.stdout
    assert "interval[minutes=5]" in table.stdout  # the trigger's arguments are shown
