"""Load and validate the org file, reporting mistakes with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.orgfile import OrgFile
from services.reminders.rules import ReminderConfigError, compile_rules
from services.yamlfile import compose, line_of, read_source

_PATH_IN_MESSAGE = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)")


class OrgFileError(Exception):
    """A mistake in the org file, already phrased for a person: file:line: field: problem."""


def load_org(path: str | Path) -> OrgFile:
    """Read, parse and validate the org file at path."""
    file = Path(path)
    source = read_source(file, OrgFileError, "file not found (set FIREGRID_ORG to the org file)")
    return parse_org(source, str(file))


def parse_org(source: str, name: str = "<org>") -> OrgFile:
    """Parse org-file text; name is used in error messages."""
    node, data = compose(source, name, OrgFileError)
    if not isinstance(data, dict) or node is None:
        raise OrgFileError(f"{name}:1: the org file must be a YAML mapping (office, departments…)")
    try:
        org = OrgFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc: tuple[Any, ...] = tuple(error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if not loc:
            found = _PATH_IN_MESSAGE.match(message)
            if found:
                loc = _parse_path(found.group(1))
                message = message[found.end() :].lstrip(": ")
        line = line_of(node, loc)
        field = _format_loc(loc) or "(top level)"
        raise OrgFileError(f"{name}:{line}: {field}: {message}") from None
    try:
        compile_rules(org)  # reminder "when"/"lead" phrases are parsed here, with their line
    except ReminderConfigError as exc:
        at = line_of(node, exc.loc)
        raise OrgFileError(f"{name}:{at}: {_format_loc(exc.loc)}: {exc.message}") from None
    return org


def _parse_path(text: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for piece in text.split("."):
        match = re.match(r"^([a-z_]+)(?:\[(\d+)\])?$", piece)
        if not match:
            break
        parts.append(match.group(1))
        if match.group(2) is not None:
            parts.append(int(match.group(2)))
    return tuple(parts)


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
