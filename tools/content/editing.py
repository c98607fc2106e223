"""Editing drafts: replace the text, write it again in another tone, rename it, or follow
a request in words — by the LLM when one is configured (kept only when grounded), else as
far as the offline co-pilot understands it (tone words, shorter, punchier, the disclaimer,
emoji, "in full", a new title). Every edit passes the grounding check; published drafts
(and drafts being published) can be neither edited nor deleted."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.errors import InvalidInput
from tools.content.drafting import (
    DISCORD_LIMIT,
    TONE_WORDS,
    Polisher,
    _cap,
    _tidy,
    canonical_tone,
    markdown_html,
    polish,
    render,
    tone_choices,
)
from tools.content.grounding import ungrounded
from tools.content.models import ContentDraft, Feedback, Status

# ---- text operations the offline co-pilot can do ---------------------------------------
FILLER = re.compile(r"\b(just|really|quite|very|simply|basically|honestly|I think|for now|"
                    r"a bit|somewhat|perhaps|maybe)\b ?", re.IGNORECASE)
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B06\u2197\u2198]\ufe0f?")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def _is_prose(par: str, disclaimer: str) -> bool:
    first = par.lstrip()
    return not (first.startswith(("#", "- ", "* ", "**", "---", "> ", "_" + disclaimer,
                                  "*" + disclaimer)) or disclaimer in par)


def shorten(text: str, disclaimer: str, punchy: bool = False) -> str:
    """Keep the headline, the first facts and the first sentence of each paragraph; a
    punchier cut also drops filler words and keeps fewer paragraphs."""
    out: list[str] = []
    prose_kept = 0
    for par in re.split(r"\n\s*\n", text.strip()):
        lines = par.splitlines()
        if lines and all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            out.append("\n".join(lines[: 2 if punchy else 3]))
            continue
        if not _is_prose(par, disclaimer):
            out.append(par)
            continue
        if punchy and prose_kept >= 2:
            continue
        sentence = SENTENCE.split(" ".join(par.split()))[0]
        if punchy:
            sentence = FILLER.sub("", sentence)
            sentence = re.sub(r"\s{2,}", " ", sentence).strip()
            sentence = _cap(sentence)
        out.append(sentence)
        prose_kept += 1
    # headings left with nothing under them go too
    kept = [p for i, p in enumerate(out)
            if not (p.startswith("#") and (i + 1 == len(out) or out[i + 1].startswith(("#", "---"))))]
    return _tidy("\n\n".join(kept))


def with_disclaimer(text: str, disclaimer: str, channel: str) -> str:
    if disclaimer.lower() in text.lower():
        return text
    line = f"_{disclaimer}_" if channel == "discord" else (
        f"---\n\n*{disclaimer}*" if channel == "blog" else disclaimer)
    return _tidy(text.rstrip() + "\n\n" + line)


def without_emoji(text: str) -> str:
    return _tidy(re.sub(r"[ \t]{2,}", " ", EMOJI.sub("", text)).replace(" \n", "\n"))


EDITABLE = ("draft", "approved", "scheduled", "failed")  # not published, nobody sending it
CAN_DO = ("I can change its tone ({tones}), make it shorter or punchier, add the disclaimer, "
          "drop the emoji, write it out in full again from its data, or rename it; or send "
          "the new text as `body`.")


@dataclass
class Plan:
    """What an edit request asks for, as far as the offline co-pilot understands it."""

    tone: str | None = None
    shorter: bool = False
    punchier: bool = False
    disclaimer: bool = False
    no_emoji: bool = False
    fuller: bool = False
    title: str | None = None
    refusal: str = ""
    rest: str = ""  # the request without its rename, for the LLM

    @property
    def actionable(self) -> bool:
        return bool(self.tone or self.shorter or self.punchier or self.disclaimer
                    or self.no_emoji or self.fuller or self.title)


# tone words that also mean something else in an edit request ("bear in mind")
_AMBIGUOUS_TONE_WORDS = {"bull", "bear", "fun", "plain", "calm", "serious", "one"}


def understand(instruction: str) -> Plan:
    """'make it bearish and shorter' -> Plan(tone='bearish', shorter=True)."""
    text = " ".join(instruction.split())
    low = text.lower()
    plan = Plan(rest=text)
    m = re.search(r"\b(?:rename(?: it)?(?: to| as)?|call it|name it|title it|retitle(?: it)?"
                  r"(?: to| as)?|(?:set |change )?(?:the )?title(?: to| as|:))\s+(.+)$", text,
                  re.IGNORECASE)
    if m:
        plan.title = m.group(1).strip(" \"'“”‘’.")
        low = low[: m.start()]
        plan.rest = re.sub(r"(?i)[\s,;]*(?:and|then|also|please)?[\s,;]*$", "",
                           text[: m.start()]).strip()
    if re.search(r"\b(remove|drop|delete|without|no|lose|get rid of|strip|take out|skip)\b"
                 r"[\w\s]*\bdisclaimers?\b", low):
        plan.refusal = "The disclaimer stays: every post carries it."
    elif re.search(r"\bdisclaimers?\b", low):
        plan.disclaimer = True
    if re.search(r"\b(no|remove|drop|without|lose|strip|fewer|less|get rid of)\b"
                 r"[\w\s]*\bemojis?\b", low):
        plan.no_emoji = True
    if re.search(r"\b(short(?:er|en)?|trim|cut it down|tighten|tighter|concise|brief(?:er)?|"
                 r"less wordy|fewer words|condense|too long)\b", low):
        plan.shorter = True
    if re.search(r"\b(punch(?:y|ier)|snappier|snappy|crisper|crisp|more direct|bolder|"
                 r"hit harder)\b", low):
        plan.punchier = True
    if re.search(r"\b(longer|more detail(?:ed)?|expand|fuller|in full|elaborate|more context|"
                 r"too short)\b", low):
        plan.fuller = True
    if re.search(r"\b(tone it down|calmer|less (?:\w+ )?(?:hype|hyped|salesy|excited|"
                 r"bullish|bearish|emotional)|more neutral|neutral|objective|balanced)\b", low):
        plan.tone = "neutral"
    else:
        for word in re.findall(r"[a-z]+", low):
            tone = TONE_WORDS.get(word)
            if tone and word not in _AMBIGUOUS_TONE_WORDS:
                plan.tone = tone
                break
    return plan


@dataclass
class Revision:
    """An edit's outcome: the draft as it is now and, in words, what changed."""

    draft: ContentDraft
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class Deleted:
    draft: ContentDraft
    closed: list[int] = field(default_factory=list)  # the decisions closed with it


