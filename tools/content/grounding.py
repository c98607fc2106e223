"""Grounding check: every number in a draft must come from the data it was drafted from.

Numbers are compared after normalising formatting ($, commas, %, signs) and allowing the
roundings a writer uses (2, 1 and 0 decimals)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    # ignore tickers/words with digits and ISO-date pieces handled via the data
    return [m.group(0) for m in NUMBER.finditer(text)]


def _value(raw: str) -> float:
    return abs(float(raw.replace("$", "").replace(",", "").replace("+", "")))


def _walk(data: Any) -> Iterable[float]:
    if isinstance(data, bool):
        return
    if isinstance(data, int | float):
        yield float(data)
    elif isinstance(data, str):
        for raw in numbers_in(data):
            try:
                yield _value(raw)
            except ValueError:
                continue
    elif isinstance(data, dict):
        for v in data.values():
            yield from _walk(v)
    elif isinstance(data, list | tuple):
        for v in data:
            yield from _walk(v)


def allowed_values(data: Any) -> set[float]:
    allowed: set[float] = set()
    for v in _walk(data):
        v = abs(v)
        for digits in (0, 1, 2):
            allowed.add(round(v, digits))
        allowed.add(float(int(v)))
    return allowed


def ungrounded(text: str, data: Any) -> list[str]:
    """The numbers in ``text`` that the data does not support (empty = grounded)."""
    allowed = allowed_values(data)
    bad = []
    for raw in numbers_in(text):
        try:
            value = _value(raw)
        except ValueError:
            continue
        if value in allowed or round(value, 2) in allowed:
            continue
        bad.append(raw)
    return bad
