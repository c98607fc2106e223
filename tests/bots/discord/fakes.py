"""Fake interactions for calling slash-command, button and modal callbacks directly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class FakeResponse:
    def __init__(self) -> None:
        self.deferred: dict[str, Any] | None = None
        self.sent: list[tuple[str | None, dict[str, Any]]] = []
        self.modal: Any = None

    async def defer(self, **kwargs: Any) -> None:
        self.deferred = kwargs

    async def send_message(self, content: str | None = None, **kwargs: Any) -> None:
        self.sent.append((content, kwargs))

    async def send_modal(self, modal: Any) -> None:
        self.modal = modal

    def is_done(self) -> bool:
        return self.deferred is not None or bool(self.sent)


class FakeFollowup:
    def __init__(self) -> None:
        self.sent: list[tuple[str | None, dict[str, Any]]] = []

    async def send(self, content: str | None = None, **kwargs: Any) -> None:
        self.sent.append((content, kwargs))


class FakeMessage:
    def __init__(self) -> None:
        self.edits: list[dict[str, Any]] = []

    async def edit(self, **kwargs: Any) -> None:
        self.edits.append(kwargs)


GUILD_ID, CHANNEL_ID = 4242, 4343  # a server text channel unless a test says otherwise


class FakeInteraction:
    def __init__(self, client: Any, user_id: int, message: FakeMessage | None = None, *,
                 channel_id: int | None = CHANNEL_ID, guild_id: int | None = GUILD_ID) -> None:
        self.client = client
        self.user = SimpleNamespace(id=user_id, display_name=f"user{user_id}")
        self.channel_id = channel_id
        self.guild_id = guild_id  # None: a DM
        self.response = FakeResponse()
        self.followup = FakeFollowup()
        self.message = message
        self.edited: list[dict[str, Any]] = []

    async def edit_original_response(self, **kwargs: Any) -> None:
        self.edited.append(kwargs)

    def texts(self) -> list[str]:
        out = [c or "" for c, _ in self.response.sent + self.followup.sent]
        for _, kw in self.response.sent + self.followup.sent:
            embed = kw.get("embed")
            if embed is not None:
                out.append(f"{embed.title}\n{embed.description}")
        return out
