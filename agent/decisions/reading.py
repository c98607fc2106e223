"""How the decisions component reads a request: the option a message names, the decisions a
bulk answer covers, autopilot switches, silences, and the follow-ups that answer the
decision the conversation is on. Used by its grammar."""

from __future__ import annotations

import re

from core.grammar import Args, Ask, Built, Context, Entities

OPTION_WORDS: tuple[tuple[str, str], ...] = (
    (r"publish|post it|ship it|send it|go live", "publish"),
    (r"skip|pass|not posting|no thanks|nah", "skip"),
    (r"dismiss|ignore|clear", "dismiss"),
    (r"snooze", "snooze"),
    (r"silence|mute", "silence"),
    (r"ack|acknowledge|acknowledged|seen it|on it", "acknowledge"),
    (r"restart|reboot", "restart"),
    (r"keep(?: them| it)?|don'?t delete|do not delete", "keep"),
    (r"delete(?: them| it| all| both)?|remove them|nuke them", "delete_all"),
    (r"edit", "edit"),
)
YES = r"^(?:yes|yeah|yep|yup|sure|ok|okay|do it|go ahead|confirm(?:ed)?|approve(?:d)?|" \
    r"accept(?:ed)?|sounds good|lgtm|send it|ship it|y)\b"
NO = r"^(?:no|nope|nah|don'?t|cancel|never ?mind|nvm|n)\b"
KINDS: tuple[tuple[str, str], ...] = (
    (r"alerts?|alert decisions", "alert_fired"),
    (r"content|drafts?|posts?|publishing|publish", "content_ready"),
    (r"health|incidents?|outages?", "health_incident"),
    (r"architecture|findings?|review", "architecture_finding"),
    (r"briefings?|morning brief", "briefing"),
    (r"deliver(?:y|ies)|dead letters?", "delivery_failed"),
)


def kind_named(norm: str) -> str | None:
    for pattern, kind in KINDS:
        if re.search(rf"\b(?:{pattern})\b", norm):
            return kind
    return None


def option_named(e: Entities, ctx: Context, known: list[str] | None = None) -> str | None:
    """The option a message names: "option 2" (its number), a word for one, or yes/no
    against the options the conversation saw."""
    if "option" in e.ids:
        return str(e.ids["option"])
    m = re.search(r"\b(?:option|choice|pick|choose|go with|answer)\s+#?(\d+)\b", e.norm)
    if m:
        return m.group(1)
    m = re.search(r"\b(?:option|choose|pick|go with|answer with)\s+[\"']?([a-z_]+)", e.norm)
    if m and m.group(1) not in ("decision", "option", "the", "a", "one"):
        return m.group(1)
    known = known or []
    for pattern, option in OPTION_WORDS:
        if re.search(rf"\b(?:{pattern})\b", e.norm):
            if known and option not in known:
                close = [k for k in known if k.startswith(option[:4]) or option.startswith(k[:4])]
                return close[0] if close else option
            return option
    if known and re.search(YES, e.norm):
        return known[0]
    if known and re.search(NO, e.norm):
        return next((k for k in known if k in ("keep", "skip", "dismiss")), known[-1])
    return None


def names_decision(e: Entities, ctx: Context) -> float:
    """'decision 4', or 'approve that one' right after the pending decisions were listed."""
    if "decision" in e.ids:
        return 2.5
    approves = re.search(r"\b(approve|accept|go with)\b", e.norm)
    return 3.0 if approves and ctx.last_tool == "pending_decisions" and ctx.decision_id else 0.0


def decide(e: Entities, ctx: Context) -> Built:
    decision_id = e.ids.get("decision", e.ids.get("id"))
    if decision_id is None and "draft" in e.ids:  # "skip draft 2": that draft's question
        decision_id = next((d.get("decision_id") for d in ctx.drafts
                            if d.get("id") == e.ids["draft"]), None)
        if decision_id is None:
            return Ask(f"Draft {e.ids['draft']} has no open question I know of; 'what's "
                       "pending' lists them with their numbers.")
    if decision_id is None and ctx.decision_id is not None:
        decision_id = ctx.decision_id
    if decision_id is None:
        return Ask("Which decision? 'what's pending' lists them with their numbers.")
    known = ctx.decision_options if decision_id == ctx.decision_id else []
    option = option_named(e, ctx, known)
    if option is None:
        return Ask(f"Which option for decision {decision_id}? e.g. 'decision {decision_id}: "
                   "option 1'.")
    return {"decision_id": decision_id, "option": option}


