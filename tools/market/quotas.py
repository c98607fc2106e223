"""Provider quotas that hold across processes and restarts.

Each provider's limits (Finnhub 30/s and 60/min, Alpha Vantage 25/day) live in a
pyrate-limiter bucket in the database: ``quotas.db`` next to the co-pilot's SQLite file
(``SQLiteBucket`` with a file lock, so concurrent processes take turns), or the
co-pilot's PostgreSQL database when ``DATABASE_URL`` is PostgreSQL (``PostgresBucket``).
"Stop until T" from a provider (``Retry-After``, Alpha Vantage's quota note) is kept in
the kernel's key-value table, so every process honours it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from core.limits import Clock, Limits, Quota, SharedRateLimiter, SlidingWindowLimiter, pyrate_rates
from core.storage import kv_get, kv_set

log = structlog.get_logger(__name__)
FILE_LOCK_TIMEOUT_S = 5.0


class KVBlocks:
    """Blocks in the kernel's ``kv`` table: ``quota_block:<provider>`` = unix seconds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> float:
        return float(kv_get(self.engine, f"quota_block:{name}") or 0.0)

    def set(self, name: str, until: float) -> None:
        kv_set(self.engine, f"quota_block:{name}", repr(until))


def quota_file(engine: Engine, data_dir: Path) -> Path:
    """``quotas.db`` next to the co-pilot's SQLite file (the data dir by default)."""
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file:"):
        return Path(database).resolve().parent / "quotas.db"
    return data_dir / "quotas.db"


def sqlite_bucket(name: str, limits: Limits, path: Path) -> Any:
    from pyrate_limiter import SQLiteBucket

    path.parent.mkdir(parents=True, exist_ok=True)
    bucket = SQLiteBucket.init_from_file(pyrate_rates(limits), table=f"quota_{name}",
                                         db_path=str(path), use_file_lock=True)
    lock: Any = bucket.lock  # a filelock.FileLock, shared with every process on the file
    lock.timeout = FILE_LOCK_TIMEOUT_S  # never wait forever on another process
    return bucket


class EnginePool:
    """The part of psycopg_pool's ``ConnectionPool`` that ``PostgresBucket`` uses, served
    from the co-pilot's own engine: commit on success, roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.closed = False

    @contextmanager
    def connection(self) -> Iterator[Any]:
        raw = self.engine.raw_connection()
        conn: Any = raw.driver_connection
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            raw.close()

    def close(self) -> None:
        self.closed = True  # the engine belongs to the kernel


def postgres_bucket(name: str, limits: Limits, engine: Engine) -> Any:
    from pyrate_limiter import PostgresBucket

    return PostgresBucket(EnginePool(engine), f"quota_{name}", pyrate_rates(limits))  # type: ignore[arg-type]


def open_quota(name: str, limits: Limits, *, engine: Engine, data_dir: Path,
               clock: Clock, label: str | None = None) -> Quota:
    """The shared quota for provider ``name``. If the database cannot hold it, the limits
    are still kept, in this process only (and a warning says so)."""
    try:
        if engine.url.get_backend_name() == "postgresql" and engine.dialect.driver == "psycopg":
            bucket = postgres_bucket(name, limits, engine)
        else:
            bucket = sqlite_bucket(name, limits, quota_file(engine, data_dir))
        return SharedRateLimiter(name, limits, bucket, clock=clock, blocks=KVBlocks(engine),
                                 label=label)
    except Exception as exc:  # noqa: BLE001 - quotas must not stop the co-pilot from starting
        log.warning("shared quota unavailable; limiting in this process only", provider=name,
                    error=f"{type(exc).__name__}: {exc}")
        return SlidingWindowLimiter([(int(n), float(w)) for n, w in limits], clock)
