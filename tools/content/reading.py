"""How the content capability reads a request: which draft it means ("the blog one", "it"),
the topic without the request around it, an edit, a time, and the follow-ups about the
draft the conversation is on. Used by its grammar."""

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
    id_of,
    pick,
)
from tools.content.drafting import canonical_tone

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


def which(e: Entities, ctx: Context, final: bool = False) -> int | Ask | None:
    """The draft a message means: its number, the one it singles out among those the
    conversation made ("the tsla one", "the first one"), or the one the conversation is
    on; a question when "it" could be several. For what cannot be taken back (``final``:
    publish, delete), "it" is never the newest of several drafts only because it is the
    newest: a draft must have been singled out (shown, edited, answered) since."""
    if any(k in e.ids for k in ("draft", "post", "id")):
        return _draft_id(e)
    if len(e.bare_ints) == 1 and not e.when and re.search(r"\b(draft|post)\b", e.norm):
        return e.bare_ints[0]
    chosen = pick(ctx.drafts, e, ctx.draft_id)
    if chosen is not None and chosen.get("id") is not None:
        return int(chosen["id"])
    if e.channel and re.search(r"\bthe \w+ (?:one|draft|post)\b", e.norm):  # "the discord one"
        named = [d for d in ctx.drafts if d.get("channel") == e.channel and not d.get("done")]
        if len(named) == 1:
            return int(named[0]["id"])
    if len(ctx.drafts) > 1 and (ctx.draft_ambiguous or PLURAL_REF.search(e.norm)
                                or re.search(r"\bthe \w+ one\b|\bthe (?:draft|post)\b",
                                             e.norm)):
        return Ask("Which draft: " + " or ".join(
            f"{d['id']} ({d.get('symbol') or d.get('channel')})" for d in ctx.drafts[-4:])
            + "?")
    live = [d for d in ctx.drafts if not d.get("skipped") and not d.get("done")]
    if final and ctx.draft_by_recency and len(live) > 1:
        return Ask("Which draft: " + " or ".join(
            f"{d['id']} ({d.get('symbol') or d.get('channel')})" for d in live[-4:]) + "?")
    return ctx.draft_id


def draft_ref(e: Entities, ctx: Context) -> int | None:
    found = which(e, ctx)
    return found if isinstance(found, int) else None


def topic(e: Entities) -> str:
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
    topic = re.sub(r"\b(too|as well|also|instead|again)\s*$", " ", topic.strip())
    topic = re.sub(r"[^\w$%.&'/\- ]", " ", topic)
    return re.sub(r"\s+", " ", topic).strip(" .,?!-") or (
        f"{e.symbols[0]} market update" if e.symbols else "market update")


def draft(e: Entities, ctx: Context) -> Built:
    args: Args = {"topic": topic(e), "channel": e.channel or "discord"}
    symbols = e.symbols or (ctx.symbols[:1] if re.search(
        r"\b(another|one more|same)\b|\b(?:on|about|for|of|covering) (?:it|that|this|them|"
        r"that (?:one|stock|ticker|move))\b", e.norm) else [])
    if symbols:
        args["symbol"] = symbols[0]
    if e.tone:
        args["tone"] = e.tone
    if len(e.symbols) > 1 and re.search(r"\b(posts|drafts|one (?:on|for|about)|each|both|"
                                        r"two|2)\b", e.norm):
        return [{**args, "symbol": s, "topic": s} for s in e.symbols]
    return args


def list_drafts(e: Entities, ctx: Context) -> Args:
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


def needs_draft(tool: str) -> Ask:
    verb = {"show_draft": "show", "edit_draft": "change", "delete_draft": "delete",
            "schedule_content": "schedule", "publish_content": "publish"}[tool]
    return Ask(f"Which draft should I {verb}? Give its number ('list my drafts' shows them).")


def show(e: Entities, ctx: Context) -> Built:
    draft_id = which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    return needs_draft("show_draft") if draft_id is None else {"draft_id": draft_id}


# an edit request that names no change: "edit it", "i want to edit the draft"
NO_CHANGE = re.compile(r"(?:(?:i|we) (?:want|would like|wanna|need) to |can you |could you |"
                       r"let me |lets |let's |please )?(?:edit|change|modify|update|tweak|fix)"
                       r"(?: (?:it|that|this|the draft|the post|my draft|my post|that draft|"
                       r"this draft|that post|this post|the one))?(?: please| pls)?")


