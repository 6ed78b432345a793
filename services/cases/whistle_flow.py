"""The whistle (吹哨) conversation as one table: each step, what it asks and what it takes.

Drawn in docs/whistle-conversation.mmd. A pure state machine over the JSON draft
(services/cases/draft.py WhistleDraft), in the style of services/forms/flow.py: the step is
derived from the draft (the first step not yet answered, so 修改 only clears a field), and
every input returns a `Result` saying what to do next: save the new draft and ask the next
question, ask the same question again after one line, refuse, or end (取消 / 提交 / 补充).
handlers/whistle.py only adds what lives in the database (the person's areas, the duplicate
case, the review card) and talks to Telegram.

A new question is one field in WhistleDraft and one row in STEPS (and a label in EDIT_LABELS
if 修改 may clear it). Buttons are encoded by the codec (services/buttons.py WHISTLE).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Flag, StrEnum, auto

from models.dto import AreaInfo
from models.orgfile import CategorySpec
from services.buttons import WHISTLE, Value, WhistleAction
from services.cases.draft import (
    EDIT_LABELS,
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    EditField,
    WhistleDraft,
)

STALE = "该按钮已失效，请按最新提示操作。"
ASK_AGAIN = "请按提示操作。"
CANCEL_WORDS = ("取消", "取消上报")


class WhistleStep(StrEnum):
    """The steps of the whistle conversation (stored as dialog_states.step)."""

    CATEGORY = "category"
    AREA = "area"
    PLACE = "place"  # optional location pin, then a free-text address (or 跳过)
    PHOTOS = "photos"  # 0 to 5 photos, then 完成
    DESCRIPTION = "description"
    URGENCY = "urgency"
    DUPLICATE = "duplicate"  # an open case of the same category and area: 补充 or 新建
    REVIEW = "review"  # 提交 / 修改 / 取消
    EDIT = "edit"  # which part to change


class Takes(Flag):
    """What a person may send at a step."""

    TEXT = auto()
    PHOTO = auto()
    LOCATION = auto()
    BUTTON = auto()


class End(StrEnum):
    """How the conversation can end (the handler runs the use case)."""

    CANCEL = "cancel"
    SUBMIT = "submit"  # a new case
    SUPPLEMENT = "supplement"  # text and photos added to the duplicate case


class Source(StrEnum):
    """Choices that come from outside the table."""

    CATEGORIES = "categories"  # the org file's hazard categories
    AREAS = "areas"  # the person's areas (a coordinator without areas: every area)


@dataclass(frozen=True)
class Option:
    """A button: its label, its action and value in the codec, and what it does."""

    label: str
    action: WhistleAction
    value: Value | None = None
    sets: dict[str, object] = field(default_factory=dict, compare=False)
    clears: EditField | None = None
    ends: End | None = None

    @property
    def values(self) -> tuple[Value, ...]:
        return () if self.value is None else (self.value,)

    @property
    def data(self) -> str:
        return WHISTLE.encode(self.action, *self.values)


CANCEL = Option("取消", WhistleAction.CANCEL, ends=End.CANCEL)
BACK = Option("返回", WhistleAction.EDIT_FIELD, "back", sets={"editing": False})


@dataclass(frozen=True)
class Step:
    """One row of the conversation."""

    key: WhistleStep
    number: int | None  # shown as 第n步; None after the questions
    takes: Takes
    answered: Callable[[WhistleDraft], bool]
    # The question; None: written by the handler from the database (duplicate, review card).
    prompt: str | Callable[[WhistleDraft], str] | None
    choices: Source | tuple[Option, ...] = ()  # buttons, two per row
    typed_choice: bool = False  # a choice's label may be typed instead of pressed
    skip: Option | None = None  # moves on without an answer (beside 取消)
    skip_words: tuple[str, ...] = ()  # typed words that mean the same as `skip`
    text_field: str | None = None  # the draft field a typed answer fills
    text_sets: dict[str, object] = field(default_factory=dict)  # set along with it
    limit: int = 0
    too_long: str = ""  # {n}: characters typed, {limit}
    lookup: bool = False  # asked only when the database finds something (else passed)
    closer: Option = CANCEL  # the last button


def _place_prompt(draft: WhistleDraft) -> str:
    if draft.latitude is not None:
        return "已收到位置。请发送详细地址（如“3号楼东侧”），或点击“跳过”。"
    return (
        "请发送详细地址（如“3号楼东侧”）。\n"
        "如在现场，可先发送位置（点击📎→位置），再发送地址；不需要可点击“跳过”。"
    )


def _photos_prompt(draft: WhistleDraft) -> str:
    if draft.photos:
        return (
            f"已收到第{len(draft.photos)}张照片。可继续发送（最多{MAX_PHOTOS}张），或点击“完成”。"
        )
    return f"请发送现场照片（最多{MAX_PHOTOS}张），发送完毕点击“完成”；没有照片可直接点击“完成”。"


# The conversation, top to bottom: the first step not yet answered is asked.
STEPS: tuple[Step, ...] = (
    Step(
        key=WhistleStep.CATEGORY,
        number=1,
        takes=Takes.BUTTON | Takes.TEXT,
        answered=lambda d: d.category_key is not None,
        prompt="请选择隐患类别：",
        choices=Source.CATEGORIES,
        typed_choice=True,
    ),
    Step(
        key=WhistleStep.AREA,
        number=2,
        takes=Takes.BUTTON | Takes.TEXT,
        answered=lambda d: d.area_id is not None,
        prompt="请选择隐患所在区域：",
        choices=Source.AREAS,
        typed_choice=True,
    ),
    Step(
        key=WhistleStep.PLACE,
        number=3,
        takes=Takes.LOCATION | Takes.TEXT | Takes.BUTTON,
        answered=lambda d: d.place_done,
        prompt=_place_prompt,
        skip=Option("跳过", WhistleAction.SKIP_PLACE, sets={"place_done": True}),
        skip_words=("跳过",),
        text_field="address",
        text_sets={"place_done": True},
        limit=MAX_ADDRESS,
        too_long="地址过长（{n}字），请控制在{limit}字以内。",
    ),
    Step(
        key=WhistleStep.PHOTOS,
        number=4,
        takes=Takes.PHOTO | Takes.BUTTON,
        answered=lambda d: d.photos_done,
        prompt=_photos_prompt,
        skip=Option("完成", WhistleAction.PHOTOS_DONE, sets={"photos_done": True}),
        skip_words=("完成", "跳过"),
    ),
    Step(
        key=WhistleStep.DESCRIPTION,
        number=5,
        takes=Takes.TEXT,
        answered=lambda d: d.description is not None,
        prompt=f"请用一两句话描述隐患情况（{MAX_DESCRIPTION}字以内）：",
        text_field="description",
        limit=MAX_DESCRIPTION,
        too_long="描述过长（{n}字），请控制在{limit}字以内后重新发送。",
    ),
    Step(
        key=WhistleStep.URGENCY,
        number=6,
        takes=Takes.BUTTON | Takes.TEXT,
        answered=lambda d: d.urgent is not None,
        prompt="请选择紧急程度：\n紧急——可能危及人身安全，需立即处置；\n一般——按工作日处置。",
        choices=(
            Option("紧急", WhistleAction.URGENCY, "1", sets={"urgent": True}),
            Option("一般", WhistleAction.URGENCY, "0", sets={"urgent": False}),
        ),
        typed_choice=True,
    ),
    Step(
        key=WhistleStep.DUPLICATE,
        number=None,
        takes=Takes.BUTTON,
        answered=lambda d: d.duplicate_checked,
        prompt=None,  # the open case of the same category and area (< 24 h)
        choices=(
            Option("补充到该案件", WhistleAction.DUPLICATE, "add", ends=End.SUPPLEMENT),
            Option("仍然新建", WhistleAction.DUPLICATE, "new", sets={"duplicate_checked": True}),
        ),
        lookup=True,
    ),
    Step(
        key=WhistleStep.REVIEW,
        number=None,
        takes=Takes.BUTTON,
        answered=lambda d: False,
        prompt=None,  # the review card
        choices=(
            Option("提交", WhistleAction.SUBMIT, ends=End.SUBMIT),
            Option("修改", WhistleAction.EDIT, sets={"editing": True}),
        ),
    ),
)
# 修改: which answer to clear; then the conversation asks for it and comes back to the review.
EDIT = Step(
    key=WhistleStep.EDIT,
    number=None,
    takes=Takes.BUTTON,
    answered=lambda d: not d.editing,
    prompt="请选择要修改的内容：",
    choices=tuple(
        Option(label, WhistleAction.EDIT_FIELD, f.value, clears=f)
        for f, label in EDIT_LABELS.items()
    ),
    closer=BACK,
)
BY_KEY: dict[WhistleStep, Step] = {s.key: s for s in (*STEPS, EDIT)}


@dataclass(frozen=True)
class Result:
    """What an input does: exactly one of the fields is set."""

    draft: WhistleDraft | None = None  # save it and ask the (next) question
    again: str | None = None  # ask the same question again after this line
    refusal: str | None = None  # say no (a popup for a press, a reply for a message)
    end: End | None = None


def current(draft: WhistleDraft) -> Step:
    """The step the draft is at."""
    if draft.editing:
        return EDIT
    return next(s for s in STEPS if not s.answered(draft))


def progress(draft: WhistleDraft) -> str | None:
    """第n步 (or 待提交) when something was answered; None for an untouched draft."""
    if draft == WhistleDraft():
        return None
    number = current(draft).number
    return f"第{number}步" if number is not None else "待提交"


def category_options(categories: Iterable[CategorySpec]) -> list[Option]:
    return [
        Option(c.name, WhistleAction.CATEGORY, c.key, sets={"category_key": c.key})
        for c in categories
    ]


def area_options(areas: Iterable[AreaInfo]) -> list[Option]:
    return [Option(a.name, WhistleAction.AREA, a.id, sets={"area_id": a.id}) for a in areas]


def prompt(step: Step, draft: WhistleDraft) -> str | None:
    """The step's question, or None when the handler writes it from the database."""
    return step.prompt(draft) if callable(step.prompt) else step.prompt


