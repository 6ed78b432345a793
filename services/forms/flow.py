"""Walking a form one question at a time: a pure state machine over a JSON-serializable draft.

The draft is the whole state (the database stores `draft.model_dump(mode="json")`). The step
shown is derived from it: an open repeating group first, then an explicit cursor (set by 返回
or 修改), else the first unanswered question, else the review card. Every operation returns a
new draft and, when the input is refused, one Chinese line saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from models.forms import (
    AnyQuestion,
    FormSpec,
    GroupQuestion,
    MultiChoiceQuestion,
    PhotosQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
)
from models.period import MonthPeriod
from services.forms.answers import (
    Choice,
    Err,
    Photos,
    RawAnswer,
    format_answer,
    format_item,
    parse_answer,
)
from services.ids import parse_id
from services.textsplit import esc

REVIEW_TEXT_LIMIT = 200


class GroupProgress(BaseModel):
    """A repeating group being filled: finished items, and the item in progress (if any)."""

    key: str
    items: list[dict[str, Any]] = Field(default_factory=list)
    item: dict[str, Any] | None = None
    sub: str | None = None


class Pending(BaseModel):
    """Selections toggled (multi choice) or photos received, not yet confirmed with 完成."""

    at: str
    values: list[Any] = Field(default_factory=list)


class Draft(BaseModel):
    """Everything a person has entered so far for one form."""

    answers: dict[str, Any] = Field(default_factory=dict)
    cursor: str | None = None
    group: GroupProgress | None = None
    pending: Pending | None = None


@dataclass(frozen=True)
class Ask:
    """A question to answer: top-level, or a sub-question of a group item."""

    question: AnyQuestion
    number: int
    total: int
    group: GroupQuestion | None = None
    item_no: int | None = None
    answered: bool = False
    current: Any = None

    @property
    def id(self) -> str:
        if self.group is not None:
            return f"g:{self.group.key}:{self.item_no}:{self.question.key}"
        return f"q:{self.question.key}"


@dataclass(frozen=True)
class GroupMenu:
    """Between the items of a repeating group: 再加一条 / 完成 (and 删除 per item)."""

    group: GroupQuestion
    items: list[dict[str, Any]]
    number: int
    total: int

    @property
    def id(self) -> str:
        return f"m:{self.group.key}"


@dataclass(frozen=True)
class Review:
    """Every question answered: the review card with 修改 per answer and 提交."""

    id: str = "review"


Step = Ask | GroupMenu | Review


@dataclass(frozen=True)
class Outcome:
    """The draft after an operation, and the reason if the input was refused."""

    draft: Draft
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def _answered(question: AnyQuestion, answers: dict[str, Any]) -> bool:
    # A required question holding None (the form changed since) counts as unanswered.
    return question.key in answers and (answers[question.key] is not None or not question.required)


def _index(form: FormSpec, key: str) -> int:
    return next(i for i, q in enumerate(form.questions) if q.key == key)


def _open_group(question: GroupQuestion, answers: dict[str, Any], *, fresh: bool) -> GroupProgress:
    if fresh:
        start_item = question.required and question.min_items >= 1
        return GroupProgress(key=question.key, item={} if start_item else None)
    return GroupProgress(key=question.key, items=list(answers.get(question.key) or []))


def normalize(form: FormSpec, draft: Draft) -> Draft:
    """The same draft with lazy transitions made explicit (a group about to be entered is opened)."""
    d = draft.model_copy(deep=True)
    if d.group is not None and not isinstance(form.question(d.group.key), GroupQuestion):
        d.group = None  # the form lost that group since the draft was saved
    if d.cursor is not None and form.question(d.cursor) is None:
        d.cursor = None
    if d.group is None and d.cursor is not None:
        question = form.question(d.cursor)
        if isinstance(question, GroupQuestion):
            d.group = _open_group(question, d.answers, fresh=False)
            d.cursor = None
    if d.group is None and d.cursor is None:
        first = next((q for q in form.questions if not _answered(q, d.answers)), None)
        if isinstance(first, GroupQuestion):
            d.group = _open_group(first, d.answers, fresh=True)
    if d.group is not None and d.group.item is not None:
        group = form.question(d.group.key)
        assert isinstance(group, GroupQuestion)
        if d.group.sub is not None and group.sub(d.group.sub) is None:
            d.group.sub = None
    return d


def current_step(form: FormSpec, draft: Draft) -> Step:
    """The step the draft is at."""
    d = normalize(form, draft)
    total = len(form.questions)
    if d.group is not None:
        group = form.question(d.group.key)
        assert isinstance(group, GroupQuestion)
        number = _index(form, group.key) + 1
        if d.group.item is None:
            return GroupMenu(group=group, items=list(d.group.items), number=number, total=total)
        item = d.group.item
        sub_key = d.group.sub or next(
            (s.key for s in group.questions if not _answered(s, item)), group.questions[-1].key
        )
        sub = group.sub(sub_key)
        assert sub is not None
        return Ask(
            question=sub,
            number=number,
            total=total,
            group=group,
            item_no=len(d.group.items) + 1,
            answered=sub.key in item,
            current=item.get(sub.key),
        )
    if d.cursor is not None:
        question = form.question(d.cursor)
        assert question is not None
    else:
        first = next((q for q in form.questions if not _answered(q, d.answers)), None)
        if first is None:
            return Review()
        question = first
    return Ask(
        question=question,
        number=_index(form, question.key) + 1,
        total=total,
        answered=question.key in d.answers,
        current=d.answers.get(question.key),
    )


def is_complete(form: FormSpec, draft: Draft) -> bool:
    """Whether every question is answered (or skipped where allowed) and no group is open."""
    return isinstance(current_step(form, draft), Review) and all(
        _answered(q, draft.answers) for q in form.questions
    )


def answered_count(form: FormSpec, draft: Draft) -> int:
    """How many top-level questions hold an answer (for 已填写3/7题)."""
    return sum(1 for q in form.questions if _answered(q, draft.answers))


def _store(form: FormSpec, d: Draft, step: Ask, value: Any) -> Draft:
    """Record value for step and move on (d is already a normalized private copy)."""
    d.pending = None
    if step.group is None:
        d.answers[step.question.key] = value
        d.cursor = None
        return d
    progress = d.group
    assert progress is not None and progress.item is not None
    progress.item[step.question.key] = value
    progress.sub = None
    if all(_answered(s, progress.item) for s in step.group.questions):
        progress.items.append({s.key: progress.item.get(s.key) for s in step.group.questions})
        progress.item = None
    return d


def answer(
    form: FormSpec, draft: Draft, raw: RawAnswer, *, period: MonthPeriod, today: date
) -> Outcome:
    """Answer the current question with typed text, pressed options or photos."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if isinstance(step, GroupMenu):
        return Outcome(d, _menu_hint(step))
    if isinstance(step, Review):
        return Outcome(d, "请核对后点击“提交”；如需更改，请点击对应的“修改”。")
    result = parse_answer(step.question, raw, period=period, today=today)
    if isinstance(result, Err):
        return Outcome(d, result.message)
    return Outcome(_store(form, d, step, result.value))


