"""Case buttons (报到, 处置完成, 核查, triage) and commands (/case, /mycases, /open, coordinators').

Buttons are declared once (services/buttons.py CASE: `c:ack:<case>:<dept>`, ...) and reach
these handlers through the button guard (handlers/buttons.py), decoded and with the person.
Every press is re-checked in the database by the service, answered, and refused with the
reason when it is not allowed.
"""

from __future__ import annotations

import contextlib
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler

from handlers import ack_for, arrival
from handlers.buttons import Press, add_buttons, keyboard
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import COORDINATOR, guarded, in_group, reply, thread_of
from handlers.router import add_dialog, begin_dialog
from handlers.whistle import WHISTLERS
from models.case_dto import CaseView
from models.cases import CaseStatus
from models.dto import PersonInfo
from models.enums import Role
from services.buttons import CASE, CaseAction
from services.cases import cards
from services.cases import lifecycle as lc
from services.cases.draft import MAX_DESCRIPTION, MAX_PHOTOS
from services.cases.env import CaseEnv
from services.cases.queries import case_timeline, my_cases, open_for_chat, shown_in_group
from services.dialogs import Dialog, clear_dialog, get_draft, set_dialog
from services.errors import Refusal
from services.outbox import Button
from services.timefmt import fmt_datetime

ALL_ROLES = frozenset(Role)
COMMANDS = [
    CommandSpec("case", "查看案件记录：/case 案件编号", ALL_ROLES, "any"),
    CommandSpec("mycases", "我上报的隐患", WHISTLERS, "private"),
    CommandSpec("open", "本部门在办案件（在部门群中使用）", ALL_ROLES, "group"),
    CommandSpec("case_add", "增加责任部门：/case_add 案件编号 部门", COORDINATOR, "private"),
    CommandSpec("case_remove", "移除责任部门：/case_remove 案件编号 部门", COORDINATOR, "private"),
    CommandSpec(
        "case_reassign", "改派：/case_reassign 案件编号 原部门 新部门", COORDINATOR, "private"
    ),
    CommandSpec("case_close", "结案：/case_close 案件编号 结案说明", COORDINATOR, "private"),
    ack_for.COMMAND,
]
RESOLVE_DIALOG = "case_resolve"
REOPEN_DIALOG = "case_reopen"
STALE = "该按钮已失效或无法识别，请按最新消息操作。"
CasePress = Press[CaseAction]
SUBMIT_NOTE = Button("提交", CASE.encode(CaseAction.RESOLVE_SUBMIT))
CANCEL_NOTE = Button("取消", CASE.encode(CaseAction.RESOLVE_CANCEL))


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        with contextlib.suppress(BadRequest):  # already without buttons
            await query.edit_message_reply_markup(reply_markup=None)


async def _private(
    context: CustomContext, person: PersonInfo, text: str, rows: list[list[Button]]
) -> bool:
    """Write to the person's private chat; False if they never opened it (or blocked the bot)."""
    try:
        await context.bot.send_message(
            person.telegram_user_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard(rows)
        )
    except Forbidden:
        return False
    return True


