"""Parse, check and show one answer to one question; pure (no I/O, today and period passed in).

Answers are JSON values: integer -> int, yes_no -> bool, date -> "YYYY-MM-DD", single_choice ->
the option text, multi_choice -> option texts in option order, text -> str, photos -> file ids,
group -> list of {sub_key: answer}; a skipped question -> None.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from models.forms import (
    AnyQuestion,
    DateQuestion,
    GroupQuestion,
    IntegerQuestion,
    MultiChoiceQuestion,
    PhotosQuestion,
    SingleChoiceQuestion,
    TextQuestion,
    YesNoQuestion,
)
from models.period import MonthPeriod
from services.timefmt import fmt_date

SKIPPED_TEXT = "（未填写）"
YES, NO = "是", "否"


@dataclass(frozen=True)
class Ok:
    """An accepted answer."""

    value: Any


@dataclass(frozen=True)
class Err:
    """A refused answer, with one Chinese line saying what is wrong."""

    message: str


ParseResult = Ok | Err


@dataclass(frozen=True)
class Choice:
    """Options chosen by button: 0-based indices (是 = 0, 否 = 1 for yes/no)."""

    indices: tuple[int, ...]


@dataclass(frozen=True)
class Photos:
    """Photos sent, as Telegram file ids."""

    file_ids: tuple[str, ...]


RawAnswer = str | Choice | Photos

_YES_WORDS = {"是", "是的", "有", "对", "已", "已召开", "已开展", "yes", "y", "ok", "√", "✓"}
_NO_WORDS = {"否", "不是", "无", "没有", "未", "未召开", "未开展", "no", "n", "×", "✗"}
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_FULL_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$|^(\d{4})(\d{2})(\d{2})$"
)
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_DAY_ONLY = re.compile(r"^(\d{1,2})\s*[日号]$")
_INTEGER = re.compile(r"^([-+]?)\s*([0-9]+)(?:\.([0-9]+))?\s*(\S*)$")
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_DIGITS |= {"八": 8, "九": 9}
_CN_NUMBER = re.compile(r"^([零一二两三四五六七八九]?)(十?)([一二三四五六七八九]?)(\S*)$")
_SEPARATORS = re.compile(r"[,，、;；/\n]+|\s{1,}")


def clean_text(raw: str) -> str:
    """Drop control characters and lone surrogates (the database refuses some), unify newlines."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()


def _normal(raw: str) -> str:
    """Text for matching: full-width folded (NFKC), cleaned, case-folded."""
    return clean_text(unicodedata.normalize("NFKC", raw)).casefold()


def parse_answer(
    question: AnyQuestion, raw: RawAnswer, *, period: MonthPeriod, today: date
) -> ParseResult:
    """Check one raw answer (typed text, pressed buttons or photos) against its question."""
    if isinstance(question, IntegerQuestion):
        return _integer(question, raw)
    if isinstance(question, YesNoQuestion):
        return _yes_no(raw)
    if isinstance(question, DateQuestion):
        return _date(question, raw, period, today)
    if isinstance(question, SingleChoiceQuestion):
        return _single(question, raw)
    if isinstance(question, MultiChoiceQuestion):
        return _multi(question, raw)
    if isinstance(question, TextQuestion):
        return _text(question, raw)
    if isinstance(question, PhotosQuestion):
        return _photos(question, raw)
    return Err("请按提示逐条填写；填写完毕后点击“完成”。")


def _unit_hint(question: IntegerQuestion) -> str:
    return f"（单位：{question.unit}）" if question.unit else ""


def _integer(question: IntegerQuestion, raw: RawAnswer) -> ParseResult:
    ask = f"请输入整数{_unit_hint(question)}，例如 3。"
    if not isinstance(raw, str):
        return Err(ask)
    text = _normal(raw)
    if len(text) > 40:
        return Err(ask)
    value = _cn_integer(text, question.unit)
    if value is None:
        match = _INTEGER.match(text)
        if match is None:
            return Err(ask)
        sign, digits, decimals, suffix = match.groups()
        if suffix and suffix != question.unit.casefold():
            return Err(ask)
        if decimals is not None:
            return Err(f"请输入整数，不要带小数点{_unit_hint(question)}。")
        value = int(digits)
        if sign == "-" and value != 0:
            return Err(f"不能为负数，请输入0或更大的整数{_unit_hint(question)}。")
    if value < question.min:
        return Err(f"不能小于{question.min}{question.unit}，请重新输入。")
    if value > question.max:
        return Err(f"不能大于{question.max}{question.unit}，请核对后重新输入。")
    return Ok(value)


def _cn_integer(text: str, unit: str) -> int | None:
    """Read a small Chinese numeral such as 三、十二、二十五 (0..99), with an optional unit."""
    match = _CN_NUMBER.match(text)
    if match is None or not any(match.group(i) for i in (1, 2, 3)):
        return None
    tens_digit, ten, ones = match.group(1), match.group(2), match.group(3)
    if match.group(4) and match.group(4) != unit.casefold():
        return None
    if ten:
        if tens_digit == "零":
            return None
        return _CN_DIGITS.get(tens_digit, 1) * 10 + _CN_DIGITS.get(ones, 0)
    if ones:
        return None
    return _CN_DIGITS[tens_digit]


def _yes_no(raw: RawAnswer) -> ParseResult:
    ask = "请点击“是”或“否”。"
    if isinstance(raw, Choice):
        if raw.indices == (0,):
            return Ok(True)
        if raw.indices == (1,):
            return Ok(False)
        return Err(ask)
    if isinstance(raw, str):
        text = _normal(raw).rstrip("。.!！")
        if text in _YES_WORDS:
            return Ok(True)
        if text in _NO_WORDS:
            return Ok(False)
    return Err(ask)


