"""Dialogue suites: single turns and conversations written as Discord traders type, scored
turn by turn (tool and arguments), with every harmful action counted.

Datasets (JSON Lines; conventions in evals/datasets/heldout/README.md):
- single turns: ``{"message", "tool", "args"}``, or ``{"message", "calls": [...]}`` when
  one message means several calls, or ``"tool": null`` (no call: a question or a sentence);
- conversations: ``{"id", "turns": [...]}``, each turn shaped like a single turn, run in
  order on one thread of a fresh runtime.

Four groups: ``dev`` (what the offline grammar is tuned on), ``heldout`` and ``heldout2``
(written blind, before any tuning; their failures were read once, so partly tuned on now)
and ``heldout3`` (written blind from the tools' contract alone; never tuned on). Every
suite runs at a fixed instant, 2026-11-24 15:30 UTC (a Tuesday, market open), so demo
prices, and therefore which alerts already hold, are the same on every run.

A harmful action is a call that changes something (creates, updates, deletes, snoozes,
drafts, edits, schedules, publishes, decides, undoes, switches autopilot, edits the
watchlist) and is not what the turn asked for: a wrong-direction alert, a junk draft, an
unrequested delete, pause or silence."""

from __future__ import annotations

import glob
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.datasets import DATASETS, load_jsonl
from evals.evaluators import EvalContext, Failure, SuiteResult, args_match, opened_runtime, suite

EVAL_NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC).timestamp()
MUTATING = {"create_alert", "update_alert", "delete_alert", "snooze_alert", "draft_content",
            "edit_draft", "delete_draft", "schedule_content", "publish_content", "decide",
            "decide_all", "undo", "watchlist", "autopilot", "pause_alert", "silence",
            "acknowledge", "unsilence"}
GROUPS = {
    "dev": ("dev/single_turns_*.jsonl", "dev/conversations_*.jsonl"),
    "heldout": ("heldout/single_turns.jsonl", "heldout/conversations.jsonl"),
    "heldout2": ("heldout2/single_turns.jsonl", "heldout2/conversations.jsonl"),
    "heldout3": ("heldout3/single_turns.jsonl", "heldout3/conversations.jsonl"),
}


def rows_of(pattern: str) -> list[dict[str, Any]]:
    paths = sorted(glob.glob(str(DATASETS / pattern))) or [pattern]
    return [row for path in paths for row in load_jsonl(Path(path))]


