"""Optional Prometheus endpoint on 127.0.0.1 (COPILOT_METRICS_PORT)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

STATUS_VALUE = {"ok": 1.0, "degraded": 0.5, "down": 0.0}


class CopilotCollector:
    """Reads live figures at scrape time: no background loop keeps them current."""

    def __init__(self, runtime: Any) -> None:
        self.rt = runtime

    def collect(self):  # noqa: ANN201 - prometheus_client's collector protocol
        up = GaugeMetricFamily("copilot_component_up", "1 ok, 0.5 degraded, 0 down",
                               labels=["component"])
        latency = GaugeMetricFamily("copilot_check_latency_ms", "last check latency",
                                    labels=["component"])
        for name, run in self.rt.health.monitor.latest.items():
            up.add_metric([name], STATUS_VALUE.get(run.status, 0.0))
            if run.latency_ms is not None:
                latency.add_metric([name], run.latency_ms)
        yield up
        yield latency
        engine = self.rt.alerts.engine
        yield CounterMetricFamily("copilot_ticks", "ticks evaluated", value=engine.ticks)
        yield CounterMetricFamily("copilot_alert_firings", "alerts fired", value=engine.firings)
        yield GaugeMetricFamily("copilot_bus_lag_seconds", "last event-bus delivery lag",
                                value=self.rt.kernel.bus.stats.last_lag_s)
        yield GaugeMetricFamily("copilot_pending_decisions", "decisions waiting",
                                value=len(self.rt.decisions.pending()))


def serve_metrics(runtime: Any, port: int) -> Any:
    registry = CollectorRegistry()
    registry.register(CopilotCollector(runtime))
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    return server
