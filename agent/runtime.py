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
    market_stack: Any  # wiring.MarketStack
    alerts: Any  # wiring.AlertStack
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
            waiting = [d for d in self.content.drafts() if d.status in ("draft", "approved",
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
        from tools.content.calendar import draft_from_signals, parse_slot
        content = self.content

        async def publish_draft(draft_id: int) -> None:
            await content.publish_due()

        self.scheduler.register("content_publish", publish_draft)

        def on_schedule(draft: Any) -> None:
            self.scheduler.at(f"content-publish-{draft.id}", "content_publish",
                              draft.scheduled_for, draft.id)

        content.on_schedule = on_schedule
        for draft in content.drafts("scheduled"):  # scheduled from another process, or before
            on_schedule(draft)
        for i, slot in enumerate(self.settings.content_slots):
            days, clock, channel = parse_slot(slot)

            async def run_slot(channel: str = channel) -> None:
                await draft_from_signals(self.content, self.market, self.alerts.service, channel)

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


def _attachments(content: Any) -> list[str]:
    import json

    try:
        data = json.loads(content) if isinstance(content, str) else content
    except json.JSONDecodeError:
        return []
    if isinstance(data, dict) and isinstance(data.get("path"), str):
        return [data["path"]]
    return []


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

    from agent import wiring
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
        market_stack = wiring.build_market(settings, engine, clock, http)
        market = market_stack.service
        alerts = wiring.build_alerts(settings, engine, bus, market, clock, http)
        market_stack.prefetcher.alert_symbols = alerts.service.active_symbols
        checkpointer = await stack.enter_async_context(
            AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path))
        )
        model = model or make_chat_model(settings)
        content = wiring.build_content(settings, engine, market, alerts, clock, http, model)
        holder: dict[str, Runtime] = {}
        health = wiring.build_health(settings, engine, bus, market, http, clock, lambda: holder["rt"])
        actions = wiring.build_actions(alerts, content, health)
        decisions = wiring.build_decisions(settings, engine, bus, actions, checkpointer, clock)
        wiring.wire_content_decisions(content, decisions)

        async def notify(text: str) -> None:
            alerts.console.inbox.append(text)
            await bus.publish(NOTICE, text)

        wiring.wire_health_decisions(health, decisions, notify)
        reviewer = wiring.build_reviewer(settings, engine, model, clock)
        tools = wiring.build_tools({"market": market, "alerts": alerts, "decisions": decisions,
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
