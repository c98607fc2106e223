"""Logging, configured once: pretty console, rotating JSON file, and warnings/errors in
SQL for queries. Every record from every logger (ours via structlog, libraries via the
standard library) passes the redaction processor before it reaches any sink."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import structlog
from sqlmodel import Field, SQLModel

REDACTED = "[REDACTED]"
# (pattern, replacement): what credentials look like in free text
PATTERNS = [
    (re.compile(r"sk-[A-Za-z0-9_\-]{8,}"), REDACTED),  # OpenAI-style keys
    (re.compile(r"(?i)\b(bearer|token|apikey|api_key|password|secret|authorization)"
                r"(\s*[=:]\s*|\s+)([^\s,;&'\"]{6,})"), rf"\1\2{REDACTED}"),
    (re.compile(r"[MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"), REDACTED),
    (re.compile(r"(://)[^/\s:@]+:[^/\s@]+@"), rf"\1{REDACTED}@"),  # user:pw@host
    (re.compile(r"(?i)([?&#;][\w.\-]*(?:token|apikey|api_key|key|secret|password|sig)=)"
                r"[^&#\s'\"]+"), rf"\1{REDACTED}"),  # ?token=, &access_token=, #sig=
]
LOG_FILE = "copilot.jsonl"
SECRET_KEYS = re.compile(r"(?i)(token|api_key|apikey|password|secret|authorization)")


class LogEntry(SQLModel, table=True):
    """Warnings and errors from every logger, redacted, for `recent_errors`."""

    __tablename__ = "log_entries"
    id: int | None = Field(default=None, primary_key=True)
    at: float = Field(index=True)
    level: str = Field(index=True)
    component: str = Field(index=True)
    event: str
    data: str = "{}"


class Redactor:
    """Replaces known secret values and anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, REDACTED)
        for pattern, replacement in PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    def value(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            return REDACTED if SECRET_KEYS.search(key) and value else self.text(value)
        if isinstance(value, dict):
            return {k: self.value(str(k), v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(key, v) for v in value]
        return value

    def __call__(self, logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        for key, value in list(event.items()):
            if key == "exc_info" and value:
                import traceback

                info = sys.exc_info() if value is True else value
                if isinstance(info, BaseException):
                    info = (type(info), info, info.__traceback__)
                if isinstance(info, tuple) and info[0] is not None:
                    event["exception"] = self.text("".join(traceback.format_exception(*info)))
                del event["exc_info"]
                continue
            event[key] = self.value(key, value)
        return event


class SQLSink(logging.Handler):
    """Writes WARNING and above to the log table (already redacted by the formatter chain)."""

    def __init__(self, engine: Any) -> None:
        super().__init__(level=logging.WARNING)
        self.engine = engine

    def emit(self, record: logging.LogRecord) -> None:
        from sqlmodel import Session


        try:
            payload = json.loads(self.format(record))
        except ValueError:
            payload = {"event": record.getMessage()}
        event = str(payload.pop("event", ""))
        payload.pop("timestamp", None)
        payload.pop("level", None)
        component = str(payload.pop("logger", record.name))
        try:
            with Session(self.engine) as s:
                s.add(LogEntry(at=time.time(), level=record.levelname.lower(),
                               component=component, event=event,
                               data=json.dumps(payload, default=str)))
                s.commit()
        except Exception:  # noqa: BLE001 - logging must never take the app down
            self.handleError(record)


_configured: dict[str, Any] = {}


def _without_traceback(renderer: Any, log_file: Path) -> Any:
    """A console renderer that shows a record's traceback as a pointer to the log file,
    which has it in full: no command prints a traceback."""

    def render(logger: Any, method: str, event: dict[str, Any]) -> Any:
        if event.pop("exception", None) or event.pop("stack", None):
            event["details"] = str(log_file)
        return renderer(logger, method, event)

    return render


def log_file_path(data_dir: Path) -> Path:
    """Where the JSON log is for a data dir."""
    return data_dir / "logs" / LOG_FILE


def record_crash(log_dir: Path, exc: BaseException, secrets: Iterable[str] = (),
                 component: str = "cli") -> Path:
    """Append one redacted JSON record with ``exc``'s traceback to the log file (without
    needing logging to be configured: the crash may come before it is); returns the
    file. Never raises: the caller is already reporting a failure."""
    import traceback
    from datetime import UTC, datetime

    path = log_dir / LOG_FILE
    redactor = Redactor(secrets)
    record = {
        "event": "unexpected error",
        "error": redactor.text(f"{type(exc).__name__}: {exc}"),
        "exception": redactor.text("".join(traceback.format_exception(exc))),
        "logger": component,
        "level": "error",
        "timestamp": datetime.now(UTC).isoformat(),
    }
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, default=str) + "\n")
    except OSError:
        pass
    return path


def configure_logging(level: str = "INFO", log_dir: Path | None = None, engine: Any = None,
                      secrets: Iterable[str] = (), console: bool = True) -> Redactor:
    """Configure structlog and the standard library once (again only to change sinks)."""
    redactor = Redactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        redactor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )

    def formatter(renderer: Any) -> logging.Formatter:
        return structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        redactor, renderer])  # type: ignore[list-item]

    root = logging.getLogger()
    for handler in _configured.get("handlers", []):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    if console:
        h: logging.Handler = logging.StreamHandler(sys.stderr)
        renderer: Any = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if log_dir is not None:  # tracebacks go to the file; the terminal gets one line
            renderer = _without_traceback(renderer, log_dir / LOG_FILE)
        h.setFormatter(formatter(renderer))
        h.setLevel(logging.WARNING if level.upper() == "INFO" else level.upper())
        handlers.append(h)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        f = logging.handlers.RotatingFileHandler(log_dir / LOG_FILE, maxBytes=5_000_000,
                                                 backupCount=5, encoding="utf-8")
        f.setFormatter(formatter(structlog.processors.JSONRenderer()))
        handlers.append(f)
    if engine is not None:
        sql = SQLSink(engine)
        sql.setFormatter(formatter(structlog.processors.JSONRenderer()))
        handlers.append(sql)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "chromadb", "discord.gateway", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured["handlers"] = handlers
    return redactor


def settings_secrets(settings: Any) -> list[str]:
    """Every secret value in the settings, for exact-match redaction: secret fields, and
    credentials embedded in any other setting (``user:pw@`` or ``?token=`` in a URL, a
    webhook's token path, secret-named keys in structured settings)."""
    from core.settings import setting_secrets

    out: list[str] = []
    for name in type(settings).model_fields:
        out += setting_secrets(getattr(settings, name))
    return list(dict.fromkeys(out))
