"""Schema of the report forms file: forms declared as data (who fills them, when, which questions)."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.enums import DepartmentKind

FORM_KEY_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
DEFAULT_DEADLINE = "每月25日（非工作日提前）"
DEFAULT_REMIND = ("3个工作日", "当天")
# Hard ceilings keep every answer inside one Telegram message and the database sane.
TEXT_LIMIT = 1000
INTEGER_LIMIT = 1_000_000
PHOTO_LIMIT = 10
GROUP_LIMIT = 50


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _QuestionBase(_Strict):
    """What every question has: a stable key, a Chinese label, required or not, help text."""

    key: str = Field(pattern=FORM_KEY_PATTERN, description="stable; answers are stored under it")
    label: str = Field(min_length=1, max_length=200, description="the question, in Chinese")
    required: bool = True
    help: str = Field(default="", max_length=500)


class IntegerQuestion(_QuestionBase):
    """A whole number, with a unit (次, 人) and bounds."""

    type: Literal["integer"]
    unit: str = Field(default="", max_length=6)
    min: int = Field(default=0, ge=0)
    max: int = Field(default=INTEGER_LIMIT, le=INTEGER_LIMIT)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must not be below min ({self.min})")
        return self


class YesNoQuestion(_QuestionBase):
    """是 / 否."""

    type: Literal["yes_no"]


class DateQuestion(_QuestionBase):
    """A date inside the report's period (a month)."""

    type: Literal["date"]
    allow_future: bool = Field(
        default=False, description="whether a date after today is accepted (things done: no)"
    )


class _ChoiceBase(_QuestionBase):
    options: list[Annotated[str, Field(min_length=1, max_length=30)]] = Field(
        min_length=2, max_length=20
    )

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        seen: set[str] = set()
        for option in self.options:
            if option.strip().casefold() in seen:
                raise ValueError(f"option '{option}' appears twice")
            seen.add(option.strip().casefold())
        return self


class SingleChoiceQuestion(_ChoiceBase):
    """One option out of several, chosen by button."""

    type: Literal["single_choice"]


class MultiChoiceQuestion(_ChoiceBase):
    """Any number of options, toggled by buttons then confirmed with 完成."""

    type: Literal["multi_choice"]
    min_selected: int = Field(default=1, ge=1)
    max_selected: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _counts(self) -> Self:
        top = self.max_selected if self.max_selected is not None else len(self.options)
        if top > len(self.options) or top < self.min_selected:
            raise ValueError(
                f"min_selected/max_selected must satisfy 1 <= min <= max <= {len(self.options)}"
            )
        return self

    @property
    def max_count(self) -> int:
        return self.max_selected if self.max_selected is not None else len(self.options)


class TextQuestion(_QuestionBase):
    """Free text with a length limit."""

    type: Literal["text"]
    max_length: int = Field(default=500, ge=1, le=TEXT_LIMIT)


class PhotosQuestion(_QuestionBase):
    """One or more photos, sent one after another, then 完成."""

    type: Literal["photos"]
    min_count: int = Field(default=1, ge=1)
    max_count: int = Field(default=5, ge=1, le=PHOTO_LIMIT)

    @model_validator(mode="after")
    def _counts(self) -> Self:
        if self.max_count < self.min_count:
            raise ValueError(f"max_count ({self.max_count}) must not be below min_count")
        return self


LeafQuestion = Annotated[
    IntegerQuestion
    | YesNoQuestion
    | DateQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | TextQuestion
    | PhotosQuestion,
    Field(discriminator="type"),
]


class GroupQuestion(_QuestionBase):
    """A repeating group: each item answers the sub-questions (再加一条 / 完成)."""

    type: Literal["group"]
    item_name: str = Field(default="记录", min_length=1, max_length=10, description="e.g. 会议")
    questions: list[LeafQuestion] = Field(min_length=1, max_length=10)
    min_items: int = Field(default=1, ge=0)
    max_items: int = Field(default=20, ge=1, le=GROUP_LIMIT)

    @model_validator(mode="after")
    def _items(self) -> Self:
        if self.max_items < self.min_items:
            raise ValueError(f"max_items ({self.max_items}) must not be below min_items")
        _unique_keys(self.questions)
        return self

    def sub(self, key: str) -> LeafQuestion | None:
        return next((q for q in self.questions if q.key == key), None)


Question = Annotated[
    IntegerQuestion
    | YesNoQuestion
    | DateQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | TextQuestion
    | PhotosQuestion
    | GroupQuestion,
    Field(discriminator="type"),
]
AnyQuestion = (
    IntegerQuestion
    | YesNoQuestion
    | DateQuestion
    | SingleChoiceQuestion
    | MultiChoiceQuestion
    | TextQuestion
    | PhotosQuestion
    | GroupQuestion
)


class FilledBy(_Strict):
    """Which departments owe the form: explicit keys and/or every department of some kinds."""

    kinds: list[DepartmentKind] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if not self.kinds and not self.departments:
            raise ValueError("name at least one department kind or department key")
        return self

    def includes(self, department_key: str, kind: DepartmentKind | str) -> bool:
        return department_key in self.departments or DepartmentKind(kind) in self.kinds


class FormSpec(_Strict):
    """One monthly report form."""

    key: str = Field(pattern=FORM_KEY_PATTERN)
    title: str = Field(min_length=1, max_length=40, description="Chinese title")
    description: str = Field(default="", max_length=500)
    filled_by: FilledBy
    period: Literal["monthly"] = "monthly"
    deadline: str = Field(default=DEFAULT_DEADLINE, min_length=1)
    remind: list[str] = Field(
        default_factory=lambda: list(DEFAULT_REMIND),
        description="lead times of the chasing reminders before the deadline, e.g. 3个工作日, 当天",
    )
    required: bool = Field(
        default=True, description="an optional form is never chased nor counted late"
    )
    questions: list[Question] = Field(min_length=1, max_length=40)

    @model_validator(mode="after")
    def _keys(self) -> Self:
        _unique_keys(self.questions)
        return self

    def question(self, key: str) -> AnyQuestion | None:
        return next((q for q in self.questions if q.key == key), None)


class FormsFile(_Strict):
    """The whole forms file."""

    forms: list[FormSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _keys(self) -> Self:
        seen: set[str] = set()
        for form in self.forms:
            if form.key in seen:
                raise ValueError(f"form key '{form.key}' appears twice")
            seen.add(form.key)
        return self

    def form(self, key: str) -> FormSpec | None:
        return next((f for f in self.forms if f.key == key), None)

    def owed_by(self, department_key: str, kind: DepartmentKind | str) -> list[FormSpec]:
        """The forms a department fills, in file order."""
        return [f for f in self.forms if f.filled_by.includes(department_key, kind)]


def _unique_keys(questions: list[LeafQuestion] | list[Question]) -> None:
    seen: set[str] = set()
    for question in questions:
        if question.key in seen:
            raise ValueError(f"question key '{question.key}' appears twice")
        seen.add(question.key)
