"""Wiring: how each capability is built from settings and plugged into the others.
Only ``agent.runtime.open_runtime`` calls these; each returns plain typed services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from sqlalchemy.engine import Engine

from agent.bus import InProcessBus
from agent.settings import Settings
from tools.market.service import MarketService


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
        checks.vector_store_check(lambda: rt_ref().decisions.memory),
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
    monitor = HealthMonitor(engine, [*internal, *endpoints], threshold=settings.incident_threshold,
                            clock=clock)

    async def reset_market() -> str:
        for provider in market.providers:
            breaker = getattr(provider, "breaker", None)
            if breaker is not None:
                breaker.success()
        return "Reset the market providers' circuit breakers; the next call tries them again."

    monitor.restart_actions["market"] = reset_market
    for spec in settings.health_endpoints:
        if spec.get("restart_url"):
            monitor.restart_actions[spec["name"]] = _restart_hook(http, spec["name"],
                                                                  spec["restart_url"])
    return monitor


def _restart_hook(http: Any, name: str, url: str) -> Callable[[], Any]:
    """POST to the service's own restart endpoint (e.g. a deploy or function-app hook)."""

    async def restart() -> str:
        from agent.errors import ProviderError

        try:
            response = await http.post(url, timeout=30)
        except Exception as exc:  # noqa: BLE001 - any transport failure is one sentence
            raise ProviderError(f"The restart hook for {name} is unreachable "
                                f"({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise ProviderError(f"The restart hook for {name} answered HTTP "
                                f"{response.status_code}.")
        return f"Asked {name} to restart (HTTP {response.status_code})."

    return restart


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
