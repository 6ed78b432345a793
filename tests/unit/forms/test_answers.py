"""Each question type: what is accepted, what is refused, and the exact one-line message."""

from __future__ import annotations

from datetime import date

import pytest

from services.forms.answers import (
    Choice,
    Err,
    Ok,
    Photos,
    clean_text,
    format_answer,
    parse_answer,
)
from services.timefmt import fmt_date
from tests.unit.forms.helpers import PERIOD, TODAY, question


def parse(q, raw):
    return parse_answer(q, raw, period=PERIOD, today=TODAY)


INT = question(type="integer", unit="次", max=100)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12", 12),
        ("１２", 12),
        ("12次", 12),
        ("12 次", 12),
        (" 0 ", 0),
        ("+7", 7),
        ("三", 3),
        ("十二次", 12),
        ("二十", 20),
        ("１００", 100),
    ],
)
def test_integer_accepts(raw, value):
    assert parse(INT, raw) == Ok(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-3", "不能为负数，请输入0或更大的整数（单位：次）。"),
        ("－3次", "不能为负数，请输入0或更大的整数（单位：次）。"),
        ("1.5", "请输入整数，不要带小数点（单位：次）。"),
        ("2.0次", "请输入整数，不要带小数点（单位：次）。"),
        ("101", "不能大于100次，请核对后重新输入。"),
        ("十二人", "请输入整数（单位：次），例如 3。"),
        ("12人", "请输入整数（单位：次），例如 3。"),
        ("很多", "请输入整数（单位：次），例如 3。"),
        ("", "请输入整数（单位：次），例如 3。"),
        ("9" * 5000, "请输入整数（单位：次），例如 3。"),
    ],
)
def test_integer_refuses(raw, message):
    assert parse(INT, raw) == Err(message)


def test_integer_minimum_and_no_unit():
    q = question(type="integer", unit="人", min=1)
    assert parse(q, "0") == Err("不能小于1人，请重新输入。")
    bare = question(type="integer")
    assert parse(bare, "5") == Ok(5)
    assert parse(bare, "5次") == Err("请输入整数，例如 3。")
    assert parse(bare, Choice((1,))) == Err("请输入整数，例如 3。")


YN = question(type="yes_no")


@pytest.mark.parametrize("raw", ["是", "有", "yes", "YES", "Ｙｅｓ", "是的", Choice((0,))])
def test_yes(raw):
    assert parse(YN, raw) == Ok(True)


@pytest.mark.parametrize("raw", ["否", "无", "no", "没有", Choice((1,))])
def test_no(raw):
    assert parse(YN, raw) == Ok(False)


@pytest.mark.parametrize("raw", ["也许", "", Choice((2,)), Photos(("x",))])
def test_yes_no_refuses(raw):
    assert parse(YN, raw) == Err("请点击“是”或“否”。")


DATE = question(type="date")


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("2026-11-05", "2026-11-05"),
        ("2026/11/5", "2026-11-05"),
        ("2026.11.5", "2026-11-05"),
        ("2026年11月5日", "2026-11-05"),
        ("11月5日", "2026-11-05"),
        ("11月5号", "2026-11-05"),
        ("１１月５日", "2026-11-05"),
        ("11/5", "2026-11-05"),
        ("11-5", "2026-11-05"),
        ("5日", "2026-11-05"),
        ("20261105", "2026-11-05"),
        ("今天", "2026-11-20"),
        ("昨天", "2026-11-19"),
        ("前天", "2026-11-18"),
        ("2026-11-20", "2026-11-20"),
    ],
)
def test_date_accepts(raw, iso):
    assert parse(DATE, raw) == Ok(iso)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-10-31", "日期须在2026年11月内。"),
        ("12月1日", "日期须在2026年11月内。"),
        ("2025-11-05", "日期须在2026年11月内。"),
        ("11月31日", "没有这一天，请核对后重新输入，例如 11月5日。"),
        ("2026-13-01", "没有这一天，请核对后重新输入，例如 11月5日。"),
        ("11月21日", "日期不能晚于今天（2026年11月20日（周五））。"),
        ("上周", "请输入日期，例如 11月5日、2026-11-05，或发送“今天”“昨天”。"),
        ("", "请输入日期，例如 11月5日、2026-11-05，或发送“今天”“昨天”。"),
        (Choice((0,)), "请输入日期，例如 11月5日、2026-11-05，或发送“今天”“昨天”。"),
    ],
)
def test_date_refuses(raw, message):
    assert parse(DATE, raw) == Err(message)


def test_relative_date_outside_period_is_refused():
    q = question(type="date")
    assert parse_answer(q, "昨天", period=PERIOD, today=date(2026, 11, 1)) == Err(
        "日期须在2026年11月内。"
    )


def test_future_date_allowed_when_declared():
    q = question(type="date", allow_future=True)
    assert parse(q, "11月30日") == Ok("2026-11-30")


