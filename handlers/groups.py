"""Department groups: /bind, /unbind, /groups, and a greeting when the bot joins a group."""

from __future__ import annotations

from html import escape

from telegram import Chat, ChatMemberUpdated, Update
from telegram.ext import Application, ChatMemberHandler, CommandHandler

from handlers.context import CommandSpec, CustomContext
from handlers.guards import COORDINATOR, guarded, reply, thread_of
from models.dto import PersonInfo
from services.errors import Refusal
from services.groups import bind_group, list_bindings, unbind_group

COMMANDS = [
    CommandSpec("bind", "将本群绑定为部门工作群：/bind 部门代码", COORDINATOR, "group"),
    CommandSpec("unbind", "解除本群的部门绑定", COORDINATOR, "group"),
    CommandSpec("groups", "部门工作群绑定情况", COORDINATOR, "any"),
]


@guarded(roles=COORDINATOR, where="group")
async def bind(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/bind <department>: this group (or forum topic) becomes the department's group."""
    chat = update.effective_chat
    assert chat is not None
    if not context.args:
        raise Refusal(
            "用法：/bind 部门代码或简称，例如 /bind 住建办。可用 /groups 查看部门简称和代码。"
        )
    rt = context.rt
    async with rt.transaction() as session:
        binding, replaced = await bind_group(
            session,
            actor=person,
            department_text=" ".join(context.args),
            chat_id=chat.id,
            thread_id=thread_of(update),
            chat_type=chat.type,
            title=chat.title,
            now=rt.now(),
        )
    text = f"已将本群绑定为{escape(binding.department.name)}工作群。今后该部门的提醒、派遣和催办将发送到本群。"
    if replaced is not None:
        text += f"\n（原工作群“{escape(replaced.title or str(replaced.chat_id))}”已解除绑定。）"
    await reply(update, text)


@guarded(roles=COORDINATOR, where="group")
async def unbind(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/unbind: this group no longer receives the department's messages."""
    chat = update.effective_chat
    assert chat is not None
    rt = context.rt
    async with rt.transaction() as session:
        dept = await unbind_group(
            session, chat_id=chat.id, thread_id=thread_of(update), now=rt.now()
        )
    await reply(
        update,
        f"已解除本群与{escape(dept.name)}的绑定。在重新绑定前，该部门的消息将转送协调员和领导小组。",
    )


@guarded(roles=COORDINATOR, where="any")
async def groups(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/groups: which departments have a group, which still have none."""
    async with context.rt.transaction() as session:
        bound, missing = await list_bindings(session)
    lines = ["部门工作群绑定情况："]
    for b in bound:
        state = "⚠️ 不可达" if b.unreachable_at else "✅"
        title = escape(b.title or str(b.chat_id))
        topic = f"（话题 {b.thread_id}）" if b.thread_id else ""
        lines.append(f"{state} {escape(b.department.name)}（{b.department.key}）：{title}{topic}")
    if missing:
        lines.append("\n尚未绑定工作群：")
        lines.extend(f"⏳ {escape(d.name)}（{d.key}）" for d in missing)
        lines.append("\n绑定方法：将本机器人拉入部门群，由协调员在群内发送 /bind 部门代码。")
    await reply(update, "\n".join(lines))


async def bot_joined(update: Update, context: CustomContext) -> None:
    """When the bot is added to a group, say how the group gets bound."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type not in (Chat.GROUP, Chat.SUPERGROUP):
        return
    was_in = change.old_chat_member.status in ("member", "administrator")
    now_in = change.new_chat_member.status in ("member", "administrator")
    if now_in and not was_in:
        await context.bot.send_message(
            change.chat.id,
            "您好，我是消防网格哨。请三级办协调员在本群发送 /bind 部门代码，"
            "将本群绑定为部门工作群（例如 /bind 住建办）。",
        )


def register(app: Application) -> None:
    app.add_handler(CommandHandler("bind", bind))
    app.add_handler(CommandHandler("unbind", unbind))
    app.add_handler(CommandHandler("groups", groups))
    app.add_handler(ChatMemberHandler(bot_joined, ChatMemberHandler.MY_CHAT_MEMBER))
