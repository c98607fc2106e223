"""Composition root: builds every service once and hands them to the graph, the
scheduler and the front ends. Nothing else reads settings or opens clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import BaseTool
from sqlalchemy.engine import Engine

from agent.auth import GUEST_TOOLS, Caller
from agent.bus import NOTICE, InProcessBus
from agent.settings import Settings
from agent.storage import make_engine
from tools.market.service import MarketService


@dataclass
class TurnResult:
    answer: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "tool_calls": self.tool_calls, "decisions": self.decisions}


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    bus: InProcessBus
    market: MarketService
    market_stack: MarketStack
    alerts: AlertStack
    actions: Any
    decisions: Any
    content: Any
    health: Any
    reviewer: Any
    model: BaseChatModel
    tools: list[BaseTool]
    graph: Any
    guest_graph: Any
    checkpointer: Any
    clock: Callable[[], float] = time.time
    jobs: list[tuple[str, Any, str, dict]] = field(default_factory=list)
    briefing_sections: list[Callable[[], str]] = field(default_factory=list)
    scheduler: Any = None
    tick_pump: Any = None
    _tasks: list[Any] = field(default_factory=list)
    _raised: list[Any] = field(default_factory=list)
    bot: Any = None
    metrics_server: Any = None
    open_decision: int | None = None

    async def ask(self, message: str, thread_id: str | None = None,
                  caller: Caller | None = None) -> TurnResult:
        """Run one agent turn on ``thread_id`` (a fresh thread when None)."""
        thread = thread_id or f"ask-{uuid.uuid4().hex}"
        caller = caller or Caller.local_owner()
        config = {"configurable": {"thread_id": thread, "caller": caller}}
        graph = self.graph if caller.is_owner else self.guest_graph
        before = await self._message_count(config)
        pending_before = {d.id for d in self.decisions.pending()}
        state = await graph.ainvoke({"messages": [HumanMessage(message)]}, config)
        new = state["messages"][before:]
        calls = [
            {"name": c["name"], "args": c["args"]}
            for m in new if isinstance(m, AIMessage) for c in m.tool_calls
        ]
        answer = next((m.content for m in reversed(new) if isinstance(m, AIMessage)), "")
        attachments = [
            str(path) for m in new if getattr(m, "type", "") == "tool"
            for path in _attachments(m.content)
        ]
        raised = [d.as_dict() for d in self.decisions.pending() if d.id not in pending_before]
        return TurnResult(answer=str(answer), tool_calls=calls, decisions=raised,
                          attachments=attachments)

    def notifications(self) -> list[str]:
        """Alerts and decision prompts waiting to be shown in the console."""
        notes = self.alerts.console.drain()
        while self._raised:
            decision = self._raised.pop(0)
            notes.append(self.decisions.get(decision.id).prompt_text()
                         + "\n\n_Answer with the option number, or `/d` to list decisions._")
            self.open_decision = decision.id
        return notes

    async def start(self) -> None:
        """Start the background work of `copilot run`: ticks, alert engine, dispatcher,
        scheduled jobs. Idempotent; ``stop`` cancels it all."""
        import asyncio

        from agent.bus import TICKS
        from agent.scheduler import Scheduler

        if self._tasks:
            return
        from agent.bus import ALERT_FIRED
        from agent.decisions import sources
        from agent.decisions.service import DECISION_RAISED

        self.alerts.engine.load()
        self.alerts.engine.attach(self.bus)

        async def alert_to_decision(alert: Any) -> None:
            await sources.on_alert_fired(self.decisions, alert)

        self.bus.subscribe(ALERT_FIRED, alert_to_decision)
        self.bus.subscribe(DECISION_RAISED, self._raised.append)
        self.bus.subscribe(TICKS, self.market.on_tick)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self.alerts.dispatcher.run(), name="dispatcher"))
        source = self.market_stack.tick_source
        if source is not None:
            from tools.market.ticks import TickPump

            def symbols() -> list[str]:
                return sorted(set(self.market.watchlist()) | set(self.alerts.service.active_symbols()))

            self.tick_pump = TickPump(source, self.bus, symbols)
            self._tasks.append(loop.create_task(self.tick_pump.run(), name="ticks"))
        self.scheduler = Scheduler(self.settings.db_url)
        prefetch = self.market_stack.prefetcher
        if prefetch.limiter is not None:  # real providers only: demo data costs nothing
            self.scheduler.add("market_prefetch", prefetch.run_once, "interval",
                               seconds=prefetch.interval_s)
        def drafts_section() -> str:
            waiting = [d for d in self.content.list() if d.status in ("draft", "approved",
                                                                      "scheduled")]
            return f"**Drafts waiting:** {len(waiting)}" if waiting else ""

        if drafts_section not in self.briefing_sections:
            self.briefing_sections.append(drafts_section)

        async def briefing(session: str) -> None:
            await sources.daily_briefing(self.decisions, market=self.market,
                                         alerts=self.alerts.service,
                                         extra_sections=self.briefing_sections, session=session)

        async def pre_open() -> None:
            await briefing("pre-open")

        async def after_close() -> None:
            await briefing("after-close")

        async def housekeeping() -> None:
            await self.decisions.expire_stale()
            await self.decisions.remind()
            await self.content.publish_due()  # drafts scheduled by another process

        await self.content.recover()

        self.scheduler.add("briefing_pre_open", pre_open, "cron", day_of_week="mon-fri",
                           hour=13, minute=45)
        self.scheduler.add("briefing_after_close", after_close, "cron", day_of_week="mon-fri",
                           hour=21, minute=15)
        self.scheduler.add("decision_housekeeping", housekeeping, "interval", minutes=5)
        self._schedule_content(sources)
        for name, check in self.health.checks.items():
            async def run_check(name: str = name) -> None:
                await self.health.run(name)

            self.scheduler.add(f"health_{name}", run_check, "interval",
                               seconds=max(10.0, check.interval_s))
        if self.reviewer.default_path is not None:
            async def weekly_review() -> None:
                await self.reviewer.weekly(self.raise_finding)

            self.scheduler.add("architecture_weekly", weekly_review, "cron", day_of_week="sun",
                               hour=18, minute=0)
        if self.settings.metrics_port and self.metrics_server is None:
            from tools.health.metrics import serve_metrics

            self.metrics_server = serve_metrics(self, self.settings.metrics_port)
        for name, fn, trigger, args in self.jobs:
            self.scheduler.add(name, fn, trigger, **args)
        self.scheduler.start()

    async def raise_finding(self, finding: Any, review: Any) -> Any:
        """A new architecture finding becomes a decision: plan it, accept it, or dismiss."""
        from agent.decisions.models import Option

        step = next((a for a in review.plan if finding.code in a.because), None)
        options = [
            Option(id="plan", label=f"Plan it: {step.title}" if step else "Plan the fix",
                   action="noop", args={"summary": "Added to the migration plan."}),
            Option(id="accept", label="Accept the risk for now", action="noop",
                   args={"summary": "Risk accepted; I'll raise it again if it gets worse."}),
            Option(id="dismiss", label="Not a problem", action="noop",
                   args={"summary": "Dismissed."}),
        ]
        context = "\n".join([*(f"- {e}" for e in finding.evidence),
                              f"\n{finding.recommendation}"])
        return await self.decisions.raise_decision(
            "architecture_finding", f"[{finding.severity}] {finding.title}", options,
            context=context, source_key=f"finding:{finding.fingerprint}", default="plan")

    def _schedule_content(self, sources: Any) -> None:
        """Editorial calendar slots, and one job per scheduled draft."""
        content = self.content

        async def publish_draft(draft_id: int) -> None:
            await content.publish_due()

        self.scheduler.register("content_publish", publish_draft)

        def on_schedule(draft: Any) -> None:
            self.scheduler.at(f"content-publish-{draft.id}", "content_publish",
                              draft.scheduled_for, draft.id)

        content.on_schedule = on_schedule
        for draft in content.list("scheduled"):  # scheduled from another process, or before
            on_schedule(draft)
        for i, slot in enumerate(self.settings.content_slots):
            days, clock, channel = parse_slot(slot)

            async def run_slot(channel: str = channel) -> None:
                await draft_from_signals(self, channel)

            hour, minute = clock
            self.scheduler.add(f"content_slot_{i}", run_slot, "cron", day_of_week=days,
                               hour=hour, minute=minute)

    async def stop(self) -> None:
        import asyncio

        if self.metrics_server is not None:
            self.metrics_server.shutdown()
            self.metrics_server = None
        if self.scheduler is not None:
            self.scheduler.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self.alerts.engine.detach()

    async def _message_count(self, config: dict) -> int:
        if self.checkpointer is None:
            return 0
        snapshot = await self.graph.aget_state(config)
        return len(snapshot.values.get("messages", [])) if snapshot and snapshot.values else 0


def parse_slot(slot: str) -> tuple[str, tuple[int, int], str]:
    """'mon-fri 21:30 discord' -> ('mon-fri', (21, 30), 'discord')."""
    from agent.errors import InvalidInput

    parts = slot.split()
    if len(parts) != 3 or ":" not in parts[1]:
        raise InvalidInput(f"Content slot {slot!r} should look like 'mon-fri 21:30 discord'.")
    hour, minute = (int(x) for x in parts[1].split(":"))
    return parts[0], (hour, minute), parts[2]


async def draft_from_signals(rt: Runtime, channel: str) -> Any:
    """An editorial slot: draft about the freshest signal and ask the owner."""
    since = rt.clock() - 86400
    fired = rt.alerts.service.recent_firings(since)
    symbol = fired[-1].symbol if fired else None
    if symbol is None:
        liked = rt.content.suggest_topics(1)
        symbol = liked[0] if liked else None
    if symbol is None:
        movers = []
        for sym in rt.market.watchlist():
            q = (await rt.market.quote(sym, interest=False)).quote
            movers.append((abs(q.change_pct), sym))
        symbol = max(movers)[1] if movers else None
    topic = f"{symbol} daily recap" if symbol else "daily market recap"
    return await rt.content.draft(topic, channel, symbol, notify=True)


def _attachments(content: Any) -> list[str]:
    import json

    try:
        data = json.loads(content) if isinstance(content, str) else content
    except json.JSONDecodeError:
        return []
    if isinstance(data, dict) and isinstance(data.get("path"), str):
        return [data["path"]]
    return []


@dataclass
class MarketStack:
    service: MarketService
    prefetcher: Any
    tick_source: Any


def build_market(settings: Settings, engine: Engine, clock: Callable[[], float],
                 http: Any) -> MarketStack:
    """Providers in fallback order, each behind its own limiter and breaker."""
    from tools.market.limits import CircuitBreaker, SlidingWindowLimiter
    from tools.market.prefetch import Prefetcher
    from tools.market.providers.guarded import GuardedProvider
    from tools.market.providers.offline import OfflineProvider

    choice = settings.market_provider
    providers: list[Any] = []
    tick_source: Any = None
    fh_key = settings.finnhub_api_key.get_secret_value() if settings.finnhub_api_key else None
    av_key = (settings.alphavantage_api_key.get_secret_value()
              if settings.alphavantage_api_key else None)
    if fh_key and choice in ("auto", "finnhub"):
        from tools.market.providers.finnhub import FinnhubProvider, FinnhubTradeStream

        providers.append(FinnhubProvider(http, fh_key, clock=clock))
        tick_source = FinnhubTradeStream(fh_key)
    if av_key and choice in ("auto", "alphavantage", "finnhub"):
        from tools.market.providers.alphavantage import AlphaVantageProvider

        providers.append(AlphaVantageProvider(http, av_key, clock=clock))
    guarded: list[Any] = [
        GuardedProvider(p, SlidingWindowLimiter(p.limits, clock), CircuitBreaker(clock))
        for p in providers
    ]
    if not guarded:
        offline = OfflineProvider(clock=clock, tick_interval_s=settings.offline_tick_interval_s)
        guarded = [offline]
        tick_source = offline
    service = MarketService(
        guarded, engine=engine, charts_dir=settings.charts_dir, clock=clock,
        quote_ttl_s=settings.quote_ttl_s, history_ttl_s=settings.history_ttl_s,
        default_watchlist=settings.watchlist_default,
    )
    limiter = getattr(guarded[0], "limiter", None)
    return MarketStack(service, Prefetcher(service, limiter), tick_source)


@dataclass
class AlertStack:
    service: Any
    engine: Any
    dispatcher: Any
    console: Any
    discord: Any


def build_alerts(settings: Settings, engine: Engine, bus: InProcessBus, market: MarketService,
                 clock: Callable[[], float], http: Any) -> AlertStack:
    from tools.alerts.dispatcher import Dispatcher
    from tools.alerts.engine import AlertEngine
    from tools.alerts.service import AlertService
    from tools.alerts.targets import ConsoleTarget, DiscordTarget, WebhookTarget

    console, discord = ConsoleTarget(), DiscordTarget()
    targets: dict[str, Any] = {"console": console, "discord": discord}
    defaults = ["console"]
    if settings.alert_webhook_url:
        targets["webhook"] = WebhookTarget(http, settings.alert_webhook_url)
        defaults.append("webhook")
    if settings.discord_token:
        defaults.append("discord")
    dispatcher = Dispatcher(engine, targets, clock=clock, group_wait_s=settings.alert_group_wait_s)
    alert_engine = AlertEngine(engine, bus=bus, clock=clock, on_outbox=dispatcher.wake)
    service = AlertService(engine, market, alert_engine, clock=clock,
                           default_targets=tuple(defaults), cooldown_s=settings.alert_cooldown_s)
    return AlertStack(service, alert_engine, dispatcher, console, discord)


def build_content(settings: Settings, engine: Engine, market: MarketService, alerts: AlertStack,
                  clock: Callable[[], float], http: Any, model: BaseChatModel) -> Any:
    from tools.content.publishers import (
        DiscordWebhookPublisher,
        EmailPublisher,
        WordPressPublisher,
    )
    from tools.content.service import ContentService

    publishers: dict[str, Any] = {}
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
    polisher = None
    if settings.effective_llm != "offline":
        from langchain_core.messages import HumanMessage, SystemMessage

        from prompts import load_prompt

        async def polisher(text: str, channel: str, tone: str) -> str:
            rule = ("Stay under 1,900 characters." if channel == "discord"
                    else "Keep the markdown headings.")
            system = load_prompt("content_polish").format(channel=channel, tone=tone,
                                                          length_rule=rule)
            reply = await model.ainvoke([SystemMessage(system), HumanMessage(text)])
            return str(reply.content)

    return ContentService(engine, market, alerts.service, publishers, clock=clock,
                          disclaimer=settings.disclaimer, polisher=polisher)


def build_health(settings: Settings, engine: Engine, bus: InProcessBus, market: MarketService,
                 http: Any, clock: Callable[[], float], rt_ref: Callable[[], Any]) -> Any:
    from tools.health import checks
    from tools.health.monitor import HealthMonitor

    internal = [
        checks.database_check(engine),
        checks.FnCheck("memory", lambda: checks.vector_store_check(rt_ref().decisions.memory).fn()),
        checks.scheduler_check(lambda: rt_ref().scheduler),
        checks.market_check(market),
        checks.bus_check(bus),
        checks.disk_check(settings.data_dir),
        checks.discord_check(lambda: rt_ref().bot),
    ]
    endpoints = []
    for spec in settings.health_endpoints:
        try:
            endpoints.append(checks.HttpCheck(
                name=spec["name"], url=spec["url"], client=http,
                expected_status=int(spec.get("expected_status", 200)),
                timeout_s=float(spec.get("timeout", 5)), interval_s=float(spec.get("interval", 60)),
                slow_ms=float(spec.get("slow_ms", 2000))))
        except (KeyError, TypeError, ValueError) as exc:
            from agent.errors import InvalidInput

            raise InvalidInput(f"COPILOT_HEALTH_ENDPOINTS entry {spec!r} is invalid: each needs "
                               f"a name and a url ({exc}).") from None
    return HealthMonitor(engine, [*internal, *endpoints], threshold=settings.incident_threshold,
                         clock=clock)


def wire_health_decisions(health: Any, decisions: Any, notify: Callable[[str], Any]) -> None:
    """N failures in a row -> a health_incident decision; recovery closes it and says so."""
    from agent.decisions.models import Option

    async def on_incident(incident: Any) -> Any:
        options = [
            Option(id="acknowledge", label="Acknowledge", action="noop",
                   args={"summary": f"Acknowledged the {incident.component} incident."}),
            Option(id="silence", label="Silence for 1 hour", action="silence_component",
                   args={"component": incident.component, "minutes": 60}),
        ]
        if incident.component in health.restart_actions:
            options.append(Option(id="restart", label=f"Restart {incident.component}",
                                  action="restart_component",
                                  args={"component": incident.component}))
        return await decisions.raise_decision(
            "health_incident", f"{incident.component} is down", options,
            context=f"{incident.failures} failed checks in a row: {incident.last_error}",
            source_key=f"incident:{incident.id}", default="acknowledge")

    async def on_recovery(incident: Any, message: str) -> None:
        if incident.decision_id is not None:
            d = decisions.get(incident.decision_id)
            if d.status == "pending":
                await decisions.close(d.id, f"{incident.component} recovered on its own")
        await notify(f"✅ {message}")

    health.on_incident = on_incident
    health.on_recovery = on_recovery


def build_reviewer(settings: Settings, engine: Engine, model: BaseChatModel,
                   clock: Callable[[], float]) -> Any:
    from tools.architecture.review import ArchitectureReviewer

    narrator = None
    if settings.effective_llm != "offline":
        import json

        from langchain_core.messages import HumanMessage, SystemMessage

        async def narrator(review: dict) -> str:
            reply = await model.ainvoke([
                SystemMessage("You are a pragmatic software architect. In one short paragraph, "
                              "explain to a solo developer what matters most in these review "
                              "findings and why the plan's first step comes first. Use only "
                              "facts from the JSON."),
                HumanMessage(json.dumps({"findings": review["findings"], "plan": review["plan"]})),
            ])
            return str(reply.content)

    return ArchitectureReviewer(engine, settings.inventory_path, narrator, clock=clock)


def build_actions(alerts: AlertStack, content: Any, health: Any = None) -> Any:
    """Actions decision options can run, each with its undo."""
    from agent.decisions.actions import ActionRegistry, ActionResult

    registry = ActionRegistry()
    svc = alerts.service

    async def snooze(args: dict) -> ActionResult:
        rule = svc.snooze(int(args["alert_id"]), float(args.get("minutes", 60)))
        return ActionResult(f"Snoozed alert {rule.id} for {args.get('minutes', 60)} min.",
                            undo=("unsnooze_alert", {"alert_id": rule.id}))

    async def unsnooze(args: dict) -> ActionResult:
        rule = svc.set_snooze(int(args["alert_id"]), None)
        return ActionResult(f"Alert {rule.id} is live again.")

    async def delete(args: dict) -> ActionResult:
        rule = svc.delete(int(args["alert_id"]))
        return ActionResult(f"Deleted alert {rule.id}.",
                            undo=("restore_alert", {"alert_id": rule.id}))

    async def restore(args: dict) -> ActionResult:
        rule = svc.restore(int(args["alert_id"]))
        return ActionResult(f"Alert {rule.id} is back.")

    async def draft(args: dict) -> ActionResult:
        d = await content.draft(args.get("topic", ""), args.get("channel", "discord"),
                                args.get("symbol"), args.get("tone"), notify=True)
        return ActionResult(f"Drafted #{d.id} for {d.channel}: “{d.title}”. It's waiting for "
                            "your go in a content decision.")

    async def publish(args: dict) -> ActionResult:
        draft_id = int(args["draft_id"])
        if args.get("body"):
            content.edit(draft_id, str(args["body"]))
        d = await content.publish(draft_id)
        where = f": {d.external_url}" if d.external_url else ""
        return ActionResult(f"Published draft {d.id} to {d.channel}{where}.")

    async def skip(args: dict) -> ActionResult:
        d = content.skip(int(args["draft_id"]))
        return ActionResult(f"Skipped draft {d.id}.", undo=("unskip_draft", {"draft_id": d.id}))

    async def unskip(args: dict) -> ActionResult:
        d = content._set(int(args["draft_id"]), status="draft", last_error="")
        return ActionResult(f"Draft {d.id} is back to draft.")

    async def silence(args: dict) -> ActionResult:
        incident = health.silence(args["component"], float(args.get("minutes", 60)))
        what = f"incident {incident.id}" if incident else "the component"
        return ActionResult(f"Silenced {what} for {args.get('minutes', 60)} min.")

    async def restart(args: dict) -> ActionResult:
        action = health.restart_actions.get(args["component"])
        if action is None:
            from agent.errors import InvalidInput

            raise InvalidInput(f"No restart action is configured for {args['component']}.")
        return ActionResult(await action())

    if health is not None:
        registry.register("silence_component", silence)
        registry.register("restart_component", restart)
    for name, fn in (("snooze_alert", snooze), ("unsnooze_alert", unsnooze),
                     ("delete_alert", delete), ("restore_alert", restore),
                     ("draft_content", draft), ("publish_content", publish),
                     ("skip_draft", skip), ("unskip_draft", unskip)):
        registry.register(name, fn)
    return registry


def wire_content_decisions(content: Any, decisions: Any) -> None:
    """A ready draft becomes a content_ready decision: publish / edit / skip."""
    from agent.decisions.models import Option

    async def on_ready(draft: Any) -> Any:
        for pending in decisions.pending():
            if pending.source_key == f"draft:{draft.id}":
                return pending
        preview = draft.body if len(draft.body) <= 1500 else draft.body[:1500] + "…"
        options = [
            Option(id="publish", label=f"Publish to {draft.channel}", action="publish_content",
                   args={"draft_id": draft.id, "body": draft.body}),
            Option(id="skip", label="Skip it", action="skip_draft", args={"draft_id": draft.id}),
        ]
        return await decisions.raise_decision(
            "content_ready", f"Draft {draft.id} ready: {draft.title}", options,
            context=f"{draft.channel} · {draft.topic}\n\n{preview}", symbol=draft.symbol,
            source_key=f"draft:{draft.id}", default="publish", allow_edit=True)

    content.on_ready = on_ready


def build_decisions(settings: Settings, engine: Engine, bus: InProcessBus, actions: Any,
                    checkpointer: Any, clock: Callable[[], float]) -> Any:
    from agent.decisions.graph import build_decision_graph
    from agent.decisions.service import DecisionService
    from memory.decisions import DecisionMemory
    from memory.embeddings import make_embedder

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    embedder = make_embedder(settings.embedder, key)
    memory = DecisionMemory(embedder, path=settings.chroma_path, host=settings.chroma_host)
    return DecisionService(
        engine, build_decision_graph(actions, checkpointer), actions, memory, bus=bus,
        clock=clock, ttl_hours=settings.decision_ttl_hours,
        undo_minutes=settings.undo_window_minutes, autopilot_n=settings.autopilot_min_agreeing,
        autopilot_similarity=settings.autopilot_similarity,
    )


def build_tools(parts: dict[str, Any]) -> list[BaseTool]:
    """Every capability's tools, in one list (the agent binds them all)."""
    from agent.decisions.tools import make_decision_tools
    from tools.alerts.tools import make_alert_tools
    from tools.architecture.tools import make_architecture_tools
    from tools.content.tools import make_content_tools
    from tools.health.tools import make_health_tools
    from tools.market.tools import make_market_tools

    return [*make_market_tools(parts["market"]), *make_alert_tools(parts["alerts"].service),
            *make_content_tools(parts["content"]), *make_health_tools(parts["health"]),
            *make_architecture_tools(parts["reviewer"]), *make_decision_tools(parts["decisions"])]


