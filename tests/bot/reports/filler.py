"""Fill any form through the fake Telegram from its spec, and say what the answers must be."""

from __future__ import annotations

from typing import Any

from bot.faketg.actors import Actor
from bot.simulation import Simulation
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
from tests.bot.reports.helpers import last_buttons
from tests.support.office import last_text


async def answer(sim: Simulation, actor: Actor, q: AnyQuestion, n: int) -> Any:
    """Give question q a valid answer (varied by n); return the value it must be stored as."""
    me = actor.id
    assert q.label in last_text(sim, me), (q.key, last_text(sim, me))
    if isinstance(q, IntegerQuestion):
        value = min(q.min + 2 + n, q.max)
        await actor.send(me, f"{value}{q.unit}")
        return value
    if isinstance(q, YesNoQuestion):
        await actor.press(me, "是" if n % 2 == 0 else "否")
        return n % 2 == 0
    if isinstance(q, DateQuestion):
        await actor.send(me, f"11月{10 + n}日")
        return f"2026-11-{10 + n:02d}"
    if isinstance(q, SingleChoiceQuestion):
        option = q.options[n % len(q.options)]
        await actor.press(me, option)
        return option
    if isinstance(q, MultiChoiceQuestion):
        chosen = q.options[: max(q.min_selected, 2)]
        for option in chosen:
            await actor.press(me, option)
        await actor.press(me, "完成")
        return chosen
    if isinstance(q, TextQuestion):
        text = f"{q.label}情况良好<{n}>"[: q.max_length]
        await actor.send(me, text)
        return text
    if isinstance(q, PhotosQuestion):
        sent = []
        for _ in range(min(2, q.max_count)):
            await actor.send_photo(me)
            sent.append(sim.tg.chat_view(me)[-2].photo)
        if len(sent) < q.max_count:
            await actor.press(me, "完成")
        return len(sent)
    assert isinstance(q, GroupQuestion)
    items = []
    for i in range(2):
        adding = "再加一条" if i else f"添加{q.item_name}"
        if adding in last_buttons(sim, me):
            await actor.press(me, adding)
        items.append({sub.key: await answer(sim, actor, sub, n + i) for sub in q.questions})
    await actor.press(me, "完成")
    return items


async def fill(sim: Simulation, actor: Actor, form: FormSpec) -> dict[str, Any]:
    """Answer every question of the open form, in order; photos are returned as counts."""
    return {q.key: await answer(sim, actor, q, n) for n, q in enumerate(form.questions)}


def comparable(form: FormSpec, answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers with photo lists replaced by their counts (file ids are Telegram's)."""

    def one(q: AnyQuestion, value: Any) -> Any:
        if isinstance(q, PhotosQuestion) and isinstance(value, list):
            return len(value)
        if isinstance(q, GroupQuestion) and isinstance(value, list):
            return [{s.key: one(s, item.get(s.key)) for s in q.questions} for item in value]
        return value

    return {q.key: one(q, answers.get(q.key)) for q in form.questions}
