"""The content capability: drafts from signals, the editorial calendar, publishers, and
the policy that turns a ready draft into a decision (publish / edit / skip)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.decisions import ActionResult, Decision, DecisionKind, DecisionPort, Option
from core.errors import CopilotError
from core.events import NOTICE
from core.market import MarketData
from core.ports import AlertFeed, BriefingSection, CheckResult, FnCheck, HealthCheck, TextModel
from tools.content.calendar import draft_from_signals, parse_slot
from tools.content.drafting import Polisher
from tools.content.grammar import GRAMMAR
from tools.content.models import ContentDraft, Feedback
from tools.content.publishers import (
    DiscordWebhookPublisher,
    EmailPublisher,
    Publisher,
    PublishFailed,
    WordPressPublisher,
)
from tools.content.service import ContentService

CHANNEL_SETTINGS = {"blog": "set WORDPRESS_URL, WORDPRESS_USER and WORDPRESS_APP_PASSWORD",
                    "email": "set SMTP_HOST and EMAIL_TO",
                    "discord": "set DISCORD_WEBHOOK_URL"}


def build_publishers(kernel: Kernel) -> dict[str, Publisher]:
    settings, http = kernel.settings, kernel.http
    publishers: dict[str, Publisher] = {}
    if settings.wordpress_url and settings.wordpress_user and settings.wordpress_app_password:
        publishers["blog"] = WordPressPublisher(
            http, settings.wordpress_url, settings.wordpress_user,
            settings.wordpress_app_password.get_secret_value())
    if settings.smtp_host and settings.email_to:
        publishers["email"] = EmailPublisher(
            settings.smtp_host, settings.smtp_port, settings.email_from, settings.email_to,
            settings.smtp_user,
            settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            start_tls=settings.smtp_starttls)
    if settings.discord_webhook_url:
        publishers["discord"] = DiscordWebhookPublisher(
            http, settings.discord_webhook_url.get_secret_value())
    return publishers


def body_sha(body: str) -> str:
    """A fingerprint of a draft's text, to tell an edit made in a decision from the text
    the decision was raised with."""
    import hashlib

    return hashlib.sha256(body.encode()).hexdigest()[:16]


def make_polisher(llm: TextModel) -> Polisher:
    from prompts import load_prompt

    async def polisher(text: str, channel: str, tone: str, instruction: str = "", /) -> str:
        rule = ("Stay under 1,900 characters." if channel == "discord"
                else "Keep the markdown headings.")
        if instruction:  # the owner's edit request, in words
            system = load_prompt("content_edit").format(channel=channel, tone=tone,
                                                        instruction=instruction,
                                                        length_rule=rule)
        else:
            system = load_prompt("content_polish").format(channel=channel, tone=tone,
                                                          length_rule=rule)
        return await llm.complete(system, text)

    return polisher


class ContentCapability(Capability):
    name = "content"
    tables = (ContentDraft, Feedback)
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, market: MarketData, alerts: AlertFeed,
                 decisions: DecisionPort, llm: TextModel | None = None) -> None:
        self.kernel = kernel
        self.market = market
        self.alerts = alerts
        self.decisions = decisions
        self.service = ContentService(
            kernel.db, market, alerts, build_publishers(kernel), clock=kernel.clock,
            disclaimer=kernel.settings.disclaimer,
            polisher=make_polisher(llm) if llm is not None else None,
            timezone=kernel.settings.timezone)
        self.service.on_ready = self.on_ready
        self.service.on_delete = self.on_deleted
        # background recovery of drafts left in ``publishing``: first retry after
        # ``recovery_base_s``, doubling up to ``recovery_max_s`` while a channel is down
        self.recovery_base_s = 2.0
        self.recovery_max_s = 60.0
        self.recovery_idle_s = 300.0
        self._wake: asyncio.Event | None = None

    def tools(self) -> list[BaseTool]:
        from tools.content.tools import make_content_tools

        return make_content_tools(self.service)

    def briefing(self) -> list[BriefingSection]:
        async def waiting() -> str:
            drafts = [d for d in self.service.drafts()
                      if d.status in ("draft", "approved", "scheduled")]
            return f"**Drafts waiting:** {len(drafts)}" if drafts else ""

        return [waiting]

    # ---- health: is every configured channel usable? ------------------------------------
    def checks(self) -> list[HealthCheck]:
        return [FnCheck("content", self.check_channels, interval_s=60.0, restart=self.retry_now)]

    async def check_channels(self) -> CheckResult:
        """Each configured channel probed at once; the detail names the ones down."""
        publishers = self.service.publishers
        if not publishers:
            return CheckResult("ok", "no publishing channel configured")

        async def probe(p: Publisher) -> str | None:
            try:
                await p.probe()
            except PublishFailed as exc:
                return str(exc)
            return None

        results = await asyncio.gather(*(probe(p) for p in publishers.values()))
        parts, down = [], []
        for (channel, publisher), error in zip(publishers.items(), results, strict=True):
            if error is None:
                parts.append(f"{channel} ({publisher.label}) ok")
            else:
                down.append(channel)
                parts.append(f"{channel} ({publisher.label}) down: {error}")
        waiting = self.service.drafts("publishing")
        if waiting:
            ids = ", ".join(f"#{d.id}" for d in waiting[:10])
            parts.append(f"{len(waiting)} draft(s) waiting to finish publishing ({ids})")
        return CheckResult("down" if down else "ok", "; ".join(parts))

    async def retry_now(self) -> str:
        """The incident's Restart: check the drafts waiting in ``publishing`` right now."""
        if self._wake is not None:
            self._wake.set()
            return "Checking the drafts waiting to publish now."
        settled = await self.service.recover()
        return f"Checked the drafts waiting to publish: {len(settled)} settled."

    # ---- ready drafts become decisions -----------------------------------------------
    def decision_kinds(self) -> list[DecisionKind]:
        content = self.service

        async def draft(args: dict[str, Any]) -> ActionResult:
            d = await content.draft(args.get("topic", ""), args.get("channel", "discord"),
                                    args.get("symbol"), args.get("tone"), notify=True)
            return ActionResult(f"Drafted #{d.id} for {d.channel}: “{d.title}”. It's waiting "
                                "for your go in a content decision.")

        async def publish(args: dict[str, Any]) -> ActionResult:
            draft_id = int(args["draft_id"])
            body = str(args.get("body") or "")
            # the text the decision was raised with is applied only when the owner edited
            # it in the decision: a draft edited since (edit_draft) publishes as it is now
            if body and (args.get("body_sha") is None or body_sha(body) != args["body_sha"]):
                content.edit(draft_id, body)
            d = await content.publish(draft_id)
            where = f": {d.external_url}" if d.external_url else ""
            return ActionResult(f"Published draft {d.id} to {d.channel}{where}.")

        async def skip(args: dict[str, Any]) -> ActionResult:
            d = content.skip(int(args["draft_id"]))
            return ActionResult(f"Skipped draft {d.id}.", undo=("unskip_draft", {"draft_id": d.id}))

        async def unskip(args: dict[str, Any]) -> ActionResult:
            d = content.unskip(int(args["draft_id"]))
            return ActionResult(f"Draft {d.id} is back to draft.")

        async def publishable(args: dict[str, Any]) -> str | None:
            """Publishing needs the draft unpublished and its channel configured."""
            try:
                d = content.get(int(args["draft_id"]))
            except CopilotError as exc:
                return str(exc)
            if d.status == "published":
                return f"draft {d.id} is already published"
            if d.status == "publishing":
                return f"draft {d.id} is being published right now"
            if d.channel not in content.publishers:
                how = CHANNEL_SETTINGS.get(d.channel, "see the README")
                return f"no {d.channel} channel is configured ({how})"
            return None

        async def skippable(args: dict[str, Any]) -> str | None:
            try:
                d = content.get(int(args["draft_id"]))
            except CopilotError as exc:
                return str(exc)
            return f"draft {d.id} is already published" if d.status == "published" else None

        async def elsewhere(args: dict[str, Any]) -> list[Option]:
            return self.other_channels(int(args["draft_id"]))

        return [DecisionKind("content_ready", {"draft_content": draft, "publish_content": publish,
                                               "skip_draft": skip, "unskip_draft": unskip},
                             preconditions={"publish_content": publishable,
                                            "skip_draft": skippable},
                             alternatives={"publish_content": elsewhere})]

    def other_channels(self, draft_id: int) -> list[Option]:
        """A publish that failed can go out on another configured channel: drafted again
        for it (each channel has its own shape), then asked as usual."""
        try:
            d = self.service.get(draft_id)
        except CopilotError:
            return []
        return [Option(id=f"draft_{channel}", label=f"Draft it for {channel} instead",
                       action="draft_content", args={"topic": d.topic, "channel": channel,
                                                     "symbol": d.symbol, "tone": d.tone})
                for channel in self.service.publishers if channel != d.channel]

    async def on_ready(self, draft: ContentDraft) -> Decision:
        for pending in self.decisions.pending("content_ready"):
            if pending.source_key == f"draft:{draft.id}":
                return pending
        preview = draft.body if len(draft.body) <= 1500 else draft.body[:1500] + "…"
        options = [
            Option(id="publish", label=f"Publish to {draft.channel}", action="publish_content",
                   args={"draft_id": draft.id, "body": draft.body,
                         "body_sha": body_sha(draft.body)}),
            Option(id="skip", label="Skip it", action="skip_draft", args={"draft_id": draft.id}),
        ]
        return await self.decisions.raise_decision(
            "content_ready", f"Draft {draft.id} ready: {draft.title}", options,
            context=f"{draft.channel} · {draft.topic}\n\n{preview}", symbol=draft.symbol,
            source_key=f"draft:{draft.id}", default="publish", allow_edit=True,
            group_key=f"draft:{draft.id}")

    async def tidy_decisions(self) -> list[int]:
        """A draft published (or deleted) some other way takes its open decisions along."""
        closed: list[int] = []
        for pending in self.decisions.pending("content_ready"):
            key = pending.group_key or ""
            if not key.startswith("draft:"):
                continue
            try:
                d = self.service.get(int(key.removeprefix("draft:")))
            except CopilotError:
                closed += await self.decisions.close_group(key, "The draft is gone.")
                continue
            if d.status == "published":
                where = f": {d.external_url}" if d.external_url else ""
                closed += await self.decisions.close_group(
                    key, f"Draft {d.id} was published to {d.channel} already{where}.")
        return closed

    async def publish_due(self) -> list[int]:
        """Scheduled drafts whose time has come; one that fails is told, as a decision
        (retry when it can work, or skip), instead of staying "scheduled" unnoticed."""
        now = self.kernel.clock()
        due = [d for d in self.service.drafts("scheduled")
               if d.scheduled_for is not None and d.scheduled_for <= now]
        done = await self.service.publish_due()
        for d in due:
            if d.id not in done:
                await self._scheduled_failed(d.id or 0)
        await self.tidy_decisions()
        return done

    async def _scheduled_failed(self, draft_id: int) -> None:
        d = self.service.get(draft_id)
        if d.status in ("published", "publishing"):  # in doubt: recovery settles and tells
            return
        error = d.last_error or await self._why_unpublished(d)
        # its open question (publish it?) is out of date: this one replaces it
        await self.decisions.close_group(f"draft:{d.id}", "Its scheduled publish failed; "
                                                          "a new question asks what to do.")
        await self.decisions.raise_decision(
            "content_ready", f"Scheduled publish of draft {d.id} to {d.channel} failed", [
                Option(id="publish", label=f"Retry: publish to {d.channel}",
                       action="publish_content", args={"draft_id": d.id}),
                *self.other_channels(draft_id),
                Option(id="skip", label="Skip it", action="skip_draft",
                       args={"draft_id": d.id})],
            context=f"{error}\n\n{d.title}", symbol=d.symbol, default="skip",
            source_key=f"publish_failed:{d.id}:{d.attempts}", group_key=f"draft:{d.id}")

    async def _why_unpublished(self, d: ContentDraft) -> str:
        if d.channel not in self.service.publishers:
            return f"No {d.channel} channel is configured " \
                   f"({CHANNEL_SETTINGS.get(d.channel, 'see the README')})."
        return "The publish did not go through."

    async def on_deleted(self, draft: ContentDraft) -> list[int]:
        """A deleted draft's pending content decision goes away with it."""
        closed = []
        for pending in self.decisions.pending("content_ready"):
            if pending.source_key == f"draft:{draft.id}" and pending.id is not None:
                await self.decisions.close(pending.id, f"Draft {draft.id} was deleted.")
                closed.append(pending.id)
        return closed

    # ---- the editorial calendar and scheduled posts ------------------------------------
    def jobs(self) -> list[Job]:
        jobs = [Job("content_due", self.publish_due, "interval", {"minutes": 5})]
        for i, text in enumerate(self.kernel.settings.content_slots):
            slot = parse_slot(text)

            async def run_slot(channel: str = slot.channel) -> None:
                await draft_from_signals(self.service, self.market, self.alerts, channel)

            trigger, args = slot.job(self.kernel.settings.timezone)
            jobs.append(Job(f"content_slot_{i}", run_slot, trigger, args))
        return jobs

    def _schedule_publish(self, draft: ContentDraft) -> None:
        if draft.scheduled_for is not None:
            self.kernel.scheduler.at(f"content-publish-{draft.id}", "content_publish",
                                     draft.scheduled_for, draft.id)

    # ---- drafts left in ``publishing`` (a crash, a send nobody answered) -----------------
    async def keep_recovering(self) -> None:
        """Settle drafts left in ``publishing``, in the background: retried with backoff
        while their channel is down, woken at once when a publish leaves one in doubt.
        Start-up never waits on a channel."""
        assert self._wake is not None
        wake = self._wake
        delay = self.recovery_base_s
        while True:
            wake.clear()
            for draft_id in await self.service.recover():
                await self._tell_settled(draft_id)
            if not self.service.waiting():
                # nothing waits; look again now and then (another process may have died
                # mid-publish), at once when a publish here leaves a draft in doubt
                delay = self.recovery_base_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.recovery_idle_s)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
            delay = min(self.recovery_max_s, delay * 2)

    async def _tell_settled(self, draft_id: int) -> None:
        """The owner hears how a publish left in doubt ended."""
        d = self.service.get(draft_id)
        if d.status == "published":
            where = f": {d.external_url}" if d.external_url else ""
            text = f"✅ Draft {d.id} is published to {d.channel}{where}."
        else:
            text = f"⚠️ Draft {d.id} ({d.channel}) was not published: {d.last_error}"
        await self.kernel.bus.publish(NOTICE, text)

    async def start(self) -> None:
        async def publish_draft(draft_id: int) -> None:
            await self.publish_due()

        self.kernel.scheduler.register("content_publish", publish_draft)
        self.service.on_schedule = self._schedule_publish
        for draft in self.service.drafts("scheduled"):  # scheduled by another process, or before
            self._schedule_publish(draft)
        self._wake = asyncio.Event()
        self.service.on_waiting = self._wake.set
        self.kernel.supervisor.spawn("content-recovery", self.keep_recovering)

    async def stop(self) -> None:
        self.service.on_schedule = None
        self.service.on_waiting = None
        self._wake = None
