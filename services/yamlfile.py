"""Read a YAML file for the org and forms loaders, with file:line in every mistake reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_source(file: Path, error: type[Exception], not_found: str) -> str:
    """The file's text; a missing or unreadable file raises error naming the file."""
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{file}: {not_found}") from None
    except OSError as exc:
        raise error(f"{file}: cannot be read: {exc.strerror}") from None


def compose(source: str, name: str, error: type[Exception]) -> tuple[yaml.Node | None, Any]:
    """The node tree (it knows the lines) and the plain data; a syntax error raises error."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.load(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{where}: YAML syntax error: {problem}") from None
    return node, data


def line_of(node: yaml.Node, path: tuple[Any, ...]) -> int:
    """The 1-based line of the deepest node along path (a mapping entry's line is its key's)."""
    line = node.start_mark.line + 1
    current = node
    for part in path:
        if isinstance(current, yaml.MappingNode):
            # The last of duplicate keys, as that is the value the loaded data holds.
            entry = None
            for key_node, value_node in current.value:
                if key_node.value == part:
                    entry = (key_node, value_node)
            if entry is None:
                break
            line = entry[0].start_mark.line + 1
            current = entry[1]
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(current.value):
                break
            current = current.value[part]
            line = current.start_mark.line + 1
        else:
            break
    return line