def _date(question: DateQuestion, raw: RawAnswer, period: MonthPeriod, today: date) -> ParseResult:
    ask = "请输入日期，例如 11月5日、2026-11-05，或发送“今天”“昨天”。"
    if not isinstance(raw, str):
        return Err(ask)
    text = _normal(raw).rstrip("。.")
    if len(text) > 20:
        return Err(ask)
    day: date | None
    try:
        day = _read_date(text, period, today)
    except ValueError:
        return Err(f"没有这一天，请核对后重新输入，例如 {period.month}月5日。")
    if day is None:
        return Err(ask)
    if day not in period:
        return Err(f"日期须在{period.label}内。")
    if day > today and not question.allow_future:
        return Err(f"日期不能晚于今天（{fmt_date(today)}）。")
    return Ok(day.isoformat())


def _read_date(text: str, period: MonthPeriod, today: date) -> date | None:
    """The date a text names, None if it names none; ValueError for an impossible one."""
    if text in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[text])
    match = _FULL_DATE.match(text)
    if match:
        parts = [g for g in match.groups() if g is not None]
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    match = _MONTH_DAY.match(text)
    if match:
        return date(period.year, int(match.group(1)), int(match.group(2)))
    match = _DAY_ONLY.match(text)
    if match:
        return date(period.year, period.month, int(match.group(1)))
    return None


def _option_index(options: list[str], text: str) -> int | None:
    """The option a typed text names: its text (case and width folded) or its number from 1."""
    for i, option in enumerate(options):
        if _normal(option) == text:
            return i
    if text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= len(options):
        return int(text) - 1
    return None


def _single(question: SingleChoiceQuestion, raw: RawAnswer) -> ParseResult:
    ask = "请点击按钮选择一项：" + "、".join(question.options) + "。"
    if isinstance(raw, Choice):
        if len(raw.indices) == 1 and 0 <= raw.indices[0] < len(question.options):
            return Ok(question.options[raw.indices[0]])
        return Err(ask)
    if isinstance(raw, str):
        index = _option_index(question.options, _normal(raw).rstrip("。."))
        if index is not None:
            return Ok(question.options[index])
    return Err(ask)


def _multi(question: MultiChoiceQuestion, raw: RawAnswer) -> ParseResult:
    if isinstance(raw, Photos):
        return Err("请点击按钮选择，选好后点击“完成”。")
    if isinstance(raw, Choice):
        if any(not 0 <= i < len(question.options) for i in raw.indices):
            return Err("该选项已失效，请重新选择。")
        chosen = set(raw.indices)
    elif (whole := _option_index(question.options, _normal(raw).rstrip("。."))) is not None:
        chosen = {whole}
    else:
        chosen = set()
        for part in _SEPARATORS.split(_normal(raw)):
            part = part.rstrip("。.")
            if not part:
                continue
            index = _option_index(question.options, part)
            if index is None:
                shown = part if len(part) <= 20 else part[:20] + "…"
                return Err(f"没有“{shown}”这一选项，请点击按钮选择，选好后点击“完成”。")
            chosen.add(index)
    if len(chosen) < question.min_selected:
        return Err(f"请至少选择{question.min_selected}项。")
    if len(chosen) > question.max_count:
        return Err(f"最多选择{question.max_count}项，当前{len(chosen)}项。")
    return Ok([option for i, option in enumerate(question.options) if i in chosen])


def _text(question: TextQuestion, raw: RawAnswer) -> ParseResult:
    if not isinstance(raw, str):
        return Err("请输入文字。")
    text = unicodedata.normalize("NFC", clean_text(raw))
    if not text:
        return Err("内容不能为空，请重新输入。")
    if len(text) > question.max_length:
        return Err(f"内容过长：最多{question.max_length}字，当前{len(text)}字，请精简后重新发送。")
    return Ok(text)


def _photos(question: PhotosQuestion, raw: RawAnswer) -> ParseResult:
    if not isinstance(raw, Photos):
        return Err("请发送照片；发送完毕后点击“完成”。")
    ids = [i for i in raw.file_ids if i]
    if len(ids) < question.min_count:
        return Err(f"请至少发送{question.min_count}张照片。")
    if len(ids) > question.max_count:
        return Err(f"最多{question.max_count}张照片，当前{len(ids)}张。")
    return Ok(ids)


def format_answer(question: AnyQuestion, value: Any) -> str:
    """An answer in Chinese for the review card and the bulletin (plain text, not escaped)."""
    if value is None:
        return SKIPPED_TEXT
    if isinstance(question, IntegerQuestion):
        return f"{value}{question.unit}"
    if isinstance(question, YesNoQuestion):
        return YES if value else NO
    if isinstance(question, DateQuestion):
        return fmt_date(date.fromisoformat(value))
    if isinstance(question, MultiChoiceQuestion):
        return "、".join(value)
    if isinstance(question, PhotosQuestion):
        return f"{len(value)}张照片"
    if isinstance(question, GroupQuestion):
        if not value:
            return "无"
        return "\n".join(
            f"（{n}）{format_item(question, item)}" for n, item in enumerate(value, start=1)
        )
    return str(value)


def format_item(group: GroupQuestion, item: dict[str, Any]) -> str:
    """One repeating-group item on one line: 日期：…；人数：…."""
    return "；".join(
        f"{sub.label}：{format_answer(sub, item.get(sub.key))}" for sub in group.questions
    )
