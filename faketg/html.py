"""Telegram's HTML parse mode and automatic entities, as the Bot API applies them.

The rules follow Telegram's documented HTML style (https://core.telegram.org/bots/api#html-style)
and the error texts its server gives, so a malformed message fails here exactly as it would in
production: an unescaped "<" in user text, a "<br>", an unclosed "<b>".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag -> entity type; "span" and "tg-emoji" need an attribute (checked below).
_TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's own wording."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at source[pos] == "&"; None keeps the "&" literally."""
    n = len(source)
    end = pos + 1
    if end < n and source[end] == "#":
        end += 1
        value = 0
        if end < n and source[end] in "xX":
            end += 1
            start = end
            while end < n and source[end] in "0123456789abcdefABCDEF":
                end += 1
            digits, base = source[start:end], 16
        else:
            start = end
            while end < n and source[end].isdigit() and source[end].isascii():
                end += 1
            digits, base = source[start:end], 10
        if not digits or end - pos >= 10:
            return None
        value = int(digits, base)
        if value == 0 or value >= 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        start = end
        while end < n and source[end].isascii() and source[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(source[start:end])
        if named is None:
            return None
        char = named
    if end < n and source[end] == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    utf16_start: int
    order: int
    inside_pre: bool = False
    children_code_language: list[str] = field(default_factory=list)


def _parse_attributes(
    source: str, pos: int, tag: str, tag_offset: int
) -> tuple[dict[str, str], int]:
    """Parse attributes from source[pos] up to the closing ">"; return them and the next index."""
    n = len(source)
    attributes: dict[str, str] = {}
    while True:
        while pos < n and source[pos].isspace():
            pos += 1
        if pos >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[pos] == ">":
            return attributes, pos + 1
        name_start = pos
        while pos < n and not source[pos].isspace() and source[pos] not in "=>":
            pos += 1
        name = source[name_start:pos].lower()
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {tag_offset}'
            )
        while pos < n and source[pos].isspace():
            pos += 1
        if pos >= n or source[pos] != "=":
            # The one attribute Telegram accepts without a value: <blockquote expandable>.
            if pos < n and tag == "blockquote" and name == "expandable":
                attributes[name] = ""
                continue
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {tag_offset}'
            )
        pos += 1
        while pos < n and source[pos].isspace():
            pos += 1
        if pos >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        if source[pos] in "'\"":
            quote = source[pos]
            pos += 1
            chars: list[str] = []
            while pos < n and source[pos] != quote:
                if source[pos] == "&":
                    decoded = _decode_entity(source, pos)
                    if decoded is not None:
                        chars.append(decoded[0])
                        pos = decoded[1]
                        continue
                chars.append(source[pos])
                pos += 1
            if pos >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
            pos += 1
            value = "".join(chars)
        else:
            token_start = pos
            while pos < n and (
                (source[pos].isascii() and source[pos].isalnum()) or source[pos] in ".-"
            ):
                pos += 1
            if pos < n and not source[pos].isspace() and source[pos] != ">":
                raise EntityParseError(
                    "Unexpected end of name token at byte offset "
                    f"{_byte_offset(source, token_start)}"
                )
            value = source[token_start:pos].lower()
        attributes[name] = value


def _entity_for(tag: _OpenTag, offset: int, length: int) -> dict[str, Any] | None:
    """The message entity a closed tag produces, or None (e.g. <code> folded into <pre>)."""
    kind = _TAG_ENTITY[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": offset, "length": length}
    if tag.name == "a":
        entity["url"] = tag.attributes.get("href", "")
    elif tag.name == "code" and tag.inside_pre:
        return None
    elif tag.name == "pre" and tag.children_code_language:
        entity["language"] = tag.children_code_language[0]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
    return entity


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and entities, or raise EntityParseError."""
    out: list[str] = []
    utf16_pos = 0
    stack: list[_OpenTag] = []
    found: list[tuple[int, dict[str, Any]]] = []
    order = 0
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16_pos += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.append(char)
            utf16_pos += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue
        tag_offset = _byte_offset(source, i)
        if i + 1 < n and source[i + 1] == "/":
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {tag_offset}")
            j = i + 2
            while j < n and not source[j].isspace() and source[j] != ">":
                j += 1
            end_name = source[i + 2 : j].lower()
            while j < n and source[j].isspace():
                j += 1
            if j >= n or source[j] != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {tag_offset}")
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {tag_offset}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"'
                )
            length = utf16_pos - opened.utf16_start
            if length > 0:
                entity = _entity_for(opened, opened.utf16_start, length)
                if entity is not None:
                    found.append((opened.order, entity))
            i = j + 1
            continue
        j = i + 1
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        name = source[i + 1 : j].lower()
        if name not in _TAG_ENTITY:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {tag_offset}')
        attributes, i = _parse_attributes(source, j, name, tag_offset)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {tag_offset}'
            )
        opened = _OpenTag(name, attributes, utf16_pos, order)
        order += 1
        if name == "code" and stack and stack[-1].name == "pre":
            opened.inside_pre = True
            language = attributes.get("class", "")
            if language.startswith("language-"):
                stack[-1].children_code_language.append(language.removeprefix("language-"))
        stack.append(opened)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities = [entity for _, entity in sorted(found, key=lambda item: item[0])]
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_COMMAND = re.compile(r"(?<![^\s])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram marks in a person's text (offsets in UTF-16 units)."""
    entities = []
    for match in _COMMAND.finditer(text):
        offset = utf16_len(text[: match.start()])
        entities.append(
            {"type": "bot_command", "offset": offset, "length": utf16_len(match.group())}
        )
    return entities
