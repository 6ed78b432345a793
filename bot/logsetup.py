"""Logging that never shows the bot token or a database password; text or one JSON per line."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

_TOKEN_IN_TEXT = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# user:password@ in any URL (postgresql+asyncpg://firegrid:secret@db/firegrid, proxy URLs).
_PASSWORD_IN_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^@\s/]+@")
# What a log record may carry beyond its message (logger.info(..., extra={"chat": id})).
CONTEXT_FIELDS = ("chat", "case", "row", "update", "user")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Text with bot tokens, URL passwords and the given secrets replaced."""
    text = _TOKEN_IN_TEXT.sub("<token>", text)
    text = _PASSWORD_IN_URL.sub(r"\g<scheme>:***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class RedactToken(logging.Filter):
    """Replace tokens and passwords in the message (e.g. in a Bot API URL) before it is shown."""

    def __init__(self, token: str | None = None, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in (token, *secrets) if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self._secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class QuietNetworkRetries(logging.Filter):
    """PTB logs each failed network retry with a full traceback; one line says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram.ext") and "Network Retry Loop" in record.getMessage():
            record.exc_info, record.exc_text = None, None
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message`, tracebacks redacted like the message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._secrets = tuple(secrets)

    def formatException(self, ei: object) -> str:
        return redact(super().formatException(ei), self._secrets)  # type: ignore[arg-type]


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, chat/case/row when known, error."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage(), self._secrets),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info), self._secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    token: str | None = None,
    level: int = logging.INFO,
    *,
    json_lines: bool = False,
    secrets: Iterable[str] = (),
) -> None:
    """Log to standard error; `secrets` (database password, webhook secret) never appear."""
    hidden = tuple(s for s in (token, *secrets) if s)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(hidden) if json_lines else TextFormatter(hidden))
    handler.addFilter(RedactToken(token, hidden))
    handler.addFilter(QuietNetworkRetries())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
