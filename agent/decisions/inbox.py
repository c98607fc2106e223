"""Agent Inbox's protocol, both ways: the interrupt payload a decision parks at
(``HumanInterrupt``) and what an answer means (``HumanResponse``, alone or in Agent
Inbox's list). The buttons, the console, the CLI and Agent Inbox mean the same things:

- ``accept`` runs the recommended option (``args`` is null or the unchanged request);
- ``edit`` runs an option with changed args: ours ``{"option", "args"}`` or Agent Inbox's
  edited ``ActionRequest`` ``{"action", "args": {..., "recommended", "options"}}``;
- ``response`` with an option's id, number or label runs it; any other text is the
  owner's instruction: recorded and acknowledged, the decision stays open;
- ``ignore`` closes it without action.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.decisions import Decision, HumanInterrupt, HumanResponse, Option

TYPES = ("accept", "ignore", "response", "edit")
REQUEST_KEYS = ("decision_id", "options", "recommended", "option")


def interrupt_request(decision: Decision, allow_edit: bool) -> HumanInterrupt:
    """The interrupt payload, shaped like Agent Inbox's ``HumanInterrupt``."""
    return {
        "action_request": {
            "action": decision.kind,
            "args": {"decision_id": decision.id,
                     "options": [o.model_dump() for o in decision.options],
                     "recommended": decision.recommended},
        },
        "config": {"allow_ignore": True, "allow_respond": True, "allow_edit": allow_edit,
                   "allow_accept": decision.recommended is not None},
        "description": decision.prompt_text(),
    }


def as_response(value: Any) -> HumanResponse:
    """Whatever a resume carries, as one ``HumanResponse``: Agent Inbox sends a list of
    them (the first one counts); a bare string is an option (or an instruction)."""
    if isinstance(value, list):
        value = value[0] if value else {"type": "ignore"}
    if isinstance(value, dict) and value.get("type") in TYPES:
        return value  # type: ignore[return-value]
    return {"type": "response", "args": str(value)}


def match_option(options: list[Option] | list[dict[str, Any]], raw: object) -> str | None:
    """An option's id from its id, its 1-based number or its label (any case)."""
    items = [o if isinstance(o, dict) else o.model_dump() for o in options]
    text = str(raw).strip().lower().removeprefix("#")
    if text.isdigit() and 1 <= int(text) <= len(items):
        return str(items[int(text) - 1]["id"])
    for o in items:
        if text in (str(o["id"]).lower(), str(o["label"]).lower()):
            return str(o["id"])
    return None


@dataclass
class Answer:
    """What a response means: an option to run (``option``), an instruction to record
    while the decision stays open (``instruction``), or neither (closed, no action)."""

    option: dict[str, Any] | None = None
    instruction: str | None = None


def interpret(request: HumanInterrupt, response: HumanResponse) -> Answer:
    args = request["action_request"]["args"]
    options = {o["id"]: o for o in args["options"]}
    kind = response.get("type")
    given = response.get("args")
    if kind == "ignore":
        return Answer()
    if kind == "accept":
        picked = options.get(args.get("recommended") or "")
        if picked is None:
            return Answer(instruction="accept (nothing is recommended: choose an option)")
        return Answer(dict(picked))
    if kind == "edit":
        picked = _edited(args, options, given if isinstance(given, dict) else {})
        if picked is None:
            return Answer(instruction=f"edit (not understood: {str(given)[:200]})")
        return Answer(picked)
    option_id = match_option(list(options.values()), given if given is not None else "")
    if option_id is not None:
        return Answer(dict(options[option_id]))
    text = str(given or "").strip()
    return Answer(instruction=text) if text else Answer()


def _edited(args: dict[str, Any], options: dict[str, dict[str, Any]],
            edit: dict[str, Any]) -> dict[str, Any] | None:
    if "action" in edit and isinstance(edit.get("args"), dict):  # Agent Inbox's ActionRequest
        # Agent Inbox sends every field the owner edited as a string ("options" as JSON)
        inner: dict[str, Any] = {k: _unstring(k, v) for k, v in edit["args"].items()}
        if any(isinstance(inner.get(k), str) for k in ("options", "args")):
            return None  # an edit that is not JSON: said back, the decision stays open
        option_id = str(inner.get("option") or inner.get("recommended")
                        or args.get("recommended") or "")
        changed: dict[str, Any] = {}
        for o in inner.get("options") or []:
            if isinstance(o, dict) and o.get("id") == option_id:
                changed.update(o.get("args") or {})
        if isinstance(inner.get("args"), dict):
            changed.update(inner["args"])
        changed.update({k: v for k, v in inner.items()
                        if k not in REQUEST_KEYS and k != "args"})
    else:  # ours: {"option": id, "args": {...}}
        option_id = str(edit.get("option") or args.get("recommended") or "")
        changed = dict(edit.get("args") or {})
    base = options.get(match_option(list(options.values()), option_id) or "")
    if base is None:
        return None
    return {**base, "args": {**base.get("args", {}), **changed}}


def _unstring(key: str, value: Any) -> Any:
    """A field Agent Inbox turned into text, back to what it was (JSON), when it can be."""
    if key in ("options", "args") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
