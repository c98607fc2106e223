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
from agent.bus import InProcessBus
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

        self.scheduler.add("briefing_pre_open", pre_open, "cron", day_of_week="mon-fri",
                           hour=13, minute=45)
        self.scheduler.add("briefing_after_close", after_close, "cron", day_of_week="mon-fri",
                           hour=21, minute=15)
        self.scheduler.add("decision_housekeeping", housekeeping, "interval", minutes=5)
        for name, fn, trigger, args in self.jobs:
            self.scheduler.add(name, fn, trigger, **args)
        self.scheduler.start()

    async def stop(self) -> None:
        import asyncio

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


def build_actions(alerts: AlertStack) -> Any:
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

    for name, fn in (("snooze_alert", snooze), ("unsnooze_alert", unsnooze),
                     ("delete_alert", delete), ("restore_alert", restore)):
        registry.register(name, fn)
    return registry


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
    from tools.market.tools import make_market_tools

    return [*make_market_tools(parts["market"]), *make_alert_tools(parts["alerts"].service),
            *make_decision_tools(parts["decisions"])]


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
    async with AsyncExitStack() as stack:
        engine = make_engine(settings.db_url)
        stack.callback(engine.dispose)
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
        actions = build_actions(alerts)
        decisions = build_decisions(settings, engine, bus, actions, checkpointer, clock)
        tools = build_tools({"market": market, "alerts": alerts, "decisions": decisions,
                             "settings": settings, "bus": bus})
        graph = build_graph(model, tools, checkpointer=checkpointer)
        guest_graph = build_graph(model, [t for t in tools if t.name in GUEST_TOOLS],
                                  checkpointer=checkpointer)
        runtime = Runtime(settings=settings, engine=engine, bus=bus, market=market,
                      market_stack=market_stack, alerts=alerts,
                      actions=actions, decisions=decisions, model=model,
                      tools=tools, graph=graph, guest_graph=guest_graph,
                          checkpointer=checkpointer, clock=clock)
        try:
            yield runtime
        finally:
            await runtime.stop()
            alerts.engine.close()
