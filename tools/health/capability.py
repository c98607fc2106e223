"""The health capability: checks of the kernel's parts, of the owner's endpoints and of
every other capability (each declares its own), history, incidents, and the policy that
tells them (``incidents.py``: decisions, repeats, silences and acknowledgements by
component, recovery notices)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.tools import BaseTool

from core.capability import Capability, Job, Kernel
from core.decisions import ActionResult, DecisionKind, DecisionPort
from core.errors import InvalidInput, ProviderError
from core.ports import HealthCheck
from core.retention import Retention
from core.silences import Label
from tools.health import checks
from tools.health.grammar import GRAMMAR
from tools.health.incidents import IncidentPolicy
from tools.health.models import CheckRun, Incident
from tools.health.monitor import HealthMonitor


def endpoint_checks(kernel: Kernel) -> list[HealthCheck]:
    """COPILOT_HEALTH_ENDPOINTS: the owner's own services, each optionally restartable."""
    out: list[HealthCheck] = []
    for spec in kernel.settings.health_endpoints:
        try:
            out.append(checks.HttpCheck(
                name=spec["name"], url=spec["url"], client=kernel.http,
                expected_status=int(spec.get("expected_status", 200)),
                timeout_s=float(spec.get("timeout", 5)), interval_s=float(spec.get("interval", 60)),
                slow_ms=float(spec.get("slow_ms", 2000)),
                restart=restart_hook(kernel, spec["name"], spec["restart_url"])
                if spec.get("restart_url") else None))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"COPILOT_HEALTH_ENDPOINTS entry {spec!r} is invalid: each needs "
                               f"a name and a url ({exc}).") from None
    return out


def restart_hook(kernel: Kernel, name: str, url: str) -> Callable[[], Any]:
    """POST to the service's own restart endpoint (e.g. a deploy or function-app hook)."""

    async def restart() -> str:
        try:
            response = await kernel.http.post(url, timeout=30)
        except Exception as exc:  # noqa: BLE001 - any transport failure is one sentence
            raise ProviderError(f"The restart hook for {name} is unreachable "
                                f"({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise ProviderError(f"The restart hook for {name} answered HTTP "
                                f"{response.status_code}.")
        return f"Asked {name} to restart (HTTP {response.status_code})."

    return restart


class HealthCapability(Capability):
    name = "health"
    tables = (CheckRun, Incident)
    grammar = GRAMMAR

    def __init__(self, kernel: Kernel, decisions: DecisionPort,
                 others: Callable[[], list[HealthCheck]] = list) -> None:
        self.kernel = kernel
        self.decisions = decisions
        tz = kernel.settings.timezone
        own = [checks.database_check(kernel.db),
               checks.scheduler_check(lambda: kernel.scheduler, kernel.db, tz),
               checks.bus_check(kernel.bus), checks.disk_check(kernel.settings.data_dir),
               checks.tasks_check(kernel.supervisor, kernel.db, tz), *endpoint_checks(kernel)]
        self.monitor = HealthMonitor(kernel.db, own, threshold=kernel.settings.incident_threshold,
                                     clock=kernel.clock, sources=others)
        self.incidents = IncidentPolicy(
            self.monitor, decisions, kernel.silences, kernel.bus.publish,
            repeat_s=kernel.settings.incident_repeat_hours * 3600)
        # silences and acknowledgements may match a component by its check's name
        kernel.silences.register(Label("component", "health check",
                                       known=lambda: set(self.monitor.checks)))

    def tools(self) -> list[BaseTool]:
        from tools.health.tools import make_health_tools

        return make_health_tools(self.monitor, self.kernel.settings.timezone)

    def retention(self) -> list[Retention]:
        from tools.health.retention import health_retention

        s = self.kernel.settings
        return [health_retention(self.kernel.db, s.health_raw_days, s.health_hourly_days,
                                 s.retention_days)]

    def jobs(self) -> list[Job]:
        jobs = []
        for name, check in self.monitor.checks.items():
            async def run_check(name: str = name) -> None:
                await self.monitor.run(name)

            jobs.append(Job(f"health_{name}", run_check, "interval",
                            {"seconds": max(10.0, check.interval_s)}))
        return jobs

    # ---- incidents become decisions (told by ``incidents.py``) -------------------------
    def decision_kinds(self) -> list[DecisionKind]:
        return [DecisionKind("health_incident", {"restart_component": self._restart})]

    async def _restart(self, args: dict[str, Any]) -> ActionResult:
        action = self.monitor.restart_actions.get(args["component"])
        if action is None:
            raise InvalidInput(f"No restart action is configured for {args['component']}.")
        return ActionResult(await action())