def wanted_tone(e: Entities) -> str | None:
    """The tone a message asks for: 'less hype, more neutral' -> neutral; 'less hype' alone
    names none (an instruction, not a tone)."""
    for m in re.finditer(TONE_WORDS, e.norm):
        before = e.norm[:m.start()].split()[-2:]
        if not {"less", "not", "no", "without", "too", "down"} & set(before):
            return canonical_tone(m.group(1)) or e.tone
    return None


def edit(e: Entities, ctx: Context) -> Built:
    draft_id = which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return needs_draft("edit_draft")
    args: Args = {"draft_id": draft_id}
    title = re.search(r"\b(?:rename|retitle|title|headline|(?:call|name) (?=it|that|the))\b"
                      r"(?:it| it| draft #?\d+| the draft| that| the post)?\s*(?:to|as|:)?\s+"
                      r"[\"“']?(.+?)[\"”']?[\s?!.]*$", e.text, re.IGNORECASE)
    if title and not re.fullmatch(r"(?:the )?(?:title|headline|name)", title.group(1).strip(),
                                  re.IGNORECASE):
        args["title"] = title.group(1).strip(" .\"'“”")
        return args
    if re.search(r"\b(title|headline|name)\b", e.norm) and not title:
        return Ask(f"What should draft {draft_id}'s new title be?")
    if title:
        return Ask(f"What should draft {draft_id}'s new title be?")
    wanted = wanted_tone(e)
    if wanted and re.search(rf"{TONE_WORDS}\s*(tone|instead|version|take|vibe)?|"
                            r"\btone\b", e.norm):
        args["tone"] = wanted
        return args
    instruction = re.sub(r"\b(?:draft|post)\s*#?\s*\d+\s*:?\s*", " ", e.norm)
    instruction = re.sub(r"\s+", " ", instruction).strip(" :,.")
    if NO_CHANGE.fullmatch(instruction):  # "i want to edit the draft": what to change?
        return Ask(f"What should I change in draft {draft_id}: the tone (\"make it punchier\"), "
                   "the title (\"rename it to ...\") or a part (\"make it shorter\")?")
    if instruction and not EDIT_WORDS.search(instruction):  # "take draft 2 live"
        return Ask(f"What should I do with draft {draft_id}: show it, change something in "
                   "it (\"make it shorter\"), schedule it, publish it or delete it?")
    args["instruction"] = instruction or "improve it"
    return args


# what an edit request says it changes: without one of these, it is no edit request
EDIT_WORDS = re.compile(
    r"\b(edit|change|rewrite|re-?word|rephrase|make|shorter|longer|short|long|add|remove|"
    r"take (?:out|away|off)|"
    r"cut|trim|fix|tweak|tight\w*|simplif\w*|polish|clean|more|less|drop|replace|mention|"
    r"include|punch\w*|tone|spic\w*|condense|shorten|lengthen|swap|emojis?|disclaimer|typos?|"
    r"intro|ending|outro|sentence|paragraph|line|bullets?|numbers?|chart|link|hashtags?|"
    r"caps|grammar|spelling|wording|casual|formal|friendl\w*|clear\w*|sharp\w*|softer|"
    r"stronger|bolder|calm\w*|tweet|thread|section|headline|call to action|cta|expand|"
    r"elaborate|explain|summar\w*|turn|put|use|say|keep|get rid|without|no|instead|less|"
    r"mention|update|improve|better|redo|again|over)\b")


def delete(e: Entities, ctx: Context) -> Built:
    draft_id = which(e, ctx, final=True)
    if isinstance(draft_id, Ask):
        return draft_id
    return needs_draft("delete_draft") if draft_id is None else {"draft_id": draft_id}


def schedule(e: Entities, ctx: Context) -> Built:
    draft_id = which(e, ctx)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return needs_draft("schedule_content")
    if not e.when:
        return Ask(f"When should draft {draft_id} go out? e.g. 'tomorrow 9am', 'friday at "
                   "the close' or 'in 2 hours'.")
    return {"draft_id": draft_id, "when": e.when}


