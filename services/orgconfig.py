"""Load and validate the org file, reporting mistakes with file, line and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models.orgfile import OrgFile
from services.reminder_config import ReminderConfigError, compile_rules

_PATH_IN_MESSAGE = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)")


class OrgFileError(Exception):
    """A mistake in the org file, already phrased for a person: file:line: field: problem."""


def load_org(path: str | Path) -> OrgFile:
    """Read, parse and validate the org file at path."""
    file = Path(path)
    try:
        source = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrgFileError(f"{file}: file not found (set FIREGRID_ORG to the org file)") from None
    except OSError as exc:
        raise OrgFileError(f"{file}: cannot be read: {exc.strerror}") from None
    return parse_org(source, str(file))


def parse_org(source: str, name: str = "<org>") -> OrgFile:
    """Parse org-file text; name is used in error messages."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.load(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise OrgFileError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict) or node is None:
        raise OrgFileError(f"{name}:1: the org file must be a YAML mapping (office, departments…)")
    lines = _line_index(node)
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
        line = _nearest_line(lines, loc)
        field = _format_loc(loc) or "(top level)"
        raise OrgFileError(f"{name}:{line}: {field}: {message}") from None
    try:
        compile_rules(org)  # reminder "when"/"lead" phrases are parsed here, with their line
    except ReminderConfigError as exc:
        at = _nearest_line(lines, exc.loc)
        raise OrgFileError(f"{name}:{at}: {_format_loc(exc.loc)}: {exc.message}") from None
    return org


def _line_index(node: yaml.Node) -> dict[tuple[Any, ...], int]:
    """Map every path in the YAML tree to its 1-based line."""
    index: dict[tuple[Any, ...], int] = {}

    def walk(current: yaml.Node, path: tuple[Any, ...]) -> None:
        index[path] = current.start_mark.line + 1
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                key = key_node.value
                index[(*path, key)] = key_node.start_mark.line + 1
                walk(value_node, (*path, key))
                index[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                walk(item, (*path, i))

    walk(node, ())
    return index


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return 1


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
