"""Runs eval suites, renders a summary, saves a JSON report, checks thresholds."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.evaluators import SUITES, EvalContext, SuiteResult, size

# Set from the measured offline scores (see the README); CI fails below them.
THRESHOLDS = {
    "routing": 0.95,
    "routing_holdout": 0.8,
    "trajectories": 0.9,
    "memory": 0.8,
    "review": 0.95,
    "grounding": 1.0,
    # the bar of issue #16: held out >= 0.95 per turn, >= 0.90 per conversation turn
    "heldout_turns": 0.95,
    "heldout_conversations": 0.9,
    "heldout2_turns": 0.95,
    "heldout2_conversations": 0.9,
    "heldout3_turns": 0.95,
    "heldout3_conversations": 0.9,
    "dev_turns": 0.95,
    "dev_conversations": 0.9,
}


def report_dict(model: str, results: list[SuiteResult], seconds: float) -> dict[str, Any]:
    return {
        "model": model,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        "suites": {
            r.suite: {
                "metric": r.metric, "score": round(r.score, 4), "cases": r.cases,
                "threshold": THRESHOLDS.get(r.suite), "passed": passes(r),
                "failures": [asdict(f) for f in r.failures], "details": r.details,
            } for r in results
        },
    }


def passes(result: SuiteResult) -> bool:
    """Above the suite's threshold, and not one harmful action."""
    return result.score >= THRESHOLDS.get(result.suite, 0.0) and \
        not result.details.get("harmful", 0)


async def run(suites: list[str], model: str, make_model: Any, dataset: str | None = None,
              console: Any = None, show_progress: bool = True) -> tuple[list[SuiteResult], float]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        from core.errors import InvalidInput

        raise InvalidInput(f"Unknown suite {unknown[0]!r}; choose from {', '.join(SUITES)}.")
    started = time.perf_counter()
    results = []
    total = sum(size(s, dataset if s == "routing" else None) for s in suites)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console, disable=not show_progress, transient=True) as progress:
        task = progress.add_task("evaluating", total=total)
        for name in suites:
            progress.update(task, description=f"{name:<16}")
            evaluator, _ = SUITES[name]
            ctx = EvalContext(model, make_model, lambda n: progress.advance(task, n),
                              dataset if name == "routing" else None)
            results.append(await evaluator(ctx))
    return results, time.perf_counter() - started


def render(results: list[SuiteResult], model: str, seconds: float, console: Any,
           max_failures: int = 8) -> None:
    from rich.table import Table

    table = Table("suite", "metric", "score", "threshold", "cases", "harmful", "result",
                  title=f"victor-copilot evals — model: {model} ({seconds:.1f} s)")
    for r in results:
        threshold = THRESHOLDS.get(r.suite)
        ok = passes(r)
        table.add_row(r.suite, r.metric, f"{r.score:.3f}",
                      f"{threshold:.2f}" if threshold is not None else "-", str(r.cases),
                      str(r.details.get("harmful", "-")),
                      "[green]pass[/]" if ok else "[red]FAIL[/]")
    console.print(table)
    for r in results:
        if not r.failures:
            continue
        console.print(f"[bold]{r.suite}[/]: {len(r.failures)} failing case(s)")
        for f in r.failures[:max_failures]:
            console.print(f"  • {f.case}\n      expected {f.expected}\n      got      {f.got}")
        if len(r.failures) > max_failures:
            console.print(f"  …and {len(r.failures) - max_failures} more in the JSON report")


def save(report: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"eval-{report['model']}-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return path


def upload_langsmith(report: dict[str, Any], api_key: str | None) -> str:
    """Upload each suite's cases and scores as a LangSmith dataset + experiment runs."""
    if not api_key:
        return ("LangSmith upload skipped: set LANGSMITH_API_KEY to upload datasets and "
                "results (nothing was sent).")
    from langsmith import Client

    client = Client(api_key=api_key)
    project = f"victor-copilot-evals-{report['model']}-{report['date']}"
    for name, suite in report["suites"].items():
        dataset_name = f"victor-copilot-{name}"
        if not client.has_dataset(dataset_name=dataset_name):
            client.create_dataset(dataset_name, description=f"victor-copilot {name} eval cases")
        client.create_run(name=f"eval:{name}", run_type="chain", project_name=project,
                          inputs={"suite": name, "cases": suite["cases"]},
                          outputs={"score": suite["score"], "failures": suite["failures"]})
    return f"Uploaded {len(report['suites'])} suites to LangSmith project {project}."
