"""Refusals: expected, explained outcomes of a use case (not bugs)."""

from __future__ import annotations


class Refusal(Exception):
    """A use case refused; `message` is the Chinese explanation shown to the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
