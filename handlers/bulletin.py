"""签发 of the month's 通报: the buttons under a draft, and the two typed answers they ask for.

签发 → services/bulletin/signoff.sign; 补充工作要求 / 修改意见 → a one-step dialog whose text
goes to add_requirements / comment. Only coordinators press them; everything is re-checked
against the month's row (docs/bulletin-signoff.mmd).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from handlers.buttons import Press, add_buttons
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import reply
from handlers.router import add_dialog, begin_dialog
from models.dto import PersonInfo
from services.bulletin.signoff import (
    MAX_REQUIREMENT,
    BadText,
    add_requirements,
    comment,
    open_draft,
    sign,
)
from services.buttons import BULLETIN, BulletinAction
from services.dialogs import Dialog, clear_dialog, set_dialog
from services.errors import Refusal

COMMANDS: list[CommandSpec] = []
REQUIRE_DIALOG = "bulletin_require"
COMMENT_DIALOG = "bulletin_comment"
STALE = "该按钮已失效，请在最新的通报送审稿下操作。"
COORDINATOR_ONLY = "通报签发仅限协调员操作。"
BulletinPress = Press[BulletinAction]


def _coordinator(person: PersonInfo) -> None:
    if not person.is_coordinator:
        raise Refusal(COORDINATOR_ONLY)


async def _sign(
    update: Update, context: CustomContext, person: PersonInfo, press: BulletinPress
) -> None:
    """签发: number the 通报 and send it to its audience (the confirmation comes by outbox)."""
    _coordinator(person)
    rt = context.rt
    number = await sign(rt, press.id(0), press.id(1), person, rt.now())
    await press.answer(f"已签发：{number}")


async def _ask(
    update: Update, context: CustomContext, person: PersonInfo, press: BulletinPress
) -> None:
    """补充工作要求 / 修改意见: save a one-step dialog and ask for the text."""
    _coordinator(person)
    rt = context.rt
    run_id = press.id(0)
    async with rt.transaction() as session:
        await open_draft(session, run_id)
    chat = update.effective_chat
    assert chat is not None
    kind = REQUIRE_DIALOG if press.action is BulletinAction.REQUIRE else COMMENT_DIALOG
    data = {"run_id": run_id}
    await press.answer()
    if not await begin_dialog(
        update, context, person, kind=kind, chat_id=chat.id, step="text", data=data
    ):
        return
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=person.telegram_user_id,
            chat_id=chat.id,
            kind=kind,
            step="text",
            data=data,
            now=rt.now(),
        )
    if kind == REQUIRE_DIALOG:
        text = (
            f"请输入下步工作要求（一段文字，{MAX_REQUIREMENT}字以内）。将写入通报“下步工作要求”，"
            "并重新生成送审稿。发送 /cancel 取消。"
        )
    else:
        text = "请输入对送审稿的修改意见，将转送各协调员。发送 /cancel 取消。"
    await reply(update, text)


async def _typed(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The typed 工作要求 or 修改意见: applied once, the dialog ended."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    rt = context.rt
    run_id = int(dialog.data["run_id"])
    text = message.text or ""
    try:
        if dialog.kind == REQUIRE_DIALOG:
            draft = await add_requirements(rt, run_id, person, text, rt.now())
            answer = (
                f"已收到，谢谢。已写入工作要求并重新生成送审稿（第{draft}稿），请在新稿下方签发。"
            )
        else:
            await comment(rt, run_id, person, text, rt.now(), message.message_id)
            answer = "已收到，谢谢。修改意见已转送各协调员。"
    except BadText:
        raise  # the dialog waits for a better text
    except Refusal:
        async with rt.transaction() as session:
            await clear_dialog(session, person.telegram_user_id, chat.id, dialog.kind)
        raise
    async with rt.transaction() as session:
        await clear_dialog(session, person.telegram_user_id, chat.id, dialog.kind)
    await reply(update, answer)


def register(app: Application) -> None:
    add_buttons(
        app,
        BULLETIN,
        {
            BulletinAction.SIGN: _sign,
            BulletinAction.REQUIRE: _ask,
            BulletinAction.COMMENT: _ask,
        },
        stale=STALE,
        where="private",
    )
    add_dialog(app, REQUIRE_DIALOG, DialogRoutes(on_text=_typed, title="补充通报工作要求"))
    add_dialog(app, COMMENT_DIALOG, DialogRoutes(on_text=_typed, title="通报修改意见"))
