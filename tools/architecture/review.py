"""Architecture review: inventory in, findings and a migration plan out, as rich text,
markdown or JSON; each review is stored so the weekly job can report what is new."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlmodel import Field, Session, SQLModel, col, select

from tools.architecture.analyzers import Finding, analyze
from tools.architecture.inventory import load_inventory
from tools.architecture.plan import Action, migration_plan

Narrator = Callable[[dict[str, Any]], Awaitable[str]]


class ReviewRecord(SQLModel, table=True):
    __tablename__ = "architecture_reviews"
    id: int | None = Field(default=None, primary_key=True)
    inventory: str
    at: float
    findings_json: str


class Review(BaseModel):
    inventory: str
    source: str
    findings: list[Finding]
    plan: list[Action]
    narrative: str = ""

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def markdown(self) -> str:
        lines = [f"# Architecture review: {self.inventory}", ""]
        if self.narrative:
            lines += [self.narrative, ""]
        lines += [f"## Findings ({len(self.findings)})", ""]
        for f in self.findings:
            lines.append(f"### [{f.severity}] `{f.code}` — {f.title}")
            lines += [f"- {e}" for e in f.evidence]
            lines += [f"\n**Recommendation:** {f.recommendation}", ""]
        lines += ["## Migration plan", ""]
        for a in self.plan:
            lines.append(f"{a.step}. **{a.title}** ({', '.join(a.because)})")
            lines += [f"   - {s}" for s in a.steps]
            lines.append(f"   - _Expected:_ {a.outcome}")
        return "\n".join(lines)

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.severity] = counts.get(f.severity, 0) + 1
        sev = ", ".join(f"{n} {s}" for s, n in counts.items())
        first = f" Start with: {self.plan[0].title}." if self.plan else ""
        return (f"{self.inventory}: {len(self.findings)} findings ({sev}) — "
                f"{', '.join(self.codes)}.{first}")


def offline_narrative(review: Review) -> str:
    if not review.findings:
        return "No findings: the inventory looks lean."
    worst = review.findings[0]
    return (f"The biggest problem is {worst.title.lower()} ({worst.code}). "
            f"{len(review.plan)} steps fix what was found, in order; the first one, "
            f"“{review.plan[0].title}”, makes every later one cheaper.")


class ArchitectureReviewer:
    def __init__(self, engine: Any, default_path: Path | None = None,
                 narrator: Narrator | None = None, clock: Callable[[], float] = time.time) -> None:
        self.sql = engine
        self.default_path = default_path
        self.narrator = narrator
        self.clock = clock

    def resolve(self, path: str | None) -> Path:
        from core.errors import InvalidInput

        if path:
            return Path(path)
        if self.default_path is None:
            raise InvalidInput("Which inventory? Set COPILOT_INVENTORY or pass a YAML file "
                               "(see examples/victor-stack.yaml).")
        return self.default_path

    async def review(self, path: str | None = None, narrate: bool = True,
                     store: bool = False) -> Review:
        """Review once. Only the weekly job stores its result: ad-hoc reviews must not hide
        new findings from the next weekly diff."""
        source = self.resolve(path)
        inv = load_inventory(source)
        findings = analyze(inv)
        review = Review(inventory=inv.name, source=str(source), findings=findings,
                        plan=migration_plan(inv, findings))
        review.narrative = offline_narrative(review)
        if narrate and self.narrator is not None:
            try:
                review.narrative = await self.narrator(json.loads(review.model_dump_json()))
            except Exception:  # noqa: BLE001 - the offline narrative stands
                pass
        if store:
            with Session(self.sql) as s:
                s.add(ReviewRecord(inventory=inv.name, at=self.clock(),
                                   findings_json=json.dumps([f.fingerprint for f in findings])))
                s.commit()
        return review

    def previous(self, inventory: str) -> set[str] | None:
        """Fingerprints of the weekly review before the latest one."""
        with Session(self.sql) as s:
            rows = s.exec(select(ReviewRecord).where(ReviewRecord.inventory == inventory)
                          .order_by(col(ReviewRecord.id).desc()).limit(2)).all()
        return set(json.loads(rows[1].findings_json)) if len(rows) > 1 else None

    async def weekly(self, raise_decision: Callable[[Finding, Review], Awaitable[Any]],
                     path: str | None = None) -> list[Finding]:
        """Review again; raise a decision for each finding the last review did not have."""
        review = await self.review(path, narrate=False, store=True)
        before = self.previous(review.inventory) or set()
        new = [f for f in review.findings if f.fingerprint not in before]
        for finding in new:
            await raise_decision(finding, review)
        return new
