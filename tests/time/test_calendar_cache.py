"""The NYSE sessions are built once per user and read from a cache file afterwards
(#19, fast commands): the same calendar, without importing pandas."""

from __future__ import annotations

import sys
from datetime import date

from core.calendar import ExchangeCalendar


def test_the_cached_calendar_is_the_built_one_and_needs_no_pandas(tmp_path, monkeypatch):
    built = ExchangeCalendar(first_year=2024, last_year=2026, cache_dir=tmp_path)
    files = list(tmp_path.glob("calendar-XNYS-2024-2026-*.pickle"))
    assert len(files) == 1
    # exchange-calendars (and pandas) can no longer be imported: only the cache can serve
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)
    cached = ExchangeCalendar(first_year=2024, last_year=2026, cache_dir=tmp_path)
    assert cached._sessions == built._sessions and cached._holidays == built._holidays
    assert cached.holiday(date(2025, 12, 25)) == built.holiday(date(2025, 12, 25)) is not None
    assert cached.session(date(2025, 11, 28)).early_close  # the day after Thanksgiving


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    ExchangeCalendar(first_year=2025, last_year=2025, cache_dir=tmp_path)
    (path,) = tmp_path.glob("*.pickle")
    path.write_bytes(b"not a pickle")
    again = ExchangeCalendar(first_year=2025, last_year=2025, cache_dir=tmp_path)
    assert again.first == date(2025, 1, 2) and again.last == date(2025, 12, 31)
    assert path.read_bytes() != b"not a pickle"
