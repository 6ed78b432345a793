"""吹哨: the guided whistle conversation in a private chat (drawn in docs/whistle-conversation.mmd).

category → area → place (pin and/or address, or 跳过) → photos (0–5, 完成) → description →
urgency → [duplicate hint: 补充到该案件 / 仍然新建] → review: 提交 / 修改 / 取消.
The draft lives in dialog_states, so a restart resumes at the same question; every button is
checked against the step the database says the person is at.
"""

from __future__ import annotations

import contextlib
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import Application, CommandHandler

from handlers.buttons import Press, add_buttons
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import guarded, reply, role_refusal
from handlers.router import add_dialog, add_trigger
from models.dto import PersonInfo
from models.enums import Role
from services.buttons import WHISTLE, WhistleAction
from services.cases import cards
from services.cases import lifecycle as lc
from services.cases.draft import (
    DIALOG_KIND,
    EDIT_LABELS,
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_PHOTOS,
    EditField,
    WhistleDraft,
    WhistleStep,
)
from services.cases.env import CaseEnv
from services.cases.queries import draft_review, whistle_areas
from services.cases.views import load_view
from services.dialogs import Dialog, clear_dialog, get_dialog, set_dialog
from services.errors import Refusal
from services.outbox import Button

WHISTLERS = frozenset({Role.GRID_WORKER, Role.COORDINATOR})
COMMANDS = [
    CommandSpec("whistle", "吹哨上报消防隐患（也可直接发送“吹哨”）", WHISTLERS, "private"),
]
TITLE = "吹哨上报"
CANCEL = Button("取消", "wh:cancel")
STALE = "该按钮已失效，请按最新提示操作。"
# Which button belongs to which question (a press at another step is stale).
ACTION_STEP = {
    WhistleAction.CATEGORY: WhistleStep.CATEGORY,
    WhistleAction.AREA: WhistleStep.AREA,
    WhistleAction.SKIP_PLACE: WhistleStep.PLACE,
    WhistleAction.PHOTOS_DONE: WhistleStep.PHOTOS,
    WhistleAction.URGENCY: WhistleStep.URGENCY,
    WhistleAction.DUPLICATE: WhistleStep.DUPLICATE,
    WhistleAction.SUBMIT: WhistleStep.REVIEW,
    WhistleAction.EDIT: WhistleStep.REVIEW,
    WhistleAction.EDIT_FIELD: WhistleStep.EDIT,
}
WhistlePress = Press[WhistleAction]


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Outbox-style buttons as a PTB keyboard (ids only in the data)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def _pairs(buttons: list[Button]) -> list[list[Button]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


async def _say(update: Update, context: CustomContext, text: str, rows: list[list[Button]]) -> None:
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_message(
        chat.id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(rows)
    )


async def _save(
    context: CustomContext, user_id: int, draft: WhistleDraft, step: WhistleStep
) -> None:
    rt = context.rt
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=user_id,
            chat_id=user_id,
            kind=DIALOG_KIND,
            step=step.value,
            data=draft.model_dump(mode="json"),
            now=rt.now(),
        )


async def _prompt(
    context: CustomContext, person: PersonInfo, draft: WhistleDraft, step: WhistleStep
) -> tuple[str, list[list[Button]]]:
    """The question for a step, with its buttons."""
    rt = context.rt
    if step is WhistleStep.CATEGORY:
        cats = [Button(c.name, f"wh:cat:{c.key}") for c in rt.org.categories]
        return "请选择隐患类别：", [*_pairs(cats), [CANCEL]]
    if step is WhistleStep.AREA:
        async with rt.transaction() as session:
            areas = await whistle_areas(session, person)
        buttons = [Button(a.name, f"wh:area:{a.id}") for a in areas]
        return "请选择隐患所在区域：", [*_pairs(buttons), [CANCEL]]
    if step is WhistleStep.PLACE:
        if draft.latitude is not None:
            text = "已收到位置。请发送详细地址（如“3号楼东侧”），或点击“跳过”。"
        else:
            text = (
                "请发送详细地址（如“3号楼东侧”）。\n"
                "如在现场，可先发送位置（点击📎→位置），再发送地址；不需要可点击“跳过”。"
            )
        return text, [[Button("跳过", "wh:skip"), CANCEL]]
    if step is WhistleStep.PHOTOS:
        done = [[Button("完成", "wh:pdone"), CANCEL]]
        if draft.photos:
            return (
                f"已收到第{len(draft.photos)}张照片。可继续发送（最多{MAX_PHOTOS}张），或点击“完成”。",
                done,
            )
        return (
            f"请发送现场照片（最多{MAX_PHOTOS}张），发送完毕点击“完成”；没有照片可直接点击“完成”。",
            done,
        )
    if step is WhistleStep.DESCRIPTION:
        return f"请用一两句话描述隐患情况（{MAX_DESCRIPTION}字以内）：", [[CANCEL]]
    if step is WhistleStep.URGENCY:
        return (
            "请选择紧急程度：\n紧急——可能危及人身安全，需立即处置；\n一般——按工作日处置。",
            [[Button("紧急", "wh:urg:1"), Button("一般", "wh:urg:0")], [CANCEL]],
        )
    if step is WhistleStep.DUPLICATE:
        assert draft.duplicate_case_id is not None
        async with rt.transaction() as session:
            view = await load_view(session, draft.duplicate_case_id)
        return cards.duplicate_text(view, rt.tz), [
            [Button("补充到该案件", "wh:dup:add"), Button("仍然新建", "wh:dup:new")],
            [CANCEL],
        ]
    if step is WhistleStep.EDIT:
        fields = [Button(label, f"wh:ed:{f.value}") for f, label in EDIT_LABELS.items()]
        return "请选择要修改的内容：", [*_pairs(fields), [Button("返回", "wh:ed:back")]]
    async with rt.transaction() as session:
        text = await draft_review(session, CaseEnv.of(rt), draft)
    return text, [[Button("提交", "wh:sub"), Button("修改", "wh:edit")], [CANCEL]]


