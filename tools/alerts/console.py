"""The console's alert inbox, in the database: an alert delivered to the console stays
unshown until a console shows it, across restarts, and nothing caps it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

log = structlog.get_logger(__name__)


class ConsoleNotice(SQLModel, table=True):
    __tablename__ = "console_notices"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # the notification's idempotency key: shown once
    text: str
    created_at: float = 0.0
    shown_at: float | None = Field(default=None, index=True)


class ConsoleTarget:
    name = "console"

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.sql = engine
        self.clock = clock
        self.on_new: Callable[[], Any] | None = None  # set by a console that is showing

    async def send(self, payload: dict[str, Any], idempotency_key: str) -> None:
        await asyncio.to_thread(self._store, payload["text"], idempotency_key)
        log.info("alert", text=payload["text"])
        if self.on_new is not None:
            self.on_new()

    def _store(self, text: str, key: str) -> None:
        try:
            with Session(self.sql) as s:
                s.add(ConsoleNotice(key=key, text=text, created_at=self.clock()))
                s.commit()
        except IntegrityError:
            pass  # a resend of one we already have

    def unshown(self) -> list[str]:
        with Session(self.sql) as s:
            rows = s.exec(select(ConsoleNotice).where(ConsoleNotice.shown_at == None)  # noqa: E711
                          .order_by(col(ConsoleNotice.id))).all()
            return [r.text for r in rows]

    def drain(self) -> list[str]:
        """The unshown alerts, oldest first, now marked shown."""
        with Session(self.sql) as s:
            rows = list(s.exec(select(ConsoleNotice).where(ConsoleNotice.shown_at == None)  # noqa: E711
                               .order_by(col(ConsoleNotice.id))).all())
            now = self.clock()
            for row in rows:
                row.shown_at = now
                s.add(row)
            s.commit()
            return [r.text for r in rows]
