"""SQL storage: one SQLModel engine. SQLite (WAL) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine


def make_engine(url: str) -> Engine:
    """Create the engine and every table that the imported models declare."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    import_models()
    SQLModel.metadata.create_all(engine)
    return engine


def import_models() -> None:
    """Import every module that declares tables so ``create_all`` sees them."""
    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)


# Each capability adds its table module here.
MODEL_MODULES: list[str] = []
