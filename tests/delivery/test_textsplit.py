"""Splitting Telegram HTML: within the limit, at paragraphs, never inside a tag or an entity."""

from __future__ import annotations

from html import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from faketg.html import parse_html
from services.textsplit import esc, pack, split_text, truncate, visible_length


def test_short_text_is_left_alone():
    assert split_text("<b>你好</b>") == ["<b>你好</b>"]


def test_paragraphs_are_kept_whole_when_they_fit():
    paragraphs = [f"第{i}段" + "字" * 30 for i in range(10)]
    parts = split_text("\n\n".join(paragraphs), limit=100)
    assert all(visible_length(p) <= 100 for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(paragraphs)
    assert all(part.startswith("第") for part in parts)


def test_a_tag_open_across_the_cut_is_closed_and_reopened():
    text = "<b>" + "很长的加粗文字。" * 40 + "</b>"
    parts = split_text(text, limit=100)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<b>") and part.endswith("</b>")
        parse_html(part)  # valid Telegram HTML


def test_entities_are_one_character_and_never_cut():
    text = "&amp;" * 150
    parts = split_text(text, limit=100)
    assert [visible_length(p) for p in parts] == [100, 50]
    assert all(p.startswith("&amp;") and p.endswith("&amp;") for p in parts)


def test_plain_text_counts_angle_brackets_as_characters():
    assert visible_length("<b>", html=False) == 3
    assert split_text("<" * 150, limit=100, html=False) == ["<" * 100, "<" * 50]


def test_truncate_marks_the_cut():
    assert truncate("短", 10) == "短"
    cut = truncate("一二三四五六七八九十十一", 6)
    assert cut == "一二三四五…" and visible_length(cut) == 6


def test_emoji_count_twice_as_telegram_counts_utf16():
    assert visible_length("🔥") == 2
    assert all(visible_length(p) <= 10 for p in split_text("🔥" * 12, limit=10))


user_words = st.text(alphabet="消防通道<>&\"' ab。！\n", min_size=0, max_size=40)
pieces = st.one_of(
    user_words.map(escape),
    user_words.map(lambda t: f"<b>{escape(t)}</b>"),
    user_words.map(lambda t: f'<a href="https://example.org/?a=1&amp;b=2">{escape(t)}</a>'),
    user_words.map(lambda t: f"<i>斜体<u>{escape(t)}</u></i>"),
    st.just("\n\n"),
    st.just("\n"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(pieces, min_size=1, max_size=60), st.integers(min_value=20, max_value=120))
def test_every_part_is_valid_html_within_the_limit_and_nothing_is_lost(
    chunks: list[str], limit: int
):
    text = "".join(chunks)
    plain, _ = parse_html(text)
    parts = split_text(text, limit=limit)
    seen = []
    for part in parts:
        part_plain, _ = parse_html(part)  # raises if a tag or an entity was cut
        assert len(part_plain) <= limit
        seen.append(part_plain)
    if len(parts) == 1 and parts[0] == text:
        return
    # Only whitespace at the cuts may go missing.
    assert "".join("".join(seen).split()) == "".join(plain.split())


def test_esc_escapes_markup_but_not_quotes():
    assert esc('<b>"A&B"</b>') == '&lt;b&gt;"A&amp;B"&lt;/b&gt;'


def test_pack_fills_each_message_up_to_the_limit_and_never_cuts_a_piece():
    assert pack([], 10) == []
    assert pack(["aaaa", "bbbb", "cc"], 9) == ["aaaa\nbbbb", "cc"]  # 9 characters fit exactly
    assert pack(["aaaa", "bbbb", "cc"], 8) == ["aaaa", "bbbb\ncc"]
    assert pack(["x" * 20, "y"], 10) == ["x" * 20, "y"]  # too long alone: left for split_text
    assert pack(["head", "", "tail"], 100) == ["head\n\ntail"]  # empty lines are kept
    assert pack(["a", "b"], 4, sep="\n\n") == ["a\n\nb"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet="ab字 ", max_size=12), max_size=30),
    st.integers(min_value=1, max_value=40),
    st.sampled_from(["\n", "\n\n"]),
)
def test_pack_keeps_everything_in_order_in_as_few_messages_as_fit(
    items: list[str], limit: int, sep: str
):
    messages = pack(items, limit, sep=sep)
    groups = [message.split(sep) for message in messages]  # items hold no line breaks
    assert [item for group in groups for item in group] == items
    for message, group in zip(messages, groups, strict=True):
        assert len(message) <= limit or len(group) == 1
    for message, following in zip(messages, groups[1:], strict=False):
        assert len(message + sep + following[0]) > limit  # it went on only when it had to
