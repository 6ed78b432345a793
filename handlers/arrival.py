"""到场打卡: the card's button asks for a location in the private chat, the location records it.

The press (in the department's group) starts the `case_arrive` conversation in the person's
private chat with a reply keyboard whose button shares the location (a live location works
too). The location goes to services/cases/arrival.py; beyond the radius the bot asks
"距隐患点约1.2公里，仍登记到场？" (仍登记到场 / 取消) before recording. Drawn in
docs/case-lifecycle.mmd.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from html import escape

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from handlers.buttons import Press, keyboard
from handlers.context import CustomContext, DialogRoutes
from handlers.guards import reply
from handlers.router import add_dialog, begin_dialog
from models.case_dto import ArrivalResult, CaseView
from models.dto import PersonInfo
from services.buttons import CASE, CaseAction
from services.cases import arrival
from services.cases.env import CaseEnv
from services.dialogs import Dialog, clear_dialog, get_draft, set_dialog
from services.errors import Refusal
from services.geo import fmt_distance
from services.outbox import Button
from services.timefmt import fmt_datetime

ARRIVE_DIALOG = "case_arrive"
SHARE = "📍 发送当前位置"
CANCEL = "取消"
STALE = "该按钮已失效或无法识别，请按最新消息操作。"
ASK_FIRST = "您有未完成的填写内容，请在与本机器人的私聊中选择继续或放弃。"
CasePress = Press[CaseAction]
CONFIRM_FAR = Button("仍登记到场", CASE.encode(CaseAction.ARRIVE_CONFIRM))
CANCEL_FAR = Button("取消", CASE.encode(CaseAction.ARRIVE_CANCEL))


def _location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE, request_location=True)], [KeyboardButton(CANCEL)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _prompt(view: CaseView, department_id: int) -> str:
    line = view.department(department_id)
    name = line.name if line else ""
    return (
        f"到场打卡：{view.number}（{escape(view.category_name)}）{escape(name)}。"
        f"请在隐患现场点击下方“{SHARE}”按钮（也可发送实时位置）；不在现场请点击“{CANCEL}”。"
    )


def _already(result: ArrivalResult, context: CustomContext) -> str:
    when = fmt_datetime(result.arrived_at, context.rt.tz) if result.arrived_at else ""
    who = escape(result.arrived_by or "本部门")
    return f"{escape(result.department)}已由{who}于{when}到场打卡，无需重复操作。"


def _recorded(result: ArrivalResult, context: CustomContext) -> str:
    when = fmt_datetime(result.arrived_at, context.rt.tz) if result.arrived_at else ""
    where = (
        f"，距隐患点{fmt_distance(result.distance_m)}"
        if result.distance_m is not None
        else "（该案件未附位置，未计算距离）"
    )
    return f"已登记 {result.case_number} {escape(result.department)}到场：{when}{where}。谢谢。"


async def start_arrive(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """到场打卡 on the card: the location is asked in the person's private chat."""
    case_id, department_id = press.id(0), press.id(1)
    rt = context.rt
    uid = person.telegram_user_id
    async with rt.transaction() as session:
        view, done = await arrival.check_may_arrive(
            session, actor=person, case_id=case_id, department_id=department_id
        )
    if done is not None:
        await press.answer(_already(done, context))
        return
    data = {"case_id": case_id, "department_id": department_id, "number": view.number}
    if not await begin_dialog(
        update, context, person, kind=ARRIVE_DIALOG, chat_id=uid, step="location", data=data
    ):
        await press.answer(ASK_FIRST, show_alert=True)
        return
    async with rt.transaction() as session:
        await set_dialog(
            session,
            user_id=uid,
            chat_id=uid,
            kind=ARRIVE_DIALOG,
            step="location",
            data=data,
            now=rt.now(),
        )
    try:
        await context.bot.send_message(
            uid,
            _prompt(view, department_id),
            parse_mode=ParseMode.HTML,
            reply_markup=_location_keyboard(),
        )
    except Forbidden:
        async with rt.transaction() as session:
            await clear_dialog(session, uid, uid, ARRIVE_DIALOG)
        await press.answer("请先私聊本机器人并发送 /start，再点击“到场打卡”。", show_alert=True)
        return
    await press.answer("请在与本机器人的私聊中发送您的位置。", show_alert=True)


async def _record(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    dialog: Dialog,
    *,
    latitude: float,
    longitude: float,
    at: datetime,
    live: bool,
    confirm_far: bool,
) -> ArrivalResult:
    chat = update.effective_chat
    assert chat is not None
    rt = context.rt
    async with rt.transaction() as session:
        result = await arrival.record_arrival(
            session,
            CaseEnv.of(rt),
            actor=person,
            case_id=int(dialog.data["case_id"]),
            department_id=int(dialog.data["department_id"]),
            latitude=latitude,
            longitude=longitude,
            at=at,
            live=live,
            confirm_far=confirm_far,
            chat_id=chat.id,
            now=rt.now(),
        )
        if not result.needs_confirm:
            await clear_dialog(session, dialog.user_id, dialog.chat_id, ARRIVE_DIALOG)
    return result


