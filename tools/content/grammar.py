"""The content capability's share of the offline grammar: draft, list, show, edit, delete,
schedule and publish; a draft the conversation just made is "it" ("show me", "make it
punchier", "schedule it for tomorrow 9am", "publish it"). A message naming a draft by
number is never read as a request for a new draft."""

from __future__ import annotations

import re

from core.grammar import (
    PLURAL_REF,
    Args,
    Ask,
    Built,
    Call,
    Context,
    Entities,
    FollowUp,
    Grammar,
    Intent,
    Refusal,
    id_of,
    pick,
)

_draft_id = id_of("draft", "post")
DRAFT_TOOLS = ("draft_content", "show_draft", "edit_draft", "schedule_content",
               "publish_content", "delete_draft", "list_drafts")
STOP_TOPIC = r"\b(please|pls|plz|can you|could you|would you|draft|write|compose|prepare|" \
    r"make|create|whip up|put together|generate|me|a|an|the|quick|short|new|post|blog|" \
    r"article|email|newsletter|discord|for|on|about|regarding|message|tweet|thread|some|" \
    r"content|piece|up|tone|in|with|of|server|something|take|yo|hey|lets|let's|need|want|" \
    r"i|you|for the|a bit)\b"
TONE_WORDS = r"\b(casual|formal|bullish|bearish|neutral|educational|hype|hyped|hypey|" \
    r"professional|cautious|careful|excited|funny|serious|chill|informal|punchy)\b"


def _which(e: Entities, ctx: Context) -> int | Ask | None:
    """The draft a message means: its number, the one it singles out among those the
    conversation made ("the tsla one", "the first one"), or the one the conversation is
    on; a question when "it" could be several."""
    if any(k in e.ids for k in ("draft", "post", "id")):
        return _draft_id(e)
    if len(e.bare_ints) == 1 and not e.when and re.search(r"\b(draft|post)\b", e.norm):
        return e.bare_ints[0]
    chosen = pick(ctx.drafts, e, ctx.draft_id)
    if chosen is not None and chosen.get("id") is not None:
        return int(chosen["id"])
    if len(ctx.drafts) > 1 and (ctx.draft_ambiguous or PLURAL_REF.search(e.norm)
                                or re.search(r"\bthe \w+ one\b|\bthe (?:draft|post)\b",
                                             e.norm)):
        return Ask("Which draft: " + " or ".join(
            f"{d['id']} ({d.get('symbol') or d.get('channel')})" for d in ctx.drafts[-4:])
            + "?")
    return ctx.draft_id


def _draft_ref(e: Entities, ctx: Context) -> int | None:
    found = _which(e, ctx)
    return found if isinstance(found, int) else None


def _topic(e: Entities) -> str:
    """What the post is about, without the request around it ("draft a punchy post on
    Tesla for the blog" -> "Tesla")."""
    text = e.norm
    text = re.sub(r"\b(make it|keep it|in a|with a)\b.*$", " ", text)  # instructions
    m = re.search(r"\b(?:about|on|regarding|covering|re|explaining|for)\b (.+)$", text)
    topic = m.group(1) if m else text
    topic = re.sub(r"\b(for|to|on) (?:the )?(discord|blog|email|newsletter|server|site|"
                   r"substack|mailing list|subscribers)\b", " ", topic)
    topic = re.sub(TONE_WORDS, " ", topic)
    topic = re.sub(STOP_TOPIC, " ", topic)
    topic = re.sub(r"[^\w$%.&'/\- ]", " ", topic)
    return re.sub(r"\s+", " ", topic).strip(" .,?!-") or (
        f"{e.symbols[0]} market update" if e.symbols else "market update")


def _draft(e: Entities, ctx: Context) -> Built:
    args: Args = {"topic": _topic(e), "channel": e.channel or "discord"}
    symbols = e.symbols or (ctx.symbols[:1] if re.search(r"\b(another|one more|same)\b",
                                                         e.norm) or e.refers_back else [])
    if symbols:
        args["symbol"] = symbols[0]
    if e.tone:
        args["tone"] = e.tone
    if len(e.symbols) > 1 and re.search(r"\b(posts|drafts|one (?:on|for|about)|each|both|"
                                        r"two|2)\b", e.norm):
        return [{**args, "symbol": s, "topic": s} for s in e.symbols]
    return args


def _list_drafts(e: Entities, ctx: Context) -> Args:
    norm = e.norm.replace("drafts", " ")
    for word, status in (("scheduled", "scheduled"), ("queued", "scheduled"),
                         ("published", "published"), ("posted", "published"),
                         ("went out", "published"), ("live", "published"),
                         ("failed", "failed"), ("fail", "failed"), ("didn't go", "failed"),
                         ("not go", "failed"), ("approved", "approved"), ("skipped", "skipped"),
                         ("unpublished", "draft"), ("pending", "draft")):
        if re.search(rf"\b{word}\b", norm):
            return {"status": status}
    return {}