def _menu_hint(step: GroupMenu) -> str:
    if len(step.items) >= step.group.max_items:
        return "已达到条数上限，请点击“完成”。"
    add = "再加一条" if step.items else f"添加{step.group.item_name}"  # the label on screen
    return f"请点击“{add}”或“完成”。"


def choose(
    form: FormSpec, draft: Draft, index: int, *, period: MonthPeriod, today: date
) -> Outcome:
    """An option button: answers a single choice or yes/no; toggles a multiple choice."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if not isinstance(step, Ask) or not isinstance(
        step.question, SingleChoiceQuestion | YesNoQuestion | MultiChoiceQuestion
    ):
        return Outcome(d, "该按钮已失效，请按当前问题作答。")
    if isinstance(step.question, MultiChoiceQuestion):
        if not 0 <= index < len(step.question.options):
            return Outcome(d, "该选项已失效，请重新选择。")
        selected = set(_selection(step, d))
        selected ^= {index}
        d.pending = Pending(at=step.id, values=sorted(selected))
        return Outcome(d)
    return answer(form, d, Choice((index,)), period=period, today=today)


def _selection(step: Ask, d: Draft) -> list[int]:
    """Options toggled so far for a multiple choice: pending ones, else the saved answer."""
    if d.pending is not None and d.pending.at == step.id:
        return [int(v) for v in d.pending.values]
    assert isinstance(step.question, MultiChoiceQuestion)
    if isinstance(step.current, list):
        return [i for i, o in enumerate(step.question.options) if o in step.current]
    return []


def selection(form: FormSpec, draft: Draft) -> list[int]:
    """Indices currently ticked on a multiple-choice step (for the ✅ marks)."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if isinstance(step, Ask) and isinstance(step.question, MultiChoiceQuestion):
        return _selection(step, d)
    return []


