"""Who may do what in Discord. Owners (OWNER_IDS) may do everything; others may ask
read-only market questions in allowed channels, within a per-user rate limit. The
privileged tools also refuse non-owners themselves: this is the second lock, not the first.

Messages, slash commands and ticker autocomplete all pass the same ``may_chat`` gate.
Each person has a conversation of their own: in a shared channel the thread is keyed by
channel *and* user (``thread_id``), so nobody's turns carry anybody else's messages or
tool results. ``/new`` starts that person's next one there: the place's generation
(counted under ``conversation_key``) goes up and ``thread_id`` names a new thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.auth import Caller
from core.limits import SlidingWindowLimiter

AUTOCOMPLETE_PER_MINUTE = 60  # Discord asks on every keystroke: a separate, larger budget


def conversation_key(user_id: int, channel_id: int | None, is_dm: bool) -> str:
    """One person in one place: a DM is per user; a server channel (or Discord thread)
    is per channel and user, never shared between people."""
    if is_dm or channel_id is None:
        return f"discord-dm-{user_id}"
    return f"discord-ch-{channel_id}-u-{user_id}"


def thread_id(user_id: int, channel_id: int | None, is_dm: bool, generation: int = 0) -> str:
    """The agent thread of one person in one place, in its ``generation``-th
    conversation there (0 until the first ``/new``)."""
    key = conversation_key(user_id, channel_id, is_dm)
    return key if generation <= 0 else f"{key}-g{generation}"


@dataclass
class AccessPolicy:
    owner_ids: set[int]
    allowed_channels: set[int] = field(default_factory=set)  # empty: every channel
    per_minute: int = 10
    clock: Callable[[], float] = time.time
    autocomplete_per_minute: int = AUTOCOMPLETE_PER_MINUTE
    _limiters: dict[int, SlidingWindowLimiter] = field(default_factory=dict)
    _autocomplete: dict[int, SlidingWindowLimiter] = field(default_factory=dict)

    def is_owner(self, user_id: int) -> bool:
        return user_id in self.owner_ids

    def caller(self, user_id: int, name: str = "") -> Caller:
        return Caller(user_id=str(user_id), is_owner=self.is_owner(user_id), name=name)

    def may_chat(self, user_id: int, channel_id: int | None, is_dm: bool) -> bool:
        if self.is_owner(user_id):
            return True
        if is_dm:
            return False  # guests talk in allowed channels, not in private
        return not self.allowed_channels or channel_id in self.allowed_channels

    def allow(self, user_id: int) -> bool:
        """Per-user rate limit; owners are never throttled by their own bot."""
        return self._acquire(self._limiters, user_id, self.per_minute)

    def allow_autocomplete(self, user_id: int) -> bool:
        """Per-user rate limit on ticker autocomplete, apart from the chat budget so that
        typing a ticker does not use up someone's questions; owners are exempt."""
        return self._acquire(self._autocomplete, user_id, self.autocomplete_per_minute)

    def _acquire(self, limiters: dict[int, SlidingWindowLimiter], user_id: int,
                 per_minute: int) -> bool:
        if self.is_owner(user_id):
            return True
        limiter = limiters.get(user_id)
        if limiter is None:
            limiter = limiters[user_id] = SlidingWindowLimiter([(per_minute, 60.0)], self.clock)
        return limiter.try_acquire()