def publish(e: Entities, ctx: Context) -> Built:
    plural = re.search(r"\b(both|all of them|them all|all|each|the two)\b", e.norm)
    live = [d for d in ctx.drafts if not d.get("skipped")]
    if plural and len(live) >= 2 and not e.ids and not e.when:  # "publish both"
        return [{"draft_id": d["id"]} for d in live[-2 if plural.group(1) in (
            "both", "the two") else -len(live):]]
    draft_id = which(e, ctx, final=True)
    if isinstance(draft_id, Ask):
        return draft_id
    if draft_id is None:
        return needs_draft("publish_content")
    if e.when and not re.search(r"\b(now|right now|asap|immediately)\b", e.norm):
        return Call("schedule_content", {"draft_id": draft_id, "when": e.when})
    return {"draft_id": draft_id}


# ---- when an intent applies, and evidence beyond its words -----------------------------

def new_draft_ok(e: Entities, ctx: Context) -> bool:
    """A message naming a draft, alert or decision by number is never a new draft, nor one
    pointing at a post that exists ("that newsletter can go out") without asking for one."""
    if any(k in e.ids for k in ("draft", "post", "alert", "decision", "option")):
        return False
    return not (EXISTING_POST.search(e.norm) and not CREATE_VERB.search(e.norm))


EXISTING_POST = re.compile(r"\b(?:that|this|the|those|these)\s+(?:\w+\s+)?(?:newsletter|post|"
                           r"draft|email|article|blog post|piece|write-?up)s?\b")
CREATE_VERB = re.compile(r"\b(?:draft|write|compose|make|create|whip|prepare|put together|need|"
                         r"want|generate|cook|do|start|give me|new|another|one more)\b")


def no_decision(e: Entities, ctx: Context) -> bool:
    return "decision" not in e.ids and "alert" not in e.ids


# tools whose turn puts the conversation on something else than drafts
OTHER_TOPICS = ("create_alert", "update_alert", "delete_alert", "snooze_alert", "list_alerts",
                "alert_history", "watchlist", "silence", "acknowledge", "silences", "unsilence",
                "system_health", "recent_errors", "get_quote", "get_price_history",
                "price_chart", "compare_returns", "market_status", "review_architecture")


def about_drafts(e: Entities, ctx: Context) -> bool:
    """A draft is meant: said so, or the conversation is on drafts ("show it" after an
    alert is the alert)."""
    if not no_decision(e, ctx) or re.search(r"\b(alerts?|watchlist|watch list|silences?)\b",
                                             e.norm):
        return False
    if e.symbols and ctx.drafts and not any(d.get("symbol") in e.symbols for d in ctx.drafts) \
            and any(a.get("symbol") in e.symbols for a in ctx.alerts) and \
            not re.search(r"\b(drafts?|posts?|articles?|newsletter|emails?|blog)\b", e.norm):
        return False  # "delete the tsla one": the conversation's TSLA alert, no draft is on TSLA
    if any(k in e.ids for k in ("draft", "post")) or re.search(
            r"\b(drafts?|posts?|articles?|newsletter|emails?|blog|the \w+ one)\b", e.norm):
        return True
    if ctx.last_tool in OTHER_TOPICS:
        return False
    return ctx.last_tool in DRAFT_TOOLS or ctx.draft_id is not None or "id" in e.ids


def channel_evidence(e: Entities, ctx: Context) -> float:
    head = re.match(r"(blog|discord|newsletter|email|post|article|tweet|thread)\b", e.norm)
    return 1.5 if head or e.channel and e.tone else 0.0


def names_draft(e: Entities, ctx: Context) -> float:
    return 2.0 if any(k in e.ids for k in ("draft", "post")) else 0.0


PUBLISH_VERB = re.compile(r"\b(publish\w*|post|posting|send|ship|push|go live|goes live|release|"
                          r"put (?:it )?out|out now|push (?:it )?live|approve|fire it off|blast)\b")


def may_publish(e: Entities, ctx: Context) -> bool:
    return no_decision(e, ctx) and bool(PUBLISH_VERB.search(e.norm)) and about_drafts(e, ctx)


DRAFT_REF = re.compile(r"\b(it|that one|this one|the draft|the post|the newsletter|the article|"
                       r"the blog(?: post)?|the discord one|the \w+ one|both|them)\b")