def pending_photos(form: FormSpec, draft: Draft) -> list[str]:
    """Photos received for the current photos step, not yet confirmed."""
    step = current_step(form, draft)
    if draft.pending is not None and draft.pending.at == getattr(step, "id", None):
        return [str(v) for v in draft.pending.values]
    return []


def add_photo(
    form: FormSpec, draft: Draft, file_id: str, *, period: MonthPeriod, today: date
) -> Outcome:
    """A photo sent: collected for a photos question; once the maximum is reached it is answered."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if not isinstance(step, Ask):
        return Outcome(d, "当前无需发送照片。")
    question = step.question
    if not isinstance(question, PhotosQuestion):
        return answer(form, d, Photos((file_id,)), period=period, today=today)
    photos = pending_photos(form, d)
    if file_id not in photos:
        photos.append(file_id)
    d.pending = Pending(at=step.id, values=list(photos))
    if len(photos) >= question.max_count:
        return answer(form, d, Photos(tuple(photos)), period=period, today=today)
    return Outcome(d)


def done(form: FormSpec, draft: Draft, *, period: MonthPeriod, today: date) -> Outcome:
    """完成: confirms toggled options or collected photos, or closes a repeating group."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if isinstance(step, GroupMenu):
        group = step.group
        if len(step.items) < group.min_items:
            return Outcome(d, f"请至少填写{group.min_items}条{group.item_name}。")
        d.answers[group.key] = list(step.items)
        d.group = None
        d.cursor = None
        d.pending = None
        return Outcome(d)
    if isinstance(step, Ask) and isinstance(step.question, MultiChoiceQuestion):
        raw: RawAnswer = Choice(tuple(_selection(step, d)))
        return answer(form, d, raw, period=period, today=today)
    if isinstance(step, Ask) and isinstance(step.question, PhotosQuestion):
        photos = tuple(pending_photos(form, d))
        return answer(form, d, Photos(photos), period=period, today=today)
    return Outcome(d, "该按钮已失效，请按当前问题作答。")


def skip(form: FormSpec, draft: Draft) -> Outcome:
    """跳过: only an optional question (or an optional group with no items yet)."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if isinstance(step, Review):
        return Outcome(d, "所有问题均已作答，请核对后提交。")
    if isinstance(step, GroupMenu):
        if step.group.required:
            return Outcome(d, "此题为必答题，不能跳过。")
        if step.items:
            return Outcome(d, "已填写记录，请点击“完成”；如需删除，请点击对应的“删除”。")
        d.answers[step.group.key] = None
        d.group = None
        d.cursor = None
        return Outcome(d)
    if step.question.required:
        return Outcome(d, "此题为必答题，不能跳过。")
    return Outcome(_store(form, d, step, None))


def keep(form: FormSpec, draft: Draft) -> Outcome:
    """保持不变: leave a revisited question as it was and move on."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if not isinstance(step, Ask) or not step.answered:
        return Outcome(d, "此题尚未作答，请先作答。")
    return Outcome(_store(form, d, step, step.current))


def back(form: FormSpec, draft: Draft) -> Outcome:
    """返回: go to the previous question (inside a group: the previous sub-question or item)."""
    d = normalize(form, draft)
    step = current_step(form, d)
    d.pending = None
    if isinstance(step, Review):
        return Outcome(_go_to(form, d, len(form.questions) - 1))
    if isinstance(step, GroupMenu):
        progress = d.group
        assert progress is not None
        if progress.items:
            progress.item = progress.items.pop()
            progress.sub = step.group.questions[-1].key
            return Outcome(d)
        return _leave_backwards(form, draft, d, step.number - 1)
    if step.group is not None:
        progress = d.group
        assert progress is not None
        position = next(i for i, s in enumerate(step.group.questions) if s.key == step.question.key)
        if position > 0:
            progress.sub = step.group.questions[position - 1].key
            return Outcome(d)
        if progress.items:
            progress.item = None
            progress.sub = None
            return Outcome(d)
    return _leave_backwards(form, draft, d, step.number - 1)


def _leave_backwards(form: FormSpec, original: Draft, d: Draft, index: int) -> Outcome:
    """Move from the top-level question at index to the one before it (d: a private copy)."""
    if index <= 0:
        return Outcome(normalize(form, original), "已是第一题。")
    d.group = None
    return Outcome(_go_to(form, d, index - 1))


