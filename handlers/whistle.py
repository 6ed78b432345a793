"""吹哨: the guided whistle conversation in a private chat, a thin adapter over its table.

The steps (what is asked, what each accepts, what may be skipped) are the table in
services/cases/whistle_flow.py, drawn in docs/whistle-conversation.mmd. This module adds what
lives in the database (the person's areas, an open duplicate, the review card) and talks to
Telegram. The draft lives in dialog_states, so a restart resumes at the same question; every
button is checked against the step the stored draft is at.
"""

from __future__ import annotations

import contextlib
import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler

from handlers.buttons import Press, add_buttons
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import guarded, reply, role_refusal
from handlers.router import add_dialog, add_trigger, begin_dialog
from models.dto import PersonInfo
from models.enums import Role
from services.buttons import WHISTLE, WhistleAction
from services.cases import cards
from services.cases import lifecycle as lc
from services.cases import whistle_flow as flow
from services.cases.draft import DIALOG_KIND, WhistleDraft
from services.cases.env import CaseEnv
from services.cases.queries import draft_review, whistle_areas
from services.cases.views import load_view
from services.dialogs import Dialog, clear_dialog, get_draft, set_dialog
from services.errors import Refusal
from services.outbox import Button

log = logging.getLogger("firegrid.cases")

WHISTLERS = frozenset({Role.GRID_WORKER, Role.COORDINATOR})
COMMANDS = [
    CommandSpec("whistle", "吹哨上报消防隐患（也可直接发送“吹哨”）", WHISTLERS, "private"),
]
TITLE = "吹哨上报"
STALE = flow.STALE
WhistlePress = Press[WhistleAction]


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Outbox-style buttons as a PTB keyboard (ids only in the data)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


async def _say(update: Update, context: CustomContext, text: str, rows: list[list[Button]]) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(rows)
    )


def _message_id(update: Update) -> int | None:
    """The person's message being answered (None for a button press)."""
    return update.message.message_id if update.message is not None else None


async def _save(
    update: Update, context: CustomContext, user_id: int, draft: WhistleDraft, step: flow.Step
) -> None:
    rt = context.rt
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=user_id,
            chat_id=user_id,
            kind=DIALOG_KIND,
            step=step.key.value,
            data=draft.model_dump(mode="json"),
            now=rt.now(),
            message_id=_message_id(update),
        )


async def _choices(
    context: CustomContext, person: PersonInfo, step: flow.Step
) -> list[flow.Option]:
    """The choices the table leaves to the org file and the database (categories, areas)."""
    if step.choices is flow.Source.CATEGORIES:
        return flow.category_options(context.rt.org.categories)
    if step.choices is flow.Source.AREAS:
        async with context.rt.transaction() as session:
            return flow.area_options(await whistle_areas(session, person))
    return []


async def _prompt(
    context: CustomContext, person: PersonInfo, draft: WhistleDraft, step: flow.Step
) -> tuple[str, list[list[Button]]]:
    """The question for a step, with its buttons."""
    rt = context.rt
    text = flow.prompt(step, draft)
    if text is None and step.key is flow.WhistleStep.DUPLICATE:
        assert draft.duplicate_case_id is not None
        async with rt.transaction() as session:
            view = await load_view(session, draft.duplicate_case_id)
        text = cards.duplicate_text(view, rt.tz)
    elif text is None:
        async with rt.transaction() as session:
            text = await draft_review(session, CaseEnv.of(rt), draft)
    rows = flow.keyboard(step, await _choices(context, person, step))
    return text, [[Button(o.label, o.data) for o in row] for row in rows]


async def _ask(
    update: Update, context: CustomContext, person: PersonInfo, draft: WhistleDraft
) -> None:
    """Store the draft at its next step and ask that question (a look-up step may pass)."""
    step = flow.current(draft)
    if step.lookup:
        rt = context.rt
        assert draft.category_key is not None and draft.area_id is not None
        async with rt.transaction() as session:
            dup = await lc.find_duplicate(
                session, category_key=draft.category_key, area_id=draft.area_id, now=rt.now()
            )
        draft = flow.with_duplicate(draft, dup.id if dup is not None else None)
        step = flow.current(draft)
    await _save(update, context, person.telegram_user_id, draft, step)
    text, rows = await _prompt(context, person, draft, step)
    await _say(update, context, text, rows)


async def _start(update: Update, context: CustomContext, person: PersonInfo) -> None:
    await _say(update, context, "开始吹哨上报。任何一步都可点击“取消”或发送 /cancel 结束。", [])
    await _ask(update, context, person, WhistleDraft())


