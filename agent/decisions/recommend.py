"""Recommendations and autopilot verdicts from memory of past choices.

Honest by construction: only the owner's own choices whose action worked are counted;
autopilot's choices, failed and undone ones are kept apart and said as such. "Similar"
means the same kind and, when the decision has a symbol, the same symbol; failing that the
same asset class, failing that anything of the kind, and the rationale says which."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import structlog

from core.decisions import Option
from memory.decisions import DecisionMemory, PastChoice

log = structlog.get_logger(__name__)
MAX_REFS = 6  # decision numbers cited in one rationale


@dataclass
class Recommendation:
    option: str | None
    rationale: str
    cited: list[int] = field(default_factory=list)
    agreeing: int = 0
    considered: int = 0
    memory_ok: bool = True  # the memory was complete and readable: autopilot may trust it
    vetoed: bool = False  # a recent similar choice failed or was undone: autopilot waits


def asset_class(symbol: str | None) -> str | None:
    """Equity, ETF, Crypto... (None when unknown)."""
    if not symbol:
        return None
    from core.symbols import UNIVERSE

    row = UNIVERSE.get(symbol)
    if row is not None:
        return row[2]
    return "Crypto" if symbol.endswith("-USD") else None


def refs(ids: list[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:MAX_REFS])
    return shown + (f" and {len(ids) - MAX_REFS} more" if len(ids) > MAX_REFS else "")


class Recommender:
    def __init__(self, memory: DecisionMemory | None, n: int = 5, threshold: float = 0.6) -> None:
        self.memory = memory
        self.n = n
        self.threshold = threshold

    def similar(self, kind: str, text: str, symbol: str | None = None
                ) -> tuple[list[PastChoice], str, str]:
        """Past decisions of this kind, newest first, from the nearest scope that has any
        (same symbol, then same asset class, then anything close enough), and that scope
        in words (and a note when it is not the symbol's own)."""
        if self.memory is None:
            return [], "", ""
        k = max(20, self.n * 4)
        words = kind.replace("_", " ")
        if symbol:
            same = self.memory.similar(text, kind, k, symbol=symbol)
            if same:
                return _newest(same), symbol, ""
        nearest = self.memory.similar(text, kind, k)
        cls = asset_class(symbol)
        if cls is not None:  # the same kind and asset class is similar by definition
            near = [p for p in nearest if asset_class(p.symbol) == cls]
            if near:
                return _newest(near), f"{cls.lower()} {words}", f" (none for {symbol} yet)"
        close = [p for p in nearest if p.similarity >= self.threshold]
        return _newest(close), words, f" (none for {symbol} yet)" if symbol else ""

    def recommend(self, kind: str, text: str, options: list[Option],
                  default: str | None = None, symbol: str | None = None,
                  exclude: int | None = None) -> Recommendation:
        """Never raises: without a readable memory the default is recommended, saying so,
        so a decision is always raised. ``exclude``: the decision itself (asked again
        after an undo), which never counts for or against itself."""
        ids = {o.id for o in options}
        labels = {o.id: o.label for o in options}
        fallback = default if default in ids else (options[0].id if options else None)
        try:
            past, scope, note = self.similar(kind, text, symbol)
        except Exception as exc:  # noqa: BLE001 - memory must never stop a decision
            log.warning("memory unavailable for a recommendation", kind=kind,
                        error=f"{type(exc).__name__}: {exc}")
            return Recommendation(
                fallback, "The memory of past decisions is unavailable right now, so this "
                "is the default." if fallback else "", memory_ok=False)
        past = [p for p in past if p.decision_id != exclude]
        state = getattr(self.memory, "state", "ok")
        rebuilding = state in ("checking", "rebuilding", "down")
        owned = [p for p in past if p.decided_by == "owner" and not p.failed
                 and not p.undone and p.chosen in ids][: self.n]
        apart = _apart(past, owned)
        vetoed = any(p.failed or p.undone for p in past[: self.n])
        if not owned:
            if rebuilding:
                return Recommendation(
                    fallback, "The memory of past decisions is being rebuilt from the "
                    "decision log, so this is the default." if fallback else "",
                    memory_ok=False)
            mine = [p for p in past if p.decided_by == "owner" and not p.failed
                    and not p.undone][: self.n]
            text_ = ("" if not fallback else
                     "No similar past decisions yet, so this is the default." if not mine else
                     f"What you chose in similar {scope} decisions ({refs([p.decision_id for p in mine])}) "
                     "is not on offer this time, so this is the default.")
            return Recommendation(fallback, (text_ + apart).strip(), vetoed=vetoed)
        counts = Counter(p.chosen for p in owned)
        choice, agreeing = counts.most_common(1)[0]
        cited = [p.decision_id for p in owned if p.chosen == choice]
        rationale = (f"You chose “{labels[choice]}” for {agreeing} of the last {len(owned)} "
                     f"similar {scope} decisions{note} ({refs(cited)})." + apart
                     + (" (The memory is still being rebuilt from the decision log.)"
                        if rebuilding else ""))
        return Recommendation(choice, rationale, cited, agreeing, len(owned),
                              memory_ok=not rebuilding, vetoed=vetoed)

    def autopilot_agrees(self, rec: Recommendation) -> bool:
        """Autopilot may act only when the owner's last N similar choices (that worked and
        stood) all chose the same, as read from a complete memory, and no recent similar
        choice failed or was undone. Its own choices never count."""
        return (rec.memory_ok and not rec.vetoed and rec.option is not None
                and rec.considered >= self.n and rec.agreeing == rec.considered)


def _newest(past: list[PastChoice]) -> list[PastChoice]:
    return sorted(past, key=lambda p: (p.created_at, p.decision_id), reverse=True)


def _apart(past: list[PastChoice], owned: list[PastChoice]) -> str:
    """What was not counted, said apart: autopilot's choices, failed and undone ones."""
    if not owned and not past:
        return ""
    oldest = owned[-1].created_at if owned else float("-inf")
    window = [p for p in past if p.created_at >= oldest and p not in owned]
    failed = [p.decision_id for p in window if p.failed]
    undone = [p.decision_id for p in window if p.undone and not p.failed]
    auto = [p.decision_id for p in window
            if p.decided_by == "autopilot" and not p.failed and not p.undone]
    parts = []
    if auto:
        parts.append(f"autopilot decided {len(auto)} ({refs(auto)})")
    if failed:
        parts.append(f"{len(failed)} failed ({refs(failed)})")
    if undone:
        parts.append(f"{len(undone)} undone ({refs(undone)})")
    return (" Not counted: " + "; ".join(parts) + ".") if parts else ""