TEXT = question(type="text", max_length=10)


def test_text_trims_and_keeps_full_width_punctuation():
    assert parse(TEXT, "  已完成，良好。 \n") == Ok("已完成，良好。")


def test_text_drops_control_characters():
    assert parse(TEXT, "a\x00b\x07c") == Ok("abc")
    assert clean_text("行1\r\n行2") == "行1\n行2"


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", "\n\n"])
def test_text_refuses_empty(raw):
    assert parse(TEXT, raw) == Err("内容不能为空，请重新输入。")


def test_text_refuses_too_long_naming_limit_and_length():
    assert parse(TEXT, "一" * 23) == Err("内容过长：最多10字，当前23字，请精简后重新发送。")
    assert parse(TEXT, "一" * 10) == Ok("一" * 10)


def test_text_refuses_buttons_and_photos():
    assert parse(TEXT, Photos(("p",))) == Err("请输入文字。")


SINGLE = question(type="single_choice", options=["社区", "物业企业", "Other"])


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (Choice((1,)), "物业企业"),
        ("物业企业", "物业企业"),
        (" 社区 ", "社区"),
        ("other", "Other"),
        ("ＯＴＨＥＲ", "Other"),
        ("2", "物业企业"),
    ],
)
def test_single_choice_accepts(raw, value):
    assert parse(SINGLE, raw) == Ok(value)


@pytest.mark.parametrize("raw", ["学校", "4", "0", Choice((3,)), Choice((0, 1)), Choice(())])
def test_single_choice_refuses(raw):
    assert parse(SINGLE, raw) == Err("请点击按钮选择一项：社区、物业企业、Other。")


MULTI = question(type="multi_choice", options=["公安", "住建", "消防", "社区"], max_selected=3)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (Choice((2, 0)), ["公安", "消防"]),
        ("消防、公安", ["公安", "消防"]),
        ("公安，住建,社区", ["公安", "住建", "社区"]),
        ("1 3", ["公安", "消防"]),
        ("住建", ["住建"]),
    ],
)
def test_multi_choice_accepts(raw, value):
    assert parse(MULTI, raw) == Ok(value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (Choice(()), "请至少选择1项。"),
        ("", "请至少选择1项。"),
        (Choice((0, 1, 2, 3)), "最多选择3项，当前4项。"),
        ("公安、学校", "没有“学校”这一选项，请点击按钮选择，选好后点击“完成”。"),
        (Choice((9,)), "该选项已失效，请重新选择。"),
        (Photos(("p",)), "请点击按钮选择，选好后点击“完成”。"),
    ],
)
def test_multi_choice_refuses(raw, message):
    assert parse(MULTI, raw) == Err(message)


PHOTOS = question(type="photos", min_count=2, max_count=3)


def test_photos_accepts_file_ids_within_bounds():
    assert parse(PHOTOS, Photos(("a", "b"))) == Ok(["a", "b"])
    assert parse(PHOTOS, Photos(("a", "b", "c"))) == Ok(["a", "b", "c"])


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (Photos(("a",)), "请至少发送2张照片。"),
        (Photos(("a", "b", "c", "d")), "最多3张照片，当前4张。"),
        ("照片", "请发送照片；发送完毕后点击“完成”。"),
    ],
)
def test_photos_refuses(raw, message):
    assert parse(PHOTOS, raw) == Err(message)


def test_group_refuses_direct_answers():
    group = question(
        type="group", questions=[{"key": "d", "type": "date", "label": "日期"}], min_items=0
    )
    assert parse(group, "x") == Err("请按提示逐条填写；填写完毕后点击“完成”。")


def test_format_answer_in_chinese():
    assert format_answer(INT, 12) == "12次"
    assert format_answer(YN, True) == "是"
    assert format_answer(YN, False) == "否"
    assert format_answer(DATE, "2026-12-01") == "2026年12月1日（周二）"
    assert format_answer(MULTI, ["公安", "消防"]) == "公安、消防"
    assert format_answer(SINGLE, "社区") == "社区"
    assert format_answer(PHOTOS, ["a", "b"]) == "2张照片"
    assert format_answer(TEXT, "好") == "好"
    assert format_answer(TEXT, None) == "（未填写）"
    group = question(
        type="group",
        questions=[
            {"key": "d", "type": "date", "label": "日期"},
            {"key": "n", "type": "integer", "label": "人数", "unit": "人"},
        ],
    )
    items = [{"d": "2026-11-05", "n": 30}, {"d": "2026-11-12", "n": None}]
    assert format_answer(group, items) == (
        "（1）日期：2026年11月5日（周四）；人数：30人\n（2）日期：2026年11月12日（周四）；人数：（未填写）"
    )
    assert format_answer(group, []) == "无"
    assert fmt_date(date(2026, 11, 20)) == "2026年11月20日（周五）"
