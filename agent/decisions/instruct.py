"""A free-text answer to a decision, acted upon when an LLM is configured: the model may
only pick one of the decision's own options and change values its arguments already
have (never an identifier); anything else leaves the decision open with the
instruction recorded, as without a model."""

from __future__ import annotations

import json
import re
from typing import Any

import structlog

from core.ports import TextModel

log = structlog.get_logger(__name__)
FIXED = re.compile(r"(_id|_ids|matchers|body_sha)$")  # what an instruction never changes


async def read_instruction(llm: TextModel, request_args: dict[str, Any], description: str,
                           instruction: str) -> dict[str, Any] | None:
    """The option (with its args changed as asked) the instruction clearly means, or
    None. A model that fails or answers anything else means None."""
    from prompts import load_prompt

    options = {o["id"]: o for o in request_args.get("options", [])}
    prompt = json.dumps({"question": description, "instruction": instruction,
                         "options": [{"id": o["id"], "label": o["label"], "args": o["args"]}
                                     for o in options.values()]}, default=str)
    try:
        reply = await llm.complete(load_prompt("decision_instruction"), prompt)
        found = re.search(r"\{.*\}", reply, re.DOTALL)
        answer = json.loads(found.group(0)) if found else {}
    except Exception:  # noqa: BLE001 - a model's failure leaves the decision open
        log.warning("could not read an instruction with the model", exc_info=True)
        return None
    picked = options.get(str(answer.get("option"))) if isinstance(answer, dict) else None
    if picked is None:
        return None
    raw = answer.get("args")
    given: dict[str, Any] = raw if isinstance(raw, dict) else {}
    changed = {k: v for k, v in given.items()
               if k in picked["args"] and not FIXED.search(k)
               and type(v) in (int, float, str, bool) and type(picked["args"][k]) in (
                   int, float, str, bool)}
    return {**picked, "args": {**picked["args"], **changed}}