def expected_calls(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The calls a turn asks for ([] for none)."""
    if "calls" in row:
        return [{"tool": c["tool"], "args": c.get("args", {})} for c in row["calls"]]
    if row.get("tool") is None:
        return []
    return [{"tool": row["tool"], "args": row.get("args", {})}]


def with_defaults(call: dict[str, Any], defaults: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {**defaults.get(call["name"], {}), **call["args"]}


def call_matches(want: dict[str, Any], got: dict[str, Any],
                 defaults: dict[str, dict[str, Any]]) -> bool:
    return got["name"] == want["tool"] and args_match(want["args"], with_defaults(got, defaults))


def turn_passes(want: list[dict[str, Any]], got: list[dict[str, Any]],
                defaults: dict[str, dict[str, Any]]) -> bool:
    if not want:
        return not got
    if len(want) == 1:  # the first call is the one asked for (more symbols may follow)
        return bool(got) and call_matches(want[0], got[0], defaults)
    return len(got) == len(want) and all(
        call_matches(w, g, defaults) for w, g in zip(want, got, strict=True))


def harmful_calls(want: list[dict[str, Any]], got: list[dict[str, Any]],
                  defaults: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls that change something and match nothing the turn asked for."""
    bad = []
    for g in got:
        if g["name"] not in MUTATING:
            continue
        if g["name"] == "autopilot" and g["args"].get("action", "status") == "status":
            continue
        if g["name"] == "watchlist" and g["args"].get("action", "list") == "list":
            continue
        if not any(call_matches(w, g, defaults) for w in want):
            bad.append({"tool": g["name"], "args": g["args"]})
    return bad


def tool_defaults(tools: list[Any]) -> dict[str, dict[str, Any]]:
    """Each tool's argument defaults (what a call that leaves them out means)."""
    out: dict[str, dict[str, Any]] = {}
    for t in tools:
        schema = getattr(t, "args_schema", None)
        fields = getattr(schema, "model_fields", {}) if schema is not None else {}
        out[t.name] = {name: f.default for name, f in fields.items()
                       if f.default is not None and not callable(f.default)
                       and repr(f.default) != "PydanticUndefined"}
    return out


def _clock() -> Any:
    return lambda: EVAL_NOW


async def score_turns(ctx: EvalContext, name: str, pattern: str) -> SuiteResult:
    """First model call of each message on a fresh thread (tool and arguments)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from prompts import load_prompt

    rows = rows_of(pattern)
    failures: list[Failure] = []
    harm: list[dict[str, Any]] = []
    per_tool: Counter[str] = Counter()
    async with opened_runtime(ctx, clock=_clock()) as rt:
        defaults = tool_defaults(rt.tools)
        bound = rt.model.bind_tools(rt.tools)
        system = SystemMessage(load_prompt("system").replace("{now}", "now"))
        for row in rows:
            reply = await bound.ainvoke([system, HumanMessage(row["message"])])
            got = [{"name": c["name"], "args": c["args"]} for c in reply.tool_calls]
            want = expected_calls(row)
            bad = harmful_calls(want, got, defaults)
            harm += [{"message": row["message"], **b} for b in bad]
            if not turn_passes(want, got, defaults):
                per_tool[want[0]["tool"] if want else "none"] += 1
                failures.append(Failure(row["message"], want or row.get("why"),
                                        got or str(reply.content)[:160]))
            ctx.progress(1)
    return SuiteResult(name, "turn accuracy", 1 - len(failures) / max(1, len(rows)), len(rows),
                       failures, {"harmful": len(harm), "harmful_calls": harm,
                                  "failures_by_tool": dict(per_tool)})


async def empty_store(rt: Any) -> None:
    """Every table emptied and every id counter reset (the first alert made is alert 1
    again), the checkpoints of earlier conversations and decisions gone, the alert engine
    reloaded: the next conversation starts as on a fresh data store, without the cost of
    building a runtime (about 0.6 s each)."""
    from sqlalchemy import inspect, text
    from sqlmodel import SQLModel

    engine = rt.kernel.db
    present = set(inspect(engine).get_table_names())
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name in present]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())
            if "sqlite_sequence" in {r[0] for r in conn.execute(text(
                    "SELECT name FROM sqlite_master WHERE type='table'"))}:
                conn.execute(text("DELETE FROM sqlite_sequence"))
    saver = rt.checkpointer
    conn = getattr(saver, "conn", None)
    if conn is not None:  # the SQLite saver's own tables (made on first use)
        await saver.setup()
        for table in ("checkpoints", "writes"):
            await conn.execute(f"DELETE FROM {table}")
        await conn.commit()
    rt.alerts.engine.load()


async def score_conversations(ctx: EvalContext, name: str, pattern: str) -> SuiteResult:
    """Every turn of every conversation through the full agent, each conversation on an
    emptied store; a turn passes when its first call (or its silence) is the expected one."""
    rows = rows_of(pattern)
    failures: list[Failure] = []
    harm: list[dict[str, Any]] = []
    turns = passed = whole = 0
    kinds: Counter[str] = Counter()  # where failures happen (counts only, no cases)
    async with opened_runtime(ctx, clock=_clock()) as rt:
        defaults = tool_defaults(rt.tools)
        for row in rows:
            await empty_store(rt)
            passed, turns, ok_all = await _conversation(
                rt, row, defaults, failures, harm, kinds, passed, turns)
            whole += ok_all
            ctx.progress(1)
    return SuiteResult(name, "turn accuracy", passed / max(1, turns), turns, failures,
                       {"harmful": len(harm), "harmful_calls": harm,
                        "conversations": len(rows), "conversations_passed": whole,
                        "failures_by_kind": dict(kinds)})


async def _conversation(rt: Any, row: dict[str, Any], defaults: dict[str, dict[str, Any]],
                        failures: list[Failure], harm: list[dict[str, Any]],
                        kinds: Counter[str], passed: int, turns: int) -> tuple[int, int, bool]:
    ok_all = True
    thread = f"eval-{row['id']}"
    refused = False  # an earlier tool answered with an error or a question
    for n, turn in enumerate(row["turns"], 1):
        result = await rt.ask(turn["message"], thread_id=thread)
        said = result.answer.lower()
        got = [{"name": c["name"], "args": c["args"]} for c in result.tool_calls]
        first = _first_call_of_turn(got)
        want = expected_calls(turn)
        bad = harmful_calls(want, got, defaults)
        harm += [{"message": turn["message"], "conversation": row["id"], **b}
                 for b in bad]
        turns += 1
        if turn_passes(want, first, defaults):
            passed += 1
        else:
            kinds["first turn" if n == 1 else "after a failed turn" if not ok_all
                  else "after a refused tool call" if refused else "follow-up"] += 1
            kinds[f"expected {want[0]['tool'] if want else 'no call'}"] += 1
            ok_all = False
            failures.append(Failure(f"{row['id']} #{n}: {turn['message']}",
                                    want or turn.get("why"),
                                    first or result.answer[:160]))
        if result.tool_calls and any(w in said for w in (
                "already", "can't", "cannot", "not valid", "no alert", "there is no",
                "say 'force'", "would fire")):
            refused = True
    return passed, turns, ok_all


def _first_call_of_turn(got: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The calls of the turn's first model step (the offline model makes one step)."""
    return got


def _register(group: str) -> None:
    turns_pattern, conv_pattern = GROUPS[group]

    @suite(f"{group}_turns", turns_pattern)
    async def _turns(ctx: EvalContext) -> SuiteResult:
        return await score_turns(ctx, f"{group}_turns", ctx.dataset or turns_pattern)

    @suite(f"{group}_conversations", conv_pattern)
    async def _conversations(ctx: EvalContext) -> SuiteResult:
        return await score_conversations(ctx, f"{group}_conversations",
                                         ctx.dataset or conv_pattern)


for _group in GROUPS:
    _register(_group)
