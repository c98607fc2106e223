"""Recommendations and autopilot verdicts from memory of past choices."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import structlog

from core.decisions import Option
from memory.decisions import DecisionMemory, PastChoice

log = structlog.get_logger(__name__)


@dataclass
class Recommendation:
    option: str | None
    rationale: str
    cited: list[int] = field(default_factory=list)
    agreeing: int = 0
    considered: int = 0
    memory_ok: bool = True  # the memory was complete and readable: autopilot may trust it


class Recommender:
    def __init__(self, memory: DecisionMemory | None, n: int = 5, threshold: float = 0.6) -> None:
        self.memory = memory
        self.n = n
        self.threshold = threshold

    def last_similar(self, kind: str, text: str) -> list[PastChoice]:
        """The N most recent past decisions of this kind that are similar enough."""
        if self.memory is None:
            return []
        close = [p for p in self.memory.similar(text, kind, k=max(20, self.n * 4))
                 if p.similarity >= self.threshold]
        close.sort(key=lambda p: p.created_at, reverse=True)
        return close[: self.n]

    def recommend(self, kind: str, text: str, options: list[Option],
                  default: str | None = None) -> Recommendation:
        """Never raises: without a readable memory the default is recommended, saying so,
        so a decision is always raised."""
        ids = {o.id for o in options}
        labels = {o.id: o.label for o in options}
        fallback = default if default in ids else (options[0].id if options else None)
        try:
            recent = self.last_similar(kind, text)  # undone choices count, as disagreement
        except Exception as exc:  # noqa: BLE001 - memory must never stop a decision
            log.warning("memory unavailable for a recommendation", kind=kind,
                        error=f"{type(exc).__name__}: {exc}")
            return Recommendation(
                fallback, "The memory of past decisions is unavailable right now, so this "
                "is the default." if fallback else "", memory_ok=False)
        state = getattr(self.memory, "state", "ok")
        rebuilding = state in ("checking", "rebuilding", "down")
        past = [p for p in recent if p.chosen in ids]
        if not past:
            if rebuilding:
                return Recommendation(
                    fallback, "The memory of past decisions is being rebuilt from the "
                    "decision log, so this is the default." if fallback else "",
                    memory_ok=False)
            return Recommendation(
                fallback, "No similar past decisions yet, so this is the default."
                if fallback else "", [], 0, 0)
        counts = Counter(p.chosen for p in past)
        choice, agreeing = counts.most_common(1)[0]
        cited = [p.decision_id for p in past if p.chosen == choice]
        subject = past[0].symbol or kind.replace("_", " ")
        refs = ", ".join(f"#{i}" for i in cited[:5])
        undone = sum(1 for p in recent if p.chosen.startswith("undone:"))
        rationale = (f"You chose “{labels[choice]}” for {agreeing} of the last {len(recent)} "
                     f"similar {subject} decisions ({refs})"
                     + (f"; {undone} of them undone." if undone else ".")
                     + (" (The memory is still being rebuilt from the decision log.)"
                        if rebuilding else ""))
        return Recommendation(choice, rationale, cited, agreeing, len(recent),
                              memory_ok=not rebuilding)

    def autopilot_agrees(self, rec: Recommendation) -> bool:
        """Autopilot may act only when the last N similar decisions all chose the same,
        as read from a complete memory (never while it is being rebuilt)."""
        return (rec.memory_ok and rec.option is not None and rec.considered >= self.n
                and rec.agreeing == rec.considered)
