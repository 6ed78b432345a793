"""The report tests' answers: varied by question, so each stored value can be told apart."""

from __future__ import annotations

from datetime import date
from typing import Any

from faketg.actors import Actor
from models.forms import (
    AnyQuestion,
    DateQuestion,
    FormSpec,
    GroupQuestion,
    IntegerQuestion,
    PhotosQuestion,
    SingleChoiceQuestion,
    TextQuestion,
    YesNoQuestion,
)
from sim.filler import Filler
from sim.simulation import Simulation


class VariedAnswers:
    """Answers that differ from question to question (dates in November 2026)."""

    def integer(self, q: IntegerQuestion, n: int) -> int:
        return min(q.min + 2 + n, q.max)

    def yes_no(self, q: YesNoQuestion, n: int) -> bool:
        return n % 2 == 0

    def day(self, q: DateQuestion, n: int) -> date:
        return date(2026, 11, 10 + n)

    def option(self, q: SingleChoiceQuestion, n: int) -> str:
        return q.options[n % len(q.options)]

    def text(self, q: TextQuestion, n: int) -> str:
        return f"{q.label}情况良好<{n}>"[: q.max_length]

    def photos(self, q: PhotosQuestion, n: int) -> int:
        return min(2, q.max_count)

    def items(self, q: GroupQuestion, n: int) -> int:
        return 2

    def sub(self, n: int, item: int, position: int) -> int:
        return n + item


async def fill(sim: Simulation, actor: Actor, form: FormSpec) -> dict[str, Any]:
    """Answer every question of the open form, in order; photos are returned as counts."""
    return await Filler(sim.tg, actor, VariedAnswers()).fill(form)


def comparable(form: FormSpec, answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers with photo lists replaced by their counts (file ids are Telegram's)."""

    def one(q: AnyQuestion, value: Any) -> Any:
        if isinstance(q, PhotosQuestion) and isinstance(value, list):
            return len(value)
        if isinstance(q, GroupQuestion) and isinstance(value, list):
            return [{s.key: one(s, item.get(s.key)) for s in q.questions} for item in value]
        return value

    return {q.key: one(q, answers.get(q.key)) for q in form.questions}
