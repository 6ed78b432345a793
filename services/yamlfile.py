"""Read a YAML file for the org and forms loaders, with file:line in every mistake reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(ConstructorError):
    """The same key twice in one mapping: YAML would silently keep the last one."""


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (a second `name:` would win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            # `<<: *anchor` merges are the one legitimate way to repeat keys; own keys win.
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=False)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: super() reports it with its line
            if first is not None:
                raise DuplicateKeyError(
                    problem=f"key '{key}' appears twice in the same block (first on line "
                    f"{first}); keep one of them",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_source(file: Path, error: type[Exception], not_found: str) -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file raises error naming the file."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise error(f"{file}: {not_found}") from None
    except IsADirectoryError:
        raise error(f"{file}: is a folder, not a file; name the YAML file itself") from None
    except OSError as exc:
        raise error(f"{file}: cannot be read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"{file}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8 (e.g. in the editor's 'Save with encoding' menu)"
        ) from None


def compose(source: str, name: str, error: type[Exception]) -> tuple[yaml.Node | None, Any]:
    """The node tree (it knows the lines) and the plain data; a syntax error raises error."""
    try:
        node = yaml.compose(source, Loader=UniqueKeyLoader)
        data = yaml.load(source, Loader=UniqueKeyLoader)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise error(f"{where}: {exc.problem}") from None
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