def _go_to(form: FormSpec, d: Draft, index: int) -> Draft:
    target = form.questions[index]
    d.pending = None
    if isinstance(target, GroupQuestion):
        d.cursor = None
        d.group = _open_group(target, d.answers, fresh=False)
    else:
        d.group = None
        d.cursor = target.key
    return d


def edit(form: FormSpec, draft: Draft, key: str) -> Outcome:
    """修改 on the review card: reopen one answer (a group reopens with its items listed)."""
    d = normalize(form, draft)
    if not isinstance(current_step(form, d), Review):
        return Outcome(d, "请先完成当前问题，再在核对页修改。")
    question = form.question(key)
    if question is None:
        return Outcome(d, "该问题已不存在。")
    return Outcome(_go_to(form, d, _index(form, key)))


def add_item(form: FormSpec, draft: Draft) -> Outcome:
    """再加一条: start a new item of the open group."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if not isinstance(step, GroupMenu):
        return Outcome(d, "该按钮已失效，请按当前问题作答。")
    if len(step.items) >= step.group.max_items:
        return Outcome(d, f"最多可填写{step.group.max_items}条{step.group.item_name}。")
    assert d.group is not None
    d.group.item = {}
    d.group.sub = None
    return Outcome(d)


def delete_item(form: FormSpec, draft: Draft, index: int) -> Outcome:
    """删除第N条 in the group menu (index from 0)."""
    d = normalize(form, draft)
    step = current_step(form, d)
    if not isinstance(step, GroupMenu) or d.group is None:
        return Outcome(d, "该按钮已失效，请按当前问题作答。")
    if not 0 <= index < len(d.group.items):
        return Outcome(d, "该条记录已不存在。")
    d.group.items.pop(index)
    return Outcome(d)


def press(
    form: FormSpec, draft: Draft, action: str, *, period: MonthPeriod, today: date
) -> Outcome:
    """Apply a button action: opt:N, done, skip, keep, back, add, del:N, edit:KEY."""
    name, _, arg = action.partition(":")
    index = parse_id(arg, minimum=0)
    if name == "opt" and index is not None:
        return choose(form, draft, index, period=period, today=today)
    if name == "del" and index is not None:
        return delete_item(form, draft, index)
    if name == "edit" and arg:
        return edit(form, draft, arg)
    simple = {"skip": skip, "keep": keep, "back": back, "add": add_item}
    if name in simple and not arg:
        return simple[name](form, draft)
    if name == "done" and not arg:
        return done(form, draft, period=period, today=today)
    return Outcome(normalize(form, draft), "该按钮已失效，请按当前问题作答。")


def shorten(text: str, limit: int = REVIEW_TEXT_LIMIT) -> str:
    """Text cut at limit characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共{len(text)}字）"


def review_lines(
    form: FormSpec, answers: dict[str, Any], *, full: bool = False, limit: int = REVIEW_TEXT_LIMIT
) -> list[str]:
    """Numbered answer lines, HTML-escaped; long texts shortened to limit unless full."""
    lines: list[str] = []

    def show(text: str) -> str:
        return text if full else shorten(text, limit)

    for number, question in enumerate(form.questions, start=1):
        value = answers.get(question.key)
        if isinstance(question, GroupQuestion) and value:
            lines.append(f"{number}. {esc(question.label)}：共{len(value)}条")
            for n, item in enumerate(value, start=1):
                lines.append(f"　（{n}）{esc(show(format_item(question, item)))}")
        else:
            shown = format_answer(question, value) if question.key in answers else "（未作答）"
            lines.append(f"{number}. {esc(question.label)}：{esc(show(shown))}")
    return lines


def review_card(
    form: FormSpec,
    draft: Draft,
    *,
    period: MonthPeriod,
    heading: str = "",
    limit: int = REVIEW_TEXT_LIMIT,
) -> str:
    """The review card: title, every answer, and what to do next (HTML)."""
    title = f"<b>【{esc(form.title)}】{period.label}</b>"
    parts = [title]
    if heading:
        parts.append(esc(heading))
    parts.extend(review_lines(form, draft.answers, limit=limit))
    parts.append("")
    parts.append("请核对以上内容。需要更改的，请点击对应编号的“修改”；确认无误后点击“提交”。")
    return "\n".join(parts)