def timed(e: Entities, ctx: Context) -> float:
    named = any(k in e.ids for k in ("draft", "post")) or (
        ctx.draft_id is not None and bool(DRAFT_REF.search(e.norm)))
    return 3.0 if e.when and named else 0.0


def toned(e: Entities, ctx: Context) -> float:
    """'make it bearish' about the draft the conversation is on: an edit."""
    return 2.0 if e.tone and ctx.draft_id is not None and ctx.last_tool in DRAFT_TOOLS \
        else 0.0


def shown(e: Entities, ctx: Context) -> float:
    return 1.5 if ctx.draft_id is not None and ctx.last_tool in DRAFT_TOOLS and \
        e.refers_back else 0.0


def schedule_ok(e: Entities, ctx: Context) -> bool:
    return no_decision(e, ctx) and about_drafts(e, ctx) and bool(
        e.when or any(k in e.ids for k in ("draft", "post")) or e.refers_back)


# ---- follow-ups about the draft the conversation is on ----------------------------------

def about_draft(ctx: Context) -> bool:
    return ctx.draft_id is not None and ctx.last_tool in DRAFT_TOOLS


def change_draft(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'make it punchier', 'shorter', 'bearish instead', 'add the disclaimer'."""
    if not about_draft(ctx) or e.symbols or e.ids or e.when or PUBLISH_VERB.search(e.norm) or \
            re.search(r"\b(schedule|delete|scrap|skip|show|status)\b", e.norm):
        return None
    if not re.search(r"\b(make it|shorter|longer|punchier|tighter|snappier|simpler|cut|trim|"
                     r"add|remove|rewrite|reword|tone|instead|more|less|rename|retitle|"
                     r"fix|change|spicier|softer|friendlier|too)\b", e.norm) and not e.tone:
        return None
    return "edit_draft", edit(e, ctx)


def another_draft(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'and one for amd', 'make another one for the blog', 'draft another one, bearish
    this time', 'and a discord teaser for it': another draft like the last one."""
    if re.search(r"\b(schedule|publish|post it|delete|scrap|show|skip|edit)\b", e.norm):
        return None
    if not ctx.drafts or ctx.last_tool not in (*DRAFT_TOOLS, "decide", "undo"):
        return None
    last = ctx.drafts[-1]
    # "do a discord one too": the same post for another channel
    elsewhere = bool(e.channel) and e.channel != last.get("channel") and bool(
        re.search(r"\b(one|version|post|cut)\b(?: too| as well| also)?", e.norm))
    if not elsewhere and not re.search(
            r"\b(another|one more|one for|same for|and one|also one|same thing "
            r"for|and a|also a|plus a|teaser|version|copy for|of the same|"
            r"now one|one about|one on|one too|one as well)\b", e.norm):
        return None
    own_topic = bool(re.search(r"\b(?:about|on|regarding|covering)\b \w", e.norm))
    args: Args = {"topic": topic(e) if e.symbols or own_topic else
                  last.get("topic") or "market update",
                  "channel": e.channel or last.get("channel") or "discord"}
    symbol = e.symbols[0] if e.symbols else None if own_topic else last.get("symbol")
    if symbol:
        args["symbol"] = symbol
    if e.tone or last.get("tone"):
        args["tone"] = e.tone or last.get("tone")
    return "draft_content", args


def reschedule(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'actually move it to monday at the open', 'change it to 3pm instead' right after
    scheduling a draft: the same draft, the new time."""
    if ctx.last_tool != "schedule_content" or ctx.draft_id is None or not e.when or \
            e.symbols or not re.search(r"\b(move|change|push|make|shift|reschedule|instead|"
                                       r"actually|rather|no|bump|set)\b", e.norm):
        return None
    draft_id = which(e, ctx)
    if draft_id is None or isinstance(draft_id, Ask):
        return None
    return "schedule_content", {"draft_id": draft_id, "when": e.when}


def status_again(e: Entities, ctx: Context) -> tuple[str, Built] | None:
    """'anything failed?' / 'and the published ones' after listing drafts."""
    if ctx.last_tool != "list_drafts":
        return None
    args = list_drafts(e, ctx)
    return ("list_drafts", args) if args else None
