"""Settings from the environment and `.env` (pydantic-settings); mistakes become one clear line."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ORG = PROJECT_ROOT / "org.example.yaml"
TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{20,}$")
# The async drivers the bot is built and tested with.
DATABASE_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
DATABASE_EXAMPLES = (
    "sqlite+aiosqlite:///./data/firegrid.db or postgresql+asyncpg://user:password@host:5432/db"
)


WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,256}$")


class ConfigError(Exception):
    """A configuration mistake, phrased as one line naming the key and the fix."""


class Settings(BaseSettings):
    """Every key is documented in .env.example."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./data/firegrid.db"
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    firegrid_org: Path = DEFAULT_ORG
    firegrid_admins: str = ""
    firegrid_tz: str = "Asia/Shanghai"
    firegrid_tick_seconds: float = Field(default=30.0, gt=0)
    firegrid_invite_days: int = Field(default=7, gt=0)
    # Webhook mode (unset: long polling). The URL's last path segment is the route's <path>.
    firegrid_webhook_url: str | None = None
    firegrid_webhook_secret: SecretStr | None = None
    firegrid_listen: str = "127.0.0.1:8080"
    firegrid_log_format: Literal["text", "json"] = "text"
    firegrid_log_level: str = "INFO"

    @field_validator("firegrid_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parsed = urlparse(value)
        if parsed.scheme != "https" or not parsed.netloc:
            raise ValueError(
                f"'{value}' is not an https URL; Telegram delivers webhooks over HTTPS only "
                "(e.g. https://bot.example.org/telegram/firegrid)"
            )
        if not parsed.path.rstrip("/").rsplit("/", 1)[-1]:
            raise ValueError(
                f"'{value}' has no path; end it with /telegram/<something>, "
                "e.g. https://bot.example.org/telegram/firegrid"
            )
        return value

    @field_validator("firegrid_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(
                f"'{value}' is not host:port; write e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
            )
        return value.strip()

    @field_validator("firegrid_log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("firegrid_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"'{value}' is not a log level; use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("telegram_api_base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(
                f"'{value}' is not an http(s) URL; "
                "use e.g. https://api.telegram.org/bot or http://127.0.0.1:8081/bot"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):
            # Not echoed: a mistyped URL may still hold a password.
            raise ValueError(f"not a database URL; write e.g. {DATABASE_EXAMPLES}") from None
        backend, _, driver = url.drivername.partition("+")
        if backend == "postgres":
            backend = "postgresql"
        wanted = DATABASE_DRIVERS.get(backend)
        shown = url.render_as_string(hide_password=True)
        if wanted is None:
            raise ValueError(
                f"'{shown}': FireGrid runs on SQLite or PostgreSQL only; "
                f"write e.g. {DATABASE_EXAMPLES}"
            )
        if driver != wanted:
            fixed = url.set(drivername=f"{backend}+{wanted}").render_as_string(hide_password=True)
            raise ValueError(f"'{shown}' needs the async driver {wanted}; write {fixed}")
        if backend == "postgresql" and not url.database:
            raise ValueError(f"'{shown}' names no database; write e.g. {DATABASE_EXAMPLES}")
        return value

    @field_validator("firegrid_tz")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone; use e.g. Asia/Shanghai") from None
        return value

    @field_validator("firegrid_admins")
    @classmethod
    def _admins(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() and not re.fullmatch(r"-?\d+", part.strip()):
                raise ValueError(
                    f"'{part.strip()}' is not a Telegram user id; write numbers separated by commas"
                )
        return value

    @property
    def admin_ids(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.firegrid_admins.split(",") if p.strip())

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.firegrid_tz)

    @property
    def log_level(self) -> int:
        return int(logging.getLevelName(self.firegrid_log_level))

    @property
    def listen(self) -> tuple[str, int]:
        host, _, port = self.firegrid_listen.rpartition(":")
        return host.strip("[]"), int(port)

    def webhook(self) -> Webhook | None:
        """Webhook mode's URL, route path and secret; None in polling mode."""
        if self.firegrid_webhook_url is None:
            return None
        secret = self.firegrid_webhook_secret
        return Webhook(
            url=self.firegrid_webhook_url,
            path=urlparse(self.firegrid_webhook_url).path.rstrip("/").rsplit("/", 1)[-1],
            secret=secret.get_secret_value() if secret is not None else "",
        )

    def require_token(self) -> str:
        """The token, or a ConfigError saying how to get one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                "(/newbot), then put TELEGRAM_BOT_TOKEN=<token> in .env (see .env.example)."
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_PATTERN.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (expected 123456:ABC-DEF…); "
                "copy it again from @BotFather into .env."
            )
        return token


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates, the route that receives them, and the shared secret."""

    url: str
    path: str
    secret: str


def _check_webhook(settings: Settings) -> Settings:
    """A webhook URL needs a secret Telegram can send back (setWebhook's secret_token)."""
    if settings.firegrid_webhook_url is None:
        return settings
    secret = settings.firegrid_webhook_secret
    value = secret.get_secret_value().strip() if secret is not None else ""
    if not value:
        raise ConfigError(
            "FIREGRID_WEBHOOK_SECRET is required with FIREGRID_WEBHOOK_URL: set 32 or more "
            "letters, digits, _ or - (e.g. the output of: openssl rand -hex 32)"
        )
    if not WEBHOOK_SECRET_PATTERN.match(value):
        raise ConfigError(
            "FIREGRID_WEBHOOK_SECRET is too short or has other characters than letters, digits, "
            "_ and -: use 32 to 256 of them (e.g. the output of: openssl rand -hex 32)"
        )
    return settings


def load_settings(**overrides: object) -> Settings:
    """Read settings; any mistake becomes a ConfigError naming the key."""
    try:
        return _check_webhook(Settings(**overrides))  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise ConfigError(
            ".env: not UTF-8 text; save it as UTF-8 (e.g. in the editor's 'Save with encoding' menu)"
        ) from None
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]).upper() if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{key}: {message} (set it in the environment or in .env)") from None