async def _ack(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """报到: recorded once; a second press (or a colleague's) hears who reported and when."""
    chat = update.effective_chat
    assert chat is not None
    case_id, department_id = press.id(0), press.id(1)
    rt = context.rt
    async with rt.transaction() as session:
        result = await lc.acknowledge(
            session,
            CaseEnv.of(rt),
            actor=person,
            case_id=case_id,
            department_id=department_id,
            chat_id=chat.id,
            now=rt.now(),
        )
    if result.recorded:
        await press.answer(
            f"{result.department}已报到，谢谢。处置后请点击“处置完成”。", show_alert=False
        )
        return
    when = fmt_datetime(result.acked_at, rt.tz)
    await press.answer(
        f"{result.department}已由{result.acked_by or '本部门'}于{when}报到，无需重复操作。"
    )


def _resolve_prompt(view: CaseView, department_id: int) -> str:
    line = view.department(department_id)
    return (
        f"请填写 {view.number}（{escape(view.category_name)}）{escape(line.name if line else '')}"
        f"的处置情况（文字说明，{MAX_DESCRIPTION}字以内），可随后附处置后的照片"
        f"（最多{MAX_PHOTOS}张）。"
    )


ASK_FIRST = "您有未完成的填写内容，请在与本机器人的私聊中选择继续或放弃。"


async def _start_resolve(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """处置完成: the note (and photos) are asked in the person's private chat."""
    case_id, department_id = press.id(0), press.id(1)
    rt = context.rt
    uid = person.telegram_user_id
    async with rt.transaction() as session:
        view = await lc.check_may_resolve(
            session, actor=person, case_id=case_id, department_id=department_id
        )
    data = {
        "case_id": case_id,
        "department_id": department_id,
        "number": view.number,
        "note": None,
        "photos": [],
    }
    if not await begin_dialog(
        update, context, person, kind=RESOLVE_DIALOG, chat_id=uid, step="note", data=data
    ):
        await press.answer(ASK_FIRST, show_alert=True)
        return
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=uid,
            chat_id=uid,
            kind=RESOLVE_DIALOG,
            step="note",
            data=data,
            now=rt.now(),
        )
    if not await _private(context, person, _resolve_prompt(view, department_id), [[CANCEL_NOTE]]):
        async with rt.transaction() as session:
            await clear_dialog(session, uid, uid, RESOLVE_DIALOG)
        await press.answer("请先私聊本机器人并发送 /start，再点击“处置完成”。", show_alert=True)
        return
    await press.answer("请在与本机器人的私聊中填写处置情况。", show_alert=True)


async def _resolve_dialog(context: CustomContext, person: PersonInfo) -> Dialog | None:
    uid = person.telegram_user_id
    async with context.rt.transaction() as session:
        return await get_draft(session, uid, uid, RESOLVE_DIALOG)


async def _submit_resolve(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """提交 of the 处置 note: the use case, and the dialog ends in the same transaction."""
    chat = update.effective_chat
    assert chat is not None
    dialog = await _resolve_dialog(context, person)
    if dialog is None or not dialog.data.get("note"):
        raise Refusal(STALE if dialog is None else "请先发送处置情况说明（文字）。")
    rt = context.rt
    uid = person.telegram_user_id
    try:
        async with rt.transaction() as session:
            view = await lc.resolve(
                session,
                CaseEnv.of(rt),
                actor=person,
                case_id=int(dialog.data["case_id"]),
                department_id=int(dialog.data["department_id"]),
                note=str(dialog.data["note"]),
                photos=[str(p) for p in dialog.data.get("photos", [])],
                chat_id=chat.id,
                now=rt.now(),
            )
            await clear_dialog(session, uid, uid, RESOLVE_DIALOG)
    except Refusal as refusal:
        # e.g. a colleague submitted first: end this note, and give the text back so it is
        # not lost (the person can pass it to the coordinator).
        async with rt.transaction() as session:
            await clear_dialog(session, uid, uid, RESOLVE_DIALOG)
        await press.answer(refusal.message, show_alert=True)
        await _drop_buttons(update)
        await reply(
            update,
            f"{escape(refusal.message)}\n您填写的说明未提交，原文如下，如需补充请联系协调员：\n"
            f"{escape(str(dialog.data['note']))}",
        )
        return
    await press.answer("已提交")
    await _drop_buttons(update)
    follow = (
        "各责任部门均已处置，已请上报人核查。"
        if view.status == CaseStatus.VERIFYING
        else "待其他责任部门处置完成后，将请上报人核查。"
    )
    await reply(update, f"已收到，谢谢。{view.number} 的处置情况已提交。{follow}")


async def _cancel_resolve(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    if await _resolve_dialog(context, person) is None:
        raise Refusal(STALE)
    uid = person.telegram_user_id
    async with context.rt.transaction() as session:
        await clear_dialog(session, uid, uid, RESOLVE_DIALOG)
    await press.answer("已取消")
    await _drop_buttons(update)
    await reply(update, "已取消填写处置情况。如需提交，请再次点击案件消息上的“处置完成”。")


async def resolve_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The 处置 note (a later text replaces it); then photos or 提交."""
    message = update.effective_message
    assert message is not None
    note = (message.text or "").strip()
    if len(note) > MAX_DESCRIPTION:
        raise Refusal(f"说明过长（{len(note)}字），请控制在{MAX_DESCRIPTION}字以内后重新发送。")
    await _store_resolve(update, context, person, dialog, note=note, photo=None)


async def resolve_photo(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A photo of the result (its caption, if any, becomes the note)."""
    message = update.effective_message
    assert message is not None and message.photo
    caption = (message.caption or "").strip()[:MAX_DESCRIPTION] or None
    await _store_resolve(
        update, context, person, dialog, note=caption, photo=message.photo[-1].file_id
    )


async def _store_resolve(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    dialog: Dialog,
    *,
    note: str | None,
    photo: str | None,
) -> None:
    data = dict(dialog.data)
    if note:
        data["note"] = note
    photos = [str(p) for p in data.get("photos", [])]
    if photo is not None:
        if len(photos) >= MAX_PHOTOS:
            raise Refusal(f"最多{MAX_PHOTOS}张照片，请点击“提交”。")
        photos.append(photo)
    data["photos"] = photos
    rt = context.rt
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=dialog.user_id,
            chat_id=dialog.chat_id,
            kind=RESOLVE_DIALOG,
            step="photos" if data.get("note") else "note",
            data=data,
            now=rt.now(),
            message_id=update.message.message_id if update.message is not None else None,
        )
    if not data.get("note"):
        await reply(
            update,
            f"已收到第{len(photos)}张照片。请发送处置情况说明（文字）。",
            reply_markup=keyboard([[CANCEL_NOTE]]),
        )
        return
    await _resolve_summary(update, len(photos))


async def _resolve_summary(update: Update, photos: int) -> None:
    """The note is in: more photos, a new note, or 提交."""
    got = f"已记录处置说明，照片{photos}张。" if photos else "已记录处置说明。"
    await reply(
        update,
        f"{got}可继续发送照片（最多{MAX_PHOTOS}张），或发送文字修改说明；确认后请点击“提交”。",
        reply_markup=keyboard([[SUBMIT_NOTE, CANCEL_NOTE]]),
    )


async def resolve_resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """继续填写 the 处置 note: where it stands, or its question again."""
    case_id, department_id = int(dialog.data["case_id"]), int(dialog.data["department_id"])
    async with context.rt.transaction() as session:
        view = await lc.check_may_resolve(
            session, actor=person, case_id=case_id, department_id=department_id
        )
    if dialog.data.get("note"):
        await _resolve_summary(update, len(dialog.data.get("photos") or []))
        return
    await reply(
        update, _resolve_prompt(view, department_id), reply_markup=keyboard([[CANCEL_NOTE]])
    )


def resolve_unfinished(dialog: Dialog) -> str | None:
    """The case number when a note or a photo was given (放弃 would lose them)."""
    if not dialog.data.get("note") and not dialog.data.get("photos"):
        return None
    return str(dialog.data.get("number") or "处置说明")


async def _verified(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """已消除: the case closes."""
    chat = update.effective_chat
    assert chat is not None
    case_id = press.id(0)
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.verify(
            session, CaseEnv.of(rt), actor=person, case_id=case_id, chat_id=chat.id, now=rt.now()
        )
    await press.answer("已结案")
    await _drop_buttons(update)
    await reply(update, f"已确认隐患消除，{view.number} 已结案。谢谢。")


def _reopen_prompt(view: CaseView) -> str:
    return (
        f"请说明 {view.number} 隐患未消除的原因（{MAX_DESCRIPTION}字以内），"
        "发送后将重新派遣责任部门："
    )


async def _not_eliminated(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """未消除: ask for the reason in the private chat (the reopen happens when it arrives)."""
    case_id = press.id(0)
    rt = context.rt
    uid = person.telegram_user_id
    async with rt.transaction() as session:
        view = await lc.check_may_verify(session, actor=person, case_id=case_id)
    data = {"case_id": case_id}
    if not await begin_dialog(
        update, context, person, kind=REOPEN_DIALOG, chat_id=uid, step="reason", data=data
    ):
        await press.answer(ASK_FIRST, show_alert=True)
        return
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=uid,
            chat_id=uid,
            kind=REOPEN_DIALOG,
            step="reason",
            data=data,
            now=rt.now(),
        )
    if not await _private(context, person, _reopen_prompt(view), []):
        async with rt.transaction() as session:
            await clear_dialog(session, uid, uid, REOPEN_DIALOG)
        await press.answer("请先私聊本机器人并发送 /start，再点击“未消除”。", show_alert=True)
        return
    await press.answer()


async def reopen_resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The reason's question again."""
    async with context.rt.transaction() as session:
        view = await lc.check_may_verify(session, actor=person, case_id=int(dialog.data["case_id"]))
    await reply(update, _reopen_prompt(view))


async def reopen_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The reason: the case reopens and the departments that resolved start again."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    reason = (message.text or "").strip()
    if len(reason) > MAX_DESCRIPTION:
        raise Refusal(f"原因过长（{len(reason)}字），请控制在{MAX_DESCRIPTION}字以内后重新发送。")
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.reopen(
            session,
            CaseEnv.of(rt),
            actor=person,
            case_id=int(dialog.data["case_id"]),
            reason=reason,
            chat_id=chat.id,
            now=rt.now(),
        )
        await clear_dialog(session, dialog.user_id, dialog.chat_id, REOPEN_DIALOG)
    names = "、".join(escape(d.name) for d in view.active_departments)
    await reply(update, f"已记录，谢谢。{view.number} 已重新派遣至：{names}，请各部门重新处置。")


async def _triage(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """A coordinator picks a department for an unroutable case: dispatched at once."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    case_id, department_id = press.id(0), press.id(1)
    rt = context.rt
    env = CaseEnv.of(rt)
    async with rt.transaction() as session:
        view, added = await lc.triage_pick(
            session,
            env,
            actor=person,
            case_id=case_id,
            department_id=department_id,
            chat_id=chat.id,
            now=rt.now(),
        )
        _, rows = await lc.triage_keyboard(session, env, view.id)
    line = view.department(department_id)
    name = line.name if line else "该部门"
    await press.answer(f"已派遣至{name}。" if added else f"{name}已在派遣名单中。")
    if added and query.message is not None:
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=keyboard(rows))


# -- commands -----------------------------------------------------------------------------------


@guarded(roles=ALL_ROLES, where="any")
async def case_command(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case <number>: the case and its whole timeline (in a group: only that group's cases)."""
    args = context.args or []
    if len(args) != 1:
        raise Refusal("用法：/case 案件编号，例如 /case QS-2026-0042")
    chat = update.effective_chat
    assert chat is not None
    rt = context.rt
    async with rt.transaction() as session:
        view, events = await case_timeline(session, actor=person, number=args[0])
        here = not in_group(update) or await shown_in_group(
            session, view, chat_id=chat.id, thread_id=thread_of(update)
        )
    text = cards.timeline_text(view, events, rt.tz, rt.now())
    if here:
        await reply(update, text)
        return
    # Another department's group, or an unbound one: names and actions stay out of it.
    elsewhere = f"{view.number} 的记录只在相关部门的工作群和私聊中显示"
    if await _private(context, person, text, []):
        await reply(update, f"{elsewhere}，已私聊发送给您。")
    else:
        await reply(
            update,
            f"{elsewhere}。您尚未与本机器人私聊：请先私聊本机器人发送 /start，"
            f"再发送 /case {view.number}。",
        )


@guarded(roles=WHISTLERS)
async def mycases(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/mycases: the reporter's cases, open first."""
    rt = context.rt
    async with rt.transaction() as session:
        items = await my_cases(session, actor=person)
    if not items:
        await reply(update, "您尚未上报隐患。发现隐患请发送“吹哨”或 /whistle。")
        return
    now = rt.now()
    lines = ["我上报的隐患（查看详情：/case 案件编号）："]
    lines += [cards.open_line(item, now, rt.tz) for item in items]
    await reply(update, "\n".join(lines))


@guarded(roles=ALL_ROLES, where="group")
async def open_command(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/open in a department group: that department's open cases and their age."""
    chat = update.effective_chat
    assert chat is not None
    rt = context.rt
    async with rt.transaction() as session:
        dept, items = await open_for_chat(session, chat_id=chat.id, thread_id=thread_of(update))
    if not items:
        await reply(update, f"{escape(dept.name)}当前没有在办案件。")
        return
    now = rt.now()
    lines = [f"{escape(dept.name)}在办案件（{len(items)}件，按派遣先后）："]
    lines += [cards.open_line(item, now, rt.tz) for item in items]
    await reply(update, "\n".join(lines))


def _split(args: list[str], count: int, usage: str) -> list[str]:
    """The first `count - 1` words, then the rest of the line as the last argument."""
    if len(args) < count:
        raise Refusal(usage)
    return [*args[: count - 1], " ".join(args[count - 1 :])]


@guarded(roles=COORDINATOR)
async def case_add(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case_add <number> <department>: dispatch one more department."""
    number, dept = _split(context.args or [], 2, "用法：/case_add 案件编号 部门代码或简称")
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.add_department(
            session,
            CaseEnv.of(rt),
            actor=person,
            number=number,
            department=dept,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
    await reply(update, f"已将 {view.number} 派遣至{escape(dept)}。当前责任部门：{_names(view)}。")


@guarded(roles=COORDINATOR)
async def case_remove(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case_remove <number> <department>: take a department off (its ladder stops)."""
    number, dept = _split(context.args or [], 2, "用法：/case_remove 案件编号 部门代码或简称")
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.remove_department(
            session,
            CaseEnv.of(rt),
            actor=person,
            number=number,
            department=dept,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
    await reply(update, f"已调整 {view.number} 的责任部门。当前责任部门：{_names(view)}。")


@guarded(roles=COORDINATOR)
async def case_reassign(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case_reassign <number> <from> <to>: one department's part goes to another."""
    args = context.args or []
    if len(args) != 3:
        raise Refusal("用法：/case_reassign 案件编号 原部门 新部门")
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.reassign(
            session,
            CaseEnv.of(rt),
            actor=person,
            number=args[0],
            from_department=args[1],
            to_department=args[2],
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
    await reply(update, f"已改派 {view.number}。当前责任部门：{_names(view)}。")


@guarded(roles=COORDINATOR)
async def case_close(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/case_close <number> <reason>: close with a reason (all ladders stop)."""
    number, reason = _split(
        context.args or [],
        2,
        "用法：/case_close 案件编号 结案说明，例如 /case_close QS-2026-0042 误报",
    )
    rt = context.rt
    async with rt.transaction() as session:
        view = await lc.close_case(
            session,
            CaseEnv.of(rt),
            actor=person,
            number=number,
            reason=reason,
            chat_id=person.telegram_user_id,
            now=rt.now(),
        )
    await reply(update, f"{view.number} 已结案，已通知责任部门和上报人。")


def _names(view: CaseView) -> str:
    return "、".join(escape(d.name) for d in view.active_departments) or "无"


def register(app: Application) -> None:
    add_buttons(
        app,
        CASE,
        {
            CaseAction.ACK: _ack,
            CaseAction.RESOLVE: _start_resolve,
            CaseAction.RESOLVE_SUBMIT: _submit_resolve,
            CaseAction.RESOLVE_CANCEL: _cancel_resolve,
            CaseAction.VERIFIED: _verified,
            CaseAction.NOT_ELIMINATED: _not_eliminated,
            CaseAction.TRIAGE: _triage,
            **arrival.ROUTES,
            CaseAction.ACK_FOR: ack_for.start_ack_for,
        },
        stale=STALE,
    )
    app.add_handler(CommandHandler("case", case_command))
    app.add_handler(CommandHandler("mycases", mycases))
    app.add_handler(CommandHandler("open", open_command))
    app.add_handler(CommandHandler("case_add", case_add))
    app.add_handler(CommandHandler("case_remove", case_remove))
    app.add_handler(CommandHandler("case_reassign", case_reassign))
    app.add_handler(CommandHandler("case_close", case_close))
    add_dialog(
        app,
        RESOLVE_DIALOG,
        DialogRoutes(
            on_text=resolve_text,
            on_photo=resolve_photo,
            title="填写处置情况",
            on_resume=resolve_resume,
            unfinished=resolve_unfinished,
        ),
    )
    arrival.register(app)
    ack_for.register(app)
    add_dialog(
        app,
        REOPEN_DIALOG,
        DialogRoutes(on_text=reopen_text, title="核查未通过原因", on_resume=reopen_resume),
    )
