"""SQL storage: one SQLModel engine. SQLite (WAL) by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, create_engine


class KeyValue(SQLModel, table=True):
    """Small pieces of state (a seeded flag, autopilot switches) that need no table."""

    __tablename__ = "kv"
    key: str = Field(primary_key=True)
    value: str = ""


def kv_get(engine: Engine, key: str, default: str | None = None) -> str | None:
    with Session(engine) as s:
        row = s.get(KeyValue, key)
        return row.value if row else default


def kv_set(engine: Engine, key: str, value: str) -> None:
    with Session(engine) as s:
        row = s.get(KeyValue, key) or KeyValue(key=key)
        row.value = value
        s.add(row)
        s.commit()


def update_row(engine: Engine, model: type[SQLModel], row_id: int, *, not_found: str,
               where: Callable[[Any], bool] | None = None, **values: Any) -> Any:
    """Set ``values`` on one row and return it fresh; NotFound(``not_found``) when the row
    is missing or ``where`` rejects it."""
    from agent.errors import NotFound

    with Session(engine) as s:
        row = s.get(model, row_id)
        if row is None or (where is not None and not where(row)):
            raise NotFound(not_found)
        for key, value in values.items():
            setattr(row, key, value)
        s.add(row)
        s.commit()
        s.refresh(row)
    return row


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
MODEL_MODULES: list[str] = [
    "tools.market.tables",
    "tools.alerts.models",
    "agent.decisions.models",
    "tools.content.models",
    "tools.health.models",
    "tools.architecture.review",
]