def choices_of(step: Step, found: Sequence[Option] = ()) -> list[Option]:
    """The step's choices: its own, or those `found` for a Source (categories, areas)."""
    return list(found) if isinstance(step.choices, Source) else list(step.choices)


def keyboard(step: Step, found: Sequence[Option] = ()) -> list[list[Option]]:
    """The choices two per row, then [skip,] 取消 (返回 when choosing what to change)."""
    choices = choices_of(step, found)
    rows = [choices[i : i + 2] for i in range(0, len(choices), 2)]
    return [*rows, [*([step.skip] if step.skip else []), step.closer]]


def with_duplicate(draft: WhistleDraft, case_id: int | None) -> WhistleDraft:
    """The result of the duplicate look-up: offer that case, or pass the step."""
    if case_id is None:
        return draft.model_copy(update={"duplicate_checked": True, "duplicate_case_id": None})
    return draft.model_copy(update={"duplicate_case_id": case_id})


def _apply(draft: WhistleDraft, option: Option) -> Result:
    if option.ends is End.SUPPLEMENT and draft.duplicate_case_id is None:
        return Result(refusal=STALE)
    if option.ends is not None:
        return Result(end=option.ends)
    if option.clears is not None:
        return Result(draft=draft.clear(option.clears))
    return Result(draft=draft.model_copy(update=option.sets))