async def on_location(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The shared location (or live location): recorded, or asked about when too far."""
    message = update.effective_message
    assert message is not None and message.location is not None
    pin = message.location
    now = context.rt.now()
    live = pin.to_dict().get("live_period") is not None  # (PTB warns on the attribute)
    try:
        result = await _record(
            update,
            context,
            person,
            dialog,
            latitude=pin.latitude,
            longitude=pin.longitude,
            at=now,
            live=live,
            confirm_far=False,
        )
    except Refusal as refusal:
        # e.g. the department resolved, or the case closed, since 到场打卡 was pressed
        async with context.rt.transaction() as session:
            await clear_dialog(session, dialog.user_id, dialog.chat_id, ARRIVE_DIALOG)
        await reply(update, escape(refusal.message), reply_markup=ReplyKeyboardRemove())
        return
    if result.needs_confirm:
        assert result.distance_m is not None
        data = {
            **dialog.data,
            "latitude": pin.latitude,
            "longitude": pin.longitude,
            "at": now.isoformat(),
            "live": live,
        }
        async with context.rt.transaction() as session:
            await set_dialog(
                session,
                user_id=dialog.user_id,
                chat_id=dialog.chat_id,
                kind=ARRIVE_DIALOG,
                step="confirm",
                data=data,
                now=now,
                message_id=message.message_id,
            )
        await reply(
            update,
            f"距隐患点{fmt_distance(result.distance_m)}，仍登记到场？"
            f"（{result.radius_m}米以内视为到场；如尚未到达，可到现场后重新发送位置）",
            reply_markup=keyboard([[CONFIRM_FAR, CANCEL_FAR]]),
        )
        return
    text = _recorded(result, context) if result.recorded else _already(result, context)
    await reply(update, text, reply_markup=ReplyKeyboardRemove())


async def on_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """取消 from the keyboard ends it; any other text hears how to share the location."""
    message = update.effective_message
    assert message is not None
    if (message.text or "").strip() == CANCEL:
        async with context.rt.transaction() as session:
            await clear_dialog(session, dialog.user_id, dialog.chat_id, ARRIVE_DIALOG)
        await reply(update, "已取消到场打卡。", reply_markup=ReplyKeyboardRemove())
        return
    await reply(
        update,
        f"到场打卡需要您的位置：请点击下方“{SHARE}”按钮，或发送实时位置；"
        f"不在现场请点击“{CANCEL}”。",
        reply_markup=_location_keyboard(),
    )


async def _arrive_dialog(context: CustomContext, person: PersonInfo) -> Dialog | None:
    uid = person.telegram_user_id
    async with context.rt.transaction() as session:
        return await get_draft(session, uid, uid, ARRIVE_DIALOG)


async def confirm_far(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """仍登记到场: the location shared before is recorded with its distance."""
    dialog = await _arrive_dialog(context, person)
    if dialog is None or dialog.step != "confirm":
        raise Refusal(STALE)
    await _drop(update)
    try:
        result = await _record(
            update,
            context,
            person,
            dialog,
            latitude=float(dialog.data["latitude"]),
            longitude=float(dialog.data["longitude"]),
            at=datetime.fromisoformat(str(dialog.data["at"])),
            live=bool(dialog.data.get("live")),
            confirm_far=True,
        )
    except Refusal:
        async with context.rt.transaction() as session:
            await clear_dialog(session, dialog.user_id, dialog.chat_id, ARRIVE_DIALOG)
        raise
    await press.answer("已登记到场" if result.recorded else None)
    text = _recorded(result, context) if result.recorded else _already(result, context)
    await reply(update, text, reply_markup=ReplyKeyboardRemove())


async def cancel_far(
    update: Update, context: CustomContext, person: PersonInfo, press: CasePress
) -> None:
    """取消 after the distance question: nothing is recorded."""
    dialog = await _arrive_dialog(context, person)
    if dialog is None:
        raise Refusal(STALE)
    async with context.rt.transaction() as session:
        await clear_dialog(session, dialog.user_id, dialog.chat_id, ARRIVE_DIALOG)
    await press.answer("已取消")
    await _drop(update)
    await reply(
        update,
        "已取消，未登记到场。到达现场后请再次点击案件消息上的“到场打卡”。",
        reply_markup=ReplyKeyboardRemove(),
    )


async def resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """继续: the location question again."""
    case_id, department_id = int(dialog.data["case_id"]), int(dialog.data["department_id"])
    async with context.rt.transaction() as session:
        view, _ = await arrival.check_may_arrive(
            session, actor=person, case_id=case_id, department_id=department_id
        )
    await reply(update, _prompt(view, department_id), reply_markup=_location_keyboard())


async def _drop(update: Update) -> None:
    query = update.callback_query
    if query is not None and query.message is not None:
        with suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


ROUTES = {
    CaseAction.ARRIVE: start_arrive,
    CaseAction.ARRIVE_CONFIRM: confirm_far,
    CaseAction.ARRIVE_CANCEL: cancel_far,
}


def register(app: Application) -> None:
    """The arrival conversation (its buttons are routed by handlers/cases.py with CASE's)."""
    add_dialog(
        app,
        ARRIVE_DIALOG,
        DialogRoutes(on_text=on_text, on_location=on_location, title="到场打卡", on_resume=resume),
    )
