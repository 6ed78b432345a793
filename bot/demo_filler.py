"""A simulated department member filling a report form in chat, question by question.

The answers are plausible office figures derived from the question (never read back from
the bot), so the demo exercises the same conversation a person would.
"""

from __future__ import annotations

from datetime import date

from bot.faketg import Actor, FakeTelegram
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

TEXTS = (
    "按月度计划开展，台账已留存。",
    "已完成，现场检查记录及照片已归档。",
    "重点围绕电动自行车充电和消防通道开展，群众反响良好。",
)


class FillError(AssertionError):
    """The conversation did not ask what the form says it should."""


class FormFiller:
    """Answers one form for one person; `day` is the date written into date answers."""

    def __init__(self, tg: FakeTelegram, actor: Actor, day: date) -> None:
        self.tg = tg
        self.actor = actor
        self.day = day

    def _prompt(self) -> str:
        return self.tg.chat_view(self.actor.id)[-1].text

    def _buttons(self) -> list[str]:
        return self.tg.chat_view(self.actor.id)[-1].button_labels

    async def fill(self, form: FormSpec) -> None:
        for n, question in enumerate(form.questions):
            await self.answer(question, n)

    async def answer(self, q: AnyQuestion, n: int) -> None:
        me = self.actor.id
        if q.label not in self._prompt():
            raise FillError(f"expected the question {q.label!r}, the bot said: {self._prompt()!r}")
        if isinstance(q, IntegerQuestion):
            await self.actor.send(me, f"{min(max(q.min, 2 + n % 5), q.max)}{q.unit}")
        elif isinstance(q, YesNoQuestion):
            await self.actor.press(me, "是")
        elif isinstance(q, DateQuestion):
            await self.actor.send(me, f"{self.day.month}月{max(1, self.day.day - n % 3)}日")
        elif isinstance(q, SingleChoiceQuestion):
            await self.actor.press(me, q.options[0])
        elif isinstance(q, MultiChoiceQuestion):
            for option in q.options[: max(q.min_selected, 2)]:
                await self.actor.press(me, option)
            await self.actor.press(me, "完成")
        elif isinstance(q, TextQuestion):
            await self.actor.send(me, TEXTS[n % len(TEXTS)][: q.max_length])
        elif isinstance(q, PhotosQuestion):
            for _ in range(min(q.min_count, q.max_count)):
                await self.actor.send_photo(me)
            if "完成" in self._buttons():
                await self.actor.press(me, "完成")
        elif isinstance(q, GroupQuestion):
            for i in range(max(q.min_items, 1)):
                adding = "再加一条" if i else f"添加{q.item_name}"
                if adding in self._buttons():
                    await self.actor.press(me, adding)
                for m, sub in enumerate(q.questions):
                    await self.answer(sub, n + m)
            await self.actor.press(me, "完成")
