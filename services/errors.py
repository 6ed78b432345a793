"""Refusals: expected, explained outcomes of a use case (not bugs)."""

from __future__ import annotations


class Refusal(Exception):
    """A use case refused; `message` is the Chinese explanation shown to the person.

    Plain text, not HTML: it may quote what the person typed, and it is shown both as an HTML
    reply (handlers/guards.py refuse escapes it) and as a plain-text button popup.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
