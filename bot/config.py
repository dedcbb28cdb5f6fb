"""The kernel's settings, read from LIANFANG_* variables and an optional .env file; each platform adds its own."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lianfang.bot.db import MAX_OVERFLOW, POOL_SIZE, make_engine
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Engine

DEFAULT_DATABASE_FILE = "lianfang.db"
DATA_FOLDER_NAME = "lianfang"
XDG_DATA_HOME = "XDG_DATA_HOME"
FALLBACK_DATA_HOME = Path("~/.local/share")
"""Where the default SQLite database lives when XDG_DATA_HOME is unset (the XDG base directory default)."""
ENV_PREFIX = "LIANFANG_"
ENV_FILE = ".env"
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "token", "xxx", "your-token-here"})


def default_database_url() -> str:
    """Return the SQLite URL of the default database: ``$XDG_DATA_HOME/lianfang/lianfang.db``."""
    home = os.environ.get(XDG_DATA_HOME) or ""
    # the XDG spec says a relative XDG_DATA_HOME is invalid and ignored; a relative one would split the database again
    base = Path(home) if Path(home).is_absolute() else FALLBACK_DATA_HOME.expanduser()
    return f"sqlite:///{base / DATA_FOLDER_NAME / DEFAULT_DATABASE_FILE}"


class Settings(BaseSettings):
    """Configure the kernel of one instance; the CLI adds every platform's settings and passes them down."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    """Unset: a SQLite file in a fixed data folder, the same whichever folder a command runs in."""
    db_pool_size: int = Field(default=POOL_SIZE, ge=1, le=1000)
    """PostgreSQL connections each instance keeps open (SQLite opens one per thread, whatever this says)."""
    db_max_overflow: int = Field(default=MAX_OVERFLOW, ge=0, le=1000)
    """PostgreSQL connections each instance may open beyond its pool at a peak."""
    timezone: str = "Asia/Shanghai"
    org_file: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_base_url: str | None = None
    """Where users reach the HTTP app (links in chat, the dashboard's); unset: ``http://HTTP_HOST:HTTP_PORT``."""
    dashboard_secret: SecretStr | None = None
    """Signs the dashboard's login links and session cookies; unset, the dashboard is off."""
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """How long a client may take to send a request's headers (from connecting, or from its first byte)."""
    http_body_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    """How long a client may take to send a request's body, all of it."""
    http_keep_alive_seconds: float = Field(default=5.0, gt=0, le=300)
    """How long an idle kept-alive connection stays open."""
    http_max_connections: int = Field(default=200, ge=1)
    """Open connections above which a request is answered 503 at once."""
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    """The largest request line plus headers accepted; a larger one is answered 400 and the connection closed."""
    default_language: str = "zh_CN"
    fever_threshold: float | None = None
    draft_ttl_minutes: int = Field(default=120, ge=1)
    catch_up_grace_minutes: int = Field(default=60, ge=0)
    invite_ttl_hours: int = Field(default=72, ge=1)
    max_message_chars: int = Field(default=4000, ge=100)
    log_level: str = "INFO"
    log_jobs: bool = False
    """Log each scheduled job run (APScheduler's "Running job", ~130k lines an idle day) at the log level."""
    tick_seconds: int = Field(default=30, ge=1, le=300)
    schedule_jitter_seconds: int = Field(default=7, ge=0, le=59)
    """The loop's cron triggers fire this many seconds (at most) past the minute, picked once per instance; 0: on it."""
    max_import_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=20 * 1024 * 1024)
    """The largest list the bot downloads from a chat (Telegram lets bots download up to 20 MB)."""
    import_confirm_minutes: int = Field(default=60, ge=1)
    """How long an uploaded list waits for its importer's confirmation."""
    clock_start: datetime | None = None
    """Run on a simulated clock that starts at this local time and then runs in real time (drills, tests)."""
    leader_lock_key: int | None = Field(default=None, ge=-(2**63), lt=2**63)
    """PostgreSQL advisory lock key of the scheduler leader; default: a hash of the database and schema names."""
    outbox_lease_seconds: int = Field(default=300, ge=1)
    """How long a message being sent stays with its sender before another try may take it (after a crash)."""
    inbox_lease_seconds: int = Field(default=30, ge=1)
    """How long a delivery kept before it was handled stays with its instance unless renewed (it is, while that
    instance lives): after a crash, another instance takes it over, and its chat's later deliveries, once this runs
    out."""
    outbox_max_age_hours: int = Field(default=24, ge=1, le=24 * 30)
    """How long, from when it was queued, a message is held and retried while its platform has an outage."""
    data_key: SecretStr | None = None
    """The key ID numbers and phones are encrypted with: 32 random bytes, base64 (``lianfang keys generate``)."""
    data_key_file: Path | None = None
    """A file holding the data key (first line) and retired keys still needed to read older values (next lines)."""
    data_keys_retired: SecretStr | None = None
    """Retired data keys, comma-separated, kept until ``lianfang keys rotate`` has moved every value off them."""
    metrics_token: SecretStr | None = None
    """Serve ``GET /metrics`` on the HTTP port to requests bearing this token (``Authorization: Bearer ...``)."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    """Serve ``GET /metrics`` without a token on this port of HTTP_HOST, apart from the webhooks (a private network)."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON object per line (time, level, logger, message, request_id) for a log collector."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("dashboard_secret")
    @classmethod
    def _real_dashboard_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            reject_placeholder("dashboard_secret", value)
        return value

    @field_validator("metrics_token")
    @classmethod
    def _real_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            reject_placeholder("metrics_token", value)
        return value

    @field_validator("public_base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else None

    def engine(self) -> Engine:
        """Create the engine of the configured database, with the configured pool."""
        return make_engine(self.database_url, pool_size=self.db_pool_size, max_overflow=self.db_max_overflow)

    def base_url(self) -> str:
        """Return where users reach the HTTP app, without a trailing slash."""
        return self.public_base_url or f"http://{self.http_host}:{self.http_port}"

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh_CN", "en"):
            raise ValueError("must be zh_CN or en")
        return value


def reject_placeholder(name: str, value: SecretStr | None) -> None:
    """Refuse an unset or placeholder secret of a platform that is on (its validator calls this)."""
    if value is None or value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"LIANFANG_{name.upper()} must be set to a real secret when its platform is on")
