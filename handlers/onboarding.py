"""Onboarding: /start (with or without an invite code), /whoami, /help, /invite, /people, /remove."""

from __future__ import annotations

from html import escape

from telegram import Chat, Update
from telegram.ext import Application, CommandHandler

from handlers.context import CommandSpec, CustomContext
from handlers.guards import COORDINATOR, current_person, display_name, guarded, refuse, reply
from handlers.menus import publish_coordinator_menu
from models.dto import PersonInfo
from models.enums import ROLE_LABELS, Role
from services.delivery import release_held
from services.errors import Refusal
from services.ids import parse_id
from services.invitations import INVITE_USAGE, create_invite, redeem_invite
from services.people import list_people, remove_person
from services.timefmt import fmt_datetime

ALL_ROLES = frozenset(Role)
COMMANDS = [
    CommandSpec("start", "开始使用 / 使用邀请码登记", None, "private"),
    CommandSpec("help", "查看可用命令", None, "any"),
    CommandSpec("whoami", "查看我的身份", ALL_ROLES, "any"),
    CommandSpec("invite", "生成邀请链接：/invite 角色 [部门或区域]", COORDINATOR, "private"),
    CommandSpec("people", "人员名单", COORDINATOR, "private"),
    CommandSpec("remove", "移除人员：/remove 人员编号", COORDINATOR, "private"),
]

GREETING = (
    "您好，这里是消防网格哨（三级办消防工作平台）。\n"
    "本机器人用于部门工作提醒、月度报表收集、隐患“社区吹哨、部门报到”和月度通报。\n"
    "使用前需登记：请向三级办协调员索取邀请链接，打开链接即可完成登记。"
)


def describe(person: PersonInfo) -> str:
    """Who the person is, in one or two lines."""
    parts = [f"姓名：{escape(person.display_name)}", f"身份：{person.role_label}"]
    if person.department is not None:
        parts.append(f"所属部门：{escape(person.department.name)}")
    if person.areas:
        parts.append("负责区域：" + "、".join(escape(a.name) for a in person.areas))
    return "\n".join(parts)


def commands_for(context: CustomContext, role: Role | None, chat_type: str) -> list[CommandSpec]:
    where = "private" if chat_type == Chat.PRIVATE else "group"
    return [
        c
        for c in context.bot_data.commands
        if (c.roles is None or (role is not None and role in c.roles)) and c.where in (where, "any")
    ]


def help_text(context: CustomContext, person: PersonInfo | None, chat_type: str) -> str:
    specs = commands_for(context, person.role if person else None, chat_type)
    head = f"您的身份：{person.role_label}。可用命令：" if person else "可用命令："
    lines = [head] + [f"/{c.name} — {escape(c.description)}" for c in specs]
    if person is None:
        lines.append("\n登记后可使用更多功能。请向三级办协调员索取邀请链接。")
    return "\n".join(lines)


async def start(update: Update, context: CustomContext) -> None:
    """/start [code]: greet, or redeem an invitation and say what the person can do now."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return
    if chat.type != Chat.PRIVATE:
        await reply(update, "请在与本机器人的私聊中发送 /start。")
        return
    rt = context.rt
    # Telegram lets the bot write here only from now on: what waited for this is due now.
    async with rt.transaction() as session:
        released = await release_held(session, chat_id=chat.id, now=rt.now())
    waiting = f"\n\n此前有 {released} 条消息因您尚未与机器人对话而暂存，现按原顺序发送给您。"
    note = waiting if released else ""
    code = context.args[0] if context.args else None
    if not code:
        person = await current_person(update, context)
        if person is None:
            await reply(update, GREETING + note)
        else:
            await reply(
                update,
                f"您好，您已登记。\n{describe(person)}\n\n发送 /help 查看可用命令。{note}",
            )
            if person.role == Role.COORDINATOR:
                await publish_coordinator_menu(context.bot, context.bot_data.commands, user.id)
        return
    if len(code) > 64 or not code.isalnum():
        await reply(update, "邀请码无效。请向协调员重新索取邀请链接。")
        return
    try:
        async with rt.transaction() as session:
            person = await redeem_invite(
                session,
                code=code,
                telegram_user_id=user.id,
                display_name=display_name(update),
                username=user.username,
                now=rt.now(),
            )
    except Refusal as refusal:
        await refuse(update, refusal.message)
        return
    await reply(
        update,
        f"登记成功，欢迎！\n{describe(person)}\n\n{help_text(context, person, Chat.PRIVATE)}{note}",
    )
    if person.role == Role.COORDINATOR:
        await publish_coordinator_menu(context.bot, context.bot_data.commands, user.id)


@guarded(roles=ALL_ROLES, where="any")
async def whoami(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/whoami: the person's name, role, department and areas."""
    await reply(update, describe(person))


async def help_command(update: Update, context: CustomContext) -> None:
    """/help: only the commands this person's role may use, in this kind of chat."""
    chat = update.effective_chat
    person = await current_person(update, context)
    await reply(update, help_text(context, person, chat.type if chat else Chat.PRIVATE))


@guarded(roles=COORDINATOR)
async def invite(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/invite <role> [department or area]: a one-time deep link that expires."""
    args = context.args or []
    if not args:
        raise Refusal(INVITE_USAGE)
    rt = context.rt
    async with rt.transaction() as session:
        info = await create_invite(
            session,
            actor=person,
            role_word=args[0],
            target=" ".join(args[1:]) or None,
            now=rt.now(),
            ttl=rt.invite_ttl,
        )
    target = info.area.name if info.area else (info.department.name if info.department else "")
    link = f"https://t.me/{rt.bot_username}?start={info.code}"
    expires = fmt_datetime(info.expires_at, rt.tz, year=True, weekday=True)
    await reply(
        update,
        f"已生成邀请链接（{ROLE_LABELS[info.role]}{'，' + escape(target) if target else ''}）：\n"
        f"{link}\n\n该链接只能使用一次，{expires}前有效。请转发给本人，由其在手机上打开。",
    )


@guarded(roles=COORDINATOR)
async def people(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/people: everyone registered, by department and role, with their number for /remove."""
    async with context.rt.transaction() as session:
        everyone = await list_people(session)
    if not everyone:
        await reply(update, "尚无登记人员。")
        return
    lines = ["人员名单（编号 · 姓名 · 身份）："]
    current = None
    for p in everyone:
        dept = p.department.name if p.department else "未分配部门"
        if dept != current:
            lines.append(f"\n【{escape(dept)}】")
            current = dept
        areas = f"（{'、'.join(escape(a.name) for a in p.areas)}）" if p.areas else ""
        lines.append(f"{p.id} · {escape(p.display_name)} · {p.role_label}{areas}")
    lines.append("\n移除人员：/remove 编号")
    await reply(update, "\n".join(lines))


@guarded(roles=COORDINATOR)
async def remove(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/remove <id>: deactivate a person (their history stays)."""
    args = context.args or []
    person_id = parse_id(args[0]) if len(args) == 1 else None
    if person_id is None:
        raise Refusal("用法：/remove 人员编号（可用 /people 查看编号）")
    rt = context.rt
    async with rt.transaction() as session:
        removed = await remove_person(session, actor=person, person_id=person_id, now=rt.now())
    await reply(
        update, f"已移除：{escape(removed.display_name)}（{removed.role_label}）。其历史记录保留。"
    )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("whoami", whoami))
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("people", people))
    app.add_handler(CommandHandler("remove", remove))