def bulk_answer(e: Entities, ctx: Context) -> bool:
    """'dismiss all alert decisions', 'snooze all TSLA', 'clear out the fired-alert stuff':
    an answer word and a set (all / every / a kind / a ticker)."""
    answer = re.search(r"\b(dismiss|skip|snooze|ack|acknowledge|clear|clear out|ignore|"
                       r"approve|publish|silence)\b", e.norm)
    many = re.search(r"\b(all|every|everything|each|ones|stuff|bulk|both|them all)\b", e.norm)
    on_alerts = ctx.last_tool in ("create_alert", "update_alert", "list_alerts", "delete_alert",
                                  "snooze_alert") and not re.search(r"\bdecisions?\b", e.norm)
    return bool(answer and many) and "decision" not in e.ids and not on_alerts


def decide_all(e: Entities, ctx: Context) -> Built:
    option = option_named(e, ctx) or "dismiss"
    args: Args = {"option": option}
    kind = kind_named(e.norm) or (ctx.decision_kind if re.search(r"\b(both|them|those|these)\b",
                                                           e.norm) else None)
    if kind:
        args["kind"] = kind
    if e.symbols:
        args["symbol"] = e.symbols[0]
    if e.duration_min and args["option"] in ("snooze", "silence"):
        args["minutes"] = e.duration_min
    if "kind" not in args and "symbol" not in args and not re.search(
            r"\b(everything|all of them|all pending|all decisions|every decision)\b", e.norm):
        return Ask("Which decisions: all of them, one kind (alerts, content, incidents) or "
                   "one ticker?")
    return args


def undo(e: Entities, ctx: Context) -> Args:
    """'undo decision 3'; 'undo that' right after a decision was answered: that decision
    (never whatever else, autopilot's included, happened to act last)."""
    decision_id = e.ids.get("decision")
    if decision_id is None and e.refers_back and ctx.decision_id is not None and any(
            name == "decide" for name, _ in ctx.last_calls):
        decision_id = ctx.decision_id
    return {"decision_id": decision_id} if decision_id is not None else {}


def recall(e: Entities, ctx: Context) -> Args:
    query = re.sub(
        r"\b(what did i|what have i|did i|how did i|do you remember|remember|recall|remind me|"
        r"last time|previous(ly)?|past|decisions?|decide[ds]?|choices?|chose|choose|picked|"
        r"about|on|when|what|i|my|with|the|show|me|similar|history of|before|usually|ever|"
        r"have|handle[d]?|do|for|a|an)\b",
        " ", e.norm,
    )
    query = re.sub(r"\s+", " ", query).strip(" ?.!,") or e.norm
    args: Args = {"query": query}
    m = re.search(r"\b(?:top|last|show(?: me)?(?: the)?)\s+(\d+)\b|\b(\d+)\s+(?:most\s+)?"
                  r"(?:similar|past|recent|closest)", e.norm)
    if m:
        args["k"] = int(m.group(1) or m.group(2))
    return args


def autopilot(e: Entities, ctx: Context) -> Built:
    n = e.norm
    if re.search(r"\bstatus\b", n) or re.match(r"(is|are|was|what|which|hows|how)\b", n):
        action = "status"  # "is autopilot on?" asks, it doesn't switch
    elif re.search(r"\b(let (?:autopilot|it)|take (?:those|them|these|over|it)|handle|"
                   r"enable|turn on|turn it on|switch on|activate|allow|for me|on its own|"
                   r"by itself|can autopilot)\b", n):
        action = "enable"
    elif re.search(r"\b(disable|turn off|turn it off|switch off|stop|off|deactivate|pause|"
                   r"kill|no more)\b", n):
        action = "disable"
    elif re.search(r"\b(start|let|on)\b", n):
        action = "enable"
    else:
        action = "status"
    args: Args = {"action": action}
    kind = kind_named(n) or (ctx.autopilot_kind if e.refers_back or action != "status" else None)
    if kind is None and e.refers_back and ctx.decision_kind:
        kind = ctx.decision_kind  # "let autopilot take those": the decisions just seen
    if kind:
        args["kind"] = kind
    elif action != "status":
        return Ask(f"{'Enable' if action == 'enable' else 'Disable'} autopilot for which "
                   "decisions: alerts, content, health incidents, architecture findings or "
                   "briefings?")
    return args