class Editing:
    """The editing half of ``ContentService`` (a mixin: it shares the service's state)."""

    sql: Engine
    disclaimer: str
    polisher: Polisher | None
    on_delete: Callable[[ContentDraft], Awaitable[list[int]]] | None

    if TYPE_CHECKING:
        def get(self, draft_id: int) -> ContentDraft: ...

    def _unpublished(self, draft_id: int, doing: str) -> ContentDraft:
        d = self.get(draft_id)
        if d.status == Status.published:
            where = f" ({d.external_url})" if d.external_url else ""
            raise InvalidInput(f"Draft {draft_id} is already published{where}, so it can't be "
                               f"{doing}.")
        if d.status == Status.publishing:
            raise InvalidInput(f"Draft {draft_id} is being published right now, so it can't "
                               f"be {doing}.")
        return d

    def _save(self, draft_id: int, doing: str, **values: Any) -> ContentDraft:
        """Set ``values`` unless the draft was published (or claimed) meanwhile."""
        with self.sql.begin() as conn:
            result = conn.execute(
                update(ContentDraft)
                .where(col(ContentDraft.id) == draft_id, col(ContentDraft.status).in_(EDITABLE))
                .values(**values))
        if result.rowcount != 1:
            self._unpublished(draft_id, doing)  # says why
            raise InvalidInput(f"Draft {draft_id} changed meanwhile; try again.")
        return self.get(draft_id)

    def _checked_body(self, d: ContentDraft, body: str) -> str:
        text = body.strip()
        if not text:
            raise InvalidInput("The new text is empty; send the whole post.")
        bad = ungrounded(text, d.source)
        if bad:
            raise InvalidInput(f"The edit adds numbers the data doesn't support: {', '.join(bad)}.")
        if d.channel == "discord" and len(text) > DISCORD_LIMIT:
            raise InvalidInput(f"That text is {len(text):,} characters; a Discord post holds "
                               f"at most {DISCORD_LIMIT:,}.")
        return text + "\n" if not text.endswith("\n") else text

    def edit(self, draft_id: int, body: str) -> ContentDraft:
        """Replace the text (grounding-checked: no number the data doesn't support)."""
        d = self._unpublished(draft_id, "edited")
        text = self._checked_body(d, body)
        return self._save(draft_id, "edited", body=text, polished=False,
                          html=markdown_html(text) if d.channel in ("blog", "email") else "")

    async def revise(self, draft_id: int, *, instruction: str | None = None,
                     body: str | None = None, tone: str | None = None,
                     title: str | None = None) -> Revision:
        """Edit a draft: ``body`` replaces the text, ``tone`` writes it again from its data
        in that tone, ``title`` renames it and ``instruction`` is a request in words. With
        an LLM (``polisher``) the request is applied by it and kept only when grounded;
        offline, tone words, shorter, punchier, the disclaimer, emoji, "in full" and a new
        title are understood, and anything else is answered with what can be changed."""
        d = self._unpublished(draft_id, "edited")
        instruction = (instruction or "").strip() or None
        if not (instruction or body is not None or tone or title is not None):
            raise InvalidInput("Say what to change: a tone, a title, the new text or an "
                               "instruction such as 'make it shorter'.")
        rev = Revision(d)
        values: dict[str, Any] = {}
        text, current_tone, polished = d.body, d.tone, d.polished
        if title is not None:
            values["title"] = self._checked_title(title)
            rev.changes.append(f"renamed it “{values['title']}”")
        if tone:
            written = canonical_tone(tone)
            if written is None:
                raise InvalidInput(f"I don't write in a {tone!r} tone; pick one of "
                                   f"{tone_choices()}.")
            text, polished = await self._rerender(d, written, rev, values.get("title"))
            current_tone = values["tone"] = written
            rev.changes.append(f"rewrote it in a {written} tone")
        if body is not None:
            text, polished = self._checked_body(d, body), False
            rev.changes.append("replaced the text")
        if instruction:
            text, current_tone, polished = await self._instruct(
                d, text, current_tone, polished, instruction, rev, values)
        if text != d.body:
            values.update(body=text, polished=polished,
                          html=markdown_html(text) if d.channel in ("blog", "email") else "")
        if current_tone != d.tone:
            values["tone"] = current_tone
        if values:
            rev.draft = self._save(draft_id, "edited", **values)
        return rev

    @staticmethod
    def _checked_title(title: str) -> str:
        clean = " ".join(title.split()).strip(" \"'“”‘’")
        if not clean:
            raise InvalidInput("The new title is empty.")
        if len(clean) > 200:
            raise InvalidInput(f"That title is {len(clean)} characters; keep it under 200.")
        return clean

    async def _rerender(self, d: ContentDraft, tone: str, rev: Revision,
                        title: str | None = None) -> tuple[str, bool]:
        drafted = render(d.channel, d.topic, tone, d.source, self.disclaimer,
                         title=title or d.title)
        drafted = await polish(drafted, d.channel, tone, d.source, self.polisher)
        if drafted.note:
            rev.notes.append(drafted.note)
        return drafted.body, drafted.polished

    async def _instruct(self, d: ContentDraft, text: str, tone: str, polished: bool,
                        instruction: str, rev: Revision, values: dict[str, Any]
                        ) -> tuple[str, str, bool]:
        """Apply a request in words: by the LLM when there is one (kept only if grounded),
        else (or when its rewrite is refused) as far as ``understand`` reads it."""
        plan = understand(instruction)
        if plan.title:
            values["title"] = self._checked_title(plan.title)
            rev.changes.append(f"renamed it “{values['title']}”")
        if self.polisher is not None and plan.rest:
            rewrite, problem = await self._llm_edit(d, text, tone, plan.rest)
            if rewrite is not None:
                rev.changes.append("applied your request")
                return rewrite, tone, True
            rev.notes.append(problem)
        if plan.refusal:
            rev.notes.append(plan.refusal)
        if not plan.actionable:
            if not plan.refusal:
                rev.notes.append(CAN_DO.format(tones=tone_choices()))
            return text, tone, polished
        if plan.tone and plan.tone != tone:
            text, polished = await self._rerender(d, plan.tone, rev, values.get("title"))
            tone = plan.tone
            rev.changes.append(f"rewrote it in a {tone} tone")
        elif plan.fuller:
            text, polished = await self._rerender(d, tone, rev, values.get("title"))
            rev.changes.append("wrote it out in full again from its data")
        elif plan.tone:
            rev.notes.append(f"It is already in a {tone} tone.")
        if plan.shorter or plan.punchier:
            cut = shorten(text, self.disclaimer, punchy=plan.punchier)
            if len(cut) < len(text):
                text = cut
                rev.changes.append("made it punchier" if plan.punchier else "made it shorter")
            else:
                rev.notes.append("It is as short as it gets without losing the facts.")
        if plan.disclaimer:
            with_it = with_disclaimer(text, self.disclaimer, d.channel)
            if with_it != text:
                text = with_it
                rev.changes.append("added the disclaimer")
            else:
                rev.notes.append("The disclaimer is already there.")
        if plan.no_emoji:
            plain = without_emoji(text)
            if plain != text:
                text = plain
                rev.changes.append("dropped the emoji")
        return text, tone, polished

    async def _llm_edit(self, d: ContentDraft, text: str, tone: str, instruction: str
                        ) -> tuple[str | None, str]:
        """(the rewrite, "") when it is usable, else (None, why not)."""
        assert self.polisher is not None
        try:
            out = (await self.polisher(text, d.channel, tone, instruction)).strip()
        except Exception as exc:  # noqa: BLE001 - the LLM is optional; the draft stands
            return None, f"The LLM edit failed ({type(exc).__name__})."
        if not out:
            return None, "The LLM's rewrite was empty."
        out = with_disclaimer(out + "\n", self.disclaimer, d.channel)
        bad = ungrounded(out, d.source)
        if bad:
            return None, (f"The LLM's rewrite added numbers the data doesn't support "
                          f"({', '.join(bad[:5])}), so I didn't keep it.")
        if d.channel == "discord" and len(out) > DISCORD_LIMIT:
            return None, "The LLM's rewrite was too long for Discord, so I didn't keep it."
        return out, ""

    async def delete(self, draft_id: int) -> Deleted:
        """Delete a draft that is not published (nor being published); its pending
        content decision is closed (``on_delete``)."""
        d = self._unpublished(draft_id, "deleted")
        with self.sql.begin() as conn:
            result = conn.execute(sql_delete(ContentDraft).where(
                col(ContentDraft.id) == draft_id, col(ContentDraft.status).in_(EDITABLE)))
            if result.rowcount == 1:
                conn.execute(sql_delete(Feedback).where(col(Feedback.draft_id) == draft_id))
        if result.rowcount != 1:
            self._unpublished(draft_id, "deleted")  # published or claimed meanwhile: says so
            raise InvalidInput(f"Draft {draft_id} changed meanwhile; try again.")
        closed = await self.on_delete(d) if self.on_delete is not None else []
        return Deleted(d, closed)
