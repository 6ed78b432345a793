"""代为报到: a coordinator reports for duty on a department's behalf, with a reason.

The 代为报到 button is on cards (and pings) forwarded to the coordinators because the
department has no group; the press asks the reason in the coordinator's private chat
(`case_ack_for`), and the reason's text records it. `/case_ack 案件编号 部门 原因` does the
same in one line (e.g. after confirming by phone a department that has a group).
"""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import Forbidden
from telegram.ext import Application, CommandHandler

from handlers.buttons import Press
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import COORDINATOR, guarded, reply
from handlers.router import add_dialog, begin_dialog
from models.case_dto import AckResult
from models.dto import PersonInfo
from services.buttons import CaseAction
from services.cases import lifecycle as lc
from services.cases.draft import MAX_DESCRIPTION
from services.cases.env import CaseEnv
from services.dialogs import Dialog, clear_dialog, set_dialog
from services.errors import Refusal
from services.timefmt import fmt_datetime

ACK_FOR_DIALOG = "case_ack_for"
ASK_FIRST = "您有未完成的填写内容，请在与本机器人的私聊中选择继续或放弃。"
COMMAND = CommandSpec("case_ack", "代为报到：/case_ack 案件编号 部门 原因", COORDINATOR, "private")


def _prompt(number: str, department: str) -> str:
    return (
        f"代为报到：{number} {escape(department)}。请说明原因（{MAX_DESCRIPTION}字以内），"
        "例如：已电话确认，负责人正赶赴现场。发送 /cancel 取消。"
    )


def _answer(result: AckResult, context: CustomContext) -> str:
    when = fmt_datetime(result.acked_at, context.rt.tz)
    name = escape(result.department)
    if result.recorded:
        return f"已代{name}报到 {result.case_number}（{when}），已记录原因并通知该部门。"
    how = "代为报到" if result.on_behalf else "报到"
    return f"{name}已由{escape(result.acked_by or '本部门')}于{when}{how}，无需重复操作。"


async def start_ack_for(
    update: Update, context: CustomContext, person: PersonInfo, press: Press[CaseAction]
) -> None:
    """代为报到 on a forwarded card: the reason is asked in the coordinator's private chat."""
    if not person.is_coordinator:
        raise Refusal("代为报到仅限协调员操作。")
    case_id, department_id = press.id(0), press.id(1)
    rt = context.rt
    uid = person.telegram_user_id
    async with rt.transaction() as session:
        view = await lc.check_may_ack_for(
            session, actor=person, case_id=case_id, department_id=department_id
        )
    line = view.department(department_id)
    name = line.name if line else ""
    data = {"case_id": case_id, "department_id": department_id, "number": view.number, "name": name}
    if not await begin_dialog(
        update, context, person, kind=ACK_FOR_DIALOG, chat_id=uid, step="reason", data=data
    ):
        await press.answer(ASK_FIRST, show_alert=True)
        return
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=uid,
            chat_id=uid,
            kind=ACK_FOR_DIALOG,
            step="reason",
            data=data,
            now=rt.now(),
        )
    try:
        await context.bot.send_message(uid, _prompt(view.number, name), parse_mode=ParseMode.HTML)
    except Forbidden:
        async with rt.transaction() as session:
            await clear_dialog(session, uid, uid, ACK_FOR_DIALOG)
        await press.answer("请先私聊本机器人并发送 /start，再点击“代为报到”。", show_alert=True)
        return
    await press.answer("请在与本机器人的私聊中说明代为报到的原因。", show_alert=True)


async def reason_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The reason: 代为报到 is recorded (a colleague's 报到 meanwhile wins, and is said)."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    reason = (message.text or "").strip()
    if len(reason) > MAX_DESCRIPTION:
        raise Refusal(f"原因过长（{len(reason)}字），请控制在{MAX_DESCRIPTION}字以内后重新发送。")
    rt = context.rt
    async with rt.transaction() as session:
        result = await lc.acknowledge(
            session,
            CaseEnv.of(rt),
            actor=person,
            case_id=int(dialog.data["case_id"]),
            department_id=int(dialog.data["department_id"]),
            chat_id=chat.id,
            now=rt.now(),
            on_behalf=reason,
        )
        await clear_dialog(session, dialog.user_id, dialog.chat_id, ACK_FOR_DIALOG)
    await reply(update, _answer(result, context))


async def resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    await reply(update, _prompt(str(dialog.data["number"]), str(dialog.data.get("name") or "")))


@guarded(roles=COORDINATOR)
async def case_ack(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case_ack <number> <department> <reason>: 代为报到 in one line."""
    args = context.args or []
    if len(args) < 3:
        raise Refusal(
            "用法：/case_ack 案件编号 部门 原因，例如 /case_ack QS-2026-0042 住建办 已电话确认"
        )
    number, dept, reason = args[0], args[1], " ".join(args[2:])
    rt = context.rt
    async with rt.transaction() as session:
        result = await lc.acknowledge_for(
            session,
            CaseEnv.of(rt),
            actor=person,
            number=number,
            department=dept,
            reason=reason,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
    await reply(update, _answer(result, context))


def register(app: Application) -> None:
    """The reason conversation and /case_ack (the button is routed by handlers/cases.py)."""
    app.add_handler(CommandHandler("case_ack", case_ack))
    add_dialog(
        app,
        ACK_FOR_DIALOG,
        DialogRoutes(on_text=reason_text, title="代为报到原因", on_resume=resume),
    )
