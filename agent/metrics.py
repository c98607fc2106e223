"""Prometheus metrics, read live at scrape time from the counters the co-pilot already
keeps (no background loop keeps them current): served at /metrics by the control center
(owner-only: scrape it with `authorization: {credentials: <token>}`) and, when
COPILOT_METRICS_PORT is set, on 127.0.0.1:PORT as before. `examples/grafana-dashboard.json`
charts them."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

STATUS_VALUE = {"ok": 1.0, "degraded": 0.5, "down": 0.0}


def _count_by(db: Any, column: Any) -> dict[str, int]:
    from sqlmodel import Session, func, select

    with Session(db) as s:
        return {str(k): int(n) for k, n in s.exec(select(column, func.count()).group_by(column))}


class CopilotCollector:
    def __init__(self, runtime: Any) -> None:
        self.rt = runtime

    def collect(self):  # noqa: ANN201 - prometheus_client's collector protocol
        rt = self.rt
        up = GaugeMetricFamily("copilot_component_up", "1 ok, 0.5 degraded, 0 down",
                               labels=["component"])
        latency = GaugeMetricFamily("copilot_check_latency_ms", "last check latency",
                                    labels=["component"])
        for name, run in rt.health.monitor.latest.items():
            up.add_metric([name], STATUS_VALUE.get(run.status, 0.0))
            if run.latency_ms is not None:
                latency.add_metric([name], run.latency_ms)
        yield up
        yield latency
        engine = rt.alerts.engine
        yield CounterMetricFamily("copilot_ticks", "ticks evaluated", value=engine.ticks)
        yield CounterMetricFamily("copilot_alert_firings", "alerts fired", value=engine.firings)
        market = rt.market.service
        yield CounterMetricFamily("copilot_market_reads", "quote reads", value=market.reads)
        yield CounterMetricFamily("copilot_market_fresh_reads",
                                  "quote reads answered fresh (cache within TTL or provider)",
                                  value=market.fresh_reads)
        calls = CounterMetricFamily("copilot_provider_calls", "provider calls by outcome",
                                    labels=["provider", "status"])
        for provider in market.providers:
            for status, n in sorted(getattr(provider, "outcomes", {}).items()):
                calls.add_metric([provider.name, status], n)
        yield calls
        dispatcher = rt.alerts.dispatcher
        deliveries = CounterMetricFamily("copilot_deliveries", "alert delivery attempts by "
                                         "result (this process)", labels=["result"])
        for result, n in (("sent", dispatcher.sent), ("failed", dispatcher.failures),
                          ("dead", dispatcher.dead)):
            deliveries.add_metric([result], n)
        yield deliveries
        from tools.alerts.models import Notification

        notes = GaugeMetricFamily("copilot_notifications", "notifications by status",
                                  labels=["status"])
        for status, n in _count_by(rt.kernel.db, Notification.status).items():
            notes.add_metric([status], n)
        yield notes
        bus = rt.kernel.bus.stats
        yield CounterMetricFamily("copilot_bus_events", "events published", value=bus.published)
        yield CounterMetricFamily("copilot_bus_errors", "subscriber errors", value=bus.errors)
        yield CounterMetricFamily("copilot_bus_dropped", "events dropped by full queues",
                                  value=bus.dropped)
        yield GaugeMetricFamily("copilot_bus_lag_seconds", "last event-bus delivery lag",
                                value=bus.last_lag_s)
        from core.decisions import Decision, DecisionEvent

        decisions = GaugeMetricFamily("copilot_decisions", "decisions by status",
                                      labels=["status"])
        by_status = _count_by(rt.kernel.db, Decision.status)
        for status, n in sorted(by_status.items()):
            decisions.add_metric([status], n)
        yield decisions
        events = _count_by(rt.kernel.db, DecisionEvent.event)
        yield CounterMetricFamily("copilot_autopilot_actions", "decisions autopilot took "
                                  "(the audit trail's auto events)", value=events.get("auto", 0))
        yield GaugeMetricFamily("copilot_pending_decisions", "decisions waiting",
                                value=by_status.get("pending", 0))
        restarts = CounterMetricFamily("copilot_task_restarts", "background task restarts",
                                       labels=["task"])
        for task in rt.kernel.supervisor.snapshot():
            restarts.add_metric([task.name], task.restarts)
        yield restarts


def registry_for(runtime: Any) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(CopilotCollector(runtime))
    return registry


def metrics_text(runtime: Any) -> tuple[bytes, str]:
    """The exposition text and its content type (the control center's /metrics)."""
    return generate_latest(registry_for(runtime)), CONTENT_TYPE_LATEST


def serve_metrics(runtime: Any, port: int) -> Any:
    server, _thread = start_http_server(port, addr="127.0.0.1", registry=registry_for(runtime))
    return server
