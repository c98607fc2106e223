"""The health capability's share of the offline grammar: system health (all, or the
component a question names: "is the market data feed down?" is the market check, not a
log search) and recent errors."""

from __future__ import annotations

import re

from core.grammar import Args, Built, Context, Entities, FollowUp, Grammar, Intent, Refusal

# how people name the co-pilot's own parts -> the health check's name
COMPONENTS: tuple[tuple[str, str], ...] = (
    (r"\b(database|db|postgres|sqlite|sql)\b", "database"),
    (r"\b(market data|data feed|feed|market|provider|quotes?|prices?|finnhub|alpha ?vantage|"
     r"ticks?|stream)\b", "market"),
    (r"\b(alert deliver(?:y|ies)|deliver(?:y|ies|ed)|notifications?|webhooks?|dms?|"
     r"alerts? service|service (?:of|for) (?:the )?alerts|messages?)\b", "deliveries"),
    (r"\b(discord|bot)\b", "discord"),
    (r"\b(scheduler|jobs?|cron)\b", "scheduler"),
    (r"\b(vector|memory|chroma|embeddings?)\b", "memory"),
    (r"\b(bus|events?|queue)\b", "bus"),
    (r"\b(disk|storage|space)\b", "disk"),
    (r"\b(publishing|publish|content|wordpress|wp|blog|smtp|email|channels?)\b", "content"),
    (r"\b(tasks?|background|workers?|dispatcher)\b", "tasks"),
)
NOT_SERVICES = frozenset({"pre-open", "pre-market", "after-hours", "real-time", "end-of-day",
                          "e-mail", "day-to-day"})
_SERVICE = re.compile(r"\b(?:my|the|our|on)\s+([a-z][a-z0-9]*(?:[-_][a-z0-9]+)+|[a-z]+-?api|"
                      r"website|site|api|gateway|scanner|backend|frontend|server)\b"
                      r"(?:\s+(?:service|app|server|function))?")


def _components(e: Entities) -> list[str]:
    """Every one of the co-pilot's checks a question names, in order ("the db and the
    market feed")."""
    found = sorted((m.start(), name) for pattern, name in COMPONENTS
                   for m in [re.search(pattern, e.norm)] if m)
    return list(dict.fromkeys(name for _, name in found))


def _component(e: Entities) -> Args:
    """The part a question names: one of the co-pilot's checks, or one of the owner's
    services by name ("my scanner-api")."""
    service = _SERVICE.search(e.norm)
    if service and ("-" in service.group(1) or "_" in service.group(1)) and \
            service.group(1) not in NOT_SERVICES:
        return {"component": service.group(1)}
    named = _components(e)
    if named:
        return {"component": named[0]}
    if service and service.group(1) in ("website", "site", "api", "gateway", "scanner",
                                        "backend", "frontend"):
        return {"component": "website" if service.group(1) == "site" else service.group(1)}
    return {}


def _health(e: Entities, ctx: Context) -> Built:
    named = _components(e)
    if len(named) > 1 and re.search(r"\b(and|&|,)\b", e.norm):  # "the db and the market feed"
        return [{"component": name} for name in named]
    return _component(e) or _same_part(e, ctx)


def _same_part(e: Entities, ctx: Context) -> Args:
    """'errors from it', 'is it back?', 'why, what errors': the component the conversation
    is on."""
    short = len(e.norm.split()) <= 5 and ctx.last_tool in ("system_health", "recent_errors")
    return {"component": ctx.component} if (e.refers_back or short) and ctx.component else {}


