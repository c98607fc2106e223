"""The SQL decision log is the truth; the keeper mends the vector memory from it: a
missing, empty, damaged or lagging store is rebuilt, a damaged one is kept aside."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from sqlmodel import Session

from core.decisions import Decision, Option
from core.storage import make_engine
from memory.decisions import DecisionMemory, MemoryUnavailable
from memory.embeddings import HashingEmbedder
from memory.rebuild import MemoryKeeper
from memory.store import DB_FILE, close_client

OPTIONS = json.dumps([Option(id="snooze", label="Snooze this alert for 1 hour").model_dump(),
                      Option(id="dismiss", label="Dismiss").model_dump()])


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0
        self.fail = False
        self.gate: threading.Event | None = None

    def embed(self, texts):
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("embedding service down")
        self.texts += len(texts)
        return super().embed(texts)


def stored(memory: DecisionMemory) -> dict[int, dict]:
    """Every entry of the store (a similarity search is approximate: it may miss a few)."""
    out = {}
    for kind in memory.kinds():
        store = memory.store(kind)
        out.update({int(i): m for i, m in store.metadatas(sorted(store.ids())).items()})
    return out


def log_decisions(sql, n: int, start: int = 1) -> None:
    with Session(sql) as s:
        for i in range(start, start + n):
            s.add(Decision(id=i, kind="alert_fired" if i % 4 else "content_ready",
                           title=f"TSLA alert {i} fired", symbol="TSLA", options_json=OPTIONS,
                           status="undone" if i == 7 else "auto" if i == 8 else "decided",
                           chosen="dismiss" if i % 5 == 0 else "snooze", decided_by="owner",
                           created_at=float(i)))
        if start == 1:  # not choices: never remembered
            s.add(Decision(id=5000, kind="alert_fired", title="still pending",
                           options_json=OPTIONS))
            s.add(Decision(id=5001, kind="alert_fired", title="expired", status="expired",
                           options_json=OPTIONS))
        s.commit()


@pytest.fixture
def world(tmp_path, fixed_clock):
    sql = make_engine(f"sqlite:///{tmp_path}/log.sqlite", [Decision])
    embedder = CountingEmbedder()
    memory = DecisionMemory(embedder, path=tmp_path / "chroma")
    yield sql, memory, embedder, MemoryKeeper(memory, sql, clock=fixed_clock,
                                                  timezone="Europe/Berlin")
    close_client(str(tmp_path / "chroma"), None)
    sql.dispose()


def test_an_empty_store_is_rebuilt_from_the_log_and_says_so(world):
    sql, memory, embedder, keeper = world
    log_decisions(sql, 300)
    status = keeper.ensure()
    assert status.state == "ok" and status.rebuilt == 300 and status.remembered == 300
    assert status.detail == ("hashing embeddings, 300 decisions remembered; rebuilt 300 "
                             "decisions from the log at 15:30 CET")  # the owner's clock
    assert memory.state == "ok"
    found = stored(memory)
    assert set(found) == set(range(1, 301))  # pending and expired ones are not choices
    assert found[7]["chosen"] == "undone:snooze" and found[10]["chosen"] == "dismiss"
    assert found[8]["chosen"] == "snooze" and found[8]["decided_by"] == "owner"
    assert found[1]["chosen_label"] == "Snooze this alert for 1 hour"
    assert memory.recall("TSLA alert 7 fired", k=1)[0].decision_id == 7
    embedded = embedder.texts
    assert keeper.ensure().rebuilt == 300  # nothing new: no second rebuild
    assert embedder.texts == embedded


def test_a_lagging_store_catches_up_and_strays_and_undos_follow_the_log(world):
    sql, memory, embedder, keeper = world
    log_decisions(sql, 10)
    keeper.ensure()
    embedder.fail = True
    assert memory.remember(decision_id=11, kind="alert_fired", title="TSLA alert 11 fired",
                           context="", symbol="TSLA", chosen="snooze", chosen_label="Snooze",
                           decided_by="owner", outcome="", created_at=11.0) is False
    assert memory.failures == 1 and "embedding service down" in memory.last_error
    embedder.fail = False
    log_decisions(sql, 1, start=11)
    memory.remember(decision_id=9999, kind="alert_fired", title="from another database",
                    context="", symbol=None, chosen="snooze", chosen_label="Snooze",
                    decided_by="owner", outcome="", created_at=1.0)
    with Session(sql) as s:
        row = s.get(Decision, 3)
        row.status = "undone"  # undone while the memory was not told
        s.add(row)
        s.commit()
    status = keeper.ensure()
    assert status.rebuilt == 1 and status.remembered == 11
    found = stored(memory)
    assert set(found) == set(range(1, 12)) and found[3]["chosen"] == "undone:snooze"


def test_a_store_deleted_while_open_is_recreated_and_refilled(world, tmp_path):
    sql, memory, _, keeper = world
    log_decisions(sql, 20)
    keeper.ensure()
    shutil.rmtree(tmp_path / "chroma")  # reads still see the deleted files; writes vanish
    status = keeper.ensure()
    assert status.state == "ok" and status.rebuilt == 20 and status.set_aside is None
    assert (tmp_path / "chroma" / DB_FILE).exists()
    assert set(stored(memory)) == set(range(1, 21))


def test_a_half_deleted_store_is_moved_aside_and_refilled(world, tmp_path):
    sql, memory, _, keeper = world
    log_decisions(sql, 5)
    keeper.ensure()
    (tmp_path / "chroma" / DB_FILE).unlink()  # its segment files are left behind
    status = keeper.ensure()
    assert status.state == "ok" and status.rebuilt == 5
    assert status.set_aside is not None and not (status.set_aside / DB_FILE).exists()
    assert any(p.is_dir() for p in status.set_aside.iterdir())  # the remains, kept
    assert set(stored(memory)) == set(range(1, 6))


def test_a_corrupt_store_is_moved_aside_kept_and_rebuilt(world, tmp_path):
    sql, memory, _, keeper = world
    log_decisions(sql, 12)
    keeper.ensure()
    (tmp_path / "chroma" / DB_FILE).write_bytes(b"not a database at all " * 500)
    with pytest.raises(MemoryUnavailable, match="unavailable right now"):
        memory.recall("TSLA", k=5)
    looked = keeper.ensure(repair=False)  # a one-shot command only looks
    assert looked.state == "down" and looked.set_aside is None
    assert (tmp_path / "chroma" / DB_FILE).read_bytes().startswith(b"not a database")
    status = keeper.ensure()
    assert status.state == "ok" and status.rebuilt == 12
    assert status.set_aside is not None
    assert status.set_aside.name == "chroma.corrupt-20261124-143000"
    assert (status.set_aside / DB_FILE).read_bytes().startswith(b"not a database")
    assert status.detail.endswith("the damaged store was kept as chroma.corrupt-20261124-143000")
    assert set(stored(memory)) == set(range(1, 13))


def test_a_locked_store_is_waited_out_never_moved(world, tmp_path, monkeypatch):
    sql, memory, _, keeper = world
    log_decisions(sql, 3)
    keeper.ensure()

    def locked():
        raise RuntimeError("database is locked")

    monkeypatch.setattr(memory, "count", locked)
    status = keeper.ensure()
    assert status.state == "down" and "database is locked" in status.detail
    assert (tmp_path / "chroma" / DB_FILE).exists() and status.set_aside is None
    monkeypatch.undo()
    assert keeper.ensure().state == "ok"


def test_the_status_says_rebuilding_while_it_runs(world):
    sql, memory, embedder, keeper = world
    log_decisions(sql, 100)
    embedder.gate = threading.Event()
    worker = threading.Thread(target=keeper.ensure)
    worker.start()
    try:
        for _ in range(500):
            if keeper.status.state == "rebuilding":
                break
            threading.Event().wait(0.01)
        assert keeper.status.state == "rebuilding" == memory.state
        assert keeper.status.detail == "rebuilding from the decision log: 0 of 100 decisions"
    finally:
        embedder.gate.set()
        worker.join(10)
    assert keeper.status.state == "ok" and keeper.status.rebuilt == 100
