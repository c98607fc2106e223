"""The alerts capability: rules, the tick-driven engine, the delivery outbox and its
targets, and the policy that turns a firing into a decision (draft / snooze / dismiss)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.decisions import ActionResult, Decision, DecisionKind, DecisionPort, Option
from core.errors import ConfigurationError, CopilotError
from core.events import ALERT_FIRED, NOTICE, AlertFired
from core.market import MarketData, normalize_symbol
from core.markettime import format_local
from core.ports import BriefingSection, CheckResult, FnCheck, HealthCheck
from core.quiethours import QuietHours
from core.retention import Retention
from core.silences import Label
from core.storage import kv_get
from tools.alerts import targets as channel
from tools.alerts.changes import RuleChange
from tools.alerts.console import ConsoleNotice, ConsoleTarget
from tools.alerts.dispatcher import Dispatcher
from tools.alerts.engine import VERSION_KEY, AlertEngine
from tools.alerts.grammar import GRAMMAR
from tools.alerts.inbound import (
    HOOK_RULE_ID,
    HookReceipt,
    HookResult,
    InboundHooks,
    parse_generic,
    parse_tradingview,
)
from tools.alerts.indicators import seed_indicators
from tools.alerts.models import AlertRule, Delivery, Firing, Notification, decision_group
from tools.alerts.muting import AlertMuting
from tools.alerts.service import AlertService
from tools.alerts.targets import DeliveryTarget, Sender, SenderTarget, WebhookTarget
from tools.alerts.templates import firing_text

RULE_POLL_S = 1.0
BULK_DELETE = "alerts_delete"  # the decision kind of "delete all my TSLA alerts"


class AlertsCapability(Capability):
    name = "alerts"
    tables = (AlertRule, RuleChange, Firing, Delivery, Notification, ConsoleNotice, HookReceipt)
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, market: MarketData, decisions: DecisionPort) -> None:
        self.kernel, self.decisions, self.market = kernel, decisions, market
        self._seed_tried: dict[str, float] = {}
        settings = kernel.settings
        self.console = ConsoleTarget(kernel.db, kernel.clock)
        self.discord = SenderTarget("discord")  # the Discord front end brings its sender
        self.targets: dict[str, DeliveryTarget] = {"console": self.console, "discord": self.discord}
        defaults = ["console"]
        if settings.alert_webhook_url:
            self.targets["webhook"] = WebhookTarget(kernel.http, settings.alert_webhook_url)
            defaults.append("webhook")
        if settings.discord_token:
            defaults.append("discord")
        self.dispatcher = Dispatcher(kernel.db, self.targets, clock=kernel.clock,
                                     group_wait_s=settings.alert_group_wait_s,
                                     retry_max_s=settings.alert_retry_max_s,
                                     max_age_s=settings.alert_max_age_s, on_dead=self.on_dead,
                                     mute=self._mute, render=self._render)
        self.senders: dict[str, Sender] = {}  # front ends' senders for channel targets
        self.engine = AlertEngine(kernel.db, bus=kernel.bus, clock=kernel.clock,
                                  on_outbox=self.dispatcher.wake,
                                  members=market.list_members)  # the watchlist, named lists
        self.service = AlertService(kernel.db, market, self.engine, clock=kernel.clock,
                                    default_targets=tuple(defaults),
                                    cooldown_s=settings.alert_cooldown_s, timezone=settings.timezone,
                                    available_targets=tuple(self.targets))
        self.service.on_targets = self._add_targets
        # silences and acknowledgements by ticker or by alert (Alertmanager's matchers)
        book = kernel.silences
        book.register(Label("symbol", "ticker", normalize=normalize_symbol))
        book.register(Label("rule", "alert", normalize=lambda v: v.strip().lstrip("#"),
                            known=lambda: {str(r.id) for r in self.service.rules()}))
        quiet = QuietHours.of(settings.quiet_hours, settings.timezone)
        self.muting = AlertMuting(kernel.db, book, self._rule, quiet)
        self.service.on_changed = lambda r: book.resolve({"rule": str(r.id)}, "the alert was edited")
        self.inbound = InboundHooks(kernel.db, lambda: self.service.default_targets, clock=kernel.clock)
        self._unsubscribe: list[Callable[[], None]] = []

    async def receive_hook(self, source: str, body: bytes,
                           sender_id: str | None = None) -> HookResult:
        """An inbound alert (``source``: tradingview | alert) into the outbox, the history
        and the decisions, like a firing of our own; a sender's id seen before changes
        nothing. ``InvalidInput`` (one sentence) for a body that cannot be read."""
        parse = parse_tradingview if source == "tradingview" else parse_generic
        hook = parse(body, sender_id)
        result = await asyncio.to_thread(self.inbound.accept, hook)
        if result.fired is not None:
            self.dispatcher.wake()
            await self.kernel.bus.publish(ALERT_FIRED, result.fired)
        return result

    async def seed_indicators(self) -> list[str]:  # daily bars indicator rules wait for
        return await seed_indicators(self.engine.indicator_indexes, self.market, self.kernel.clock,
                                     self._seed_tried)

    def _rule(self, rule_id: int) -> AlertRule | None:
        try:
            return self.service.get(rule_id)
        except CopilotError:
            return None

    def _add_targets(self, names: Iterable[str]) -> None:
        if channel.add_channel_targets(self.targets, names, self.senders):
            self.dispatcher.wake()

    def _render(self, firing: Firing) -> str | None:  # from the alert's template, if any
        return firing_text(self._rule(firing.rule_id) if firing.rule_id > 0 else None,
                           firing, self.service.timezone, self.market)

    def _mute(self, firing: Firing) -> tuple[str, str] | None:
        verdict = self.muting.verdict(firing.rule_id, firing.symbol, firing.tick_ts)
        return None if verdict is None else (verdict.state, verdict.reason)

    async def silences_ended(self) -> None:
        """Silences and quiet hours that ran out: said once when they held firings back."""
        for line in await asyncio.to_thread(self.muting.ended_notices):
            await self.kernel.bus.publish(NOTICE, line)

    def jobs(self) -> list[Job]:
        return [Job("alert_silences_ended", self.silences_ended, "interval", {"seconds": 60})]

    def retention(self) -> list[Retention]:
        from tools.alerts.retention import alert_retention

        return [alert_retention(self.kernel.db, self.kernel.settings.retention_days)]

    def register_sender(self, name: str, sender: Sender) -> None:  # a front end's delivery
        if name == channel.CHANNEL_SENDER:
            self.senders[name] = sender
            return
        target = self.targets.get(name)
        if isinstance(target, SenderTarget):
            target.sender = sender
        else:
            self.targets[name] = SenderTarget(name, sender)

    def tools(self) -> list[BaseTool]:
        from tools.alerts.tools import make_alert_tools

        return make_alert_tools(self.service, confirm_delete=self.confirm_delete)

    async def confirm_delete(self, symbol: str, rules: list[AlertRule]) -> dict[str, Any]:
        """A bulk delete is a question, never a silent act: raise an ``alerts_delete``
        decision (delete_all / keep) naming the rules, and say it waits for an answer.
        Asking again while the same question is open points at it instead of a new one."""
        ids = [r.id or 0 for r in rules]
        numbers = " ".join(f"#{i}" for i in ids)
        n = len(ids)
        noun = "alert" if n == 1 else "alerts"
        title = f"Delete your {n} {symbol} {noun}? {numbers}"
        open_ = next((d for d in self.decisions.pending(BULK_DELETE)
                      if d.title == title), None)
        decision = open_ or await self.decisions.raise_decision(
            BULK_DELETE, title,
            [Option(id="delete_all", label=f"Delete {'it' if n == 1 else f'all {n}'}",
                    action="delete_alerts", args={"alert_ids": ids, "symbol": symbol}),
             Option(id="keep", label=f"Keep {'it' if n == 1 else 'them'}", action="noop",
                    args={"summary": f"Kept your {n} {symbol} {noun}."})],
            context="\n".join(f"- #{r.id} {r.describe()}" for r in rules),
            symbol=symbol, default="keep")
        if decision.status != "pending":  # autopilot answered at once
            return {"summary": f"{title} {decision.outcome}".strip(),
                    "decision_id": decision.id, "alert_ids": ids, "status": decision.status}
        return {"summary": f"{title} — waiting for your confirmation (decision "
                           f"{decision.id}: delete_all or keep).",
                "decision_id": decision.id, "alert_ids": ids, "status": "pending",
                "options": ["delete_all", "keep"]}

    def stream_symbols(self) -> Iterable[str]:
        return self.service.active_symbols()

    def briefing(self) -> list[BriefingSection]:
        async def fired() -> str:
            rows = self.service.recent_firings(self.kernel.clock() - 86400)
            return f"**Alerts fired (24 h):** {len(rows)}" + (
                ": " + "; ".join(f.message.removeprefix("🔔 ") for f in rows[-3:]) if rows else "")

        return [fired]

    # ---- firings become decisions ----------------------------------------------------
    def decision_kinds(self) -> list[DecisionKind]:
        svc = self.service

        async def snooze(args: dict[str, Any]) -> ActionResult:
            rule = svc.snooze(int(args["alert_id"]), float(args.get("minutes", 60)))
            return ActionResult(f"Snoozed alert {rule.id} for {args.get('minutes', 60)} min.",
                                undo=("unsnooze_alert", {"alert_id": rule.id}))

        async def unsnooze(args: dict[str, Any]) -> ActionResult:
            rule = svc.set_snooze(int(args["alert_id"]), None)
            return ActionResult(f"Alert {rule.id} is live again.")

        async def delete(args: dict[str, Any]) -> ActionResult:
            rule = svc.delete(int(args["alert_id"]))
            return ActionResult(f"Deleted alert {rule.id}.",
                                undo=("restore_alert", {"alert_id": rule.id}))

        async def restore(args: dict[str, Any]) -> ActionResult:
            rule = svc.restore(int(args["alert_id"]))
            return ActionResult(f"Alert {rule.id} is back.")

        async def retry_dead(args: dict[str, Any]) -> ActionResult:
            n = self.dispatcher.retry_dead()
            return ActionResult(f"Retrying {n} undelivered alert(s) with the same keys.")

        async def drop_dead(args: dict[str, Any]) -> ActionResult:
            n = self.dispatcher.drop_dead()
            return ActionResult(f"Dropped {n} undelivered alert(s); they stay in "
                                "`copilot alerts history`.")

        async def delete_many(args: dict[str, Any]) -> ActionResult:
            ids = [int(i) for i in args.get("alert_ids", [])]
            gone = svc.delete_many(ids)
            numbers = " ".join(f"#{r.id}" for r in gone)
            if not gone:
                return ActionResult("Those alerts were already gone; nothing deleted.")
            left = len(ids) - len(gone)
            extra = f" ({left} already gone)" if left else ""
            return ActionResult(f"Deleted {len(gone)} alert{'s' if len(gone) != 1 else ''}: "
                                f"{numbers}{extra}.",
                                undo=("restore_alerts", {"alert_ids": [r.id for r in gone]}))

        async def restore_many(args: dict[str, Any]) -> ActionResult:
            back = svc.restore_many([int(i) for i in args.get("alert_ids", [])])
            return ActionResult(f"Restored {len(back)} alert(s): "
                                + " ".join(f"#{r.id}" for r in back) + ".")

        async def live(args: dict[str, Any]) -> str | None:
            """Snoozing or deleting needs the rule live and repeating (a fired one-shot: done)."""
            try:
                rule = svc.get(int(args["alert_id"]))
            except CopilotError as exc:
                return str(exc)
            if not rule.active:
                return (f"alert {rule.id} fires only once and is done" if rule.frequency == "once"
                        else f"alert {rule.id} is no longer active")
            return None

        return [DecisionKind("alert_fired", {"snooze_alert": snooze, "unsnooze_alert": unsnooze,
                                             "delete_alert": delete, "restore_alert": restore},
                             preconditions={"snooze_alert": live, "delete_alert": live},
                             repeat_word="Fired"),
                DecisionKind(BULK_DELETE, {"delete_alerts": delete_many,
                                           "restore_alerts": restore_many},
                             description="Delete several alerts at once (asked, never silent)."),
                DecisionKind("delivery_failed", {"retry_dead": retry_dead,
                                                 "drop_dead": drop_dead})]

    async def on_dead(self, notes: list[Notification]) -> None:
        """Dead letters: ask the owner once per burst (retry all / drop)."""
        dead = self.dispatcher.dead_letters()
        if not dead:
            return
        targets = sorted({n.target for n in dead})
        await self.decisions.raise_decision(
            "delivery_failed", f"{len(dead)} alert(s) could not be delivered to "
            f"{', '.join(targets)}",
            [Option(id="retry", label="Retry them all", action="retry_dead"),
             Option(id="drop", label="Drop them", action="drop_dead")],
            context="\n".join(f"- #{n.id} {n.target} {n.symbol}: {n.last_error}"
                              for n in dead[:10]),
            source_key=f"dead:{dead[0].id}", default="retry")

    def checks(self) -> list[HealthCheck]:
        def deliveries() -> CheckResult:
            dead = self.dispatcher.dead_letters()
            if dead:
                return CheckResult("down", f"{len(dead)} dead letter(s), last to "
                                           f"{dead[-1].target}: {dead[-1].last_error}")
            return CheckResult("ok", f"{self.dispatcher.sent} sent, "
                                     f"{self.dispatcher.failures} failed attempts retried")

        return [FnCheck("deliveries", deliveries, restart=self._retry_all)]

    async def _retry_all(self) -> str:
        return f"Retrying {self.dispatcher.retry_dead()} dead letter(s)."

    def validate(self) -> None:
        """Targets that cannot work are a configuration error, said at start."""
        url = self.kernel.settings.alert_webhook_url
        if url:
            import httpx

            try:
                parsed = httpx.URL(url)
                ok = parsed.scheme in ("http", "https") and bool(parsed.host) and \
                    (parsed.port is None or 0 < parsed.port < 65536)
            except httpx.InvalidURL:
                ok = False
            if not ok:
                raise ConfigurationError(
                    "COPILOT_ALERT_WEBHOOK_URL is not a usable http(s) URL (check the scheme, "
                    "host and port); fix it or unset it.")

    async def on_fired(self, alert: AlertFired) -> Decision | None:
        """An alert fired: draft a post about it, snooze the rule, acknowledge it (an
        every-time rule), or dismiss. Nothing while a silence or an acknowledgement
        covers it (the firing stays in the history)."""
        muted = self.muting.verdict(alert.rule_id, alert.symbol, alert.ts, settle=True)
        if muted is not None:
            return None
        when = format_local(alert.ts, self.kernel.settings.timezone, now=self.kernel.clock())
        context = f"{alert.message.removeprefix('🔔 ')} at {when}."
        if alert.rule_id == HOOK_RULE_ID:  # an inbound hook: no rule of ours to snooze
            return await self.decisions.raise_decision(
                "alert_fired", f"{alert.symbol} alert came in", [
                    Option(id="draft", label=f"Draft a Discord post about {alert.symbol}",
                           action="draft_content",
                           args={"topic": f"{alert.symbol}: {alert.note[:120]}",
                                 "channel": "discord", "symbol": alert.symbol}),
                    Option(id="dismiss", label="Dismiss", action="noop",
                           args={"summary": "Dismissed the alert."})],
                context=context, symbol=alert.symbol, source_key=f"firing:{alert.firing_id}",
                default="dismiss", group_key=f"hook:{alert.symbol}")
        options = [
            Option(id="draft", label=f"Draft a Discord post about {alert.symbol}",
                   action="draft_content",
                   args={"topic": f"{alert.symbol} {alert.condition.replace('_', ' ')} "
                                  f"{alert.threshold:g}", "channel": "discord",
                         "symbol": alert.symbol}),
            Option(id="snooze", label="Snooze this alert for 1 hour", action="snooze_alert",
                   args={"alert_id": alert.rule_id, "minutes": 60}),
            Option(id="dismiss", label="Dismiss", action="noop",
                   args={"summary": "Dismissed the alert."}),
        ]
        rule = self._rule(alert.rule_id)
        if rule is not None and rule.frequency == "every_time":
            options.insert(2, Option(
                id="acknowledge", label="Acknowledge: no more notices until it stops firing",
                action="acknowledge", args={"matchers": {"rule": str(alert.rule_id)}}))
        return await self.decisions.raise_decision(
            "alert_fired", f"{alert.symbol} alert {alert.rule_id} fired", options,
            context=context, symbol=alert.symbol, source_key=f"firing:{alert.firing_id}",
            default="dismiss", group_key=decision_group(alert.rule_id, alert.symbol, rule))

    async def tidy_decisions(self) -> list[int]:
        """Decisions of alerts that went away (deleted, expired) close themselves; a
        one-shot rule that fired is done, not gone: its decision stays."""
        closed: list[int] = []
        for d in self.decisions.pending("alert_fired"):
            key = d.group_key or ""
            if not key.startswith("alert:"):
                continue
            try:
                rule = self.service.get(int(key.split(":")[1]))
            except CopilotError:
                rule = None
            if rule is None or (not rule.active and rule.frequency != "once"):
                why = f"Alert {key.split(':')[1]} was deleted" if rule is None or \
                    (rule.expires_at or float("inf")) > self.kernel.clock() else \
                    f"Alert {rule.id} expired"
                closed += await self.decisions.close_group(key, f"{why}; nothing to decide.")
        return closed

    # ---- `copilot run` ---------------------------------------------------------------
    async def start(self) -> None:
        self.validate()
        bus = self.kernel.bus
        self.engine.load()
        self._add_targets({t for v in self.engine.rules.values() for t in v.targets})
        self.engine.attach(bus)  # the tick path: index lookups and the outbox commit
        self._unsubscribe.append(bus.subscribe(ALERT_FIRED, self.on_fired, name="alert-decisions"))
        self.kernel.supervisor.spawn("dispatcher", self.dispatcher.run)
        self.kernel.supervisor.spawn("alert-rules", self._follow_rules)

    async def _follow_rules(self) -> None:
        """Rules changed by any process (CLI, another front end) are in the engine within
        a second or two, whether or not ticks are flowing; decisions of rules gone close."""
        seen: str | None = None
        while True:
            await asyncio.sleep(RULE_POLL_S)
            await self.engine.tend()  # rules changed elsewhere, the watchlist, closes
            if any(ops.unseeded() for ops in self.engine.indicator_indexes):
                await self.seed_indicators()
            version = await asyncio.to_thread(kv_get, self.kernel.db, VERSION_KEY, "0")
            if version != seen:
                seen = version
                self._add_targets({t for v in self.engine.rules.values() for t in v.targets})
                await self.tidy_decisions()

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.engine.detach()

    def close(self) -> None:
        self.engine.close()
