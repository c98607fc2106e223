"""Delivery targets behind one interface. A target either delivers or raises
``DeliveryFailed``; the dispatcher owns retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

import httpx
import structlog

from core.errors import ProviderError

log = structlog.get_logger(__name__)


class DeliveryFailed(ProviderError):
    """A target could not take a notification; it will be retried."""


class DeliveryTarget(Protocol):
    name: str

    async def send(self, payload: dict[str, Any], idempotency_key: str) -> None: ...


class WebhookTarget:
    """POSTs the JSON payload with an ``Idempotency-Key`` header; any 2xx is delivered."""

    name = "webhook"

    def __init__(self, client: httpx.AsyncClient, url: str, timeout_s: float = 10.0) -> None:
        self.client = client
        self.url = url
        self.timeout_s = timeout_s

    async def send(self, payload: dict[str, Any], idempotency_key: str) -> None:
        try:
            response = await self.client.post(
                self.url, json=payload, headers={"Idempotency-Key": idempotency_key},
                timeout=self.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook unreachable ({type(exc).__name__})") from exc
        if not response.is_success:
            raise DeliveryFailed(f"webhook answered HTTP {response.status_code}")


Sender = Callable[[str, dict[str, Any]], Awaitable[None]]  # (text, payload)


class SenderTarget:
    """A target a front end brings (the Discord bot's DMs): until it registers its
    sender, deliveries fail and are retried."""

    def __init__(self, name: str, sender: Sender | None = None) -> None:
        self.name = name
        self.sender = sender

    async def send(self, payload: dict[str, Any], idempotency_key: str) -> None:
        if self.sender is None:
            raise DeliveryFailed(f"the {self.name} front end is not connected")
        try:
            await self.sender(payload["text"], payload)
        except Exception as exc:  # discord.py raises many kinds; all mean "retry later"
            raise DeliveryFailed(f"{self.name} refused the message ({type(exc).__name__})") from exc


CHANNEL_SENDER = "discord_channel"  # the name the Discord front end registers it under


class ChannelTarget:
    """A Discord channel an alert names (``discord:<channel id>``): sent through the
    channel sender the Discord front end registers, the channel's id in the payload."""

    def __init__(self, name: str, senders: dict[str, Sender]) -> None:
        self.name = name
        self.channel_id = int(name.split(":", 1)[1])
        self.senders = senders

    async def send(self, payload: dict[str, Any], idempotency_key: str) -> None:
        sender = self.senders.get(CHANNEL_SENDER)
        if sender is None:
            raise DeliveryFailed("the Discord front end is not connected")
        try:
            await sender(payload["text"], {**payload, "channel_id": self.channel_id})
        except Exception as exc:  # discord.py raises many kinds; all mean "retry later"
            raise DeliveryFailed(f"Discord channel {self.channel_id} refused the message "
                                 f"({type(exc).__name__})") from exc


def add_channel_targets(targets: dict[str, DeliveryTarget], names: Iterable[str],
                        senders: dict[str, Sender]) -> list[str]:
    """A ``ChannelTarget`` for each ``discord:<id>`` name not known yet; returns them."""
    added = []
    for name in names:
        if name.startswith("discord:") and name not in targets:
            targets[name] = ChannelTarget(name, senders)
            added.append(name)
    return added