def _needs_draft(tool: str) -> Ask:
    verb = {"show_draft": "show", "edit_draft": "change", "delete_draft": "delete",
            "schedule_content": "schedule", "publish_content": "publish"}[tool]
    return Ask(f"Which draft should I {verb}? Give its number ('list my drafts' shows them).")


def _show(e: Entities, ctx: Context) -> Built:
    draft_id = _which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    return _needs_draft("show_draft") if draft_id is None else {"draft_id": draft_id}


def _edit(e: Entities, ctx: Context) -> Built:
    draft_id = _which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return _needs_draft("edit_draft")
    args: Args = {"draft_id": draft_id}
    title = re.search(r"\b(?:rename|retitle|title)\b(?: it| draft #?\d+| the draft| that)?"
                      r"\s*(?:to|as|:)?\s+(.+)$", e.text, re.IGNORECASE)
    if title:
        args["title"] = title.group(1).strip(" .\"'“”")
        return args
    if e.tone and re.search(rf"{TONE_WORDS}\s*(tone|instead|version|take|vibe)?|"
                            r"\btone\b", e.norm):
        args["tone"] = e.tone
        return args
    instruction = re.sub(r"\b(?:draft|post)\s*#?\s*\d+\s*:?\s*", " ", e.norm)
    instruction = re.sub(r"\s+", " ", instruction).strip(" :,.")
    args["instruction"] = instruction or "improve it"
    return args


def _delete(e: Entities, ctx: Context) -> Built:
    draft_id = _which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    return _needs_draft("delete_draft") if draft_id is None else {"draft_id": draft_id}


def _schedule(e: Entities, ctx: Context) -> Built:
    draft_id = _which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return _needs_draft("schedule_content")
    if not e.when:
        return Ask(f"When should draft {draft_id} go out? e.g. 'tomorrow 9am', 'friday at "
                   "the close' or 'in 2 hours'.")
    return {"draft_id": draft_id, "when": e.when}


def _publish(e: Entities, ctx: Context) -> Built:
    draft_id = _which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return _needs_draft("publish_content")
    if e.when and not re.search(r"\b(now|right now|asap|immediately)\b", e.norm):
        return Call("schedule_content", {"draft_id": draft_id, "when": e.when})
    return {"draft_id": draft_id}


# ---- when an intent applies, and evidence beyond its words -----------------------------

def _new_draft_ok(e: Entities, ctx: Context) -> bool:
    """A message naming a draft, alert or decision by number is never a new draft."""
    return not any(k in e.ids for k in ("draft", "post", "alert", "decision", "option"))


def _no_decision(e: Entities, ctx: Context) -> bool:
    return "decision" not in e.ids and "alert" not in e.ids


def _about_drafts(e: Entities, ctx: Context) -> bool:
    """A draft is meant: said so, or the conversation is on drafts."""
    if not _no_decision(e, ctx) or re.search(r"\b(alerts?|watchlist|watch list)\b", e.norm):
        return False
    return bool(any(k in e.ids for k in ("draft", "post")) or re.search(
        r"\b(drafts?|posts?|articles?|newsletter|emails?)\b", e.norm)
        or ctx.last_tool in DRAFT_TOOLS)


def _channel_evidence(e: Entities, ctx: Context) -> float:
    head = re.match(r"(blog|discord|newsletter|email|post|article|tweet|thread)\b", e.norm)
    return 1.5 if head or e.channel and e.tone else 0.0


def _names_draft(e: Entities, ctx: Context) -> float:
    return 2.0 if any(k in e.ids for k in ("draft", "post")) else 0.0


PUBLISH_VERB = re.compile(r"\b(publish\w*|post|posting|send|ship|push|go live|goes live|release|"
                          r"put (?:it )?out|out now|push (?:it )?live|approve|fire it off|blast)\b")


def _may_publish(e: Entities, ctx: Context) -> bool:
    return _no_decision(e, ctx) and bool(PUBLISH_VERB.search(e.norm))


DRAFT_REF = re.compile(r"\b(it|that one|this one|the draft|the post|the newsletter|the article|"
                       r"the blog(?: post)?|the discord one|the \w+ one|both|them)\b")


def _timed(e: Entities, ctx: Context) -> float:
    named = any(k in e.ids for k in ("draft", "post")) or (
        ctx.draft_id is not None and bool(DRAFT_REF.search(e.norm)))
    return 3.0 if e.when and named else 0.0


