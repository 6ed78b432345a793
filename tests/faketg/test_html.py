"""Telegram's HTML parse mode as the fake applies it."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from faketg.html import EntityParseError, bot_command_entities, parse_html, utf16_len


def test_entities_offsets_are_utf16_and_text_is_unescaped():
    text, entities = parse_html("😀 <b>粗</b> &lt;i&gt; &amp; &#27700; <i>x</i>")
    assert text == "😀 粗 <i> & 水 x"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "italic", "offset": 13, "length": 1},
    ]


def test_links_pre_code_spoiler_blockquote():
    text, entities = parse_html(
        '<a href="https://t.me/x?a=1&amp;b=2">链接</a><pre><code class="language-python">p</code></pre>'
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote><code>c</code>'
    )
    assert text == "链接psqc"
    kinds = [(e["type"], e.get("url") or e.get("language")) for e in entities]
    assert kinds == [
        ("text_link", "https://t.me/x?a=1&b=2"),
        ("pre", "python"),
        ("spoiler", None),
        ("expandable_blockquote", None),
        ("code", None),
    ]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a<br>b", 'Unsupported start tag "br" at byte offset 1'),
        ("风险 < 高", 'Unsupported start tag "" at byte offset 7'),
        ("<b>粗", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>粗</i>", 'Unmatched end tag at byte offset 6, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<a href='x'", "Unclosed start tag at byte offset 0"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b bold>x</b>", 'Expected equal sign in declaration of an attribute of the tag "b"'),
    ],
)
def test_invalid_html_fails_with_telegrams_words(source: str, error: str):
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value).startswith(error)


def test_a_stray_ampersand_is_literal_like_in_telegram():
    assert parse_html("A&B &nbsp; &#0;") == ("A&B &nbsp; &#0;", [])


@given(st.text())
def test_escaped_text_always_parses_back_to_itself(text: str):
    plain, entities = parse_html(html.escape(text, quote=False))
    assert plain == text and entities == []


@given(st.text())
def test_utf16_length_matches_python_encoding(text: str):
    assert utf16_len(text) == len(text.encode("utf-16-le")) // 2


def test_bot_commands_are_marked_where_telegram_marks_them():
    assert bot_command_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert bot_command_entities("/bind@firegrid_bot fire")[0]["length"] == 18
    assert bot_command_entities("请 /help") == [{"type": "bot_command", "offset": 2, "length": 5}]
    assert bot_command_entities("a/b http://x/y") == []