def _other_part(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and the api-gateway?' / 'what about the db' after a health check: the same look at
    another part."""
    if ctx.last_tool not in ("system_health", "recent_errors") or len(e.norm.split()) > 6:
        return None
    part = _component(e)
    if not part:  # "how about the azure functions": any service the owner names
        m = re.match(r"(?:and|what about|how about)\s+(?:the |my )?([a-z][\w\- ]{2,30}?)\s*$",
                     e.norm)
        if not m:
            return None
        part = {"component": m.group(1).strip()}
    if part.get("component") == ctx.component or re.search(
            r"\b(ack|acknowledge|silence|mute|snooze|unmute)\b", e.norm):
        return None
    if re.search(r"\b(ok|okay|healthy|up|down|errors?|logs?|alive|status|working|broken)\b",
                 e.norm) and not re.match(r"(?:and|what about|how about)\b", e.norm):
        return None  # a question of its own: the intents read it
    args = {k: v for k, v in ctx.last_args.items() if k != "component"}
    return ctx.last_tool, {**args, **part}


def _named_part(e: Entities, ctx: Context) -> float:
    """A named component or service with a state word is a health question; a ticker in
    the message makes it unlikely to be one."""
    if e.symbols and not _component(e):
        return -2.5
    return 2.0 if _component(e) else 0.0


def _errors(e: Entities, ctx: Context) -> Args:
    args = _component(e) or _same_part(e, ctx)
    before = ctx.last_args.get("since_minutes") or 60 * (ctx.last_args.get("hours") or 0)
    if e.duration_min:
        args["since_minutes"] = e.duration_min
    elif before and re.search(r"\b(that|the same) (time|period|window|hours?)\b|\bsince then\b",
                              e.norm):  # "any errors in that time" after a 3-hour digest
        args["since_minutes"] = int(before)
    elif re.search(r"\btoday\b", e.norm):
        args["since_minutes"] = 24 * 60
    return args


GRAMMAR = Grammar(words=frozenset({"database", "scheduler", "deliveries", "healthy", "errors"}),
                  follow_ups=(FollowUp("other-part", _other_part),),
                  refusals=(Refusal(
                      "operations",
                      r"^(?:(?:please|pls|can you|could you|would you|go|now|then|and)\s+)*"
                      r"(deploy|redeploy|roll ?out|rollback|restart|reboot|ssh|run the script|"
                      r"migrate the database|scale up|spin up)\b(?!\s+(?:is\s+|was\s+)?(?:done|"
                      r"finished|complete|went|worked|failed))",
                      "I don't deploy, restart or run your services. I can check their health "
                      "and recent errors, and review your architecture for what to change."),),
                  intents=(
    Intent(
        "system_health",
        {"health": 4, "healthy": 4, "status": 2, "systems": 2.5, "system": 2, "up": 0.8,
         "down": 1.5, "uptime": 3, "running": 1.5, "okay": 1.5, "everything": 1,
         "incidents": 2.5, "incident": 2, "services": 2, "service": 2, "alive": 2.5,
         "working": 1.5, "outage": 3, "latency": 2, "degraded": 3, "broken": 1.5,
         "checks": 2, "anything down": 3.5, "is anything": 1, "dead": 1.5, "online": 2,
         "offline": 1.5, "stopped": 1.5, "responding": 2, "lagging": 2, "disk": 1.5,
         "database": 1.5, "db": 1.5, "scheduler": 1.5, "left": 0.8, "space": 1.5,
         "did not come": 2.5, "did not run": 2.5, "not running": 2.5, "stuck": 2,
         "being delivered": 2.5, "delivery": 1.5, "feed": 1.5, "my stuff": 3,
         "everything green": 3.5, "all green": 3.5, "on your side": 2, "connected": 2.5,
         "getting delivered": 2.5, "systems ok": 3, "all good": 1.5, "fine": 1,
         "check": 1.5, "side": 0.5, "back to normal": 3, "normal": 1.5, "never showed up": 3,
         "publishing to": 1.5, "timing out": 2.5, "slow": 1.5, "is it back": 3.5,
         "back up": 2.5, "back online": 3, "recovered": 3, "doing": 1, "it work": 2.5,
         "does it work": 3, "works": 1.5},
        _health,
        vetoes=("autopilot", "architecture", "errors", "error", "exceptions", "quote",
                "remember", "last time", "did i", "handled", "price", "alert me", "draft",
                "point of failure", "points of failure", "market open", "market closed",
                "single point", "fired", "logs", "warnings", "blowing up", "acknowledge",
                "ack", "dismiss", "every", "all the", "are you", "autopilot", "blew up",
                "failing", "get delivered", "did my alerts", "silence", "mute", "stop notify",
                "stop notifying", "stop bugging", "unmute", "lift"),
        examples=("how are my systems", "is the db ok", "market data feed up",
                  "is alert delivery healthy", "discord bot alive", "disk space ok",
                  "hows my scanner-api service doing", "any incidents", "is anything down",
                  "scheduler healthy or did jobs stop running", "are my publishing channels up"),
        boost=_named_part,
    ),
    Intent(
        "recent_errors",
        {"errors": 4, "error": 3.5, "exceptions": 4, "exception": 3.5, "failures": 3,
         "failed": 1.5, "what broke": 4, "crash": 3, "crashes": 3, "stack trace": 3,
         "logs": 3, "log": 2.5, "warnings": 3, "tracebacks": 3, "went wrong": 3,
         "blowing up": 3, "throwing": 3, "blew up": 3.5, "failing": 3, "broke": 3,
         "break": 2.5, "did anything break": 4, "overnight": 1.5, "went down": 2.5,
         "receive no": 3.5, "not receiving": 3.5, "no message": 3, "no messages": 3,
         "not getting": 2.5, "nothing arrived": 3.5, "got nothing": 3},
        _errors,
        vetoes=("autopilot", "drafts", "decision"),
        examples=("any errors in the last num min", "anything blowing up in the logs",
                  "show scheduler errors last 2 hours", "discord warnings past num min",
                  "what went wrong", "recent exceptions"),
    ),
))
