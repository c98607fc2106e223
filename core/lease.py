"""One `copilot run` per data: the instance lease and its heartbeat.

The lease is an OS file lock next to the SQLite database, or a session-level advisory
lock on PostgreSQL (``DATABASE_URL``); the OS drops either when the process dies, even on
SIGKILL, so a crash never leaves a stale lease. The holder writes who it is and a
heartbeat with its background tasks' states into the ``kv`` table, so a second instance
can say who is running and `copilot health` can report the running instance rather than
itself."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Connection, Engine

from core.errors import CopilotError
from core.storage import kv_get, kv_set

INSTANCE_KEY = "instance"
ADVISORY_KEY = 0x636F70696C6F74  # "copilot"
STALE_AFTER_S = 60.0


class AlreadyRunning(CopilotError):
    """Another `copilot run` holds the lease on this data. User sees it; exit 1."""


@dataclass
class Instance:
    pid: int
    host: str
    started_at: float
    beat_at: float
    tasks: list[dict[str, Any]]

    def describe(self, now: float, tz: str) -> str:
        """'pid 4242 on box, running since Tue 24 Nov 2026 09:30 EST' (``tz``: the
        owner's zone)."""
        from core.markettime import format_local

        since = format_local(self.started_at, tz, year=True)
        return f"pid {self.pid} on {self.host}, running since {since}"

    def alive(self, now: float) -> bool:
        return now - self.beat_at < STALE_AFTER_S


def read_instance(db: Engine) -> Instance | None:
    raw = kv_get(db, INSTANCE_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return Instance(int(data["pid"]), str(data["host"]), float(data["started_at"]),
                        float(data["beat_at"]), list(data.get("tasks", [])))
    except (ValueError, KeyError, TypeError):
        return None


class InstanceLease:
    def __init__(self, db: Engine, data_dir: Path, clock: Callable[[], float] = time.time,
                 timezone: str = "America/New_York") -> None:
        self.db = db
        self.timezone = timezone  # the owner's, for the sentence naming the holder
        self.data_dir = data_dir
        self.clock = clock
        self.started_at = clock()
        self._file: IO[str] | None = None
        self._conn: Connection | None = None

    def acquire(self) -> None:
        """Take the lease or raise ``AlreadyRunning`` naming the holder."""
        if self.db.dialect.name == "postgresql":
            held = self._acquire_advisory()
        else:
            held = self._acquire_file()
        if not held:
            other = read_instance(self.db)
            who = other.describe(self.clock(), self.timezone) if other else "another process"
            raise AlreadyRunning(f"copilot run is already running on this data ({who}); "
                                 "stop it first, or point COPILOT_DATA_DIR/DATABASE_URL "
                                 "elsewhere.")
        self.beat([])

    def _acquire_file(self) -> bool:
        import fcntl

        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(self.data_dir / "copilot.lock", "a+")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def _acquire_advisory(self) -> bool:
        from sqlalchemy import text

        conn = self.db.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                {"k": ADVISORY_KEY}).scalar())
        conn.commit()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def beat(self, tasks: list[dict[str, Any]]) -> None:
        """Say we are alive, with the states of our background tasks."""
        kv_set(self.db, INSTANCE_KEY, json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "started_at": self.started_at,
            "beat_at": self.clock(), "tasks": tasks}))

    def release(self) -> None:
        if self._file is not None or self._conn is not None:
            kv_set(self.db, INSTANCE_KEY, "")
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._conn is not None:
            self._conn.close()  # ends the session: PostgreSQL drops the advisory lock
            self._conn = None
