"""One analyzer per finding code. Each reads the inventory and returns findings with
evidence and a recommendation; the registry is the list of codes the review runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from pydantic import BaseModel

from tools.architecture.inventory import Component, Inventory, Status, Trigger

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
RUNTIMES = {
    "php": "php", "wordpress": "php", "python": "python", "javascript": "javascript",
    "jquery": "javascript", "node": "javascript", "nodejs": "javascript",
    "typescript": "javascript", "react": "javascript", "nextjs": "javascript",
    "next.js": "javascript", "csharp": "dotnet", "c#": "dotnet", "dotnet": "dotnet",
    ".net": "dotnet", "go": "go", "java": "java", "ruby": "ruby", "rust": "rust",
}


class Finding(BaseModel):
    code: str
    severity: str
    title: str
    components: list[str]
    evidence: list[str]
    recommendation: str

    @property
    def fingerprint(self) -> str:
        return f"{self.code}:{','.join(sorted(self.components))}"


Analyzer = Callable[[Inventory], list[Finding]]
ANALYZERS: dict[str, Analyzer] = {}


def analyzer(code: str) -> Callable[[Analyzer], Analyzer]:
    def deco(fn: Analyzer) -> Analyzer:
        ANALYZERS[code] = fn
        return fn

    return deco


def _by_responsibility(components: list[Component]) -> dict[str, list[Component]]:
    out: dict[str, list[Component]] = defaultdict(list)
    for c in components:
        for r in c.responsibilities:
            out[r].append(c)
    return out


def _replacements(inv: Inventory, legacy: Component) -> list[Component]:
    """Components meant to take over from ``legacy``: explicit ``replaces`` or a
    non-legacy component with overlapping responsibilities."""
    explicit = [c for c in inv.components if legacy.name in c.replaces]
    overlap = [c for c in inv.components if c is not legacy and c.status in
               (Status.active, Status.planned) and set(c.responsibilities) & set(legacy.responsibilities)]
    return explicit + [c for c in overlap if c not in explicit]


@analyzer("redundant-workflow")
def redundant_workflow(inv: Inventory) -> list[Finding]:
    out = []
    for resp, comps in sorted(_by_responsibility(inv.live).items()):
        if len(comps) < 2:
            continue
        names = [c.name for c in comps]
        legacy = [c.name for c in comps if c.status != Status.active]
        out.append(Finding(
            code="redundant-workflow", severity="high" if legacy else "medium",
            title=f"{len(comps)} live components all do {resp}",
            components=names,
            evidence=[f"{c.name} ({c.status.value}, {', '.join(c.tech) or c.kind.value}) does {resp}"
                      for c in comps],
            recommendation=f"Keep one {resp} path"
                           + (f" and switch off {', '.join(legacy)}" if legacy else "")
                           + ": every duplicate path is paid for twice and drifts apart.",
        ))
    return out


@analyzer("stack-fragmentation")
def stack_fragmentation(inv: Inventory) -> list[Finding]:
    runtimes: dict[str, list[str]] = defaultdict(list)
    for c in inv.live:
        for t in c.tech:
            family = RUNTIMES.get(t.lower())
            if family and c.name not in runtimes[family]:
                runtimes[family].append(c.name)
    paradigms = sorted({c.kind.value for c in inv.live})
    pairs = [(old.name, new.name) for old in inv.live if old.status != Status.active
             for new in _replacements(inv, old) if new.live or new.status == Status.planned]
    if len(runtimes) < 3 and not (len(runtimes) >= 2 and pairs):
        return []
    evidence = [f"{family}: {', '.join(names)}" for family, names in sorted(runtimes.items())]
    evidence.append(f"paradigms in production: {', '.join(paradigms)}")
    evidence += [f"legacy {old} and its successor {new} are both in play" for old, new in pairs]
    return [Finding(
        code="stack-fragmentation", severity="high" if pairs else "medium",
        title=f"{len(runtimes)} runtimes and {len(paradigms)} paradigms for one person to run",
        components=sorted({n for names in runtimes.values() for n in names}),
        evidence=evidence,
        recommendation="Pick the target stack and put every new feature there; give each "
                       "legacy runtime a retirement date instead of extending it.",
    )]


@analyzer("legacy-still-primary")
def legacy_still_primary(inv: Inventory) -> list[Finding]:
    out = []
    responsibility = _by_responsibility(inv.live)
    callers = defaultdict(list)
    for c in inv.live:
        for target in c.calls:
            callers[target].append(c.name)
    for c in inv.live:
        if c.status == Status.active:
            continue
        sole = [r for r in c.responsibilities if len(responsibility[r]) == 1]
        successors = _replacements(inv, c)
        waiting = [s.name for s in successors if s.status == Status.planned]
        if not sole and not callers[c.name]:
            continue
        evidence = []
        if sole:
            evidence.append(f"{c.name} is the only live component doing {', '.join(sole)}")
        if callers[c.name]:
            evidence.append(f"{', '.join(callers[c.name])} still call {c.name}")
        if waiting:
            evidence.append(f"its successor {', '.join(waiting)} is only planned")
        out.append(Finding(
            code="legacy-still-primary", severity="critical" if len(sole) >= 2 else "high",
            title=f"{c.name} is {c.status.value} but still carries production work",
            components=[c.name], evidence=evidence,
            recommendation=f"Move {', '.join(sole) or 'its callers'} off {c.name} first, one "
                           "responsibility at a time, then switch it off.",
        ))
    return out


@analyzer("polling-instead-of-events")
def polling_instead_of_events(inv: Inventory) -> list[Finding]:
    out = []
    for c in inv.live:
        polls = [t.value for t in c.triggers if t in (Trigger.cron, Trigger.poll)]
        if not polls:
            continue
        pushers = [t for t in c.calls if (e := inv.external(t)) is not None and e.push]
        if not pushers:
            continue
        out.append(Finding(
            code="polling-instead-of-events", severity="medium",
            title=f"{c.name} polls {', '.join(pushers)} on a {'/'.join(polls)} schedule",
            components=[c.name],
            evidence=[f"{c.name} is triggered by {', '.join(polls)}",
                      *(f"{p} can push (websocket/webhook)" for p in pushers)],
            recommendation=f"Subscribe to {', '.join(pushers)}'s push feed and react to events: "
                           "seconds instead of minutes, and no calls spent on 'nothing changed'.",
        ))
    return out


@analyzer("missing-observability")
def missing_observability(inv: Inventory) -> list[Finding]:
    blind = [c for c in inv.live if not c.observability and c.kind.value != "datastore"]
    if not blind:
        return []
    runnable = [c for c in inv.live if c.kind.value != "datastore"]
    share = len(blind) / max(1, len(runnable))
    sinks = sorted({o for c in inv.live for o in c.observability})
    return [Finding(
        code="missing-observability", severity="high" if share >= 0.5 else "medium",
        title=f"{len(blind)} of {len(runnable)} components log nowhere anyone looks",
        components=[c.name for c in blind],
        evidence=[f"{c.name}: no log sink or monitor" for c in blind]
                 + ([f"sinks in use elsewhere: {', '.join(sinks)}"] if sinks else
                    ["no central logging at all"]),
        recommendation="Send every component's logs to one place and put a health check on "
                       "each: debugging should not mean reading logs in three places.",
    )]


@analyzer("duplicated-api-access")
def duplicated_api_access(inv: Inventory) -> list[Finding]:
    out = []
    for ext in inv.externals:
        direct = [c for c in inv.live if ext.name in c.calls and c.kind.value != "proxy"]
        proxies = [c for c in inv.components if ext.name in c.calls and c.kind.value == "proxy"]
        if len(direct) < 2:
            continue
        evidence = [f"{c.name} ({', '.join(c.tech) or c.kind.value}) calls {ext.name} directly"
                    for c in direct]
        if proxies:
            evidence.append(f"{', '.join(p.name for p in proxies)} ({proxies[0].status.value}) "
                            "exists but is bypassed")
        out.append(Finding(
            code="duplicated-api-access", severity="high" if ext.rate_limit else "medium",
            title=f"{ext.name} is called from {len(direct)} places",
            components=[c.name for c in direct], evidence=evidence,
            recommendation=f"Route every {ext.name} call through one client"
                           + (f" ({proxies[0].name})" if proxies else " or proxy")
                           + ": one key, one quota, one place to fix.",
        ))
    return out


@analyzer("unshielded-rate-limit")
def unshielded_rate_limit(inv: Inventory) -> list[Finding]:
    out = []
    for ext in inv.externals:
        if not ext.rate_limit:
            continue
        uncached = [c for c in inv.live if ext.name in c.calls and not c.cache]
        if not uncached:
            continue
        out.append(Finding(
            code="unshielded-rate-limit", severity="high" if len(uncached) > 1 else "medium",
            title=f"{ext.name} ({ext.rate_limit}) is called without a cache",
            components=[c.name for c in uncached],
            evidence=[f"{c.name} calls {ext.name} with no cache" for c in uncached]
                     + [f"{ext.name} allows {ext.rate_limit}"],
            recommendation=f"Cache {ext.name} answers (with a TTL) in front of every caller and "
                           "prefetch what will be asked, so the quota is never the limit.",
        ))
    return out


@analyzer("single-point-of-failure")
def single_point_of_failure(inv: Inventory) -> list[Finding]:
    out = []
    owners = defaultdict(list)
    for c in inv.components:
        if c.owner:
            owners[c.owner].append(c.name)
    for p in inv.people:
        owned = owners.get(p.name, [])
        only_person = len(inv.people) == 1
        if (only_person and len(p.roles) >= 3) or len(owned) >= max(3, 0.8 * len(inv.components)):
            out.append(Finding(
                code="single-point-of-failure", severity="critical",
                title=f"{p.name} is in every role and owns {len(owned)} of "
                      f"{len(inv.components)} components",
                components=owned or [c.name for c in inv.components],
                evidence=[f"{p.name}'s roles: {', '.join(p.roles)}",
                          f"{p.name} owns {len(owned)} of {len(inv.components)} components"]
                         + (["nobody else is listed"] if only_person else []),
                recommendation="Take routine decisions off the one person: automate deploys and "
                               "alerts, write runbooks, and let the co-pilot decide the routine.",
            ))
    live = inv.live
    for c in live:
        dependants = [d.name for d in live if c.name in d.calls]
        if len(live) >= 4 and len(dependants) >= len(live) - 1:
            out.append(Finding(
                code="single-point-of-failure", severity="high",
                title=f"every other component depends on {c.name}",
                components=[c.name], evidence=[f"called by {', '.join(dependants)}"],
                recommendation=f"Give {c.name} redundancy or a fallback, and a health check.",
            ))
    return out


def analyze(inv: Inventory, codes: list[str] | None = None) -> list[Finding]:
    findings = [f for code, fn in ANALYZERS.items() if codes is None or code in codes
                for f in fn(inv)]
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.code))
    return findings
