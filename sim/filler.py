"""A simulated department member filling a report form in chat, question by question.

One walk through the conversation for the demo and the report tests; what is typed or pressed
for each question comes from an `AnswerPlan` (the demo's plausible office figures, or the
tests' varied answers), and `fill` returns what each answer must be stored as, so a test can
compare it with the saved report. Answers are derived from the question, never read back
from the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from faketg import Actor, FakeTelegram
from models.forms import (
    AnyQuestion,
    DateQuestion,
    FormSpec,
    GroupQuestion,
    IntegerQuestion,
    MultiChoiceQuestion,
    PhotosQuestion,
    SingleChoiceQuestion,
    TextQuestion,
    YesNoQuestion,
)
from sim.office import ScriptError

TEXTS = (
    "按月度计划开展，台账已留存。",
    "已完成，现场检查记录及照片已归档。",
    "重点围绕电动自行车充电和消防通道开展，群众反响良好。",
)


class AnswerPlan(Protocol):
    """What to answer to question q, the n-th of its form (n varies the answers)."""

    def integer(self, q: IntegerQuestion, n: int) -> int: ...
    def yes_no(self, q: YesNoQuestion, n: int) -> bool: ...
    def day(self, q: DateQuestion, n: int) -> date: ...
    def option(self, q: SingleChoiceQuestion, n: int) -> str: ...
    def text(self, q: TextQuestion, n: int) -> str: ...
    def photos(self, q: PhotosQuestion, n: int) -> int: ...
    def items(self, q: GroupQuestion, n: int) -> int: ...
    def sub(self, n: int, item: int, position: int) -> int:
        """The n of the position-th question of a group's item-th item."""
        ...


@dataclass(frozen=True)
class PlausibleAnswers:
    """The demo's answers: figures an office would report, dates near the filling day."""

    filling_day: date

    def integer(self, q: IntegerQuestion, n: int) -> int:
        return min(max(q.min, 2 + n % 5), q.max)

    def yes_no(self, q: YesNoQuestion, n: int) -> bool:
        return True

    def day(self, q: DateQuestion, n: int) -> date:
        return self.filling_day.replace(day=max(1, self.filling_day.day - n % 3))

    def option(self, q: SingleChoiceQuestion, n: int) -> str:
        return q.options[0]

    def text(self, q: TextQuestion, n: int) -> str:
        return TEXTS[n % len(TEXTS)][: q.max_length]

    def photos(self, q: PhotosQuestion, n: int) -> int:
        return min(q.min_count, q.max_count)

    def items(self, q: GroupQuestion, n: int) -> int:
        return max(q.min_items, 1)

    def sub(self, n: int, item: int, position: int) -> int:
        return n + position


class Filler:
    """Answers one form for one person in their private chat."""

    def __init__(self, tg: FakeTelegram, actor: Actor, plan: AnswerPlan) -> None:
        self.tg = tg
        self.actor = actor
        self.plan = plan

    def _last(self) -> Any:
        return self.tg.chat_view(self.actor.id)[-1]

    async def fill(self, form: FormSpec) -> dict[str, Any]:
        """Answer every question of the open form, in order; photos are returned as counts."""
        return {q.key: await self.answer(q, n) for n, q in enumerate(form.questions)}

    async def answer(self, q: AnyQuestion, n: int) -> Any:
        """Give question q its planned answer; return the value it must be stored as."""
        me, plan = self.actor.id, self.plan
        if q.label not in self._last().text:
            raise ScriptError(
                f"expected the question {q.label!r}, the bot said: {self._last().text!r}"
            )
        if isinstance(q, IntegerQuestion):
            value = plan.integer(q, n)
            await self.actor.send(me, f"{value}{q.unit}")
            return value
        if isinstance(q, YesNoQuestion):
            yes = plan.yes_no(q, n)
            await self.actor.press(me, "是" if yes else "否")
            return yes
        if isinstance(q, DateQuestion):
            day = plan.day(q, n)
            await self.actor.send(me, f"{day.month}月{day.day}日")
            return day.isoformat()
        if isinstance(q, SingleChoiceQuestion):
            option = plan.option(q, n)
            await self.actor.press(me, option)
            return option
        if isinstance(q, MultiChoiceQuestion):
            chosen = q.options[: max(q.min_selected, 2)]
            for label in chosen:
                await self.actor.press(me, label)
            await self.actor.press(me, "完成")
            return chosen
        if isinstance(q, TextQuestion):
            text = plan.text(q, n)
            await self.actor.send(me, text)
            return text
        if isinstance(q, PhotosQuestion):
            count = plan.photos(q, n)
            for _ in range(count):
                await self.actor.send_photo(me)
            if count < q.max_count and "完成" in self._last().button_labels:
                await self.actor.press(me, "完成")
            return count
        assert isinstance(q, GroupQuestion)
        items = []
        for i in range(plan.items(q, n)):
            adding = "再加一条" if i else f"添加{q.item_name}"
            if adding in self._last().button_labels:
                await self.actor.press(me, adding)
            items.append(
                {
                    sub.key: await self.answer(sub, plan.sub(n, i, m))
                    for m, sub in enumerate(q.questions)
                }
            )
        await self.actor.press(me, "完成")
        return items
