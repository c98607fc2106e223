"""One evaluator per suite. Each takes an ``EvalContext`` and returns a ``SuiteResult``
(a score in 0..1, the metric's name, and the failing cases with what went wrong)."""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.datasets import PROJECT, check_routing_rows, load_jsonl


@dataclass
class Failure:
    case: str
    expected: Any
    got: Any


@dataclass
class SuiteResult:
    suite: str
    metric: str
    score: float
    cases: int
    failures: list[Failure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class EvalContext:
    model_name: str
    make_model: Callable[[], Any]
    progress: Callable[[int], None] = lambda n: None
    dataset: str | None = None


Evaluator = Callable[[EvalContext], Awaitable[SuiteResult]]
SUITES: dict[str, tuple[Evaluator, str]] = {}


def suite(name: str, dataset: str) -> Callable[[Evaluator], Evaluator]:
    def deco(fn: Evaluator) -> Evaluator:
        SUITES[name] = (fn, dataset)
        return fn

    return deco


def size(name: str, dataset: str | None = None) -> int:
    from evals.dialogue import rows_of

    _, default = SUITES[name]
    rows = rows_of(dataset or default)
    if name == "memory":
        return sum(len(r["queries"]) for r in rows)
    return len(rows)


def args_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """``expected`` is a subset of ``got``: numbers compare numerically, strings without
    case, and ``"*"`` means present with any value."""
    for key, want in expected.items():
        have = got.get(key)
        if want == "*":
            if have is None or have == "":
                return False
            continue
        if isinstance(want, int | float) and not isinstance(want, bool):
            try:
                if abs(float(have) - float(want)) > 1e-6:  # type: ignore[arg-type]
                    return False
            except (TypeError, ValueError):
                return False
        elif str(have).strip().lower() != str(want).strip().lower():
            return False
    return True


async def _route(model: Any, tools: list[Any], message: str) -> list[dict[str, Any]]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from prompts import load_prompt

    reply = await model.bind_tools(tools).ainvoke(
        [SystemMessage(load_prompt("system").replace("{now}", "now")), HumanMessage(message)])
    return list(reply.tool_calls)


@suite("routing", "routing.jsonl")
async def routing(ctx: EvalContext) -> SuiteResult:
    """Does the first model call pick the right tool with the right arguments?"""
    source = ctx.dataset or "routing.jsonl"
    rows = load_jsonl(source)
    check_routing_rows(rows, source)
    async with opened_runtime(ctx) as rt:
        tools = rt.tools
        model = rt.model
        failures: list[Failure] = []
        per_tool: Counter[str] = Counter()
        for row in rows:
            calls = await _route(model, tools, row["message"])
            want = row["tool"]
            if want is None:
                ok = not calls
            else:
                ok = bool(calls) and calls[0]["name"] == want and args_match(
                    row.get("args", {}), calls[0]["args"])
            if not ok:
                per_tool[str(want)] += 1
                failures.append(Failure(row["message"], {"tool": want, "args": row.get("args")},
                                        [{"tool": c["name"], "args": c["args"]} for c in calls]))
            ctx.progress(1)
    return SuiteResult("routing", "accuracy", 1 - len(failures) / len(rows), len(rows), failures,
                       {"failures_by_tool": dict(per_tool)})


def trajectory_match(mode: str, expected: list[str], actual: list[str]) -> bool:
    if mode == "strict":
        return actual == expected
    if mode == "unordered":
        return Counter(actual) == Counter(expected)
    if mode == "subset":  # only expected tools, possibly fewer
        return not (Counter(actual) - Counter(expected))
    if mode == "superset":  # every expected tool, possibly more
        return not (Counter(expected) - Counter(actual))
    raise ValueError(f"unknown match mode {mode!r}")


@suite("routing_holdout", "routing_holdout.jsonl")
async def routing_holdout(ctx: EvalContext) -> SuiteResult:
    """Routing on paraphrases written after the grammar was tuned (never tuned on)."""
    result = await routing(EvalContext(ctx.model_name, ctx.make_model, ctx.progress,
                                       ctx.dataset or "routing_holdout.jsonl"))
    result.suite = "routing_holdout"
    return result


@suite("trajectories", "trajectories.jsonl")
async def trajectories(ctx: EvalContext) -> SuiteResult:
    """Multi-turn conversations through the full graph, each on a fresh runtime."""
    rows = load_jsonl(ctx.dataset or "trajectories.jsonl")
    failures = []
    for row in rows:
        async with opened_runtime(ctx) as rt:
            thread = "eval-" + row["name"].replace(" ", "-")
            actual: list[str] = []
            for turn in row["turns"]:
                result = await rt.ask(turn, thread_id=thread)
                actual += [c["name"] for c in result.tool_calls]
        if not trajectory_match(row.get("match", "strict"), row["expected"], actual):
            failures.append(Failure(f"{row['name']} ({row.get('match', 'strict')})",
                                    row["expected"], actual))
        ctx.progress(1)
    return SuiteResult("trajectories", "match rate", 1 - len(failures) / len(rows), len(rows),
                       failures)


@suite("memory", "memory.jsonl")
async def memory(ctx: EvalContext) -> SuiteResult:
    """recall@k of past decisions for plain-language queries (the configured embedder)."""
    from core.settings import Settings
    from memory.decisions import DecisionMemory
    from memory.embeddings import make_embedder

    rows = load_jsonl(ctx.dataset or "memory.jsonl")
    settings = Settings()
    embedder = make_embedder(settings.embedder, threads=settings.embed_threads)
    total, hits, failures = 0, 0.0, []
    for row in rows:
        with tempfile.TemporaryDirectory() as tmp:
            mem = DecisionMemory(embedder, path=Path(tmp) / "chroma")
            for h in row["history"]:
                mem.remember(decision_id=h["id"], kind=h["kind"], title=h["title"],
                             context=h["context"], symbol=h.get("symbol"), chosen=h["chosen"],
                             chosen_label=h["label"], decided_by="owner", outcome="",
                             created_at=float(h["id"]))
            k = int(row.get("k", 3))
            for q in row["queries"]:
                got = [p.decision_id for p in mem.recall(q["query"], k)]
                relevant = set(q["relevant"])
                recall = len(relevant & set(got)) / len(relevant)
                hits += recall
                total += 1
                if recall < 1:
                    failures.append(Failure(q["query"], sorted(relevant), got))
                ctx.progress(1)
            from memory.store import _CLIENTS

            _CLIENTS.pop((str(Path(tmp) / "chroma"), None), None)
    return SuiteResult("memory", f"recall@k ({embedder.name})", hits / total, total, failures)


@suite("review", "review.jsonl")
async def review(ctx: EvalContext) -> SuiteResult:
    """Finding codes per inventory: micro precision and recall, scored as F1."""
    from tools.architecture.analyzers import analyze
    from tools.architecture.inventory import load_inventory

    rows = load_jsonl(ctx.dataset or "review.jsonl")
    tp = fp = fn = 0
    failures = []
    for row in rows:
        path = Path(row["inventory"])
        path = path if path.is_absolute() else PROJECT / path
        got = {f.code for f in analyze(load_inventory(path))}
        want = set(row["expected"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        if got != want:
            failures.append(Failure(row["inventory"], sorted(want), sorted(got)))
        ctx.progress(1)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SuiteResult("review", "F1", f1, len(rows), failures,
                       {"precision": round(precision, 3), "recall": round(recall, 3)})


@suite("grounding", "grounding.jsonl")
async def grounding(ctx: EvalContext) -> SuiteResult:
    """Drafts must contain no number absent from their data; the checker must catch
    invented numbers."""
    from tools.content.grounding import ungrounded

    rows = load_jsonl(ctx.dataset or "grounding.jsonl")
    failures = []
    async with opened_runtime(ctx) as rt:
        for row in rows:
            if row["kind"] == "draft":
                d = await rt.content.service.draft(row["topic"], row["channel"], row.get("symbol"),
                                           row.get("tone"), notify=False)
                bad = ungrounded(d.body, d.source)
                if bad:
                    failures.append(Failure(f"draft: {row['topic']} ({row['channel']})", [], bad))
            else:
                flagged = bool(ungrounded(row["text"], row["data"]))
                if flagged != row["ungrounded"]:
                    failures.append(Failure(f"check: {row['text']}", row["ungrounded"], flagged))
            ctx.progress(1)
    return SuiteResult("grounding", "pass rate", 1 - len(failures) / len(rows), len(rows),
                       failures)


def opened_runtime(ctx: EvalContext, clock: Callable[[], float] | None = None):
    """A runtime on a throw-away data dir with the model under test (and ``clock``)."""
    import contextlib

    @contextlib.asynccontextmanager
    async def opened():
        import os

        from agent.runtime import open_runtime
        from core.settings import Settings

        with tempfile.TemporaryDirectory() as tmp:
            old = os.environ.get("COPILOT_DATA_DIR")
            os.environ["COPILOT_DATA_DIR"] = tmp
            try:
                kwargs = {"clock": clock} if clock is not None else {}
                async with open_runtime(Settings(), model=ctx.make_model(), **kwargs) as rt:
                    yield rt
            finally:
                if old is None:
                    os.environ.pop("COPILOT_DATA_DIR", None)
                else:
                    os.environ["COPILOT_DATA_DIR"] = old

    return opened()


# the dialogue suites (dev, heldout, heldout2: turns and conversations) register themselves
from evals import dialogue as _dialogue  # noqa: E402,F401
