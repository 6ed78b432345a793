"""Bot API call parameters as the fake receives them, in-process or over HTTP.

In-process, PTB hands over Python values (ints, dicts); over HTTP every form field is a string,
with non-string values JSON-encoded. The typed getters accept both, as Telegram's server does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from faketg.errors import bad_request


@dataclass(frozen=True)
class UploadedFile:
    """One file of a multipart upload."""

    filename: str | None
    data: bytes
    mime_type: str | None


class Params:
    """Typed, lenient access to one call's parameters."""

    def __init__(self, raw: Mapping[str, object]) -> None:
        self.raw: dict[str, object] = {k: v for k, v in raw.items() if v is not None}

    def has(self, name: str) -> bool:
        """Whether the parameter was given."""
        return name in self.raw

    def text(self, name: str) -> str | None:
        """A string parameter (numbers are given back as their decimal text)."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str) -> int | None:
        """An integer parameter."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        """A float parameter."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be of type Float')

    def flag(self, name: str) -> bool:
        """A boolean parameter; absent means False."""
        value = self.raw.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        raise bad_request(f'field "{name}" must be of type Boolean')

    def obj(self, name: str) -> Any:
        """A JSON object or array parameter (decoded when it arrived as a JSON string)."""
        value = self.raw.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int:
        """The required chat id; "@channelusername" ids name no chat in this fake."""
        value = self.raw.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        chat_id = self.integer(name)
        assert chat_id is not None
        return chat_id

    def snapshot(self) -> dict[str, object]:
        """A JSON-friendly copy for the call log."""
        return {k: (v if _jsonable(v) else repr(v)) for k, v in self.raw.items()}


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