def enable_tracing(settings: Settings) -> None:
    """LangSmith tracing when a key is set; without one nothing waits on the network."""
    import os

    if settings.langsmith_api_key:
        os.environ["LANGSMITH_TRACING"] = "true"
        os.environ["LANGSMITH_API_KEY"] = settings.langsmith_api_key.get_secret_value()
        os.environ.setdefault("LANGSMITH_PROJECT", "victor-copilot")
    else:
        os.environ["LANGSMITH_TRACING"] = "false"


@asynccontextmanager
async def open_runtime(
    settings: Settings | None = None,
    *,
    model: BaseChatModel | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Runtime]:
    """Open every client, yield the wired runtime, close everything on exit."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from agent.graph import build_graph
    from agent.llm import make_chat_model

    settings = settings or Settings()
    settings.ensure_dirs()
    enable_tracing(settings)
    async with AsyncExitStack() as stack:
        engine = make_engine(settings.db_url)
        stack.callback(engine.dispose)
        from tools.health.logging import configure_logging, settings_secrets

        configure_logging(settings.log_level, settings.data_dir / "logs", engine,
                          settings_secrets(settings))
        bus = InProcessBus()
        import httpx

        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
        market_stack = build_market(settings, engine, clock, http)
        market = market_stack.service
        alerts = build_alerts(settings, engine, bus, market, clock, http)
        market_stack.prefetcher.alert_symbols = alerts.service.active_symbols
        checkpointer = await stack.enter_async_context(
            AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path))
        )
        model = model or make_chat_model(settings)
        content = build_content(settings, engine, market, alerts, clock, http, model)
        holder: dict[str, Runtime] = {}
        health = build_health(settings, engine, bus, market, http, clock, lambda: holder["rt"])
        actions = build_actions(alerts, content, health)
        decisions = build_decisions(settings, engine, bus, actions, checkpointer, clock)
        wire_content_decisions(content, decisions)

        async def notify(text: str) -> None:
            alerts.console.inbox.append(text)
            await bus.publish(NOTICE, text)

        wire_health_decisions(health, decisions, notify)
        reviewer = build_reviewer(settings, engine, model, clock)
        tools = build_tools({"market": market, "alerts": alerts, "decisions": decisions,
                             "content": content, "health": health, "reviewer": reviewer,
                             "settings": settings, "bus": bus})
        graph = build_graph(model, tools, checkpointer=checkpointer)
        guest_graph = build_graph(model, [t for t in tools if t.name in GUEST_TOOLS],
                                  checkpointer=checkpointer)
        runtime = Runtime(settings=settings, engine=engine, bus=bus, market=market,
                      market_stack=market_stack, alerts=alerts,
                      actions=actions, decisions=decisions, content=content, health=health,
                      reviewer=reviewer, model=model,
                      tools=tools, graph=graph, guest_graph=guest_graph,
                          checkpointer=checkpointer, clock=clock)
        holder["rt"] = runtime
        try:
            yield runtime
        finally:
            await runtime.stop()
            alerts.engine.close()
