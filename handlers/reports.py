"""Monthly reports in chat: /report (the form conversation), /status, /reports, /unlock.

Thin adapter: every answer, photo and button goes to services/forms/conversation.py (one
transaction per action: the department's draft and the person's dialog), the coordinator
commands to services/forms/coordinators.py; this module only turns views into messages.
Conversation diagram: docs/report-conversation.mmd.
"""

from __future__ import annotations

import re
from html import escape

from telegram import (
    Chat,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CommandHandler

from handlers.buttons import Press, add_buttons, keyboard
from handlers.context import CommandSpec, CustomContext, DialogRoutes
from handlers.guards import COORDINATOR, guarded, reply
from handlers.router import add_dialog, begin_dialog
from models.dto import PersonInfo
from models.enums import Role
from models.period import MonthPeriod
from services.buttons import REPORT, ReportAction
from services.dialogs import Dialog
from services.errors import Refusal
from services.forms import conversation, coordinators
from services.forms.conversation import DIALOG, STALE, FormView, Input, Opening
from services.forms.deadlines import config_of, deadline_of, find_form
from services.outbox import Button
from services.people import department_hint, find_department

VIEWERS = frozenset({Role.COORDINATOR, Role.LEADER})
COMMANDS = [
    CommandSpec("report", "填写本部门月度报表（可中断，随时继续）", frozenset(Role), "private"),
    CommandSpec("status", "月报报送情况：/status [2026-11]", COORDINATOR, "private"),
    CommandSpec("reports", "查看部门月报：/reports 部门 [2026-11]", VIEWERS, "private"),
    CommandSpec("unlock", "解锁逾期月报：/unlock 部门 报表 [2026-11]", COORDINATOR, "private"),
]
STALE_BUTTON = "该按钮已失效。请发送 /report 重新打开报表。"
ASK_FIRST = "您有未完成的填写内容，请在与本机器人的私聊中选择继续或放弃。"
ReportPress = Press[ReportAction]
_PERIOD = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*月?$")


def _keyboard(view: FormView) -> InlineKeyboardMarkup | None:
    """The screen's buttons, each form action sent with the submission and its version."""
    act = ReportAction.ACT
    return keyboard(
        [
            [
                Button(b.label, REPORT.encode(act, view.submission_id, view.version, b.data))
                for b in row
            ]
            for row in view.rows
        ]
    )


def _text(view: FormView, *, error: bool = True) -> str:
    parts = []
    if error and view.error:
        parts.append(f"❗{escape(view.error)}")
    parts.extend(escape(note) for note in view.notes)
    parts.append(view.text)
    return "\n\n".join(parts)


async def _open(
    context: CustomContext, person: PersonInfo, form_key: str, period: MonthPeriod | None
) -> FormView:
    rt = context.rt
    async with rt.transaction() as session:
        return await conversation.open_form(
            session, config_of(rt), person, form_key, rt.now(), period=period
        )


async def _may_open(
    update: Update,
    context: CustomContext,
    person: PersonInfo,
    form_key: str,
    period: MonthPeriod | None,
) -> bool:
    """False when another conversation holding typed answers (a whistle) was offered first."""
    return await begin_dialog(
        update,
        context,
        person,
        kind=DIALOG,
        chat_id=person.telegram_user_id,
        step=form_key,
        data={"period": period.key if period is not None else ""},
    )


async def on_resume(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """The form where it stands (after 继续填写 / 稍后再填 / 放弃 of another conversation)."""
    key = dialog.data.get("period")
    period = MonthPeriod.parse(key) if isinstance(key, str) and key else None
    view = await _open(context, person, dialog.step, period)
    await reply(update, _text(view), reply_markup=_keyboard(view))


@guarded(roles=frozenset(Role), where="private")
async def report(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/report [报表]: open the department's form (or list its forms); resumes any draft."""
    rt = context.rt
    async with rt.transaction() as session:
        menu = await conversation.choose(
            session, config_of(rt), person, rt.now(), form_text=" ".join(context.args or [])
        )
    if isinstance(menu, Opening):  # the named form, or the only one open: shown at once
        if not await _may_open(update, context, person, menu.form_key, menu.period):
            return
        view = await _open(context, person, menu.form_key, menu.period)
        await reply(update, _text(view), reply_markup=_keyboard(view))
        return
    lines = [f"{escape(menu.department)}需填报的月度报表："]
    buttons: list[list[Button]] = []
    for c in menu.choices:
        optional = "" if c.required else "（选报）"
        progress = f" {c.answered}/{c.questions}题" if c.answered else ""
        lines.append(
            f"· {c.period.label}《{escape(c.title)}》{optional}："
            f"{c.state.shown(required=c.required)}{progress}"
        )
        if not menu.fills:
            continue  # a grid worker sees where the reports stand, without buttons to open them
        data = REPORT.encode(ReportAction.OPEN, c.form_key, c.period)
        buttons.append([Button(f"{c.title}（{c.period.month}月）", data)])
    lines.append(escape(menu.note))
    await reply(update, "\n".join(lines), reply_markup=keyboard(buttons))


async def _act(
    update: Update, context: CustomContext, person: PersonInfo, press: ReportPress
) -> None:
    """A button on a form screen: one step of the form, shown in place of the pressed screen."""
    submission_id, version, action = press.id(0), press.id(1), press.text(2)
    rt = context.rt
    async with rt.transaction() as session:
        view = await conversation.act(
            session,
            config_of(rt),
            person,
            submission_id,
            Input(action=action, version=version),
            rt.now(),
        )
    if view.error:
        await press.answer(view.error, show_alert=view.error != STALE)
    else:
        await press.answer()
    await _show_in_place(update, view)


async def _show_in_place(update: Update, view: FormView) -> None:
    """Replace the pressed message with the new screen (unchanged screens are left alone)."""
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(
            _text(view, error=False), parse_mode=ParseMode.HTML, reply_markup=_keyboard(view)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message:
            raise


async def _open_button(
    update: Update, context: CustomContext, person: PersonInfo, press: ReportPress
) -> None:
    """A form from the /report menu or a group reminder: opened in the private chat."""
    rt = context.rt
    form_key, period = press.text(0), press.month(1)
    conversation.check_may_open(config_of(rt), person, form_key, period, rt.now())
    if not await _may_open(update, context, person, form_key, period):
        await press.answer(ASK_FIRST, show_alert=True)
        return
    view = await _open(context, person, form_key, period)
    chat = update.effective_chat
    if chat is not None and chat.type == Chat.PRIVATE:
        await press.answer()
        await reply(update, _text(view), reply_markup=_keyboard(view))
        return
    try:
        await context.bot.send_message(
            person.telegram_user_id,
            _text(view),
            parse_mode=ParseMode.HTML,
            reply_markup=_keyboard(view),
        )
    except Forbidden:
        await press.answer("请先私聊本机器人并发送 /start，再点击此按钮。", show_alert=True)
        return
    await press.answer("已在与机器人的私聊中打开报表，请前往私聊填写。", show_alert=True)


async def on_text(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A typed answer: saved if valid; else one line saying why and the same question again."""
    message = update.effective_message
    assert message is not None
    await _answer(update, context, person, dialog, Input(text=message.text or ""))


async def on_photo(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog
) -> None:
    """A photo: collected for a photos question (the largest size's file id is kept)."""
    message = update.effective_message
    assert message is not None and message.photo
    await _answer(update, context, person, dialog, Input(photo=message.photo[-1].file_id))


async def _answer(
    update: Update, context: CustomContext, person: PersonInfo, dialog: Dialog, given: Input
) -> None:
    submission_id = dialog.data.get("submission_id")
    if not isinstance(submission_id, int):
        raise Refusal("报表会话已失效，请发送 /report 重新打开。")
    rt = context.rt
    message_id = update.message.message_id if update.message is not None else None
    async with rt.transaction() as session:
        view = await conversation.act(
            session, config_of(rt), person, submission_id, given, rt.now(), message_id=message_id
        )
    await reply(update, _text(view), reply_markup=_keyboard(view))


def _split_period(args: list[str], default: MonthPeriod) -> tuple[list[str], MonthPeriod]:
    """A trailing month as people write it: 2026-11, 2026/11, 2026年11月, 本月, 上月."""
    if args and args[-1] in ("本月", "上月"):
        return args[:-1], default if args[-1] == "本月" else default.previous()
    if args and _PERIOD.match(args[-1]):
        try:
            return args[:-1], MonthPeriod.parse(args[-1])
        except ValueError:
            raise Refusal("月份有误，请写作 2026-11。") from None
    return args, default


@guarded(roles=COORDINATOR, where="private")
async def status(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/status [YYYY-MM]: department × form for the month."""
    rt = context.rt
    cfg = config_of(rt)
    rest, month = _split_period(list(context.args or []), cfg.period_of(rt.now()))
    if rest:
        raise Refusal("用法：/status 或 /status 2026-11")
    async with rt.transaction() as session:
        cells = await coordinators.board(session, cfg, month, rt.now())
    for text in coordinators.board_text(cells, cfg, month, rt.now()):
        await reply(update, text)


@guarded(roles=VIEWERS, where="private")
async def view_reports(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/reports <department> [YYYY-MM]: a department's submitted reports in full, with photos."""
    rt = context.rt
    cfg = config_of(rt)
    rest, month = _split_period(list(context.args or []), cfg.period_of(rt.now()))
    if not rest:
        raise Refusal("用法：/reports 部门 [月份]，例如 /reports 千山社区 2026-11")
    async with rt.transaction() as session:
        department = await find_department(session, " ".join(rest))
        if department is None:
            hint = await department_hint(session, " ".join(rest))
            raise Refusal(
                f"未找到部门“{' '.join(rest)}”。{hint or '可用部门代码或简称，例如 千山社区。'}"
            )
        pages = await coordinators.department_report(session, cfg, department, month, rt.now())
    chat = update.effective_chat
    assert chat is not None
    for page in pages:
        for text in page.texts:
            await reply(update, text)
        for start in range(0, len(page.photos), 10):
            batch = page.photos[start : start + 10]
            if len(batch) == 1:
                await context.bot.send_photo(chat.id, batch[0])
            else:
                await context.bot.send_media_group(chat.id, [InputMediaPhoto(p) for p in batch])


@guarded(roles=COORDINATOR, where="private")
async def unlock(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/unlock <department> <form> [YYYY-MM]: let a department submit or correct after the deadline."""
    rt = context.rt
    cfg = config_of(rt)
    now = rt.now()
    args = list(context.args or [])
    current = cfg.period_of(now)
    rest, month = _split_period(args, current)
    if len(rest) != 2:
        raise Refusal(
            "用法：/unlock 部门 报表 [月份]，例如 /unlock 千山社区 community_duties 2026-11"
        )
    form = find_form(cfg, rest[1])
    given = len(rest) < len(args)
    if not given and now < deadline_of(cfg, form, current).due_at:
        # Without a month: the latest month whose deadline has passed.
        month = current.previous()
    async with rt.transaction() as session:
        department = await find_department(session, rest[0])
        if department is None:
            hint = await department_hint(session, rest[0])
            raise Refusal(f"未找到部门“{rest[0]}”。{hint or '可用部门代码或简称，例如 千山社区。'}")
        text = await coordinators.unlock(session, cfg, person, department, form, month, now)
    await reply(update, escape(text))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report))
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CommandHandler("reports", view_reports))
    app.add_handler(CommandHandler("unlock", unlock))
    add_buttons(
        app,
        REPORT,
        {ReportAction.OPEN: _open_button, ReportAction.ACT: _act},
        stale=STALE_BUTTON,
    )
    add_dialog(
        app,
        DIALOG,
        DialogRoutes(on_text=on_text, on_photo=on_photo, title="月报填写", on_resume=on_resume),
    )
