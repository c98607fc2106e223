"""SQL storage: one SQLModel engine (SQLite in WAL mode by default, PostgreSQL via
DATABASE_URL) and the table registry: each capability declares its tables and the
composition root creates them; the kernel knows no capability's tables."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
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
    from core.errors import NotFound

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


def make_engine(url: str, tables: Iterable[type[SQLModel]] = ()) -> Engine:
    """Create the engine; the kernel's own tables (``kv``) and ``tables`` with it."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA journal_size_limit=4194304")  # the WAL shrinks back to 4 MB
            cur.close()
    else:
        engine = create_engine(url, pool_pre_ping=True)
    create_tables(engine, [KeyValue, *tables])
    return engine


def create_tables(engine: Engine, tables: Iterable[type[SQLModel]]) -> None:
    """Create the given tables (and their indexes) when they do not exist yet, and add
    columns and indexes a newer version declares to tables an older one created
    (additive changes only: a new column needs a default)."""
    from sqlalchemy import inspect

    declared: list[Table] = [t.__table__ for t in tables]  # type: ignore[attr-defined]
    for attempt in range(5):  # two processes creating the same new tables at once
        try:
            SQLModel.metadata.create_all(engine, tables=declared)
            break
        except (IntegrityError, ProgrammingError, OperationalError):
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))
    inspector = inspect(engine)
    for table in declared:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in have:
                continue
            kind = column.type.compile(engine.dialect)
            default = getattr(column.default, "arg", None)
            literal = ("NULL" if default is None or callable(default)
                       else ("TRUE" if default else "FALSE") if isinstance(default, bool)
                       else repr(default) if isinstance(default, str) else str(default))
            with engine.begin() as conn:
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" '
                                     f"{kind} DEFAULT {literal}")
    _add_indexes(engine, declared)


def _add_indexes(engine: Engine, declared: list[Table]) -> None:
    """Indexes a newer version declares on tables that already exist (``create_all``
    only indexes the tables it creates). Another process may be adding the same one."""
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table in declared:
        have = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name in have:
                continue
            try:
                index.create(engine, checkfirst=True)
            except (ProgrammingError, OperationalError):
                if index.name not in {i["name"] for i in inspect(engine).get_indexes(table.name)}:
                    raise
