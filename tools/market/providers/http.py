"""Shared HTTP handling for REST providers: transport failures and status codes become
typed errors, bodies are decoded as strict JSON (no NaN or Infinity), and every request
is bounded by the enclosing deadline."""

from __future__ import annotations

import json
import math
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.errors import ProviderError
from core.limits import TransientError, current_deadline
from tools.market.errors import NoAccess, RateLimited


class TooManyRequests(TransientError):
    """HTTP 429: the provider's own limiter refused us (``retry_after`` when it said)."""


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def strict_json(raw: bytes) -> Any:
    """JSON as the standard says it: ``NaN``/``Infinity`` literals are rejected."""
    return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)


def _what_came(raw: bytes) -> str:
    text = raw.strip()
    if not text:
        return "an empty response"
    if text[:1] == b"<":
        return "a web page instead of data"
    return "a response that is not valid JSON"


async def get_json(client: httpx.AsyncClient, provider: str, url: str,
                   params: dict[str, Any]) -> Any:
    """GET and decode JSON. 429 becomes ``TooManyRequests``, 5xx/timeouts/dropped
    connections ``TransientError``, 403 ``NoAccess``, anything else unusable
    ``ProviderError``; each message is one sentence naming ``provider``."""
    deadline = current_deadline()
    timeout: Any = httpx.USE_CLIENT_DEFAULT
    if deadline is not None:
        timeout = httpx.Timeout(max(0.05, deadline.remaining()))
    try:
        response = await client.get(url, params=params, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{provider} did not answer in time ({type(exc).__name__}).") from exc
    except httpx.ConnectError as exc:
        raise TransientError(f"{provider} could not be reached (connection failed).") from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        raise TransientError(f"{provider} dropped the connection mid-answer.") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{provider} did not answer ({type(exc).__name__}).") from exc
    except httpx.HTTPError as exc:
        raise ProviderError(f"{provider} sent an answer I could not read "
                            f"({type(exc).__name__}).") from exc
    status = response.status_code
    if status == 429:
        raise TooManyRequests(f"{provider} is rate limiting us (HTTP 429).",
                              retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status >= 500:  # a 503 may say when to come back; the deadline caps the wait
        raise TransientError(f"{provider} had a server error (HTTP {status}).",
                             retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 401:
        raise ProviderError(f"{provider} refused the API key (HTTP 401).")
    if status == 403:
        raise NoAccess(f"{provider} refused the request (HTTP 403): "
                       "the endpoint is not in your plan or the key is wrong.")
    if 300 <= status < 400:
        raise ProviderError(f"{provider} redirected the request (HTTP {status}); "
                            "check its base URL.")
    if not 200 <= status < 300:
        raise ProviderError(f"{provider} rejected the request (HTTP {status}).")
    raw = response.content
    try:
        return strict_json(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProviderError(f"{provider} sent {_what_came(raw)}.") from exc


__all__ = ["get_json", "parse_retry_after", "strict_json", "TooManyRequests", "RateLimited"]
