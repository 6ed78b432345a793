"""Errors of the fake Telegram: Bot API errors, gaps in the fake, and misuse by a test."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error answer, raised inside the fake and turned into Telegram's JSON."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str, parameters: dict[str, Any] | None = None) -> ApiError:
    """A 400 with Telegram's "Bad Request: ..." prefix."""
    return ApiError(400, f"Bad Request: {detail}", parameters)


def forbidden(detail: str) -> ApiError:
    """A 403 with Telegram's "Forbidden: ..." prefix."""
    return ApiError(403, f"Forbidden: {detail}")


class FakeTelegramGap(AssertionError):
    """The bot used a Bot API method or option the fake does not implement.

    An AssertionError on purpose: a test must not pass while the bot relies on something the
    fake cannot check. Add the method to the fake instead of silencing this.
    """


class UsageError(AssertionError):
    """A test asked the fake for something impossible (unknown chat, no such button, ...)."""
