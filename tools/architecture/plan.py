"""A migration plan derived from the findings: ordered actions with expected outcomes.

The order is fixed by what unblocks what: collapse the legacy path first (it doubles every
other fix), then shield the APIs, move to events, make it observable, consolidate the
stack, and finally take load off the one person."""

from __future__ import annotations

from pydantic import BaseModel

from tools.architecture.analyzers import Finding
from tools.architecture.inventory import Inventory, Status


class Action(BaseModel):
    step: int
    title: str
    because: list[str]  # finding codes
    components: list[str]
    steps: list[str]
    outcome: str


def _collapse_legacy(inv: Inventory, fs: list[Finding]) -> Action | None:
    primary = [c for f in fs if f.code == "legacy-still-primary" for c in f.components]
    others = sorted({c for f in fs if f.code == "redundant-workflow" for c in f.components
                     if (comp := inv.component(c)) and comp.status != Status.active} - set(primary))
    legacy = list(dict.fromkeys(primary)) + others  # the primary legacy path goes first
    if not legacy:
        return None
    steps = []
    for name in legacy:
        comp = inv.component(name)
        assert comp is not None
        targets = [c.name for c in inv.components if c is not comp and c.status in
                   (Status.active, Status.planned) and set(c.responsibilities) & set(comp.responsibilities)]
        for resp in comp.responsibilities:
            owners = [t for t in targets if resp in (inv.component(t).responsibilities  # type: ignore[union-attr]
                                                     or [])]
            steps.append(f"Move {resp} from {name} to {owners[0]}" if owners
                         else f"Give {resp} a home outside {name}")
        steps.append(f"Switch off {name} and remove its schedules")
    return Action(step=0, title=f"Collapse the legacy path: retire {', '.join(legacy)}",
                  because=sorted({f.code for f in fs if f.code in ("legacy-still-primary",
                                                                     "redundant-workflow")}),
                  components=legacy, steps=steps,
                  outcome="One path per responsibility: no duplicate alerts, half the code "
                          "to maintain, and every later step done once instead of twice.")


def _shield_apis(inv: Inventory, fs: list[Finding]) -> Action | None:
    hit = [f for f in fs if f.code in ("duplicated-api-access", "unshielded-rate-limit")]
    if not hit:
        return None
    externals = sorted({e.name for e in inv.externals for f in hit if e.name in f.title})
    proxy = next((c.name for c in inv.components if c.kind.value == "proxy"), "one API proxy")
    return Action(step=0, title=f"Put {', '.join(externals)} behind {proxy} with a cache",
                  because=sorted({f.code for f in hit}),
                  components=sorted({c for f in hit for c in f.components}),
                  steps=[f"Route every call to {e} through {proxy}" for e in externals]
                        + ["Cache answers with a TTL and prefetch the watchlist"],
                  outcome="Each API called from one place with one key; the free quotas hold "
                          "and a provider outage is handled once.")


def _events(inv: Inventory, fs: list[Finding]) -> Action | None:
    hit = [f for f in fs if f.code == "polling-instead-of-events"]
    if not hit:
        return None
    return Action(step=0, title="Replace polling with events",
                  because=["polling-instead-of-events"],
                  components=sorted({c for f in hit for c in f.components}),
                  steps=[f.recommendation for f in hit],
                  outcome="Alerts within seconds of the move, and no API calls spent polling.")


def _observe(inv: Inventory, fs: list[Finding]) -> Action | None:
    hit = [f for f in fs if f.code == "missing-observability"]
    if not hit:
        return None
    return Action(step=0, title="Send all logs to one place and health-check every component",
                  because=["missing-observability"], components=hit[0].components,
                  steps=["Pick one log sink and ship every component's logs there",
                         "Add a health endpoint or check for each component",
                         "Turn repeated failures into incidents"],
                  outcome="One place to look when something breaks; problems found before users.")


def _consolidate(inv: Inventory, fs: list[Finding]) -> Action | None:
    hit = [f for f in fs if f.code == "stack-fragmentation"]
    if not hit:
        return None
    return Action(step=0, title="Consolidate on the target stack",
                  because=["stack-fragmentation"], components=hit[0].components,
                  steps=[*hit[0].evidence[:4], "Build new features on the target stack only"],
                  outcome="Fewer runtimes to patch, deploy and keep in your head.")


def _people(inv: Inventory, fs: list[Finding]) -> Action | None:
    hit = [f for f in fs if f.code == "single-point-of-failure"]
    if not hit:
        return None
    return Action(step=0, title="Take the routine off the one person",
                  because=["single-point-of-failure"],
                  components=sorted({c for f in hit for c in f.components})[:10],
                  steps=["Automate deploys and scheduled jobs", "Write a runbook per component",
                         "Let the co-pilot take routine decisions (autopilot) with undo"],
                  outcome="The system keeps running on a day off; decisions wait less.")


PLANNERS = [_collapse_legacy, _shield_apis, _events, _observe, _consolidate, _people]


def migration_plan(inv: Inventory, findings: list[Finding]) -> list[Action]:
    actions = [a for planner in PLANNERS if (a := planner(inv, findings)) is not None]
    for i, action in enumerate(actions, 1):
        action.step = i
    return actions