async def _begin(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """A new whistle, unless an unfinished conversation should be finished first (asked)."""
    uid = person.telegram_user_id
    first = flow.STEPS[0].key.value
    if await begin_dialog(update, context, person, kind=DIALOG_KIND, chat_id=uid, step=first):
        await _start(update, context, person)


@guarded(roles=WHISTLERS)
async def whistle(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/whistle: start a new report (an unfinished one is offered first: 继续填写 / 放弃)."""
    await _begin(update, context, person)


async def trigger(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """The plain words 吹哨 or 隐患 in a private chat start the same conversation."""
    if person.role not in WHISTLERS:
        await reply(update, role_refusal(WHISTLERS))
        return
    await _begin(update, context, person)


async def _cancel(context: CustomContext, user_id: int) -> None:
    async with context.rt.transaction() as session:
        await clear_dialog(session, user_id, user_id, DIALOG_KIND)


def _draft(dialog: Dialog) -> WhistleDraft:
    return WhistleDraft.model_validate(dialog.data)


async def _follow(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    draft: WhistleDraft,
    result: flow.Result,
) -> None:
    """Carry out a typed, photo or location input's result."""
    if result.end is flow.End.CANCEL:
        await _cancel(context, person.telegram_user_id)
        await reply(update, "已取消吹哨上报。")
    elif result.refusal is not None:
        raise Refusal(result.refusal)
    elif result.draft is not None:
        await _ask(update, context, person, result.draft)
    else:
        # The same question again (also how a resumed conversation re-orients).
        step = flow.current(draft)
        prompt, rows = await _prompt(context, person, draft, step)
        await _say(update, context, f"{result.again}\n{prompt}", rows)


async def on_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A typed answer for the current step (the address, the description, or a typed choice)."""
    message = update.effective_message
    assert message is not None
    draft = _draft(dialog)
    choices = await _choices(context, person, flow.current(draft))
    await _follow(update, context, person, draft, flow.on_text(draft, message.text or "", choices))


async def on_photo(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A photo at the photo step (the fifth moves on by itself)."""
    message = update.effective_message
    assert message is not None and message.photo
    draft = _draft(dialog)
    await _follow(update, context, person, draft, flow.on_photo(draft, message.photo[-1].file_id))


async def on_location(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A location pin at the place step; the address is asked next."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft = _draft(dialog)
    pin = message.location
    await _follow(
        update, context, person, draft, flow.on_location(draft, pin.latitude, pin.longitude)
    )


async def on_resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """继续填写: the current question again."""
    await _ask(update, context, person, _draft(dialog))


def unfinished(dialog: Dialog) -> str | None:
    """第n步 when the draft holds answers that 放弃 would throw away."""
    return flow.progress(_draft(dialog))


async def _close_buttons(update: Update) -> None:
    """Replace the answered question's buttons by the answer (old prompts cannot be pressed)."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    message = query.message
    chosen = next(
        (
            b.text
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
            for b in row
            if b.callback_data == query.data
        ),
        None,
    )
    with contextlib.suppress(BadRequest):  # already answered: nothing to take away
        if chosen and message.text:
            await query.edit_message_text(
                f"{message.text_html}\n→ {escape(chosen)}", parse_mode=ParseMode.HTML
            )
        else:
            await query.edit_message_reply_markup(reply_markup=None)


async def _press(
    update: Update, context: CustomContext, person: PersonInfo, press: WhistlePress
) -> None:
    """A whistle button: checked against the step the stored draft is at, then the next question."""
    user_id = person.telegram_user_id
    async with context.rt.transaction() as session:
        dialog = await get_draft(session, user_id, user_id, DIALOG_KIND)
    if dialog is None:
        await press.answer("该吹哨上报已结束。如需上报，请发送 /whistle。", show_alert=True)
        await _close_buttons(update)
        return
    draft = _draft(dialog)
    choices = await _choices(context, person, flow.current(draft))
    result = flow.on_press(draft, press.action, press.values, choices)
    if result.end is flow.End.CANCEL:
        await _cancel(context, user_id)
        await press.answer("已取消")
        await _close_buttons(update)
        await _say(update, context, "已取消吹哨上报。", [])
    elif result.end is flow.End.SUBMIT:
        await _submit(update, context, person, draft, press)
    elif result.end is flow.End.SUPPLEMENT:
        await _supplement(update, context, person, draft, press)
    elif result.draft is None:
        await press.answer(result.refusal or STALE, show_alert=True)
    else:
        await press.answer()
        await _close_buttons(update)
        await _ask(update, context, person, result.draft)


async def _submit(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    draft: WhistleDraft,
    press: WhistlePress,
) -> None:
    """提交: the case and the end of the conversation in one transaction (a double tap is stale)."""
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.submit_whistle(
            session,
            CaseEnv.of(rt),
            actor=person,
            draft=draft,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
        await clear_dialog(session, person.telegram_user_id, person.telegram_user_id, DIALOG_KIND)
    log.info(
        "case %s whistled by person %s",
        view.number,
        person.id,
        extra={"case": view.number, "chat": person.telegram_user_id},
    )
    await press.answer("已提交")
    await _close_buttons(update)
    await _say(update, context, cards.dispatched_reply(view), [])


async def _supplement(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    draft: WhistleDraft,
    press: WhistlePress,
) -> None:
    """补充到该案件: the draft's text and photos go to the existing case; no new case."""
    assert draft.duplicate_case_id is not None
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.supplement_case(
            session,
            CaseEnv.of(rt),
            actor=person,
            case_id=draft.duplicate_case_id,
            text=draft.description or "",
            photos=draft.photos,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
        await clear_dialog(session, person.telegram_user_id, person.telegram_user_id, DIALOG_KIND)
    await press.answer("已补充")
    await _close_buttons(update)
    await _say(
        update,
        context,
        f"已收到，谢谢。已将情况补充到案件 {view.number}，并通知责任部门。",
        [],
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("whistle", whistle))
    # Every whistle button goes to _press, which checks it against the step in the database.
    add_buttons(
        app,
        WHISTLE,
        dict.fromkeys(WhistleAction, _press),
        stale=STALE,
        where="private",
        wrong_chat="请在与本机器人的私聊中吹哨上报。",
    )
    add_dialog(
        app,
        DIALOG_KIND,
        DialogRoutes(
            on_text=on_text,
            on_photo=on_photo,
            on_location=on_location,
            title=TITLE,
            on_resume=on_resume,
            unfinished=unfinished,
            restart=_start,
        ),
    )
    add_trigger(app, r"吹哨|隐患", trigger)
