"""One settings object for the whole co-pilot.

Every key is optional: with no environment at all the co-pilot runs on its embedded
defaults (offline model, offline market data, SQLite and Chroma files in the data dir).
Values come from environment variables and a ``.env`` file in the working directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/victor-copilot`` or ``~/.local/share/victor-copilot``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "victor-copilot"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Effective configuration. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # storage
    data_dir: Path = Field(default_factory=default_data_dir, validation_alias=_env("COPILOT_DATA_DIR"))
    database_url: str | None = Field(None, validation_alias=_env("DATABASE_URL"))

    # LLM
    llm: Literal["auto", "offline", "openai"] = Field("auto", validation_alias=_env("COPILOT_LLM"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    llm_model: str = Field("gpt-4o-mini", validation_alias=_env("COPILOT_LLM_MODEL"))
    llm_base_url: str | None = Field(None, validation_alias=_env("COPILOT_LLM_BASE_URL"))
    llm_timeout_s: float = Field(60.0, validation_alias=_env("COPILOT_LLM_TIMEOUT"))
    llm_max_tokens: int = Field(1024, validation_alias=_env("COPILOT_LLM_MAX_TOKENS"))

    # market data
    market_provider: Literal["auto", "offline", "alphavantage", "finnhub"] = Field(
        "auto", validation_alias=_env("COPILOT_MARKET_PROVIDER")
    )
    alphavantage_api_key: SecretStr | None = Field(None, validation_alias=_env("ALPHAVANTAGE_API_KEY"))
    finnhub_api_key: SecretStr | None = Field(None, validation_alias=_env("FINNHUB_API_KEY"))
    finnhub_base_url: str = Field("https://finnhub.io/api/v1",
                                  validation_alias=_env("FINNHUB_BASE_URL"))
    finnhub_ws_url: str = Field("wss://ws.finnhub.io", validation_alias=_env("FINNHUB_WS_URL"))
    alphavantage_base_url: str = Field("https://www.alphavantage.co/query",
                                       validation_alias=_env("ALPHAVANTAGE_BASE_URL"))
    provider_deadline_s: float = Field(10.0, validation_alias=_env("COPILOT_PROVIDER_DEADLINE"))
    quote_ttl_s: float = Field(60.0, validation_alias=_env("COPILOT_QUOTE_TTL"))
    history_ttl_s: float = Field(6 * 3600.0, validation_alias=_env("COPILOT_HISTORY_TTL"))
    offline_tick_interval_s: float = Field(1.0, validation_alias=_env("COPILOT_TICK_INTERVAL"))
    watchlist_default: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["AAPL", "MSFT", "NVDA", "TSLA", "SPY"],
        validation_alias=_env("COPILOT_WATCHLIST"),
    )
    # the owner's clock: every time shown is in this IANA zone (the database keeps UTC)
    timezone: str = Field("America/New_York", validation_alias=_env("COPILOT_TIMEZONE"))

    # alerts are recorded but not told in this window on the owner's clock ("22:00-07:00")
    quiet_hours: str | None = Field(None, validation_alias=_env("COPILOT_QUIET_HOURS"))

    @field_validator("quiet_hours", mode="after")
    @classmethod
    def _quiet_window(cls, value: str | None) -> str | None:
        from core.quiethours import parse_quiet_hours

        if value is not None and value.strip():
            try:
                parse_quiet_hours(value)
            except Exception as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError):
            raise ValueError(f"COPILOT_TIMEZONE={value!r} is not an IANA time zone name such "
                             "as America/New_York or Europe/Berlin") from None
        return value

    # Discord
    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    owner_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias=_env("OWNER_IDS")
    )
    discord_allowed_channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias=_env("DISCORD_ALLOWED_CHANNELS")
    )
    discord_guild_id: int | None = Field(None, validation_alias=_env("DISCORD_GUILD_ID"))
    discord_rate_per_minute: int = Field(10, validation_alias=_env("DISCORD_RATE_PER_MINUTE"))

    # the control center (web) and MCP
    http_host: str = Field("127.0.0.1", validation_alias=_env("COPILOT_HTTP_HOST"))
    # 0 picks a free port (the URL is printed); "off" serves nothing
    http_port: int | None = Field(8765, validation_alias=_env("COPILOT_HTTP_PORT"))
    web_token: SecretStr | None = Field(None, validation_alias=_env("COPILOT_WEB_TOKEN"))
    # the secret inbound alert hooks carry (/hooks/tradingview/<secret>, X-Copilot-Secret);
    # unset: one is generated at first start and kept in the data dir
    hook_secret: SecretStr | None = Field(None, validation_alias=_env("COPILOT_HOOK_SECRET"))
    hook_rate_per_minute: int = Field(60, validation_alias=_env("COPILOT_HOOK_RATE"))
    # external MCP servers whose tools the owner's agent may use (langchain-mcp-adapters'
    # connections: {"name": {"transport": "stdio", "command": ..., "args": [...]}})
    mcp_servers: dict[str, dict[str, Any]] = Field(
        default_factory=dict, validation_alias=_env("COPILOT_MCP_SERVERS"))

    @field_validator("http_port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("", "off", "none", "no"):
            return None
        return value

    @field_validator("http_port", mode="after")
    @classmethod
    def _port_range(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 65535:
            raise ValueError("COPILOT_HTTP_PORT must be a port (1-65535), 0 for any free "
                             "port, or off")
        return value

    # alerts
    alert_group_wait_s: float = Field(2.0, validation_alias=_env("COPILOT_ALERT_GROUP_WAIT"))
    alert_cooldown_s: float = Field(300.0, validation_alias=_env("COPILOT_ALERT_COOLDOWN"))
    alert_webhook_url: str | None = Field(None, validation_alias=_env("COPILOT_ALERT_WEBHOOK_URL"))
    alert_max_age_s: float = Field(86400.0, validation_alias=_env("COPILOT_ALERT_MAX_AGE"))
    alert_retry_max_s: float = Field(300.0, validation_alias=_env("COPILOT_ALERT_RETRY_MAX"))

    # memory / decisions
    embedder: Literal["auto", "minilm", "openai", "hashing"] = Field(
        "auto", validation_alias=_env("COPILOT_EMBEDDER")
    )
    # MiniLM's CPU threads: more than one slows a query down on a shared machine
    embed_threads: int = Field(1, ge=1, le=64, validation_alias=_env("COPILOT_EMBED_THREADS"))
    chroma_host: str | None = Field(None, validation_alias=_env("CHROMA_HOST"))
    autopilot_min_agreeing: int = Field(5, validation_alias=_env("COPILOT_AUTOPILOT_N"))
    autopilot_similarity: float = Field(0.6, validation_alias=_env("COPILOT_AUTOPILOT_SIMILARITY"))
    undo_window_minutes: int = Field(30, validation_alias=_env("COPILOT_UNDO_MINUTES"))
    decision_ttl_hours: float = Field(24.0, validation_alias=_env("COPILOT_DECISION_TTL_HOURS"))

    # running for months: what is kept (0 days = keep forever; see docs/RUNNING.md)
    thread_keep_messages: int = Field(100, ge=0,
                                      validation_alias=_env("COPILOT_THREAD_KEEP_MESSAGES"))
    thread_checkpoints: int = Field(1, ge=0, validation_alias=_env("COPILOT_THREAD_CHECKPOINTS"))
    thread_idle_days: float = Field(30.0, ge=0, validation_alias=_env("COPILOT_THREAD_IDLE_DAYS"))
    retention_days: float = Field(90.0, ge=0, validation_alias=_env("COPILOT_RETENTION_DAYS"))
    health_raw_days: float = Field(7.0, ge=0, validation_alias=_env("COPILOT_HEALTH_RAW_DAYS"))
    health_hourly_days: float = Field(90.0, ge=0,
                                      validation_alias=_env("COPILOT_HEALTH_HOURLY_DAYS"))
    decision_retention_days: float = Field(
        365.0, ge=0, validation_alias=_env("COPILOT_DECISION_RETENTION_DAYS"))
    decision_checkpoint_days: float = Field(
        7.0, ge=0, validation_alias=_env("COPILOT_DECISION_CHECKPOINT_DAYS"))
    log_retention_days: float = Field(30.0, ge=0,
                                      validation_alias=_env("COPILOT_LOG_RETENTION_DAYS"))

    # content
    disclaimer: str = Field("Not financial advice.", validation_alias=_env("COPILOT_DISCLAIMER"))
    wordpress_url: str | None = Field(None, validation_alias=_env("WORDPRESS_URL"))
    wordpress_user: str | None = Field(None, validation_alias=_env("WORDPRESS_USER"))
    wordpress_app_password: SecretStr | None = Field(None, validation_alias=_env("WORDPRESS_APP_PASSWORD"))
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(587, validation_alias=_env("SMTP_PORT"))
    smtp_starttls: bool | None = Field(None, validation_alias=_env("SMTP_STARTTLS"))
    smtp_user: str | None = Field(None, validation_alias=_env("SMTP_USER"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    email_from: str = Field("copilot@localhost", validation_alias=_env("EMAIL_FROM"))
    email_to: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias=_env("EMAIL_TO"))
    discord_webhook_url: SecretStr | None = Field(None, validation_alias=_env("DISCORD_WEBHOOK_URL"))
    content_slots: Annotated[list[str], NoDecode] = Field(
        # 30 min after each NYSE session's close; "mon-fri 16:30 discord" is the owner's clock
        default_factory=lambda: ["mon-fri close+30 discord"],
        validation_alias=_env("COPILOT_CONTENT_SLOTS"))

    # observability
    langsmith_api_key: SecretStr | None = Field(None, validation_alias=_env("LANGSMITH_API_KEY"))
    log_level: str = Field("INFO", validation_alias=_env("COPILOT_LOG_LEVEL"))
    metrics_port: int | None = Field(None, validation_alias=_env("COPILOT_METRICS_PORT"))
    health_endpoints: list[dict[str, Any]] = Field(
        default_factory=list, validation_alias=_env("COPILOT_HEALTH_ENDPOINTS")
    )
    inventory_path: Path | None = Field(None, validation_alias=_env("COPILOT_INVENTORY"))
    incident_threshold: int = Field(3, validation_alias=_env("COPILOT_INCIDENT_THRESHOLD"))
    # how often an open incident nobody acknowledged or silenced is told again
    incident_repeat_hours: float = Field(4.0, gt=0,
                                         validation_alias=_env("COPILOT_INCIDENT_REPEAT_HOURS"))

    @field_validator("content_slots", mode="before")
    @classmethod
    def _split_slots(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(";") if part.strip()]
        return value

    @field_validator("watchlist_default", "email_to", mode="before")
    @classmethod
    def _split_str(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("owner_ids", "discord_allowed_channels", mode="before")
    @classmethod
    def _split_ints(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("watchlist_default", mode="after")
    @classmethod
    def _upper(cls, value: list[str]) -> list[str]:
        return [v.upper() for v in value]

    # ---- derived -------------------------------------------------------------------------
    @property
    def effective_llm(self) -> str:
        if self.llm != "auto":
            return self.llm
        return "openai" if (self.openai_api_key or self.llm_base_url) else "offline"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "copilot.db"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.db"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def charts_dir(self) -> Path:
        return self.data_dir / "charts"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.charts_dir.mkdir(parents=True, exist_ok=True)

    def masked(self) -> dict[str, Any]:
        """Effective settings as plain data with every secret masked: secret fields,
        credentials embedded in any URL (``user:pw@``, ``?token=``, ``?apikey=``, a
        token-like path segment), and secret-named keys inside structured settings."""
        out: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            alias = field.validation_alias.choices[0] if field.validation_alias else name  # type: ignore[union-attr]
            if isinstance(value, SecretStr):
                value = MASK if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            else:
                value = _mask_value(value)
            out[str(alias)] = value
        out["(effective llm)"] = self.effective_llm
        return out


# ---- credentials inside ordinary settings (used by masked() and core.logs) -----------------
MASK = "****"
_SECRET_NAME = re.compile(r"(?i)(token|key|secret|pass|pwd|auth|sig|credential|session|cookie)")
_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_\-]{24,}")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")


def _token_like(segment: str) -> bool:
    """A path segment that looks like a credential (a webhook's token): long, and mixing
    letters and digits."""
    return bool(_TOKEN_SEGMENT.fullmatch(segment)) and any(c.isdigit() for c in segment) \
        and any(c.isalpha() for c in segment)


def url_secrets(url: str) -> list[str]:
    """The credentials embedded in one URL: the password of ``user:pw@`` (or the user when
    it is a bare token), secret-named query/fragment parameters, token-like path parts."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return [m for m in re.findall(r"://[^/@\s:]*:([^/@\s]+)@", url)]
    out: list[str] = []
    if password:
        out += [password, unquote(password)]
    elif user and "@" in parts.netloc and len(user) >= 16:
        out += [user, unquote(user)]
    for query in (parts.query, parts.fragment):
        for key, val in parse_qsl(query, keep_blank_values=False):
            if _SECRET_NAME.search(key) and val:
                out.append(val)
                out += [raw.split("=", 1)[1] for raw in re.split(r"[&;]", query)
                        if "=" in raw and unquote(raw.split("=", 1)[0]) == key]
    out += [seg for seg in parts.path.split("/") if _token_like(seg)]
    return [s for s in dict.fromkeys(out) if s]


def mask_url(url: str) -> str:
    """``url`` with its credentials replaced by ``****`` (scheme, host and path kept)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        masked = re.sub(r"(://)[^/\s]*@", rf"\1{MASK}@", url)
        return re.sub(r"(?i)([?&#;][^=&#\s]*(?:token|key|secret|pass|pwd|auth|sig)[^=&#\s]*=)"
                      r"[^&#\s]*", rf"\1{MASK}", masked)

    def mask_params(query: str) -> str:
        if not query:
            return query
        pieces = []
        for raw in re.split(r"([&;])", query):
            name, eq, _ = raw.partition("=")
            pieces.append(f"{name}={MASK}" if eq and _SECRET_NAME.search(name) else raw)
        return "".join(pieces)

    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    path = "/".join(MASK if _token_like(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, mask_params(parts.query),
                       mask_params(parts.fragment)))


def _mask_value(value: Any, key: str = "") -> Any:
    """A setting's value with credentials masked, however deep (lists, dicts, URLs)."""
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else ""
    if isinstance(value, str):
        if key and _SECRET_NAME.search(key) and value:
            return MASK
        return _URL_IN_TEXT.sub(lambda m: mask_url(m.group(0)), value) if "://" in value else value
    if isinstance(value, dict):
        return {k: _mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v, key) for v in value]
    return value


def setting_secrets(value: Any, key: str = "") -> list[str]:
    """Every credential inside a setting's value: URL credentials and secret-named keys."""
    if isinstance(value, SecretStr):
        return [value.get_secret_value()] if value.get_secret_value() else []
    if isinstance(value, str):
        if key and _SECRET_NAME.search(key) and value:
            return [value]
        return [s for url in _URL_IN_TEXT.findall(value) for s in url_secrets(url)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in setting_secrets(v, str(k))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in setting_secrets(v, key)]
    return []
