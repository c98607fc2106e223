"""The content capability: drafts from signals, the editorial calendar, publishers, and
the policy that turns a ready draft into a decision (publish / edit / skip)."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.decisions import ActionResult, Decision, DecisionKind, DecisionPort, Option
from core.market import MarketData
from core.ports import AlertFeed, BriefingSection, TextModel
from tools.content.calendar import draft_from_signals, parse_slot
from tools.content.drafting import Polisher
from tools.content.grammar import GRAMMAR
from tools.content.models import ContentDraft, Feedback
from tools.content.publishers import (
    DiscordWebhookPublisher,
    EmailPublisher,
    Publisher,
    WordPressPublisher,
)
from tools.content.service import ContentService


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


def make_polisher(llm: TextModel) -> Polisher:
    from prompts import load_prompt

    async def polisher(text: str, channel: str, tone: str) -> str:
        rule = ("Stay under 1,900 characters." if channel == "discord"
                else "Keep the markdown headings.")
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
            polisher=make_polisher(llm) if llm is not None else None)
        self.service.on_ready = self.on_ready

    def tools(self) -> list[BaseTool]:
        from tools.content.tools import make_content_tools

        return make_content_tools(self.service)

    def briefing(self) -> list[BriefingSection]:
        async def waiting() -> str:
            drafts = [d for d in self.service.drafts()
                      if d.status in ("draft", "approved", "scheduled")]
            return f"**Drafts waiting:** {len(drafts)}" if drafts else ""

        return [waiting]

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
            if args.get("body"):
                content.edit(draft_id, str(args["body"]))
            d = await content.publish(draft_id)
            where = f": {d.external_url}" if d.external_url else ""
            return ActionResult(f"Published draft {d.id} to {d.channel}{where}.")

        async def skip(args: dict[str, Any]) -> ActionResult:
            d = content.skip(int(args["draft_id"]))
            return ActionResult(f"Skipped draft {d.id}.", undo=("unskip_draft", {"draft_id": d.id}))

        async def unskip(args: dict[str, Any]) -> ActionResult:
            d = content.unskip(int(args["draft_id"]))
            return ActionResult(f"Draft {d.id} is back to draft.")

        return [DecisionKind("content_ready", {"draft_content": draft, "publish_content": publish,
                                               "skip_draft": skip, "unskip_draft": unskip})]

    async def on_ready(self, draft: ContentDraft) -> Decision:
        for pending in self.decisions.pending("content_ready"):
            if pending.source_key == f"draft:{draft.id}":
                return pending
        preview = draft.body if len(draft.body) <= 1500 else draft.body[:1500] + "…"
        options = [
            Option(id="publish", label=f"Publish to {draft.channel}", action="publish_content",
                   args={"draft_id": draft.id, "body": draft.body}),
            Option(id="skip", label="Skip it", action="skip_draft", args={"draft_id": draft.id}),
        ]
        return await self.decisions.raise_decision(
            "content_ready", f"Draft {draft.id} ready: {draft.title}", options,
            context=f"{draft.channel} · {draft.topic}\n\n{preview}", symbol=draft.symbol,
            source_key=f"draft:{draft.id}", default="publish", allow_edit=True)

    # ---- the editorial calendar and scheduled posts ------------------------------------
    def jobs(self) -> list[Job]:
        jobs = [Job("content_due", self.service.publish_due, "interval", {"minutes": 5})]
        for i, slot in enumerate(self.kernel.settings.content_slots):
            days, (hour, minute), channel = parse_slot(slot)

            async def run_slot(channel: str = channel) -> None:
                await draft_from_signals(self.service, self.market, self.alerts, channel)

            jobs.append(Job(f"content_slot_{i}", run_slot, "cron",
                            {"day_of_week": days, "hour": hour, "minute": minute}))
        return jobs

    def _schedule_publish(self, draft: ContentDraft) -> None:
        if draft.scheduled_for is not None:
            self.kernel.scheduler.at(f"content-publish-{draft.id}", "content_publish",
                                     draft.scheduled_for, draft.id)

    async def start(self) -> None:
        async def publish_draft(draft_id: int) -> None:
            await self.service.publish_due()

        await self.service.recover()
        self.kernel.scheduler.register("content_publish", publish_draft)
        self.service.on_schedule = self._schedule_publish
        for draft in self.service.drafts("scheduled"):  # scheduled by another process, or before
            self._schedule_publish(draft)

    async def stop(self) -> None:
        self.service.on_schedule = None
