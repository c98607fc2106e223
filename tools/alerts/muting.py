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

from core.quiethours import QuietHours
from core.silences import Silence, SilenceBook
from core.storage import kv_get, kv_set
from tools.alerts.models import AlertRule, Firing, money

MIN_QUIET_S = 600.0
QUIET_TOLD_KEY = "alerts_quiet_hours_told"  # the end of the last quiet window looked at


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
                 rule: Callable[[int], AlertRule | None],
                 quiet: QuietHours | None = None) -> None:
        self.sql = engine
        self.book = book
        self.rule = rule  # an alert by id, deleted ones included; None when unknown
        self.quiet = quiet  # nightly quiet hours: a silence over every alert

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
        window = self.quiet.window_at(ts) if self.quiet is not None else None
        if window is not None:
            return Verdict(f"quiet hours until {self.book.at(window[1])}", "silenced")
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
        quiet = self._quiet_ended()
        return out + ([quiet] if quiet else [])

    def _quiet_ended(self) -> str | None:
        """Once per quiet window, after it ends: what it held back (nothing to say when
        nothing fired, or when only silenced or acknowledged alerts did)."""
        if self.quiet is None:
            return None
        start, end = self.quiet.last_ended(self.book.clock())
        if float(kv_get(self.sql, QUIET_TOLD_KEY, "0") or 0) >= end:
            return None
        kv_set(self.sql, QUIET_TOLD_KEY, repr(end))
        held = [f for f in self._firings({}, start, end) if f.tick_ts < end
                and self._held_by_quiet(f)]
        if not held:
            return None
        last = held[-1]
        noun = "firing was" if len(held) == 1 else "firings were"
        symbols = sorted({f.symbol for f in held})
        return (f"🌙 Quiet hours ended at {self.book.at(end)}: {len(held)} {noun} held back "
                f"({', '.join(symbols[:8])}{' …' if len(symbols) > 8 else ''}), the last "
                f"{last.symbol} at {money(last.price)} ({self.book.at(last.tick_ts)}, alert "
                f"{last.rule_id}). `copilot alerts history --since 24h` lists them.")

    def _held_by_quiet(self, firing: Firing) -> bool:
        """Held back by the quiet hours alone (a silence of its own would have held it)."""
        labels_ = labels(firing.symbol, firing.rule_id)
        return not any(s.kind == "silence" for s in self.book.active(labels_, at=firing.tick_ts))
