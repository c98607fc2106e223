"""Silences and acknowledgements: Alertmanager's matcher model, in the kernel.

A ``Silence`` holds equality matchers over labels (``{"component": "website"}``,
``{"symbol": "TSLA"}``, ``{"rule": "12"}``). Whatever a capability is about to tell the
owner carries labels (a health incident: its component; an alert firing: its symbol and
rule); while an active silence matches them it is not told. Two kinds:

- ``silence``: for a duration; when it ends by itself, the capability that owns its labels
  looks at it once (``ended``) and says so if the problem is still there;
- ``ack`` (acknowledged): no end; the capability ends it when the problem is resolved or
  changes (``resolve``).

Capabilities register the labels they own (``register``), so a matcher is checked when it
is made ("no component named 'webste'"); the book never imports a capability.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from core.errors import InvalidInput, NotFound

MAX_SILENCE_MINUTES = 60 * 24 * 30  # 30 days, like an alert's snooze


def at_text(ts: float, tz: str | None = None, now: float | None = None) -> str:
    """A moment as the owner reads it in notices: on his clock (``COPILOT_TIMEZONE``)."""
    from core.markettime import format_local

    return format_local(ts, tz, now=now)


class Silence(SQLModel, table=True):
    __tablename__ = "silences"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "silence"  # silence (for a duration) | ack (until resolved or changed)
    matchers_json: str = "{}"
    starts_at: float
    ends_at: float | None = None  # None: an acknowledgement
    ended_at: float | None = None  # lifted early, or (ack) resolved / changed
    end_reason: str = ""
    comment: str = ""
    created_by: str = "owner"
    told_at: float | None = Field(default=None, index=True)  # its natural end looked at

    @property
    def matchers(self) -> dict[str, str]:
        return dict(json.loads(self.matchers_json))

    @property
    def until(self) -> float | None:
        """When it stops (stopped) muting; None while an acknowledgement holds."""
        ends = [t for t in (self.ends_at, self.ended_at) if t is not None]
        return min(ends) if ends else None

    def active_at(self, ts: float) -> bool:
        until = self.until
        return self.starts_at <= ts and (until is None or ts < until)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.matchers.items())

    def subject(self) -> str:
        """The matchers in words: "website", "TSLA", "alert 12", "TSLA alert 12"."""
        m = self.matchers
        parts = [m[k] for k in ("component", "symbol") if k in m]
        if "rule" in m:
            parts.append(f"alert {m['rule']}")
        parts += [f"{k}={v}" for k, v in m.items() if k not in ("component", "symbol", "rule")]
        return " ".join(parts)

    def describe(self, now: float, tz: str | None = None) -> str:
        if self.kind == "ack":
            state = "acknowledged until it is resolved or changes"
            if self.ended_at is not None:
                state = (f"acknowledgement ended at {at_text(self.ended_at, tz, now)} "
                         f"({self.end_reason})")
        elif self.until is not None and self.until <= now:
            state = f"silence ended at {at_text(self.until, tz, now)}"
        else:
            state = f"silenced until {at_text(self.until or now, tz, now)}"
        return f"#{self.id} {self.subject()}: {state}"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "matchers": self.matchers,
                "starts_at": self.starts_at, "ends_at": self.ends_at, "ended_at": self.ended_at,
                "end_reason": self.end_reason, "comment": self.comment}


@dataclass
class Label:
    """A label a capability owns: how its values are written, and (when it can say)
    which values exist."""

    name: str  # component | symbol | rule
    noun: str  # how the owner calls it: "health check", "ticker", "alert"
    normalize: Callable[[str], str] = str.strip
    known: Callable[[], Collection[str]] | None = None


class SilenceBook:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time,
                 timezone: str | None = None) -> None:
        self.sql = engine
        self.clock = clock
        self.timezone = timezone  # the owner's: how notices show times
        self.labels: dict[str, Label] = {}

    def at(self, ts: float) -> str:
        """``ts`` on the owner's clock (the day is said when it is not today)."""
        return at_text(ts, self.timezone, now=self.clock())

    def register(self, label: Label) -> None:
        self.labels[label.name] = label

    # ---- making matchers ----------------------------------------------------------------
    def matchers(self, given: Mapping[str, object]) -> dict[str, str]:
        """Validated matchers from ``{label: value}`` (None values left out)."""
        out: dict[str, str] = {}
        for name, raw in given.items():
            if raw is None or raw == "":
                continue
            label = self.labels.get(name)
            if label is None:
                raise InvalidInput(f"I can't silence by {name!r}; use one of "
                                   f"{', '.join(sorted(self.labels)) or 'nothing yet'}.")
            value = label.normalize(str(raw))
            known = label.known() if label.known is not None else None
            if known is not None and value not in known:
                listed = ", ".join(sorted(known)[:12]) or "none"
                raise InvalidInput(f"There is no {label.noun} {value!r} to silence "
                                   f"(known: {listed}).")
            out[name] = value
        if not out:
            raise InvalidInput("Say what to silence: a component, a ticker or an alert.")
        return out

    # ---- making and ending ----------------------------------------------------------------
    def silence(self, matchers: Mapping[str, str], minutes: float, *, by: str = "owner",
                comment: str = "") -> Silence:
        """Silence for ``minutes``; an active silence on the same matchers is extended."""
        if not 1 <= float(minutes) <= MAX_SILENCE_MINUTES:
            raise InvalidInput("A silence lasts from 1 minute to 30 days.")
        now = self.clock()
        ends = now + float(minutes) * 60
        key = json.dumps(dict(sorted(matchers.items())))
        with Session(self.sql) as s:
            same = [x for x in s.exec(select(Silence).where(
                Silence.kind == "silence", Silence.matchers_json == key)).all()
                if x.active_at(now)]
            row = same[0] if same else Silence(kind="silence", matchers_json=key, starts_at=now,
                                               created_by=by, comment=comment)
            row.ends_at = max(row.ends_at or 0.0, ends)
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    def acknowledge(self, matchers: Mapping[str, str], *, by: str = "owner",
                    comment: str = "") -> Silence:
        """No more reminders until the owning capability says resolved or changed."""
        now = self.clock()
        key = json.dumps(dict(sorted(matchers.items())))
        with Session(self.sql) as s:
            held = [x for x in s.exec(select(Silence).where(
                Silence.kind == "ack", Silence.matchers_json == key)).all() if x.active_at(now)]
            if held:
                return held[0]
            row = Silence(kind="ack", matchers_json=key, starts_at=now, created_by=by,
                          comment=comment)
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    def get(self, silence_id: int) -> Silence:
        with Session(self.sql) as s:
            row = s.get(Silence, silence_id)
        if row is None:
            raise NotFound(f"There is no silence {silence_id}.")
        return row

    def lift(self, silence_id: int, reason: str = "lifted by the owner") -> Silence:
        """End a silence or acknowledgement now (no "it ended" notice follows)."""
        return self.end(silence_id, reason)

    def end(self, silence_id: int, reason: str, at: float | None = None) -> Silence:
        """End one silence or acknowledgement at ``at`` (default now); its end needs no
        notice. Ending one that has ended already changes nothing."""
        when = self.clock() if at is None else at
        with Session(self.sql) as s:
            row = s.get(Silence, silence_id)
            if row is None:
                raise NotFound(f"There is no silence {silence_id}.")
            if row.active_at(when):
                row.ended_at, row.end_reason = when, reason
            row.told_at = row.told_at or when
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    def resolve(self, labels: Mapping[str, str], reason: str, at: float | None = None
                ) -> list[Silence]:
        """The problem behind ``labels`` was resolved or changed: the acknowledgements
        that match it end (at ``at``, default now). ``{"rule": "12"}`` ends only those
        about alert 12; a TSLA-wide one needs ``{"symbol": "TSLA", "rule": "12"}``."""
        when = self.clock() if at is None else at
        ended = []
        with Session(self.sql) as s:
            for row in s.exec(select(Silence).where(Silence.kind == "ack",
                                                    col(Silence.ended_at).is_(None))).all():
                if row.matches(labels):
                    row.ended_at, row.end_reason, row.told_at = when, reason, when
                    s.add(row)
                    ended.append(row)
            s.commit()
            for row in ended:
                s.refresh(row)
        return ended

    # ---- reading ------------------------------------------------------------------------
    def active(self, labels: Mapping[str, str] | None = None, at: float | None = None
               ) -> list[Silence]:
        """Silences and acknowledgements in force at ``at`` (default now) that match
        ``labels`` (all when None); timed silences first."""
        when = self.clock() if at is None else at
        with Session(self.sql) as s:
            rows = s.exec(select(Silence).where(
                col(Silence.starts_at) <= when,
                col(Silence.ends_at).is_(None) | (col(Silence.ends_at) > when),
                col(Silence.ended_at).is_(None) | (col(Silence.ended_at) > when))
                .order_by(col(Silence.id))).all()
        found = [r for r in rows if r.active_at(when) and (labels is None or r.matches(labels))]
        return sorted(found, key=lambda r: (r.kind != "silence", r.id or 0))

    def muted(self, labels: Mapping[str, str], at: float | None = None) -> Silence | None:
        found = self.active(labels, at)
        return found[0] if found else None

    def recent(self, limit: int = 50) -> list[Silence]:
        with Session(self.sql) as s:
            return list(s.exec(select(Silence).order_by(col(Silence.id).desc())
                               .limit(limit)).all())

    def ended(self, keys: Iterable[str]) -> list[Silence]:
        """Timed silences over only these label names that ran out by themselves and were
        not looked at yet; each is claimed (returned once, across processes)."""
        owned = set(keys)
        now = self.clock()
        with Session(self.sql) as s:
            rows = s.exec(select(Silence).where(
                Silence.kind == "silence", col(Silence.told_at).is_(None),
                col(Silence.ended_at).is_(None), col(Silence.ends_at) <= now)).all()
        claimed = []
        for row in rows:
            if not set(row.matchers) <= owned:
                continue
            with self.sql.begin() as conn:
                got = conn.execute(update(Silence).where(
                    col(Silence.id) == row.id, col(Silence.told_at).is_(None))
                    .values(told_at=now)).rowcount
            if got:
                claimed.append(row)
        return claimed
