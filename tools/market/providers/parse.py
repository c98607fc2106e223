"""Reading providers' JSON defensively. A provider may answer anything: a list, null, a
string, an HTML page, a price of "abc", NaN, -5 or 0. All of it is a ``Malformed``
provider error, never a crash and never a price shown to the owner."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from typing import Any, ParamSpec, TypeVar

import structlog

from core.errors import CopilotError, ProviderError

P = ParamSpec("P")
T = TypeVar("T")
log = structlog.get_logger(__name__)
MAX_UNIX_S = 4102444800  # 2100-01-01: anything later is not a real timestamp


class Malformed(ProviderError):
    """The provider answered, but not with something usable."""

    def __init__(self, provider: str, what: str, detail: str) -> None:
        super().__init__(f"{provider} sent {what} I can't use ({detail}).")


def kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def expect_dict(value: Any, provider: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed(provider, what, f"{kind(value)} instead of an object")
    return value


def number(value: Any, *, strings: bool = False) -> float | None:
    """A finite float from a JSON number (or, with ``strings``, a numeric string such as
    Alpha Vantage's "226.99" or "-0.11%"); None when it is anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        out = float(value)
    elif strings and isinstance(value, str):
        try:
            out = float(value.strip().rstrip("%"))
        except ValueError:
            return None
    else:
        return None
    return out if math.isfinite(out) else None


def price(value: Any, provider: str, what: str, field: str, *, strings: bool = False) -> float:
    """A price: a finite number above zero, or ``Malformed``."""
    if value is None or value == "":
        raise Malformed(provider, what, f"no {field}")
    out = number(value, strings=strings)
    if out is None or out <= 0:
        raise Malformed(provider, what, f"the {field} is not a positive number")
    return out


def optional(value: Any, provider: str, what: str, field: str, *, strings: bool = False,
             positive: bool = False) -> float | None:
    """An optional number: None when absent; ``Malformed`` when present but unusable.
    With ``positive``, a zero means "not given" (Finnhub sends 0 for unknown values)."""
    if value is None or value == "":
        return None
    out = number(value, strings=strings)
    if out is None or (positive and out < 0):
        raise Malformed(provider, what, f"the {field} is not a number")
    if positive and out == 0:
        return None
    return out


def volume(value: Any, provider: str, what: str, *, strings: bool = False) -> int | None:
    out = optional(value, provider, what, "volume", strings=strings)
    if out is None:
        return None
    if out < 0:
        raise Malformed(provider, what, "the volume is negative")
    return int(out)


def unix_time(value: Any, provider: str, what: str) -> datetime:
    out = number(value)
    if out is None or not 0 < out < MAX_UNIX_S:
        raise Malformed(provider, what, "no valid time")
    return datetime.fromtimestamp(out, UTC)


def day(value: Any, provider: str, what: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise Malformed(provider, what, "a date I can't read") from None


Method = Callable[P, Coroutine[Any, Any, T]]


def contained(provider: str) -> Callable[[Method[P, T]], Method[P, T]]:
    """Whatever goes wrong inside a provider method leaves it as a ``CopilotError``: a
    provider answer must never become a traceback."""

    def wrap(fn: Method[P, T]) -> Method[P, T]:
        @functools.wraps(fn)
        async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await fn(*args, **kwargs)
            except CopilotError:
                raise
            except Exception as exc:  # noqa: BLE001 - the point of this wrapper
                log.warning("provider answer not readable", provider=provider,
                            error=f"{type(exc).__name__}: {exc}")
                raise ProviderError(f"{provider} sent an answer I could not read.") from exc

        return guarded

    return wrap
