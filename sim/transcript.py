"""The demo's transcript: every chat, message by message, in Shanghai time, buttons as [按钮]."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from faketg import FakeTelegram
from faketg.records import ViewMessage


def _body(view: ViewMessage) -> str:
    text = view.text
    if view.photo is not None:
        text = f"[图片] {text}".rstrip()
    elif view.document is not None:
        text = f"[文件：{view.document.file_name}] {text}".rstrip()
    elif view.location is not None:
        text = f"[位置 {view.location[0]:.5f}, {view.location[1]:.5f}]"
    elif view.service is not None:
        text = "[系统消息]"
    if view.buttons:
        text += "\n    " + " ".join(f"[{label}]" for label in view.button_labels)
    return text


def chat_title(tg: FakeTelegram, chat_id: int) -> str:
    chat = tg.chats[chat_id]
    if chat.title:
        return chat.title
    return f"私聊：{chat.user.full_name if chat.user else chat_id}"


def render_chat(tg: FakeTelegram, chat_id: int, tz: ZoneInfo) -> str:
    """One chat as a person would scroll through it (edits applied, marked 已编辑)."""
    lines = [f"══════ {chat_title(tg, chat_id)} ══════"]
    for view in tg.chat_view(chat_id):
        when = view.sent_at.astimezone(tz).strftime("%m-%d %H:%M")
        who = "消防网格哨" if view.from_bot else tg.users[view.sender_id].full_name
        edited = "（已编辑）" if view.edited_at else ""
        reply = f" ↩#{view.reply_to}" if view.reply_to else ""
        body = _body(view).replace("\n", "\n    ")
        lines.append(f"[{when}] #{view.message_id} {who}{edited}{reply}：\n    {body}")
    return "\n".join(lines)


def render_all(tg: FakeTelegram, tz: ZoneInfo, order: list[int] | None = None) -> str:
    """Every chat with messages, in the given order first, then the rest."""
    chats = [cid for cid in dict.fromkeys(order or []) if cid in tg.chats]
    chats += [cid for cid in tg.chats if cid not in chats]
    blocks = [render_chat(tg, cid, tz) for cid in chats if tg.chat_view(cid)]
    return "\n\n".join(blocks) + "\n"
