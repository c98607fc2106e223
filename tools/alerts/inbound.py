"""Alerts that arrive from elsewhere: a TradingView alert's webhook, or any sender's JSON
(the owner's Azure functions, his WordPress plugin). Each accepted hook becomes a firing
with its deliveries, written in one transaction like the engine's, so it goes through the
same outbox, history, silences and decisions. A sender's id makes a retry harmless: the
receipt's unique key keeps the second one out (same firing, nothing sent twice).

Pure Python over the database; the HTTP edge (bots/web/hooks.py) checks the secret, the
size and the rate, and turns ``InvalidInput`` into a 400 with its sentence."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, UniqueConstraint, col, select

from core.errors import InvalidInput
from core.events import AlertFired
from tools.alerts.models import MAX_PRICE, MAX_SYMBOL, Delivery, Firing, finite_number, money

HOOK_RULE_ID = 0  # firings that no rule of ours made
MAX_BODY = 16 * 1024  # bytes: a TradingView message is at most a few KiB
MAX_MESSAGE = 1000  # characters kept of a message
MAX_ID = 200
NO_TICKER = "TRADINGVIEW"  # a plain-text TradingView message that names no ticker
SOURCES = {"tradingview": "TradingView", "alert": "hook"}
# "NASDAQ:AAPL", "BINANCE:BTCUSDT", "AAPL", "BRK.B", "BTC-USD" as a word of a plain text
_EXCHANGE_TICKER = re.compile(r"\b[A-Z][A-Z0-9_]*:([A-Z][A-Z0-9.\-]{0,19})\b")
_TICKER = re.compile(r"\b([A-Z]{1,5}(?:[.\-][A-Z]{1,4})?)\b")
_PRICE = re.compile(r"(?i)\b(?:price|close|last)\s*[:=]?\s*\$?([0-9][0-9,]*(?:\.[0-9]+)?)")
_NOT_TICKERS = {"A", "I", "AT", "ON", "TO", "IN", "OF", "THE", "AND", "OR", "IS", "UP", "BY",
                "ALERT", "PRICE", "CLOSE", "BUY", "SELL", "LONG", "SHORT", "USD"}


class HookReceipt(SQLModel, table=True):
    """One accepted hook with a sender's id: the key that keeps a retry out."""

    __tablename__ = "alert_hook_receipts"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    source: str
    external_id: str
    firing_id: int = Field(index=True)
    received_at: float


@dataclass
class Hook:
    """A parsed hook: what fired, by whose id."""

    source: str  # tradingview | alert
    symbol: str
    message: str
    price: float | None = None
    external_id: str | None = None


@dataclass
class HookResult:
    firing_id: int
    duplicate: bool  # the sender's id was seen before: nothing new stored or sent
    fired: AlertFired | None = None  # what to publish (None for a duplicate)

    def as_json(self) -> dict[str, Any]:
        return {"ok": True, "firing_id": self.firing_id, "duplicate": self.duplicate}


def _symbol(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("The hook needs a symbol (a ticker such as AAPL).")
    text = value.strip().upper()
    if ":" in text:  # TradingView's {{exchange}}:{{ticker}}
        text = text.rsplit(":", 1)[1]
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9.\-_/=^]*", text) or len(text) > MAX_SYMBOL:
        raise InvalidInput(f"The hook's symbol {value.strip()[:30]!r} is not a ticker.")
    return text


def _price(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "").lstrip("$"))
        except ValueError:
            raise InvalidInput(f"The hook's price {str(value)[:30]!r} is not a number.") \
                from None
    number = finite_number(value)
    if number is None or not 0 < number <= MAX_PRICE:
        raise InvalidInput("The hook's price must be a positive number.")
    return number


