"""Reminders: /reminders, /remind_now, pause/resume, and the meeting buttons 已召开 / 改期.

The meeting dialogs are drawn in docs/reminder-meeting.mmd: a press stores the dialog in the
database and asks for a date (quick buttons, or a typed reply); the answer is recorded.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler

from handlers.buttons import Press, add_buttons, keyboard
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import COORDINATOR, guarded, reply
from handlers.router import add_dialog
from models.dto import PersonInfo
from services.buttons import MEETING, MeetingAction
from services.dialogs import Dialog, clear_dialog, set_dialog
from services.errors import Refusal
from services.outbox import Button
from services.reminders.control import remind_now, set_paused
from services.reminders.dates import POSTPONE_DATE_HELP, parse_day
from services.reminders.meetings import (
    MeetingInfo,
    MeetingSettled,
    meeting_for,
    record_held,
    record_postponed,
)
from services.reminders.views import overview, overview_text
from services.schedule_rules import period_label
from services.timefmt import fmt_date, fmt_datetime

COMMANDS = [
    CommandSpec("reminders", "提醒规则及下次提醒时间", COORDINATOR, "private"),
    CommandSpec("remind_now", "立即发送提醒：/remind_now 规则代码 [部门]", COORDINATOR, "private"),
    CommandSpec("reminder_pause", "暂停提醒规则：/reminder_pause 规则代码", COORDINATOR, "private"),
    CommandSpec(
        "reminder_resume", "恢复提醒规则：/reminder_resume 规则代码", COORDINATOR, "private"
    ),
]
HELD_DIALOG = "reminder_held"
POSTPONE_DIALOG = "reminder_postpone"
STALE = "该按钮已失效。"
MeetingPress = Press[MeetingAction]


@guarded(roles=COORDINATOR)
async def reminders(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/reminders: every rule, its next occurrence, and its departments (unbound ones marked)."""
    rt = context.rt
    now = rt.now()
    async with rt.transaction() as session:
        items = await overview(session, rt.org, rt.calendar, rt.tz, now)
    this_year = rt.local(now).year
    missing = rt.calendar.missing_years([this_year, this_year + 1])
    for text in overview_text(items, rt.tz, missing):
        await reply(update, text)


