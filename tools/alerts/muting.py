"""Which alert firings are not told: silences and acknowledgements (the kernel's book)
over a ticker (``symbol``) or one alert (``rule``).

A firing is always recorded (``alert_history`` shows it, "silenced"); while a silence
matches it, no notification is sent and no decision raised. An acknowledgement holds
while the firings it covers keep coming: it is resolved (and the next firing told) once
they stopped for ``quiet_s(rule)`` — twice the rule's cooldown, at least 10 minutes —
or when the alert is edited. The verdict depends only on the firing's time and what is
stored, so the dispatcher and the decision policy always agree on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.silences import Silence, SilenceBook
from tools.alerts.models import AlertRule, Firing, money

MIN_QUIET_S = 600.0


def labels(symbol: str, rule_id: int) -> dict[str, str]:
    return {"symbol": symbol, "rule": str(rule_id)}


def quiet_s(rule: AlertRule | None) -> float:
    """How long firings must stop for an acknowledgement to count as resolved."""
    return max(MIN_QUIET_S, 2 * (rule.cooldown_s if rule is not None else 300.0))


@dataclass
class Verdict:
    reason: str  # "silenced until 15:30 UTC (#3)" / "acknowledged (#4)"
    state: str  # silenced | acknowledged (a notification's status)


class AlertMuting:
    def __init__(self, engine: Engine, book: SilenceBook,
                 rule: Callable[[int], AlertRule | None]) -> None:
        self.sql = engine
        self.book = book
        self.rule = rule  # an alert by id, deleted ones included; None when unknown

    def verdict(self, rule_id: int, symbol: str, ts: float, settle: bool = False
                ) -> Verdict | None:
        """Why a firing of ``rule_id`` at ``ts`` is not told, or None when it is.
        ``settle`` ends an acknowledgement found resolved (the decision policy does; the
        dispatcher only reads)."""
        for s in self.book.active(labels(symbol, rule_id), at=ts):
            if s.kind == "silence":
                return Verdict(f"silenced until {self.book.at(s.until or ts)} (#{s.id})", "silenced")
            if self._still_firing(s, ts):
                return Verdict(f"acknowledged (#{s.id})", "acknowledged")
            if settle:
                self.book.end(s.id or 0, "resolved: it stopped firing", at=ts)
        return None

    def _firings(self, matchers: dict[str, str], start: float, end: float) -> list[Firing]:
        with Session(self.sql) as s:
            q = select(Firing).where(col(Firing.tick_ts) >= start, col(Firing.tick_ts) <= end)
            if "symbol" in matchers:
                q = q.where(Firing.symbol == matchers["symbol"])
            if "rule" in matchers:
                q = q.where(Firing.rule_id == int(matchers["rule"]))
            return list(s.exec(q.order_by(col(Firing.tick_ts), col(Firing.id))).all())

    def _still_firing(self, ack: Silence, ts: float) -> bool:
        """No gap longer than the quiet time between the acknowledgement and ``ts``."""
        last = ack.starts_at
        for f in self._firings(ack.matchers, ack.starts_at, ts):
            if f.tick_ts - last > quiet_s(self.rule(f.rule_id)):
                return False
            last = f.tick_ts
        return True

    def ended_notices(self) -> list[str]:
        """Silences over tickers or alerts that ran out: one line each for those that held
        firings back (nothing to say about a silence nothing happened in)."""
        out = []
        for s in self.book.ended(["symbol", "rule"]):
            held = self._firings(s.matchers, s.starts_at, s.until or s.starts_at)
            if not held:
                continue
            last = held[-1]
            noun = "firing was" if len(held) == 1 else "firings were"
            out.append(f"🔕 The silence on {s.subject()} ended at {self.book.at(s.until or 0.0)}: "
                       f"{len(held)} {noun} held back during it, the last {last.symbol} at "
                       f"{money(last.price)} ({self.book.at(last.tick_ts)}, alert {last.rule_id}). "
                       f"`copilot alerts history {last.symbol}` lists them.")
        return out
