"""Ids that arrive as text (command arguments, button data): ASCII digits within the column's range.

`str.isdigit()` is no test for this: it is True for "²" and "٣", which `int()` then rejects or
accepts, and a number of any length passes it, which PostgreSQL (integer is 32 bits) and
SQLite (64 bits) then refuse with an exception. Every id read from a person goes through
`parse_id`, so a forged or mistyped one is an ordinary "no such thing" answer.
"""

from __future__ import annotations

import re

# The columns' ranges: `Integer` primary keys are 32-bit on PostgreSQL; `BigInteger` columns
# (Telegram chat and user ids) are 64-bit.
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1

_DIGITS = re.compile(r"0|[1-9][0-9]{0,18}", re.ASCII)


def parse_id(text: str, *, minimum: int = 1, maximum: int = INT_MAX) -> int | None:
    """The id written in `text` (ASCII digits, no sign, no leading zero), None if not in range."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
