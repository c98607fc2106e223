"""Publishing each draft exactly once, through crashes, timeouts and channels that are down.

1. A draft is claimed first (a compare-and-set to ``publishing``), so two callers never
   both send it.
2. ``sent_at`` is taken (compare-and-set again) just before every send and cleared when
   the channel answers. While it is set the send is in doubt: it may have gone out.
3. Before every retry, and before any send after a crash or a timeout, a channel that can
   be asked (WordPress, by the ``copilot-draft-<id>`` slug) is asked whether the post
   exists. A send in doubt is repeated only once the channel said "not there" *and*
   ``settle_s`` passed since it left: a slow server may still be writing the first one.
4. A channel that cannot be asked (Discord webhook, SMTP): a send in doubt marks the draft
   failed with a note for the owner to check; nothing is ever resent automatically.
5. An answer that is not what the channel's API documents (HTML, not JSON, no id) is a
   failed publish with a note on the draft, never a crash.

``recover`` finishes what a crash or a silent channel left in ``publishing``; it never
raises for a channel's failure and leaves the draft ``publishing`` until the channel
answers (the content capability runs it in the background with backoff)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.errors import InvalidInput
from tools.content.models import ContentDraft, Status
from tools.content.publishers import (
    Published,
    Publisher,
    PublishFailed,
    PublishInDoubt,
    UnexpectedReply,
)

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 3
SETTLE_S = 120.0  # an unanswered send is given this long to show up before it is resent
WHERE = {"blog": "the blog", "discord": "the Discord channel",
         "email": "the sent mail and a recipient's inbox"}


class Publishing:
    """The publishing half of ``ContentService`` (a mixin: it shares the service's state)."""

    sql: Engine
    publishers: dict[str, Publisher]
    clock: Callable[[], float]
    sleep: Callable[[float], Awaitable[None]]
    retry_base_s: float
    settle_s: float
    on_waiting: Callable[[], None] | None  # a draft was left in ``publishing``: recover it
    channel_errors: dict[str, str]  # the last failure per channel, until it answers again
    _sending: set[int]  # drafts this process is sending right now

    if TYPE_CHECKING:
        def get(self, draft_id: int) -> ContentDraft: ...

        def drafts(self, status: str | None = None) -> list[ContentDraft]: ...

        def _set(self, draft_id: int, **values: Any) -> ContentDraft: ...

    def _init_publishing(self) -> None:
        self.retry_base_s = 1.0
        self.settle_s = SETTLE_S
        self.on_waiting = None
        self.channel_errors = {}
        self._sending = set()

    # ---- the two compare-and-sets ----------------------------------------------------
    def _claim(self, draft_id: int) -> bool:
        """draft/approved/scheduled/failed -> publishing, atomically; False if taken."""
        with self.sql.begin() as conn:
            result = conn.execute(
                update(ContentDraft)
                .where(col(ContentDraft.id) == draft_id,
                       col(ContentDraft.status).in_(["draft", "approved", "scheduled", "failed"]))
                .values(status="publishing", attempts=ContentDraft.attempts + 1)
            )
        return bool(result.rowcount == 1)

    def _take_send(self, d: ContentDraft) -> ContentDraft | None:
        """``sent_at``: what we last saw -> now, atomically; None when someone else sends."""
        same = (col(ContentDraft.sent_at).is_(None) if d.sent_at is None
                else col(ContentDraft.sent_at) == d.sent_at)
        with self.sql.begin() as conn:
            result = conn.execute(
                update(ContentDraft)
                .where(col(ContentDraft.id) == d.id, col(ContentDraft.status) == "publishing", same)
                .values(sent_at=self.clock()))
        return self.get(d.id or 0) if result.rowcount == 1 else None

    # ---- outcomes ----------------------------------------------------------------------
    def _done(self, d: ContentDraft, out: Published) -> ContentDraft:
        self.channel_errors.pop(d.channel, None)
        return self._set(d.id or 0, status=Status.published.value, published_at=self.clock(),
                         external_id=out.external_id, external_url=out.url, last_error="",
                         sent_at=None)

    async def _look_up(self, publisher: Publisher, d: ContentDraft) -> Published | None:
        """Best effort, for after a send: a lookup failure just means "don't know"."""
        if not publisher.can_look_up:
            return None
        try:
            return await publisher.find_existing(d)
        except PublishFailed as exc:
            log.warning("could not look the draft up", draft=d.id, error=str(exc))
            return None

    async def _after_doubt(self, publisher: Publisher, d: ContentDraft,
                           exc: PublishFailed) -> ContentDraft:
        """A send that got no answer: WordPress is asked, and without an answer the draft
        stays ``publishing`` for recovery; other channels are marked failed with a note."""
        found = await self._look_up(publisher, d)
        if found is not None:
            return self._done(d, found)
        if publisher.can_look_up:
            row = self._set(d.id or 0, last_error=(
                f"{exc} It may still appear, so the draft stays 'publishing' until "
                f"{publisher.label} confirms it either way; it is looked up before any resend."))
            if self.on_waiting is not None:
                self.on_waiting()
            return row
        return self._set(d.id or 0, status=Status.failed.value, last_error=(
            f"{exc} It may have gone out anyway: check {WHERE.get(d.channel, d.channel)} "
            "before publishing again (it is never resent automatically)."))

    async def _after_unexpected(self, publisher: Publisher, d: ContentDraft,
                                exc: UnexpectedReply) -> ContentDraft:
        found = await self._look_up(publisher, d)
        if found is not None:
            return self._done(d, found)
        return self._set(d.id or 0, status=Status.failed.value, sent_at=None, last_error=(
            f"{exc} Check {WHERE.get(d.channel, d.channel)} before publishing again."))

    # ---- publish ---------------------------------------------------------------------
    async def publish(self, draft_id: int) -> ContentDraft:
        d = self.get(draft_id)
        if d.status == Status.published:
            return d  # idempotent: asking twice publishes once
        publisher = self.publishers.get(d.channel)
        if publisher is None:
            raise InvalidInput(f"No {d.channel} channel is configured; see the README for "
                               "WORDPRESS_URL, SMTP_HOST or DISCORD_WEBHOOK_URL.")
        if not self._claim(draft_id):
            current = self.get(draft_id)
            if current.status == Status.published:
                return current
            if current.status == Status.publishing and current.last_error \
                    and draft_id not in self._sending:
                raise InvalidInput(f"Draft {draft_id} is already being published: "
                                   f"{current.last_error}")
            raise InvalidInput(f"Draft {draft_id} is being published right now.")
        self._sending.add(draft_id)
        try:
            return await self._send_claimed(publisher, self.get(draft_id))
        finally:
            self._sending.discard(draft_id)

    async def _send_claimed(self, publisher: Publisher, d: ContentDraft) -> ContentDraft:
        # a retry of a failed draft, or one whose last send is in doubt: ask first
        verify = d.attempts > 1 or d.sent_at is not None
        error: PublishFailed | None = None
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if attempt > 1:
                await self.sleep(self.retry_base_s * 2 ** (attempt - 2))
            if verify and publisher.can_look_up:
                try:
                    found = await publisher.find_existing(d)
                except PublishFailed as exc:  # cannot tell whether it went out: don't send
                    error = exc
                    log.warning("could not check whether the draft went out", draft=d.id,
                                error=str(exc), attempt=attempt)
                    continue
                if found is not None:
                    return self._done(d, found)
            verify = True
            taken = self._take_send(d)
            if taken is None:
                raise InvalidInput(f"Draft {d.id} is being published right now.")
            d = taken
            try:
                out = await publisher.publish(d)
            except PublishInDoubt as exc:
                row = await self._after_doubt(publisher, d, exc)
                if row.status == Status.published:
                    return row
                raise PublishInDoubt(row.last_error) from exc
            except UnexpectedReply as exc:
                row = await self._after_unexpected(publisher, d, exc)
                if row.status == Status.published:
                    return row
                raise UnexpectedReply(row.last_error) from exc
            except PublishFailed as exc:  # the channel answered: nothing is in flight
                d = self._set(d.id or 0, sent_at=None)
                error = exc
                log.warning("publish failed", draft=d.id, error=str(exc), attempt=attempt)
                if not exc.retry:
                    break
                continue
            return self._done(d, out)
        assert error is not None
        self.channel_errors[d.channel] = str(error)
        self._set(d.id or 0, status=Status.failed.value, last_error=str(error))
        raise error

    # ---- recovery --------------------------------------------------------------------
    def waiting(self) -> list[ContentDraft]:
        """Drafts in ``publishing`` that no send in this process is working on."""
        return [d for d in self.drafts(Status.publishing.value) if d.id not in self._sending]

    async def recover(self) -> list[int]:
        """One pass over drafts left in ``publishing`` (by a crash, or by a send nobody
        answered): confirm each with its channel, finish it, or flag it. Never raises for
        a channel's failure and asks a channel that failed in this pass nothing more; the
        draft stays ``publishing`` until the channel answers. Returns the drafts settled."""
        settled: list[int] = []
        down: dict[str, str] = {}
        for d in self.waiting():
            if d.channel in down:
                self._set(d.id or 0, last_error=down[d.channel])
                continue
            publisher = self.publishers.get(d.channel)
            if publisher is None:
                self._set(d.id or 0, status=Status.failed.value, last_error=(
                    f"Interrupted while publishing, and no {d.channel} channel is configured "
                    f"now: check {WHERE.get(d.channel, d.channel)} before retrying."))
                settled.append(d.id or 0)
                continue
            try:
                row = await self._recover_one(publisher, d)
            except PublishFailed as exc:
                down[d.channel] = (f"Waiting for {publisher.label} to answer before finishing "
                                   f"the publish: {exc}")
                self.channel_errors[d.channel] = str(exc)
                self._set(d.id or 0, last_error=down[d.channel])
                log.warning("publish recovery waits for the channel", draft=d.id,
                            channel=d.channel, error=str(exc))
                continue
            except Exception:  # noqa: BLE001 - one draft's bug must not stop the others
                log.exception("recovering a draft failed", draft=d.id)
                continue
            if row.status != Status.publishing:
                settled.append(d.id or 0)
        return settled

    async def _recover_one(self, publisher: Publisher, d: ContentDraft) -> ContentDraft:
        if publisher.can_look_up:
            found = await publisher.find_existing(d)  # raises when the channel is down
            self.channel_errors.pop(d.channel, None)
            if found is not None:
                return self._done(d, found)
            if d.sent_at is not None and self.clock() - d.sent_at < self.settle_s:
                return d  # a slow send may still land: look again later
        elif d.sent_at is not None:
            if self.clock() - d.sent_at < self.settle_s:
                return d  # maybe still sending (another process): its own timeout ends it
            return self._set(d.id or 0, status=Status.failed.value, last_error=(
                f"Interrupted while sending to {publisher.label}: it may have gone out. Check "
                f"{WHERE.get(d.channel, d.channel)} before publishing again (it is never "
                "resent automatically)."))
        # nothing went out (the channel says so, or the send never began): send it now
        taken = self._take_send(d)
        if taken is None:
            return self.get(d.id or 0)
        try:
            out = await publisher.publish(taken)
        except PublishInDoubt as exc:
            return await self._after_doubt(publisher, taken, exc)
        except UnexpectedReply as exc:
            return await self._after_unexpected(publisher, taken, exc)
        except PublishFailed:
            self._set(d.id or 0, sent_at=None)
            raise
        return self._done(taken, out)

    async def publish_due(self) -> list[int]:
        """Scheduled drafts whose time has come (called by their scheduler jobs)."""
        done = []
        for d in self.drafts(Status.scheduled.value):
            if d.scheduled_for is not None and d.scheduled_for <= self.clock():
                try:
                    await self.publish(d.id or 0)
                    done.append(d.id or 0)
                except (PublishFailed, InvalidInput) as exc:
                    log.warning("scheduled publish failed", draft=d.id, error=str(exc))
        return done