def digest(e: Entities, ctx: Context) -> Args:
    m = re.search(r"\b(?:last|past)\s+(\d+)\s*(?:h|hrs?|hours?)\b", e.norm)
    if m:
        return {"hours": int(m.group(1))}
    if e.duration_min and e.duration_min >= 60 and re.search(r"\b(last|past)\b", e.norm):
        return {"hours": e.duration_min // 60}
    return {}


def matchers(e: Entities, ctx: Context) -> Args:
    """What a silence or an acknowledgement is about: an alert by number, a ticker, or a
    health component / service."""
    if "alert" in e.ids:
        return {"alert_id": e.ids["alert"]}
    if e.symbols:
        return {"symbol": e.symbols[0]}
    m = re.search(r"\b(?:the |my )?([a-z][a-z0-9]*(?:-[a-z0-9]+)+|website|site|database|db|"
                  r"scheduler|market(?: data)?|feed|discord|disk|deliveries|content|memory|"
                  r"wordpress|api)\b(?:\s+(?:incident|service|check|alerts?))?", e.norm)
    if m:
        name = {"db": "database", "site": "website", "feed": "market", "market data": "market",
                "wordpress": "content"}.get(m.group(1), m.group(1))
        return {"component": name}
    if ctx.component and e.refers_back:
        looked = [a.get("component") for n, a in ctx.last_calls
                  if n in ("system_health", "recent_errors") and a.get("component")]
        if len(set(looked)) > 1:
            return {"ask": "Which one: " + " or ".join(dict.fromkeys(str(c) for c in looked))
                    + "?"}
        return {"component": ctx.component}
    return {}


def silence(e: Entities, ctx: Context) -> Built:
    found = matchers(e, ctx)
    if "ask" in found:
        return Ask(str(found["ask"]))
    if not found:
        return Ask("Silence what: a ticker (TSLA), an alert (alert 4) or a service (the "
                   "website), and for how long?")
    return {**found, "minutes": e.duration_min or 60}


def acknowledge(e: Entities, ctx: Context) -> Built:
    found = matchers(e, ctx)
    if "ask" in found:
        return Ask(str(found["ask"]))
    if not found:
        return Ask("Acknowledge what: a service (the website), a ticker or an alert?")
    return found


def unsilence(e: Entities, ctx: Context) -> Built:
    from core.grammar import pick

    pool = ctx.silences
    if re.search(r"\bthe (?:silence|mute)\b", e.norm):  # not the acknowledgement
        pool = [s for s in pool if s.get("kind") == "silence"][-1:] or pool
    chosen = pool[0] if len(pool) == 1 and re.search(
        r"\b(one|first|last|it|that|the (?:silence|mute))\b", e.norm) else pick(
        pool, e, ctx.silence_id)
    silence_id = e.ids.get("id") or (e.bare_ints[0] if len(e.bare_ints) == 1 else None) or (
        chosen.get("id") if chosen else None) or (
        ctx.silence_id if e.refers_back or len(e.norm.split()) <= 3 else None)
    if silence_id is None:
        return Ask("Which silence should I lift? 'what's silenced' lists them with numbers.")
    return {"silence_id": silence_id}


def no_alert_number(e: Entities, ctx: Context) -> bool:
    """'mute alert 4 for 30 min' is the alert's snooze; silences are by ticker or service."""
    return "alert" not in e.ids and "decision" not in e.ids


# ---- follow-ups: the decision (or autopilot switch) the conversation is on --------------

def lift_listed(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'remove the number 1', 'lift the first one', 'unmute the tsla one' right after the
    silences were listed or made: that silence."""
    if ctx.last_tool not in ("silences", "silence", "acknowledge") or not ctx.silences:
        return None
    if not re.search(r"\b(remove|lift|end|cancel|unmute|unsilence|delete|drop|kill|stop)\b",
                     e.norm) or re.search(r"\b(alerts?|drafts?|watchlist|decisions?)\b", e.norm):
        return None
    built = unsilence(e, ctx)
    return ("unsilence", built) if not isinstance(built, Ask) else None


def answer_it(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'skip it', 'yes delete them', 'keep them', 'dismiss it' on the decision just seen."""
    from core.grammar import only, pick

    words = "|".join(p for p, _ in OPTION_WORDS) + r"|yes|yeah|yep|yup|sure|do it|go ahead|" \
        r"confirm(?:ed)?|approve(?:d)?|accept(?:ed)?|sounds good|lgtm|no|nope|don'?t|never ?mind|" \
        r"decision|option|\d+|first|second|other|last|latest|blog|discord|email|newsletter|" \
        r"not posting|not sending|it|that|them|both|all|one|go|with|pass on|on it|" \
        r"[a-z]+ one|sym|" + "|".join(s.lower() for s in e.symbols)
    if not only(e.norm, words):
        return None
    draft = pick(ctx.drafts, e, ctx.draft_id)
    several = [d for d in ctx.drafts if d.get("symbol") in e.symbols] if len(e.symbols) > 1 else []
    if len(several) > 1 and all(d.get("decision_id") for d in several):
        word = option_named(e, ctx, list(several[0].get("options") or []))
        if word:  # "skip the msft and googl ones"
            return "decide", [{"decision_id": d["decision_id"], "option": word} for d in several]
    if draft is None and len(ctx.drafts) > 1 and re.search(r"\bthe \w+ one\b", e.norm):
        fits = [d for d in ctx.drafts if d.get("symbol") in e.symbols]
        if e.symbols and not fits:
            return None  # "delete the tsla one" when no draft is on TSLA: an alert, say
        fits = fits or ctx.drafts
        return "decide", Ask("Which one: " + " or ".join(
            f"draft {d['id']} ({d.get('channel')}, {d.get('symbol') or d.get('topic')})"
            for d in fits[-4:]) + "?")
    decision_id = draft.get("decision_id") if draft else ctx.decision_id
    if decision_id is None or e.symbols and draft is None:
        return None
    known = ctx.decision_options if decision_id == ctx.decision_id else \
        list(draft.get("options") or []) if draft else []
    option = option_named(e, ctx, known)
    if option is None or known and option not in known and not option.isdigit():
        return None
    if option == "publish" and ctx.draft_id is not None and ctx.last_tool not in (
            "publish_content", "pending_decisions", "decide"):
        return None  # "publish it" after a draft is the draft's publish
    if draft is None and re.search(r"\b(both|all of them|them all|all)\b", e.norm) and \
            ctx.decision_kind and not option.isdigit():
        return "decide_all", {"option": option, "kind": ctx.decision_kind}  # "skip both"
    return "decide", {"decision_id": decision_id, "option": option}


def silence_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make it an hour' after a silence: the same silence, that long."""
    if ctx.last_tool != "silence" or not e.duration_min or not re.search(
            r"\b(make (?:it|that)|actually|instead|rather|extend)\b", e.norm):
        return None
    return "silence", {**ctx.last_args, "minutes": e.duration_min}


def bring_back(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'bring back the first one' after skipping drafts: undo that draft's decision."""
    from core.grammar import pick

    if not re.search(r"\b(bring (?:it |that |them )?back|unskip|restore|revive)\b", e.norm):
        return None
    draft = pick(ctx.drafts, e, ctx.draft_id) or (ctx.drafts[-1] if len(ctx.drafts) == 1
                                                    else None)
    if draft is None or not draft.get("decision_id"):
        return None
    return "undo", {"decision_id": draft["decision_id"]}


def autopilot_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'turn it off again', 'status?' after autopilot; 'undo that' after switching it (the
    opposite switch: a switch is no decision to undo)."""
    head = re.split(r"[,.;!?]", e.text.lower(), maxsplit=1)[0]
    if ctx.last_tool != "autopilot" or re.search(
            r"\b(draft|write|post|alert|chart|quote|publish|price)\b", head):
        return None
    last = ctx.last_args.get("action", "status")
    if re.search(r"\b(undo|revert|take it back|turn it back|never ?mind)\b", e.norm) and \
            last in ("enable", "disable") and not re.search(r"\b(on|enable)\b", e.norm):
        back = "disable" if last == "enable" else "enable"
        if re.search(r"\b(turn it off|off|disable)\b", e.norm):
            back = "disable"
        args: Args = {"action": back}
        kind = kind_named(e.norm) or ctx.last_args.get("kind")
        if kind:
            args["kind"] = kind
        return "autopilot", args
    if re.search(r"\b(stands?|status|where is it|how is it)\b", e.norm):
        return "autopilot", {"action": "status"}
    kind = kind_named(e.norm)
    if kind and last in ("enable", "disable") and re.search(r"\b(too|also|and|as well)\b",
                                                            e.norm):
        return "autopilot", {"action": last, "kind": kind}  # "and briefings too"
    if not re.search(r"\b(on|off|enable|disable)\b", e.norm):
        return None
    return "autopilot", autopilot(Entities(text=e.text, norm=e.norm + " autopilot",
                                            refers_back=True), ctx)
