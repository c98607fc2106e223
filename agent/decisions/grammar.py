"""The decisions component's share of the offline grammar: pending, decide (one, or all of
a kind or symbol), undo, recall, autopilot and the briefing; "skip it", "yes delete them"
and "undo that" answer the decision the conversation is on."""

from __future__ import annotations

import re

from core.grammar import Args, Ask, Built, Context, Entities, FollowUp, Grammar, Intent

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


def _kind(norm: str) -> str | None:
    for pattern, kind in KINDS:
        if re.search(rf"\b(?:{pattern})\b", norm):
            return kind
    return None


def _option(e: Entities, ctx: Context, known: list[str] | None = None) -> str | None:
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


def _names_decision(e: Entities, ctx: Context) -> float:
    return 2.5 if "decision" in e.ids else 0.0


def _decide(e: Entities, ctx: Context) -> Built:
    decision_id = e.ids.get("decision", e.ids.get("id"))
    if decision_id is None and ctx.decision_id is not None:
        decision_id = ctx.decision_id
    if decision_id is None:
        return Ask("Which decision? 'what's pending' lists them with their numbers.")
    known = ctx.decision_options if decision_id == ctx.decision_id else []
    option = _option(e, ctx, known)
    if option is None:
        return Ask(f"Which option for decision {decision_id}? e.g. 'decision {decision_id}: "
                   "option 1'.")
    return {"decision_id": decision_id, "option": option}


def _bulk_answer(e: Entities, ctx: Context) -> bool:
    """'dismiss all alert decisions', 'snooze all TSLA', 'clear out the fired-alert stuff':
    an answer word and a set (all / every / a kind / a ticker)."""
    answer = re.search(r"\b(dismiss|skip|snooze|ack|acknowledge|clear|clear out|ignore|"
                       r"approve|publish|silence)\b", e.norm)
    many = re.search(r"\b(all|every|everything|each|ones|stuff|bulk|both|them all)\b", e.norm)
    return bool(answer and many) and "decision" not in e.ids


def _decide_all(e: Entities, ctx: Context) -> Built:
    option = _option(e, ctx) or "dismiss"
    args: Args = {"option": option}
    kind = _kind(e.norm) or (ctx.decision_kind if re.search(r"\b(both|them|those|these)\b",
                                                           e.norm) else None)
    if kind:
        args["kind"] = kind
    if e.symbols:
        args["symbol"] = e.symbols[0]
    if "kind" not in args and "symbol" not in args and not re.search(
            r"\b(everything|all of them|all pending|all decisions|every decision)\b", e.norm):
        return Ask("Which decisions: all of them, one kind (alerts, content, incidents) or "
                   "one ticker?")
    return args


def _undo(e: Entities, ctx: Context) -> Args:
    decision_id = e.ids.get("decision")
    return {"decision_id": decision_id} if decision_id is not None else {}


def _recall(e: Entities, ctx: Context) -> Args:
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


def _autopilot(e: Entities, ctx: Context) -> Built:
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
    kind = _kind(n) or (ctx.autopilot_kind if e.refers_back or action != "status" else None)
    if kind is None and e.refers_back and ctx.decision_kind:
        kind = ctx.decision_kind  # "let autopilot take those": the decisions just seen
    if kind:
        args["kind"] = kind
    elif action != "status":
        return Ask(f"{'Enable' if action == 'enable' else 'Disable'} autopilot for which "
                   "decisions: alerts, content, health incidents, architecture findings or "
                   "briefings?")
    return args


