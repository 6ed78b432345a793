"""What the person sees at each step of a form: HTML text and buttons as (label, action) pairs.

Pure: each Button's data is the form's own action; the Telegram adapter wraps it in callback data
(with the submission and its version) and turns the rows into a keyboard.
Actions are those `flow.press` understands, plus `submit` on the review card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models.forms import (
    AnyQuestion,
    DateQuestion,
    FormSpec,
    IntegerQuestion,
    MultiChoiceQuestion,
    PhotosQuestion,
    SingleChoiceQuestion,
    TextQuestion,
    YesNoQuestion,
)
from models.period import MonthPeriod
from services.forms.answers import NO, YES, format_answer, format_item
from services.forms.flow import (
    Ask,
    Draft,
    GroupMenu,
    current_step,
    pending_photos,
    review_card,
    selection,
    shorten,
)
from services.outbox import Button
from services.textsplit import esc

SUBMIT = "submit"


@dataclass(frozen=True)
class Screen:
    """One message: HTML text and rows of buttons."""

    text: str
    rows: list[list[Button]] = field(default_factory=list)


def hint(question: AnyQuestion) -> str:
    """How to answer, in one line."""
    if isinstance(question, IntegerQuestion):
        unit = f"（单位：{question.unit}）" if question.unit else ""
        return f"请输入整数{unit}。"
    if isinstance(question, YesNoQuestion):
        return "请点击“是”或“否”。"
    if isinstance(question, DateQuestion):
        return "请输入日期，例如 11月5日，或发送“今天”“昨天”。"
    if isinstance(question, SingleChoiceQuestion):
        return "请点击下方按钮选择一项。"
    if isinstance(question, MultiChoiceQuestion):
        return "可多选：点击选项勾选，选好后点击“完成”。"
    if isinstance(question, TextQuestion):
        return f"请输入文字（不超过{question.max_length}字）。"
    if isinstance(question, PhotosQuestion):
        span = (
            f"{question.min_count}张"
            if question.min_count == question.max_count
            else f"{question.min_count}至{question.max_count}张"
        )
        return f"请发送照片（{span}），发送完毕后点击“完成”。"
    return "请按提示逐条填写。"


def _grid(buttons: list[Button], per_row: int) -> list[list[Button]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _option_rows(question: AnyQuestion, ticked: list[int]) -> list[list[Button]]:
    if isinstance(question, YesNoQuestion):
        return [[Button(YES, "opt:0"), Button(NO, "opt:1")]]
    if isinstance(question, SingleChoiceQuestion):
        buttons = [Button(o, f"opt:{i}") for i, o in enumerate(question.options)]
        return _grid(buttons, 2 if max(len(o) for o in question.options) <= 8 else 1)
    if isinstance(question, MultiChoiceQuestion):
        buttons = [
            Button(("✅ " if i in ticked else "") + o, f"opt:{i}")
            for i, o in enumerate(question.options)
        ]
        rows = _grid(buttons, 2 if max(len(o) for o in question.options) <= 8 else 1)
        return [*rows, [Button("完成", "done")]]
    if isinstance(question, PhotosQuestion):
        return [[Button("完成", "done")]]
    return []


# Telegram allows 4096 characters; long answers are cut harder until the screen fits.
SCREEN_LIMIT = 3800
_CUTS = (200, 60, 20, 6)


def render(form: FormSpec, draft: Draft, *, period: MonthPeriod, heading: str = "") -> Screen:
    """The screen for the draft's current step; heading (e.g. 部门：消防大队) tops the review card."""
    step = current_step(form, draft)
    if isinstance(step, Ask):
        return _ask(form, draft, step, period)
    if isinstance(step, GroupMenu):
        return _fit(lambda cut: _menu(form, step, period, cut))
    numbers = [Button(f"修改{n}", f"edit:{q.key}") for n, q in enumerate(form.questions, start=1)]
    rows = [*_grid(numbers, 4), [Button("返回", "back"), Button("提交", SUBMIT)]]
    return _fit(
        lambda cut: Screen(
            review_card(form, draft, period=period, heading=heading, limit=cut), rows
        )
    )


def _fit(build: Callable[[int], Screen]) -> Screen:
    screen = build(_CUTS[0])
    for cut in _CUTS[1:]:
        if len(screen.text) <= SCREEN_LIMIT:
            break
        screen = build(cut)
    return screen


def _title(form: FormSpec, period: MonthPeriod, number: int, total: int) -> str:
    return f"<b>【{esc(form.title)}】{period.label}</b> 第{number}/{total}题"


def _ask(form: FormSpec, draft: Draft, step: Ask, period: MonthPeriod) -> Screen:
    question = step.question
    lines = [_title(form, period, step.number, step.total)]
    if step.group is not None:
        lines.append(f"{esc(step.group.label)} · 第{step.item_no}条{esc(step.group.item_name)}")
    optional = "" if question.required else "（选填）"
    lines.append(f"<b>{esc(question.label)}</b>{optional}")
    if question.help:
        lines.append(esc(question.help))
    lines.append(hint(question))
    ticked = selection(form, draft)
    if isinstance(question, MultiChoiceQuestion) and ticked:
        chosen = "、".join(question.options[i] for i in ticked)
        lines.append(f"已选：{esc(chosen)}")
    photos = pending_photos(form, draft)
    if isinstance(question, PhotosQuestion) and photos:
        lines.append(f"已收到{len(photos)}张照片。")
    if step.answered:
        lines.append(f"当前答案：{esc(_shown(question, step.current))}")
    rows = _option_rows(question, ticked)
    nav = [Button("返回", "back")]
    if not question.required:
        nav.append(Button("跳过", "skip"))
    if step.answered:
        nav.append(Button("保持不变", "keep"))
    return Screen("\n".join(lines), [*rows, nav])


def _shown(question: AnyQuestion, value: Any) -> str:
    return shorten(format_answer(question, value))


def _menu(form: FormSpec, step: GroupMenu, period: MonthPeriod, cut: int) -> Screen:
    group = step.group
    lines = [_title(form, period, step.number, step.total)]
    optional = "" if group.required else "（选填）"
    lines.append(f"<b>{esc(group.label)}</b>{optional}")
    if group.help:
        lines.append(esc(group.help))
    if step.items:
        lines.append(f"已填写{len(step.items)}条{esc(group.item_name)}：")
        for n, item in enumerate(step.items, start=1):
            lines.append(f"（{n}）{esc(shorten(format_item(group, item), cut))}")
    else:
        lines.append(f"尚未填写{esc(group.item_name)}。")
    can_add = len(step.items) < group.max_items
    if can_add and step.items:
        lines.append("如需继续添加，请点击“再加一条”；全部填写完毕，请点击“完成”。")
    elif can_add:
        none = "完成" if group.min_items == 0 else "跳过"
        tail = f"；如本月没有，请点击“{none}”" if group.min_items == 0 or not group.required else ""
        lines.append(f"请点击“添加{esc(group.item_name)}”逐条填写{tail}。")
    else:
        lines.append("已达到条数上限，请点击“完成”。")
    first: list[Button] = []
    if can_add:
        first.append(Button("再加一条" if step.items else f"添加{group.item_name}", "add"))
    first.append(Button("完成", "done"))
    rows = [first]
    deletes = [Button(f"删除第{n}条", f"del:{n - 1}") for n in range(1, len(step.items) + 1)]
    rows.extend(_grid(deletes, 3))
    nav = [Button("返回", "back")]
    if not group.required and not step.items:
        nav.append(Button("跳过", "skip"))
    rows.append(nav)
    return Screen("\n".join(lines), rows)