def on_text(draft: WhistleDraft, text: str, found: Sequence[Option] = ()) -> Result:
    """A typed message: 取消, a skip word, a choice's name, or the step's free-text answer.

    `found`: the categories or areas when the step chooses among them.
    """
    text = text.strip()
    if text in CANCEL_WORDS:
        return Result(end=End.CANCEL)
    step = current(draft)
    if step.skip is not None and text in step.skip_words:
        return _apply(draft, step.skip)
    if step.typed_choice:
        chosen = next((o for o in choices_of(step, found) if o.label == text), None)
        if chosen is not None:
            return _apply(draft, chosen)
    elif step.text_field is not None:
        if len(text) > step.limit:
            return Result(refusal=step.too_long.format(n=len(text), limit=step.limit))
        return Result(draft=draft.model_copy(update={step.text_field: text, **step.text_sets}))
    return Result(again=ASK_AGAIN)


def on_photo(draft: WhistleDraft, file_id: str) -> Result:
    """A photo: kept at the photo step (the fifth closes it)."""
    if Takes.PHOTO not in current(draft).takes:
        return Result(again="此步暂不接收照片。")
    return Result(draft=draft.add_photo(file_id))


def on_location(draft: WhistleDraft, latitude: float, longitude: float) -> Result:
    """A location pin: kept at the place step (the address is asked next)."""
    if Takes.LOCATION not in current(draft).takes:
        return Result(again="此步暂不接收位置。")
    return Result(draft=draft.model_copy(update={"latitude": latitude, "longitude": longitude}))


def on_press(
    draft: WhistleDraft,
    action: WhistleAction,
    values: Sequence[Value] = (),
    found: Sequence[Option] = (),
) -> Result:
    """A button (as the codec decoded it): 取消 at any step; any other only at the step that
    showed it, with one of the values it showed."""
    if action is WhistleAction.CANCEL:
        return Result(end=End.CANCEL)
    step = current(draft)
    shown = [*choices_of(step, found), *([step.skip] if step.skip else []), step.closer]
    wanted = tuple(values)
    pressed = next((o for o in shown if o.action is action and o.values == wanted), None)
    return Result(refusal=STALE) if pressed is None else _apply(draft, pressed)
