"""Who may do what in Discord. Owners (OWNER_IDS) may do everything; others may ask
read-only market questions in allowed channels, within a per-user rate limit. The
privileged tools also refuse non-owners themselves: this is the second lock, not the first."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.auth import Caller
from core.limits import SlidingWindowLimiter


@dataclass
class AccessPolicy:
    owner_ids: set[int]
    allowed_channels: set[int] = field(default_factory=set)  # empty: every channel
    per_minute: int = 10
    clock: Callable[[], float] = time.time
    _limiters: dict[int, SlidingWindowLimiter] = field(default_factory=dict)

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
        if self.is_owner(user_id):
            return True
        limiter = self._limiters.get(user_id)
        if limiter is None:
            limiter = self._limiters[user_id] = SlidingWindowLimiter(
                [(self.per_minute, 60.0)], self.clock)
        return limiter.try_acquire()
