"""The Grafana dashboard in examples/ charts only metrics the co-pilot exports, and the
exported ones cover the counters the issue names."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent.metrics import metrics_text
from agent.runtime import open_runtime

DASHBOARD = Path(__file__).resolve().parents[2] / "examples" / "grafana-dashboard.json"


async def test_the_dashboard_charts_exported_metrics():
    async with open_runtime() as rt:
        body, content_type = metrics_text(rt)
    exported = set(re.findall(r"^# TYPE (\w+)", body.decode(), re.M))
    exported |= {name.removesuffix("_total") for name in exported}
    assert content_type.startswith("text/plain")
    for name in ("copilot_market_reads", "copilot_market_fresh_reads", "copilot_provider_calls",
                 "copilot_deliveries", "copilot_bus_errors", "copilot_decisions",
                 "copilot_autopilot_actions", "copilot_task_restarts"):
        assert name in exported, name
    panels = json.loads(DASHBOARD.read_text())["panels"]
    used = {m for p in panels for t in p["targets"] for m in re.findall(r"copilot_\w+", t["expr"])}
    assert used and used <= exported, used - exported