def _id(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput("The hook's id must be a string or a number.")
    text = str(value).strip()
    if len(text) > MAX_ID:
        raise InvalidInput(f"The hook's id is limited to {MAX_ID} characters.")
    return text or None


def _message(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("The hook's message must be text.")
    return " ".join(value.split())[:MAX_MESSAGE]


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("The hook's body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInput("The hook's body must be a JSON object.")
    return data


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The hook's body is not UTF-8 text.") from None
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("The hook's body is empty.")
    return text


def parse_tradingview(body: bytes, header_id: str | None = None) -> Hook:
    """TradingView posts the alert's message as typed, placeholders filled: JSON when it
    looks like JSON ({"ticker": "{{ticker}}", "price": {{close}}, "message": "...",
    "id": "..."}), else plain text, whose ticker is the first EXCHANGE:TICKER or
    upper-case ticker word and whose price follows "price", "close" or "last"."""
    stripped = body.strip()
    if stripped.startswith(b"{"):
        data = _json(stripped)
        raw = next((data[k] for k in ("ticker", "symbol") if data.get(k) not in (None, "")),
                   None)
        message = _message(data.get("message") or data.get("text") or data.get("comment"))
        hook = Hook("tradingview", _symbol(raw) if raw is not None else NO_TICKER,
                    message, _price(data.get("price", data.get("close"))),
                    _id(data.get("id")) or _id(header_id))
        if not hook.message:
            hook.message = f"{hook.symbol} alert"
        return hook
    text = _text(stripped)
    found = _EXCHANGE_TICKER.search(text)
    symbol = found.group(1) if found else next(
        (w for w in _TICKER.findall(text) if w not in _NOT_TICKERS), NO_TICKER)
    price = _PRICE.search(text)
    return Hook("tradingview", _symbol(symbol), text[:MAX_MESSAGE],
                _price(price.group(1)) if price else None, _id(header_id))


def parse_generic(body: bytes, header_id: str | None = None) -> Hook:
    """``{"id"?, "symbol", "price"?, "message"}``; the id may also come as an
    ``Idempotency-Key`` header."""
    data = _json(body.strip())
    message = _message(data.get("message"))
    if not message:
        raise InvalidInput("The hook needs a message (what happened, in words).")
    return Hook("alert", _symbol(data.get("symbol")), message, _price(data.get("price")),
                _id(data.get("id")) or _id(header_id))


def render(hook: Hook) -> str:
    """The firing's message, shaped like the engine's."""
    who = SOURCES.get(hook.source, hook.source)
    text = hook.message
    if not text.upper().startswith(hook.symbol) and hook.symbol != NO_TICKER:
        text = f"{hook.symbol}: {text}"
    price = f" (at {money(hook.price)})" if hook.price is not None else ""
    return f"🔔 {text}{price} — via {who}"


class InboundHooks:
    """Accepts parsed hooks into the outbox; ``default_targets`` are where they go."""

    def __init__(self, engine: Engine, targets: Callable[[], tuple[str, ...]],
                 clock: Callable[[], float] = time.time) -> None:
        self.sql = engine
        self.targets = targets
        self.clock = clock
        self._lock = threading.Lock()
        self._last_ts = 0.0
        self.accepted = 0
        self.duplicates = 0

    def accept(self, hook: Hook) -> HookResult:
        """Store the hook as a firing with its deliveries (one transaction), or find the
        firing its sender's id already made. Thread-safe."""
        with self._lock:
            if hook.external_id is not None:
                seen = self._seen(hook)
                if seen is not None:
                    self.duplicates += 1
                    return HookResult(seen, True)
            now = self.clock()
            # firings are unique per (rule, instant): hooks share rule 0, so keep them apart
            ts = self._last_ts = max(now, self._last_ts + 1e-3)
            message = render(hook)
            targets = self.targets()
            try:
                with Session(self.sql) as s:
                    firing = Firing(rule_id=HOOK_RULE_ID, symbol=hook.symbol,
                                    price=hook.price or 0.0, tick_ts=ts, message=message,
                                    created_at=now)
                    s.add(firing)
                    s.flush()
                    fid = int(firing.id or 0)
                    if hook.external_id is not None:
                        s.add(HookReceipt(source=hook.source, external_id=hook.external_id,
                                          firing_id=fid, received_at=now))
                    for target in targets:
                        s.add(Delivery(firing_id=fid, target=target, symbol=hook.symbol,
                                       created_at=now))
                    s.commit()
            except IntegrityError:  # another process took the same id meanwhile
                seen = self._seen(hook)
                if seen is None:
                    raise
                self.duplicates += 1
                return HookResult(seen, True)
        self.accepted += 1
        fired = AlertFired(fid, HOOK_RULE_ID, hook.symbol, hook.price or 0.0, ts, message,
                           f"{hook.source}_hook", hook.price or 0.0, hook.message,
                           repeats=True)
        return HookResult(fid, False, fired)

    def _seen(self, hook: Hook) -> int | None:
        with Session(self.sql) as s:
            row = s.exec(select(HookReceipt).where(
                HookReceipt.source == hook.source,
                col(HookReceipt.external_id) == hook.external_id)).first()
        return row.firing_id if row is not None else None
