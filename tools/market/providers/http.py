"""Shared HTTP handling for REST providers: status codes to typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from core.limits import TransientError
from tools.market.errors import NoAccess, RateLimited


async def get_json(client: httpx.AsyncClient, provider: str, url: str,
                   params: dict[str, Any]) -> Any:
    """GET and decode JSON; 429/5xx/timeouts become ``TransientError``, 403 ``NoAccess``."""
    try:
        response = await client.get(url, params=params)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise TransientError(f"{provider} did not answer ({type(exc).__name__}).") from exc
    if response.status_code == 429:
        retry_after = response.headers.get("Retry-After")
        raise TransientError(
            f"{provider} is rate limiting us.",
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )
    if response.status_code >= 500:
        raise TransientError(f"{provider} had a server error (HTTP {response.status_code}).")
    if response.status_code in (401, 403):
        raise NoAccess(f"{provider} refused the request (HTTP {response.status_code}): "
                       "the endpoint is not in your plan or the key is wrong.")
    if response.status_code >= 400:
        raise NoAccess(f"{provider} rejected the request (HTTP {response.status_code}).")
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(f"{provider} sent a response that is not JSON.") from exc


__all__ = ["get_json", "RateLimited"]