@guarded(roles=COORDINATOR)
async def remind_now_command(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/remind_now <rule> [department]: the current period's reminder, now."""
    args = context.args or []
    if not args:
        raise Refusal("用法：/remind_now 规则代码 [部门]。规则代码可用 /reminders 查看。")
    rt = context.rt
    async with rt.transaction() as session:
        sent = await remind_now(
            session,
            rt.org,
            rt.calendar,
            rt.tz,
            rt.now(),
            actor=person,
            rule_text=args[0],
            department_text=" ".join(args[1:]) or None,
        )
    await reply(
        update,
        f"已发送“{escape(sent.rule.name)}”（{period_label(sent.period)}）提醒至："
        f"{escape('、'.join(sent.departments))}。\n本次为即时发送，原定的提醒仍按计划发送。",
    )


async def _pause(update: Update, context: CustomContext, person: PersonInfo, pause: bool) -> None:
    args = context.args or []
    command = "reminder_pause" if pause else "reminder_resume"
    if not args:
        raise Refusal(f"用法：/{command} 规则代码。规则代码可用 /reminders 查看。")
    rt = context.rt
    async with rt.transaction() as session:
        rule = await set_paused(session, rt.org, args[0], person, rt.now(), pause=pause)
    if pause:
        text = f"已暂停提醒规则“{escape(rule.name)}”。恢复请发送 /reminder_resume {rule.key}。"
    else:
        text = f"已恢复提醒规则“{escape(rule.name)}”。暂停期间的提醒不再补发。"
    await reply(update, text)


@guarded(roles=COORDINATOR)
async def pause_command(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/reminder_pause <rule>: stop a rule until resumed."""
    await _pause(update, context, person, True)


@guarded(roles=COORDINATOR)
async def resume_command(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/reminder_resume <rule>: the rule counts again from now."""
    await _pause(update, context, person, False)


def _meeting_title(info: MeetingInfo) -> str:
    return f"{escape(info.department)}{period_label(info.period)}{escape(info.rule_name)}"


def _day_button(label: str, action: MeetingAction, occurrence_id: int, day: date) -> Button:
    text = f"{label}（{fmt_date(day, year=False, weekday=False)}）"
    return Button(text, MEETING.encode(action, occurrence_id, day))


async def _ask_held(
    update: Update, context: CustomContext, person: PersonInfo, press: MeetingPress
) -> None:
    """已召开: ask for the date the meeting was held."""
    await _ask_date(update, context, person, press, press.id(0), held=True)


async def _ask_postponed(
    update: Update, context: CustomContext, person: PersonInfo, press: MeetingPress
) -> None:
    """改期: ask for the new date."""
    await _ask_date(update, context, person, press, press.id(0), held=False)


async def _quick_date(
    update: Update, context: CustomContext, person: PersonInfo, press: MeetingPress
) -> None:
    """A quick-date button under the question: record it and show the result in place."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    held = press.action is MeetingAction.HELD_ON
    text = await _record(context, person, chat.id, press.id(0), press.day(1), None, held)
    await press.answer("已登记")
    if query.message is not None:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML)


async def _ask_date(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    press: MeetingPress,
    occurrence_id: int,
    *,
    held: bool,
) -> None:
    """Store the dialog and ask for the date, with the likely answers as buttons."""
    chat = update.effective_chat
    assert chat is not None
    rt = context.rt
    now = rt.now()
    today = rt.local(now).date()
    async with rt.transaction() as session:
        info = await meeting_for(session, rt.org, occurrence_id, person)
        await set_dialog(
            session,
            user_id=person.telegram_user_id,
            chat_id=chat.id,
            kind=HELD_DIALOG if held else POSTPONE_DIALOG,
            step="date",
            data={"occurrence_id": occurrence_id},
            now=now,
        )
    if held:
        buttons = [
            _day_button("今天", MeetingAction.HELD_ON, occurrence_id, today),
            _day_button("昨天", MeetingAction.HELD_ON, occurrence_id, today - timedelta(days=1)),
        ]
        text = f"请登记{_meeting_title(info)}的召开日期：点击下方按钮，或回复本消息输入日期（如 12月1日）。"
    else:
        first = rt.calendar.next_workday(today, include=False)
        second = rt.calendar.next_workday(first, include=False)
        buttons = [
            _day_button("下一个工作日", MeetingAction.POSTPONE_TO, occurrence_id, first),
            _day_button("再下一个工作日", MeetingAction.POSTPONE_TO, occurrence_id, second),
        ]
        text = (
            f"{_meeting_title(info)}改期：点击下方按钮（{info.default_time:%H:%M}提醒），"
            f"或回复本消息输入新的日期和时间（如 12月8日 15:00）。"
        )
    await press.answer()
    await reply(update, text, reply_markup=keyboard([buttons]))


async def _record(
    context: CustomContext,
    person: PersonInfo,
    chat_id: int,
    occurrence_id: int,
    day: date,
    at: datetime | None,
    held: bool,
) -> str:
    """Record held (on `day`) or postponed (to `at`, else `day` at the rule's time); the answer."""
    rt = context.rt
    now = rt.now()
    kind = HELD_DIALOG if held else POSTPONE_DIALOG
    try:
        async with rt.transaction() as session:
            if held:
                info = await record_held(session, rt.org, rt.tz, occurrence_id, person, day, now)
            else:
                if at is None:
                    current = await meeting_for(session, rt.org, occurrence_id, person)
                    at = datetime.combine(day, current.default_time, tzinfo=rt.tz)
                info = await record_postponed(
                    session, rt.org, rt.tz, occurrence_id, person, at, now
                )
            await clear_dialog(session, person.telegram_user_id, chat_id, kind)
    except MeetingSettled:
        async with rt.transaction() as session:
            await clear_dialog(session, person.telegram_user_id, chat_id, kind)
        raise
    if held:
        return f"已登记：{_meeting_title(info)}已于{fmt_date(day)}召开。谢谢。"
    assert info.postponed_to is not None
    when = fmt_datetime(info.postponed_to, rt.tz, year=True, weekday=True)
    return f"已登记：{_meeting_title(info)}改期至{when}，届时将再次提醒。谢谢。"


async def _typed_date(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog, *, held: bool
) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    rt = context.rt
    today = rt.local(rt.now()).date()
    day, at = parse_day(message.text, today, future=not held)
    when = datetime.combine(day, at, tzinfo=rt.tz) if at is not None and not held else None
    occurrence_id = int(dialog.data["occurrence_id"])
    await reply(
        update, await _record(context, person, dialog.chat_id, occurrence_id, day, when, held)
    )


async def held_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A typed date for 已召开 (today or earlier)."""
    await _typed_date(update, context, person, dialog, held=True)


async def postpone_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A typed new date (and optional time) for 改期."""
    try:
        await _typed_date(update, context, person, dialog, held=False)
    except Refusal as refusal:
        if isinstance(refusal, MeetingSettled) or POSTPONE_DATE_HELP in refusal.message:
            raise
        raise Refusal(f"{refusal.message}\n{POSTPONE_DATE_HELP}") from None


def register(app: Application) -> None:
    app.add_handler(CommandHandler("reminders", reminders))
    app.add_handler(CommandHandler("remind_now", remind_now_command))
    app.add_handler(CommandHandler("reminder_pause", pause_command))
    app.add_handler(CommandHandler("reminder_resume", resume_command))
    add_buttons(
        app,
        MEETING,
        {
            MeetingAction.HELD: _ask_held,
            MeetingAction.POSTPONE: _ask_postponed,
            MeetingAction.HELD_ON: _quick_date,
            MeetingAction.POSTPONE_TO: _quick_date,
        },
        stale=STALE,
    )
    add_dialog(app, HELD_DIALOG, DialogRoutes(on_text=held_text, title="登记会议召开日期"))
    add_dialog(app, POSTPONE_DIALOG, DialogRoutes(on_text=postpone_text, title="会议改期"))
