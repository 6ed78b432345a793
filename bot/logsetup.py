"""Logging that never shows the bot token."""

from __future__ import annotations

import logging
import re

_TOKEN_IN_TEXT = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    """Text with anything shaped like a bot token replaced by <token>."""
    return _TOKEN_IN_TEXT.sub("<token>", text)


class RedactToken(logging.Filter):
    """Replace anything shaped like a bot token (e.g. in a Bot API URL) with <token>."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if self._token:
            cleaned = cleaned.replace(self._token, "<token>")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class QuietNetworkRetries(logging.Filter):
    """PTB logs each failed network retry with a full traceback; one line says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram.ext") and "Network Retry Loop" in record.getMessage():
            record.exc_info, record.exc_text = None, None
        return True


def configure_logging(token: str | None = None, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactToken(token))
    handler.addFilter(QuietNetworkRetries())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