def _shown(e: Entities, ctx: Context) -> float:
    return 1.5 if ctx.draft_id is not None and ctx.last_tool in DRAFT_TOOLS and \
        e.refers_back else 0.0


def _schedule_ok(e: Entities, ctx: Context) -> bool:
    return _no_decision(e, ctx) and bool(
        e.when or any(k in e.ids for k in ("draft", "post")) or e.refers_back)


# ---- follow-ups about the draft the conversation is on ----------------------------------

def _about_draft(ctx: Context) -> bool:
    return ctx.draft_id is not None and ctx.last_tool in DRAFT_TOOLS


def _change_draft(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make it punchier', 'shorter', 'bearish instead', 'add the disclaimer'."""
    if not _about_draft(ctx) or e.symbols or e.ids or e.when:
        return None
    if not re.search(r"\b(make it|shorter|longer|punchier|tighter|snappier|simpler|cut|trim|"
                     r"add|remove|rewrite|reword|tone|instead|more|less|rename|retitle|"
                     r"fix|change|spicier|softer|friendlier|too)\b", e.norm) and not e.tone:
        return None
    return "edit_draft", _edit(e, ctx)


def _another_draft(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and one for amd', 'make another one for the blog', 'draft another one, bearish
    this time', 'and a discord teaser for it': another draft like the last one."""
    if not ctx.drafts or ctx.last_tool not in (*DRAFT_TOOLS, "decide", "undo") or \
            not re.search(r"\b(another|one more|one for|same for|and one|also one|same thing "
                          r"for|and a|also a|plus a|teaser|version for|copy for)\b", e.norm):
        return None
    last = ctx.drafts[-1]
    own_topic = bool(re.search(r"\b(?:about|on|regarding|covering)\b \w", e.norm))
    args: Args = {"topic": _topic(e) if e.symbols or own_topic else
                  last.get("topic") or "market update",
                  "channel": e.channel or last.get("channel") or "discord"}
    symbol = e.symbols[0] if e.symbols else None if own_topic else last.get("symbol")
    if symbol:
        args["symbol"] = symbol
    if e.tone or last.get("tone"):
        args["tone"] = e.tone or last.get("tone")
    return "draft_content", args


def _status_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'anything failed?' / 'and the published ones' after listing drafts."""
    if ctx.last_tool != "list_drafts":
        return None
    args = _list_drafts(e, ctx)
    return ("list_drafts", args) if args else None


GRAMMAR = Grammar(
    intents=(
        Intent(
            "draft_content",
            {"draft": 3, "write": 3, "compose": 3, "blog post": 3.5, "newsletter": 3,
             "post about": 3.5, "post on": 3, "write up": 3, "article": 3, "tweet": 2.5,
             "thread": 1.5, "content": 1.5, "prepare": 2, "whip up": 3, "put together": 2.5,
             "email": 1.5, "post": 1.2, "recap": 2, "take on": 2, "blog": 1.5,
             "update about": 3, "discord update": 3, "write post": 3.5, "piece on": 3,
             "teaser": 2.5, "heads-up for": 2.5, "announcement": 2.5},
            _draft,
            vetoes=("publish", "schedule", "my drafts", "list", "show drafts", "drafts",
                    "alert me", "notify", "delete", "scrap", "trash", "bin",
                    "rename", "show draft", "open draft", "edit", "shorten", "sched", "queue",
                    "post it", "post draft", "push", "ship", "have i", "did i", "ever",
                    "skipped", "last time", "twitter", "instagram", "linkedin", "reddit",
                    "tiktok", "is publishing", "working", "never showed", "did not show",
                    "broken"),
            examples=("draft a discord post about sym", "write a blog post on sym",
                      "newsletter draft on this weeks recap", "whip up a hype post for sym",
                      "bearish take on sym for the blog", "write up a market recap",
                      "compose an email about sym", "post for the discord on sym earnings"),
            mutating=True,
            when=_new_draft_ok,
            boost=_channel_evidence,
        ),
        Intent(
            "list_drafts",
            {"drafts": 4, "my drafts": 4, "list": 1, "show": 1, "pending": 1, "queue": 2,
             "content queue": 3, "what content": 2.5, "unpublished": 3, "posts": 1.5,
             "published posts": 3, "scheduled": 2.5, "whats scheduled": 4,
             "what is scheduled": 4, "going out": 2, "to go out": 2.5, "failed to": 2},
            _list_drafts,
            vetoes=("publish draft", "delete", "decision", "decisions", "schedule draft",
                    "schedule it"),
            examples=("my drafts", "show my drafts", "which drafts are scheduled",
                      "any drafts fail to go out", "show published posts"),
        ),
        Intent(
            "show_draft",
            {"show draft": 4.5, "open draft": 4.5, "see draft": 4, "read draft": 4,
             "view draft": 4.5, "what does draft": 4.5, "draft say": 3, "show me": 1,
             "show": 0.8, "let me see": 1.5, "lemme see": 1.5, "display": 1.5, "preview": 2.5,
             "in draft": 3, "whats in": 2, "what is in": 2, "read": 2.5, "look at": 1.5,
             "let me read": 3.5},
            _show,
            vetoes=("drafts", "publish", "schedule", "delete", "chart", "alerts"),
            examples=("show draft ref", "open draft ref", "lemme see draft ref",
                      "what does draft ref say", "show me", "preview it"),
            when=_no_decision,
            boost=_shown,
        ),
        Intent(
            "edit_draft",
            {"edit": 3, "rewrite": 3, "reword": 3, "rename": 3.5, "retitle": 3.5,
             "shorten": 3.5, "punchier": 3.5, "shorter": 3, "longer": 2.5, "tone": 1.5,
             "make draft": 3, "add the disclaimer": 3, "instead": 1, "tighten": 3,
             "fix": 1.5, "change draft": 3, "tweak": 3, "take out": 2, "out of": 1,
             "add": 1, "remove": 1, "draft": 0.5, "more": 1, "less": 1, "trim": 3,
             "too long": 3, "condense": 3, "simplify": 2, "clean up": 2.5, "polish": 2.5,
             "fix typos": 3, "cut": 2, "tone down": 3, "spice up": 3, "tighter": 3},
            _edit,
            vetoes=("publish", "schedule", "alert", "delete"),
            examples=("make draft ref punchier", "rewrite draft ref in an educational tone",
                      "rename draft ref to the title", "shorten draft ref",
                      "draft ref add the disclaimer", "draft ref bearish tone instead"),
            mutating=True,
            when=_no_decision,
            boost=_names_draft,
        ),
        Intent(
            "delete_draft",
            {"delete": 2.5, "remove": 2.5, "scrap": 3, "trash": 3, "bin": 3, "discard": 3,
             "kill": 2, "ditch": 3, "toss": 3, "draft": 1.5, "post": 0.5, "get rid of": 3},
            _delete,
            vetoes=("alert", "alerts", "watchlist", "note", "decision"),
            examples=("delete draft ref", "scrap draft ref", "trash draft ref its stale",
                      "bin draft ref"),
            mutating=True,
            when=_about_drafts,
        ),
        Intent(
            "schedule_content",
            {"schedule": 4, "sched": 4, "queue up": 3, "queue": 2.5, "plan": 1.5,
             "post at": 2, "publish at": 3, "publish tomorrow": 3, "later": 1,
             "tomorrow": 1, "draft": 1, "for tomorrow": 1.5, "go out": 2, "put": 1, "out at": 2},
            _schedule,
            missing="Which draft, and when? e.g. 'schedule draft 2 for tomorrow 9am'.",
            vetoes=("briefing", "jobs", "alert"),
            examples=("schedule draft ref for tomorrow 9am", "queue draft ref for friday",
                      "post draft ref in 2 hours", "schedule it for tomorrow 9am"),
            mutating=True,
            when=_schedule_ok,
            boost=_timed,
        ),
        Intent(
            "publish_content",
            {"publish": 4, "go live": 3.5, "post it": 3, "send it": 3, "ship": 2.5,
             "push out": 3, "push": 2, "release": 2, "send out": 3, "draft": 1,
             "post draft": 3.5, "live": 1.5, "send": 2, "out now": 2},
            _publish,
            missing="Which draft number should I publish? 'list drafts' shows them.",
            vetoes=("schedule", "how many", "published drafts", "list", "show",
                    "published posts", "alert", "failed", "which posts", "what posts",
                    "twitter", "instagram", "linkedin", "reddit", "tiktok"),
            examples=("publish draft ref", "post draft ref now", "push draft ref live",
                      "ship draft ref", "publish it"),
            mutating=True,
            when=_may_publish,
            boost=_names_draft,
        ),
    ),
    words=frozenset({"draft", "drafts", "publish", "schedule", "newsletter", "article"}),
    follow_ups=(FollowUp("another-draft", _another_draft), FollowUp("drafts-again", _status_again),
                FollowUp("change-draft", _change_draft)),
    refusals=(Refusal("other-channels",
                      r"\b(post|publish|share|tweet|put|send|draft|write|cross-?post)\b.{0,40}"
                      r"\b(twitter|x\.com|instagram|insta|linkedin|reddit|tiktok|facebook|"
                      r"bluesky|youtube|telegram)\b",
                      "I publish to Discord, your blog (WordPress) and the email newsletter "
                      "only. Say e.g. 'draft a discord post on TSLA' or 'write a blog post on "
                      "NVDA'."),),
)
