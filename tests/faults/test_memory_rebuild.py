"""The vector memory in a hostile world: its directory deleted, its database overwritten
with garbage, damaged while running. The SQL decision log is the truth: after a start the
memory is rebuilt from it, the damaged store is kept aside, the health check says so, and a
decision can always be raised."""

from __future__ import annotations

import asyncio
import shutil
import time
from types import SimpleNamespace

from agent.decisions.recommend import Recommender
from agent.runtime import open_runtime
from core.auth import Caller
from core.decisions import Option
from core.settings import Settings
from memory.store import DB_FILE, close_client

OWNER = Caller.local_owner()
GARBAGE = b"\x00garbage, not a database\xff" * 400


def fired(rule_id: int, firing_id: int, symbol: str = "TSLA") -> SimpleNamespace:
    return SimpleNamespace(
        firing_id=firing_id, rule_id=rule_id, symbol=symbol, price=251.0, ts=1795530600.0,
        condition="cross_above", threshold=250.0, note="",
        message=f"🔔 {symbol} crossed above $250.00: now $251.00 (alert {rule_id})")


async def remember_choices(settings: Settings, choices: list[str]) -> tuple[int, list[int]]:
    """A first life: an alert rule and the owner's answers to its firings."""
    async with open_runtime(settings) as rt:
        rule, _ = await rt.alerts.service.create(symbol="TSLA", condition="cross_above",
                                                 threshold=250)
        ids = []
        for i, choice in enumerate(choices):
            d = await rt.alerts.on_fired(fired(rule.id, 100 + i))
            await rt.decisions.decide(d.id, choice, OWNER)
            ids.append(d.id)
        return rule.id, ids


def remembered(rt) -> set[int]:  # noqa: ANN001
    memory = rt.decisions.memory
    store = memory.store("alert_fired")
    return {int(i) for i in store.ids()}


async def until(condition, timeout_s: float = 10.0):  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return value


async def test_a_deleted_chroma_dir_is_rebuilt_from_the_log_at_start(settings):
    rule_id, ids = await remember_choices(settings, ["snooze"] * 6 + ["dismiss"])
    shutil.rmtree(settings.chroma_path)  # every remembered decision silently gone
    async with open_runtime(settings) as rt:
        await rt.start()
        status = await rt.decision_center.memory_ready(10)
        assert status.state == "ok" and status.rebuilt == len(ids)
        check = await rt.health.monitor.run("memory")
        assert check.status == "ok"
        assert f"{len(ids)} decisions remembered; rebuilt {len(ids)} decisions from the log at" \
            in check.detail
        assert remembered(rt) == set(ids)
        assert {p.decision_id for p in rt.decisions.memory.recall("TSLA alert snooze", 3)} \
            <= set(ids)
        d = await rt.alerts.on_fired(fired(rule_id, 999))
        assert d.status == "pending" and d.recommended == "snooze"
        assert d.rationale == ("You chose “Snooze this alert for 1 hour” for 4 of the last 5 "
                               f"similar TSLA decisions (#{ids[5]}, #{ids[4]}, #{ids[3]}, "
                               f"#{ids[2]}).")


async def test_a_corrupt_chroma_store_is_kept_aside_and_rebuilt_at_start(settings):
    rule_id, ids = await remember_choices(settings, ["snooze", "snooze", "dismiss"])
    close_client(str(settings.chroma_path), None)  # as a new process would find it
    (settings.chroma_path / DB_FILE).write_bytes(GARBAGE)
    async with open_runtime(settings) as rt:
        await rt.start()
        status = await rt.decision_center.memory_ready(10)
        assert status.state == "ok" and status.rebuilt == len(ids)
        assert status.set_aside is not None and status.set_aside.parent == settings.data_dir
        assert status.set_aside.name.startswith("chroma.corrupt-")
        assert (status.set_aside / DB_FILE).read_bytes() == GARBAGE  # kept, not deleted
        check = await rt.health.monitor.run("memory")
        assert check.status == "ok" and f"kept as {status.set_aside.name}" in check.detail
        assert remembered(rt) == set(ids)
        d = await rt.alerts.on_fired(fired(rule_id, 999))
        assert d.status == "pending" and d.recommended == "snooze"
        assert f"#{ids[0]}" in d.rationale


async def test_damage_while_running_never_stops_a_decision_and_is_mended(settings):
    rule_id, ids = await remember_choices(settings, ["snooze", "snooze"])
    async with open_runtime(settings) as rt:
        rt.decision_center.memory_start_wait_s = 10
        await rt.start()
        assert (await rt.decision_center.memory_ready(10)).state == "ok"
        (settings.chroma_path / DB_FILE).write_bytes(GARBAGE)  # under the open store
        d = await rt.alerts.on_fired(fired(rule_id, 500))
        assert d.status == "pending" and d.recommended == "dismiss"  # the default
        assert "memory of past decisions is unavailable" in d.rationale
        done = await rt.decisions.decide(d.id, "snooze", OWNER)  # remember() must not raise
        assert done.status == "decided" and done.chosen == "snooze"
        keeper = rt.decision_center.keeper
        await until(lambda: keeper.status.set_aside is not None and keeper.status.state == "ok"
                    and remembered(rt) == {*ids, d.id})
        after = await rt.alerts.on_fired(fired(rule_id, 501))
        assert after.recommended == "snooze" and after.rationale.startswith("You chose")


async def test_the_memory_check_is_degraded_while_rebuilding_and_down_when_unusable(settings):
    async with open_runtime(settings) as rt:
        looked = await rt.health.monitor.run("memory")  # not started: it only looks
        assert (looked.status, looked.detail) == ("ok", "hashing embeddings, 0 decisions "
                                                        "remembered")
        await rt.start()
        await rt.decision_center.memory_ready(10)
        keeper = rt.decision_center.keeper
        keeper.status.state, keeper.status.detail = "rebuilding", "rebuilding: 10 of 300"
        degraded = await rt.health.monitor.run("memory")
        assert (degraded.status, degraded.detail) == ("degraded", "rebuilding: 10 of 300")
        keeper.status.state, keeper.status.detail = "down", "vector memory unavailable"
        assert (await rt.health.monitor.run("memory")).status == "down"


def test_a_recall_failure_falls_back_to_the_default_and_never_autopilots():
    class Broken:
        state = "ok"

        def similar(self, text, kind, k=20):
            raise OSError("disk I/O error")

    options = [Option(id="snooze", label="Snooze"), Option(id="dismiss", label="Dismiss")]
    rec = Recommender(Broken(), n=1).recommend("alert_fired", "TSLA", options, "dismiss")
    assert rec.option == "dismiss" and not rec.memory_ok
    assert rec.rationale == ("The memory of past decisions is unavailable right now, so this "
                             "is the default.")
    assert not Recommender(Broken(), n=1).autopilot_agrees(rec)

    class Rebuilding(Broken):
        state = "rebuilding"

        def similar(self, text, kind, k=20, symbol=None):
            return [SimpleNamespace(decision_id=1, similarity=0.9, chosen="snooze",
                                    symbol="TSLA", created_at=1.0, decided_by="owner",
                                    failed=False, undone=False)]

    rec = Recommender(Rebuilding(), n=1).recommend("alert_fired", "TSLA", options, "dismiss")
    assert rec.option == "snooze" and rec.agreeing == rec.considered == 1
    assert "still being rebuilt" in rec.rationale
    assert not Recommender(Rebuilding(), n=1).autopilot_agrees(rec)  # a partial memory
