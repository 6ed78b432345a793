"""Telegram HTML text: escaping office and user text, packing lines into messages, and
splitting a long text into messages.

`esc` is how the services escape text for HTML parse mode (quotes need no escaping outside
attributes). `pack` joins whole lines or blocks into as few messages as fit a limit the caller
picks below Telegram's (a lone piece over it is left for the courier's `split_text`).
`split_text` cuts at paragraphs, never inside a tag or an entity.

Telegram counts the text after entity parsing (tags removed, `&lt;` one character), at most
4096 per message and 1024 per caption. We count UTF-16 code units (never fewer than
Telegram's count) and cut, by preference, at a blank line, then a line break, then after a
sentence mark, then anywhere between two characters. Tags still open at a cut are closed at
the end of one part and reopened at the start of the next, so every part is valid HTML.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_TEXT = 4096
MAX_CAPTION = 1024

_TOKEN = re.compile(r"<[^<>]*>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});|.", re.S)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_SENTENCE_END = frozenset("。！？；!?;…")


def esc(text: str) -> str:
    """Text as HTML body text: `<`, `>` and `&` escaped."""
    return html_lib.escape(text, quote=False)


def pack(pieces: Iterable[str], limit: int, *, sep: str = "\n") -> list[str]:
    """The pieces joined with `sep` into as few messages as keep each within `limit` characters,
    in order; a piece is never cut."""
    messages: list[str] = []
    current: str | None = None
    for piece in pieces:
        if current is None:
            current = piece
        elif len(current) + len(sep) + len(piece) > limit:
            messages.append(current)
            current = piece
        else:
            current += sep + piece
    if current is not None:
        messages.append(current)
    return messages


@dataclass(frozen=True)
class _Token:
    source: str
    width: int  # UTF-16 units the reader sees
    tag: str | None = None  # tag name for tags
    closing: bool = False


def _units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _tokenize(html: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(html):
        piece = match.group()
        if piece.startswith("<") and len(piece) > 1:
            name = _TAG_NAME.match(piece)
            if name is not None:
                tokens.append(_Token(piece, 0, name.group(2).lower(), bool(name.group(1))))
                continue
        if piece.startswith("&") and len(piece) > 1:
            tokens.append(_Token(piece, 1))
            continue
        tokens.append(_Token(piece, _units(piece)))
    return tokens


def visible_length(text: str, *, html: bool = True) -> int:
    """What Telegram counts against its limits (UTF-16 units after parsing)."""
    if not html:
        return _units(text)
    return sum(t.width for t in _tokenize(text))


def _open_tags(tokens: list[_Token], end: int) -> list[_Token]:
    """The tags still open after tokens[:end], outermost first."""
    stack: list[_Token] = []
    for token in tokens[:end]:
        if token.tag is None:
            continue
        if token.closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].tag == token.tag:
                    del stack[i:]
                    break
        else:
            stack.append(token)
    return stack


def _cut(tokens: list[_Token], start: int, limit: int) -> int:
    """Where the part starting at `start` ends: the best break that keeps it within `limit`."""
    used = 0
    end = start
    while end < len(tokens) and used + tokens[end].width <= limit:
        used += tokens[end].width
        end += 1
    if end >= len(tokens):
        return len(tokens)
    floor = start + 1
    # A blank line, then a line break, then a sentence end or a space: the last one in range.
    for prefer in ("\n\n", "\n", "sentence"):
        for i in range(end, floor - 1, -1):
            if prefer == "\n\n":
                if tokens[i - 1].source == "\n" and i >= 2 and tokens[i - 2].source == "\n":
                    return i
            elif prefer == "\n":
                if tokens[i - 1].source == "\n":
                    return i
            elif tokens[i - 1].source in _SENTENCE_END or tokens[i - 1].source == " ":
                return i
    # Never leave a part without a visible character.
    while end < len(tokens) and not any(t.width for t in tokens[start:end]):
        end += 1
    return max(end, floor)


def split_text(text: str, limit: int = MAX_TEXT, *, html: bool = True) -> list[str]:
    """The parts to send, each within `limit`; a text that fits comes back unchanged."""
    if visible_length(text, html=html) <= limit:
        return [text]
    tokens = _tokenize(text) if html else [_Token(ch, _units(ch)) for ch in text]
    parts: list[str] = []
    start = 0
    while start < len(tokens):
        end = _cut(tokens, start, limit)
        # An opening tag right at the end belongs to the next part.
        while end - 1 > start and tokens[end - 1].tag is not None and not tokens[end - 1].closing:
            end -= 1
        body = tokens[start:end]
        while body and body[-1].source in ("\n", " "):
            body.pop()
        if any(t.width for t in body):
            head = "".join(t.source for t in _open_tags(tokens, start))
            tail = "".join(f"</{t.tag}>" for t in reversed(_open_tags(tokens, end)))
            parts.append(head + "".join(t.source for t in body) + tail)
        start = end
        while start < len(tokens) and tokens[start].source == "\n":
            start += 1
    return parts or [text]


def truncate(text: str, limit: int, *, html: bool = True) -> str:
    """The first part of `text` within `limit`, marked with an ellipsis when cut."""
    parts = split_text(text, limit - 1, html=html)
    if len(parts) == 1 and parts[0] == text:
        return text
    return parts[0] + "…"