def _digest(e: Entities, ctx: Context) -> Args:
    m = re.search(r"\b(?:last|past)\s+(\d+)\s*(?:h|hrs?|hours?)\b", e.norm)
    if m:
        return {"hours": int(m.group(1))}
    if e.duration_min and e.duration_min >= 60 and re.search(r"\b(last|past)\b", e.norm):
        return {"hours": e.duration_min // 60}
    return {}


def _matchers(e: Entities, ctx: Context) -> Args:
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
        return {"component": ctx.component}
    return {}


def _silence(e: Entities, ctx: Context) -> Built:
    found = _matchers(e, ctx)
    if not found:
        return Ask("Silence what: a ticker (TSLA), an alert (alert 4) or a service (the "
                   "website), and for how long?")
    return {**found, "minutes": e.duration_min or 60}


def _acknowledge(e: Entities, ctx: Context) -> Built:
    found = _matchers(e, ctx)
    if not found:
        return Ask("Acknowledge what: a service (the website), a ticker or an alert?")
    return found


def _unsilence(e: Entities, ctx: Context) -> Built:
    silence_id = e.ids.get("id") or (e.bare_ints[0] if len(e.bare_ints) == 1 else None)
    if silence_id is None:
        return Ask("Which silence should I lift? 'what's silenced' lists them with numbers.")
    return {"silence_id": silence_id}


def _no_alert_number(e: Entities, ctx: Context) -> bool:
    """'mute alert 4 for 30 min' is the alert's snooze; silences are by ticker or service."""
    return "alert" not in e.ids and "decision" not in e.ids


# ---- follow-ups: the decision (or autopilot switch) the conversation is on --------------

def _answer_it(e: Entities, ctx: Context) -> tuple[str, Built] | None:
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
    decision_id = draft.get("decision_id") if draft else ctx.decision_id
    if decision_id is None or e.symbols and draft is None:
        return None
    known = ctx.decision_options if decision_id == ctx.decision_id else \
        list(draft.get("options") or []) if draft else []
    option = _option(e, ctx, known)
    if option is None or known and option not in known and not option.isdigit():
        return None
    if option == "publish" and ctx.draft_id is not None and ctx.last_tool not in (
            "publish_content", "pending_decisions", "decide"):
        return None  # "publish it" after a draft is the draft's publish
    if draft is None and re.search(r"\b(both|all of them|them all|all)\b", e.norm) and \
            ctx.decision_kind and not option.isdigit():
        return "decide_all", {"option": option, "kind": ctx.decision_kind}  # "skip both"
    return "decide", {"decision_id": decision_id, "option": option}


def _bring_back(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'bring back the first one' after skipping drafts: undo that draft's decision."""
    from core.grammar import pick

    if not re.search(r"\b(bring (?:it |that |them )?back|unskip|restore|revive)\b", e.norm):
        return None
    draft = pick(ctx.drafts, e, ctx.draft_id) or (ctx.drafts[-1] if len(ctx.drafts) == 1
                                                    else None)
    if draft is None or not draft.get("decision_id"):
        return None
    return "undo", {"decision_id": draft["decision_id"]}


def _autopilot_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'turn it off again', 'status?' after autopilot; 'undo that' after switching it (the
    opposite switch: a switch is no decision to undo)."""
    if ctx.last_tool != "autopilot":
        return None
    last = ctx.last_args.get("action", "status")
    if re.search(r"\b(undo|revert|take it back|turn it back|never ?mind)\b", e.norm) and \
            last in ("enable", "disable") and not re.search(r"\b(on|enable)\b", e.norm):
        back = "disable" if last == "enable" else "enable"
        args: Args = {"action": back}
        if ctx.last_args.get("kind"):
            args["kind"] = ctx.last_args["kind"]
        return "autopilot", args
    if re.search(r"\b(stands?|status|where is it|how is it)\b", e.norm):
        return "autopilot", {"action": "status"}
    kind = _kind(e.norm)
    if kind and last in ("enable", "disable") and re.search(r"\b(too|also|and|as well)\b",
                                                            e.norm):
        return "autopilot", {"action": last, "kind": kind}  # "and briefings too"
    if not re.search(r"\b(on|off|enable|disable)\b", e.norm):
        return None
    return "autopilot", _autopilot(Entities(text=e.text, norm=e.norm + " autopilot",
                                            refers_back=True), ctx)


GRAMMAR = Grammar(
    intents=(
        Intent(
            "pending_decisions",
            {"decisions": 3, "pending": 2, "needs my attention": 4, "waiting on me": 4,
             "waiting for me": 4, "inbox": 3, "to decide": 3.5, "open questions": 3,
             "anything for me": 3.5, "what needs": 2.5, "todo": 2, "to do": 1.5,
             "approve": 1, "outstanding": 2.5, "need me": 3, "my call": 3,
             "approvals": 3, "needs my call": 4, "open decisions": 4, "owe you": 4,
             "answers": 1.5, "waiting for an answer": 4, "any questions for me": 4},
            lambda e, ctx: {},
            vetoes=("past", "last time", "remember", "recall", "did i", "autopilot",
                    "drafts", "alerts", "dismiss", "skip"),
            examples=("what needs my attention", "anything waiting on me", "pending decisions",
                      "what decisions are open", "any approvals pending", "whats in my inbox"),
        ),
        Intent(
            "decide",
            {"decide": 2.5, "decision": 2, "option": 2.5, "choose": 2.5, "pick": 2,
             "go with": 2.5, "approve": 2, "answer": 1.5, "accept": 2, "reject": 2,
             "dismiss": 1.5, "skip": 1.5, "acknowledge": 2, "ack": 2, "publish": 0.5,
             "snooze": 0.5, "restart": 0.5},
            _decide,
            missing="Which decision, and which option? e.g. 'decision 4: option publish'.",
            vetoes=("past", "what did i", "remember", "recall", "pending", "autopilot",
                    "all", "every", "everything", "undo"),
            examples=("decision ref option publish", "go with option 2 on decision ref",
                      "skip decision ref", "dismiss decision ref", "acknowledge decision ref",
                      "for decision ref pick 1"),
            mutating=True,
            boost=_names_decision,
        ),
        Intent(
            "decide_all",
            {"all": 1.5, "every": 1.5, "everything": 1.5, "dismiss": 2, "skip": 1.5,
             "snooze": 1, "acknowledge": 1.5, "ack": 1.5, "clear": 1.5, "decisions": 1,
             "all alert decisions": 4, "bulk": 2, "clear out": 3, "saw them": 2,
             "already": 1, "stuff": 0.5},
            _decide_all,
            vetoes=("autopilot", "undo", "my alerts", "delete", "remove", "list", "show",
                    "what", "draft ref"),
            examples=("dismiss all alert decisions", "snooze all sym",
                      "acknowledge all the health incidents", "dismiss everything for sym",
                      "skip every pending content decision"),
            mutating=True,
            when=_bulk_answer,
        ),
        Intent(
            "undo",
            {"undo": 5, "revert": 4, "roll back": 4, "rollback": 4, "take it back": 3.5,
             "put it back": 2.5, "reverse": 3, "oops": 1.5, "put them back": 3,
             "bring them back": 3, "bring it back": 3, "restore": 3},
            _undo,
            vetoes=("watchlist",),
            examples=("undo that", "undo decision ref", "revert the last decision",
                      "autopilot screwed up undo what it just did"),
            mutating=True,
        ),
        Intent(
            "recall_decisions",
            {"what did i": 3.5, "did i": 2, "last time": 3.5, "remember": 3, "recall": 3.5,
             "remind me": 3, "previously": 3, "past decisions": 4, "history of": 1.5,
             "decided": 3, "before": 1, "usually": 2.5, "how did i handle": 4, "similar": 2,
             "what do i usually": 3.5, "chose": 2.5, "picked": 2.5, "memory": 2,
             "how i handled": 3.5, "handled": 2, "ever": 1.5},
            _recall,
            vetoes=("autopilot", "undo", "miss", "levels", "alerts set", "okay", "ok",
                    "working", "healthy", "felt off", "broken", "is the"),
            examples=("what did i do last time a sym alert fired", "how did i handle similar "
                      "content decisions before", "remind me what i picked for past sym alerts",
                      "have i ever skipped a blog post about sym"),
        ),
        Intent(
            "autopilot",
            {"autopilot": 5, "auto pilot": 5, "auto-pilot": 5, "automatic": 2.5,
             "automatically": 2.5, "decide for me": 3.5, "on your own": 3, "yourself": 1.5,
             "autonomous": 3},
            _autopilot,
            vetoes=("undo", "revert"),
            examples=("turn on autopilot for alerts", "autopilot status",
                      "disable autopilot for content", "let autopilot handle health incidents"),
            mutating=True,
        ),
        Intent(
            "briefing",
            {"brief me": 5, "briefing": 4.5, "rundown": 4, "catch me up": 4.5, "recap": 1.5,
             "on my plate": 4.5, "summary": 2, "what did i miss": 4, "whats new": 2.5,
             "morning report": 4, "overview": 2.5, "digest": 3.5, "sitrep": 4,
             "update me": 3},
            lambda e, ctx: {},
            vetoes=("autopilot", "draft", "write", "newsletter", "post", "blog"),
            examples=("brief me", "whats on my plate", "catch me up on everything",
                      "morning rundown", "what did i miss", "give me the digest"),
        ),
        Intent(
            "digest",
            {"digest": 4.5, "what did autopilot do": 5, "what happened": 3.5,
             "while i was away": 3, "while i was out": 3, "autopilot do today": 5,
             "what has autopilot done": 5, "activity": 2, "recap of decisions": 4},
            _digest,
            vetoes=("draft", "write", "post", "newsletter", "chart", "price"),
            examples=("what did autopilot do today", "decision digest",
                      "what happened in the last 3 hours", "what happened while i was away"),
        ),
        Intent(
            "silence",
            {"silence": 3.5, "mute": 3, "shut up about": 3.5, "quiet": 2, "stop pinging": 3,
             "stop telling": 3, "no more alerts": 2.5, "hush": 3, "for": 0.3},
            _silence,
            vetoes=("unmute", "unsilence", "lift", "what is silenced", "whats silenced",
                    "silences", "decision", "autopilot"),
            examples=("silence sym for an hour", "mute all sym alerts for num minutes",
                      "silence the website for 2 hours", "stop pinging me about sym today"),
            mutating=True,
            when=_no_alert_number,
        ),
        Intent(
            "acknowledge",
            {"ack": 3.5, "acknowledge": 3.5, "acknowledged": 3, "aware": 2, "on it": 2,
             "i know": 1.5, "known issue": 3, "stop reminding": 3.5},
            _acknowledge,
            vetoes=("all", "every", "decision", "autopilot"),
            examples=("ack the website incident", "acknowledge the scanner-api incident",
                      "i know the db is down stop reminding me", "ack sym"),
            mutating=True,
            when=_no_alert_number,
        ),
        Intent(
            "silences",
            {"silences": 4, "silenced": 3.5, "muted": 3, "whats silenced": 5,
             "what is silenced": 5, "what is muted": 5, "any mutes": 4, "acknowledged": 1.5},
            lambda e, ctx: {},
            vetoes=("silence the", "unsilence", "lift"),
            examples=("whats silenced", "list silences", "what is muted right now"),
        ),
        Intent(
            "unsilence",
            {"unsilence": 5, "unmute": 5, "lift": 3, "lift silence": 5, "end silence": 5,
             "remove silence": 5, "cancel silence": 5},
            _unsilence,
            examples=("lift silence ref", "unmute ref", "end silence ref"),
            mutating=True,
        ),
    ),
    words=frozenset({"autopilot", "decision", "decisions", "pending", "briefing", "undo",
                     "silence", "acknowledge", "digest"}),
    follow_ups=(FollowUp("autopilot-again", _autopilot_again), FollowUp("bring-back", _bring_back),
                FollowUp("answer-decision", _answer_it)),
)