async def _ask(
    update: Update, context: CustomContext, person: PersonInfo, draft: WhistleDraft
) -> None:
    """Store the next step and ask its question (checking for a duplicate before the review)."""
    step = draft.next_step()
    if step is WhistleStep.DUPLICATE:
        rt = context.rt
        assert draft.category_key is not None and draft.area_id is not None
        async with rt.transaction() as session:
            dup = await lc.find_duplicate(
                session, category_key=draft.category_key, area_id=draft.area_id, now=rt.now()
            )
        if dup is None:
            draft = draft.model_copy(update={"duplicate_checked": True, "duplicate_case_id": None})
            step = WhistleStep.REVIEW
        else:
            draft = draft.model_copy(update={"duplicate_case_id": dup.id})
    await _save(context, person.telegram_user_id, draft, step)
    text, rows = await _prompt(context, person, draft, step)
    await _say(update, context, text, rows)


async def _begin(update: Update, context: CustomContext, person: PersonInfo) -> None:
    await _say(update, context, "开始吹哨上报。任何一步都可点击“取消”或发送 /cancel 结束。", [])
    await _ask(update, context, person, WhistleDraft())


@guarded(roles=WHISTLERS)
async def whistle(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/whistle: start a new report (a draft in progress is replaced)."""
    await _begin(update, context, person)


async def trigger(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """The plain words 吹哨 or 隐患 in a private chat start the same conversation."""
    if person.role not in WHISTLERS:
        await reply(update, role_refusal(WHISTLERS))
        return
    await _begin(update, context, person)


async def _cancel(context: CustomContext, user_id: int) -> None:
    async with context.rt.transaction() as session:
        await clear_dialog(session, user_id, user_id)


def _draft(dialog: Dialog) -> WhistleDraft:
    return WhistleDraft.model_validate(dialog.data)


async def on_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A typed answer for the current step (the address, the description, or a typed choice)."""
    message = update.effective_message
    assert message is not None
    text = (message.text or "").strip()
    if text in ("取消", "取消上报"):
        await _cancel(context, person.telegram_user_id)
        await reply(update, "已取消吹哨上报。")
        return
    draft, step = _draft(dialog), WhistleStep(dialog.step)
    rt = context.rt
    if step is WhistleStep.CATEGORY:
        match = next((c for c in rt.org.categories if c.name == text), None)
        if match is not None:
            await _ask(
                update, context, person, draft.model_copy(update={"category_key": match.key})
            )
            return
    elif step is WhistleStep.AREA:
        async with rt.transaction() as session:
            areas = await whistle_areas(session, person)
        area = next((a for a in areas if a.name == text), None)
        if area is not None:
            await _ask(update, context, person, draft.model_copy(update={"area_id": area.id}))
            return
    elif step is WhistleStep.PLACE:
        if len(text) > MAX_ADDRESS:
            raise Refusal(f"地址过长（{len(text)}字），请控制在{MAX_ADDRESS}字以内。")
        await _ask(
            update, context, person, draft.model_copy(update={"address": text, "place_done": True})
        )
        return
    elif step is WhistleStep.PHOTOS:
        if text == "完成":
            await _ask(update, context, person, draft.model_copy(update={"photos_done": True}))
            return
    elif step is WhistleStep.DESCRIPTION:
        if len(text) > MAX_DESCRIPTION:
            raise Refusal(f"描述过长（{len(text)}字），请控制在{MAX_DESCRIPTION}字以内后重新发送。")
        await _ask(update, context, person, draft.model_copy(update={"description": text}))
        return
    elif step is WhistleStep.URGENCY and text in ("紧急", "一般"):
        await _ask(update, context, person, draft.model_copy(update={"urgent": text == "紧急"}))
        return
    # Anything else: the same question again (also how a resumed conversation re-orients).
    prompt, rows = await _prompt(context, person, draft, step)
    await _say(update, context, "请按提示操作。\n" + prompt, rows)


async def on_photo(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A photo at the photo step (the fifth moves on by itself)."""
    message = update.effective_message
    assert message is not None and message.photo
    draft, step = _draft(dialog), WhistleStep(dialog.step)
    if step is not WhistleStep.PHOTOS:
        prompt, rows = await _prompt(context, person, draft, step)
        await _say(update, context, "此步暂不接收照片。\n" + prompt, rows)
        return
    await _ask(update, context, person, draft.add_photo(message.photo[-1].file_id))


async def on_location(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A location pin at the place step; the address is asked next."""
    message = update.effective_message
    assert message is not None and message.location is not None
    draft, step = _draft(dialog), WhistleStep(dialog.step)
    if step is not WhistleStep.PLACE:
        prompt, rows = await _prompt(context, person, draft, step)
        await _say(update, context, "此步暂不接收位置。\n" + prompt, rows)
        return
    pinned = draft.model_copy(
        update={"latitude": message.location.latitude, "longitude": message.location.longitude}
    )
    await _ask(update, context, person, pinned)


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
    """A whistle button: checked against the step in the database, then the next question."""
    rt = context.rt
    user_id = person.telegram_user_id
    async with rt.transaction() as session:
        dialog = await get_dialog(session, user_id, user_id)
    if dialog is None or dialog.kind != DIALOG_KIND:
        await press.answer("该吹哨上报已结束。如需上报，请发送 /whistle。", show_alert=True)
        await _close_buttons(update)
        return
    action = press.action
    if action is WhistleAction.CANCEL:
        await _cancel(context, user_id)
        await press.answer("已取消")
        await _close_buttons(update)
        await _say(update, context, "已取消吹哨上报。", [])
        return
    draft, step = _draft(dialog), WhistleStep(dialog.step)
    if ACTION_STEP.get(action) is not step:
        await press.answer(STALE, show_alert=True)
        return
    arg = press.values[0] if press.values else None
    if action is WhistleAction.CATEGORY:
        if rt.org.category(press.text(0)) is None:
            raise Refusal(STALE)
        draft = draft.model_copy(update={"category_key": press.text(0)})
    elif action is WhistleAction.AREA:
        async with rt.transaction() as session:
            allowed = {a.id for a in await whistle_areas(session, person)}
        if press.id(0) not in allowed:
            raise Refusal(STALE)
        draft = draft.model_copy(update={"area_id": press.id(0)})
    elif action is WhistleAction.SKIP_PLACE:
        draft = draft.model_copy(update={"place_done": True})
    elif action is WhistleAction.PHOTOS_DONE:
        draft = draft.model_copy(update={"photos_done": True})
    elif action is WhistleAction.URGENCY:
        draft = draft.model_copy(update={"urgent": arg == "1"})
    elif action is WhistleAction.DUPLICATE and arg == "add" and draft.duplicate_case_id is not None:
        await _supplement(update, context, person, draft, press)
        return
    elif action is WhistleAction.DUPLICATE and arg == "new":
        draft = draft.model_copy(update={"duplicate_checked": True})
    elif action is WhistleAction.SUBMIT:
        await _submit(update, context, person, draft, press)
        return
    elif action is WhistleAction.EDIT:
        draft = draft.model_copy(update={"editing": True})
    elif action is WhistleAction.EDIT_FIELD and arg == "back":
        draft = draft.model_copy(update={"editing": False})
    elif action is WhistleAction.EDIT_FIELD and arg in {f.value for f in EditField}:
        draft = draft.clear(EditField(press.text(0)))
    else:
        raise Refusal(STALE)
    await press.answer()
    await _close_buttons(update)
    await _ask(update, context, person, draft)


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
        await clear_dialog(session, person.telegram_user_id, person.telegram_user_id)
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
        await clear_dialog(session, person.telegram_user_id, person.telegram_user_id)
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
        DialogRoutes(on_text=on_text, on_photo=on_photo, on_location=on_location, title=TITLE),
    )
    add_trigger(app, r"吹哨|隐患", trigger)
