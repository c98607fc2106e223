"""Quiet hours: a nightly window on the owner's clock (``COPILOT_QUIET_HOURS``, e.g.
"22:00-07:00" in ``COPILOT_TIMEZONE``) during which alert firings are recorded but not
told — a silence over every alert that comes back every night. When a window ends, one
notice says what it held back (``AlertMuting.ended_notices``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import InvalidInput

_PATTERN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_quiet_hours(text: str) -> tuple[time, time]:
    """"22:00-07:00" as (start, end); one sentence when it cannot be read."""
    m = _PATTERN.match(text or "")
    bad = InvalidInput(f"COPILOT_QUIET_HOURS={text!r} is not a window such as 22:00-07:00 "
                       "(24-hour clock, on COPILOT_TIMEZONE).")
    if not m:
        raise bad
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
        raise bad
    return time(h1, m1), time(h2, m2)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    tz: str

    @classmethod
    def of(cls, text: str | None, tz: str) -> QuietHours | None:
        if not text or not text.strip():
            return None
        start, end = parse_quiet_hours(text)
        return cls(start, end, tz)

    def _window(self, day: datetime) -> tuple[float, float]:
        """The window that starts on ``day`` (a local date), as UTC timestamps."""
        zone = ZoneInfo(self.tz)
        start = datetime.combine(day.date(), self.start, zone)
        end_day = day.date() + timedelta(days=1 if self.end <= self.start else 0)
        end = datetime.combine(end_day, self.end, zone)
        return start.timestamp(), end.timestamp()

    def window_at(self, ts: float) -> tuple[float, float] | None:
        """The quiet window ``ts`` falls in (start, end), or None."""
        local = datetime.fromtimestamp(ts, ZoneInfo(self.tz))
        for days in (0, -1):  # a window that started yesterday evening may still run
            start, end = self._window(local + timedelta(days=days))
            if start <= ts < end:
                return start, end
        return None

    def last_ended(self, now: float) -> tuple[float, float]:
        """The latest window that ended at or before ``now``."""
        local = datetime.fromtimestamp(now, ZoneInfo(self.tz))
        for days in (0, -1, -2):
            start, end = self._window(local + timedelta(days=days))
            if end <= now:
                return start, end
        raise AssertionError("a daily window ends within two days")  # pragma: no cover

    def explain(self, now: float) -> str:
        """What the setting means on the owner's clock, for `copilot config`: '22:00-07:00
        America/New_York: every night from 22:00 EST to 07:00 EST the next morning (03:00-12:00
        UTC), firings recorded but not sent; quiet now, until 07:00 EST'."""
        from core.markettime import format_clock, format_local

        quiet = self.window_at(now)
        start, end = quiet or self._next(now)
        overnight = self.end <= self.start
        span = (f"every night from {format_clock(start, self.tz)} to "
                f"{format_clock(end, self.tz)} the next morning" if overnight else
                f"every day from {format_clock(start, self.tz)} to {format_clock(end, self.tz)}")
        utc = f"{format_clock(start, 'UTC')}-{format_clock(end, 'UTC')}".replace(" UTC", "")
        state = (f"quiet now, until {format_local(end, self.tz, now=now)}" if quiet else
                 f"next from {format_local(start, self.tz, now=now)}")
        return (f"{self.start:%H:%M}-{self.end:%H:%M} {self.tz}: {span} ({utc} UTC), "
                f"alert firings recorded but not sent; {state}")

    def _next(self, now: float) -> tuple[float, float]:
        """The next window that starts after ``now``."""
        local = datetime.fromtimestamp(now, ZoneInfo(self.tz))
        for days in (0, 1):
            start, end = self._window(local + timedelta(days=days))
            if start > now:
                return start, end
        raise AssertionError("a daily window starts within two days")  # pragma: no cover
