"""/outbox: what is waiting to be sent, what failed, which groups the bot cannot reach."""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.context import CommandSpec, CustomContext
from handlers.guards import COORDINATOR, guarded, reply
from models.dto import PersonInfo
from models.outbox import ErrorKind, OutboxStatus
from services.delivery import TRANSIENT_KINDS, unreachable_reason_text
from services.outbox_admin import outbox_report
from services.textsplit import MAX_TEXT, truncate
from services.timefmt import fmt_datetime

COMMANDS = [CommandSpec("outbox", "发送队列：待发送、失败和不可达的群", COORDINATOR, "private")]

FAILED_LINES = 8

KIND_LABELS = {
    ErrorKind.RATE_LIMITED: "限流",
    ErrorKind.TIMEOUT: "超时",
    ErrorKind.NETWORK: "网络故障",
    ErrorKind.SERVER_ERROR: "Telegram 服务器故障",
    ErrorKind.UNEXPECTED: "内部错误",
    ErrorKind.TELEGRAM_ERROR: "Telegram 错误",
    ErrorKind.FORBIDDEN: "无权发送",
    ErrorKind.CHAT_MIGRATED: "群已升级",
    ErrorKind.BAD_REQUEST: "请求被拒",
    ErrorKind.INVALID: "消息无效",
}


def _kind(kind: ErrorKind | None) -> str:
    if kind is None:
        return "未知"
    return KIND_LABELS.get(kind, kind)


def _error(text: str | None) -> str:
    return escape((text or "")[:120])


def _failure(kind: ErrorKind | None, error: str | None) -> str:
    """`无权发送（机器人已被移出该群）`: the office's words where they exist, else Telegram's."""
    if kind == ErrorKind.FORBIDDEN:
        return f"{_kind(kind)}（{unreachable_reason_text(error or '')}）"
    # Outages and migrations say all in their label; Telegram's English adds nothing for people.
    if kind in TRANSIENT_KINDS or kind == ErrorKind.CHAT_MIGRATED or not error:
        return _kind(kind)
    return f"{_kind(kind)}（{_error(error)}）"


@guarded(roles=COORDINATOR, where="private")
async def outbox(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/outbox: counts, the chats with messages waiting (and why), recent failures."""
    rt = context.rt
    async with rt.transaction() as session:
        report = await outbox_report(session)
    counts = report.counts
    lines = [
        f"发送队列（{fmt_datetime(rt.now(), rt.tz)}）",
        f"待发送 {report.waiting} 条 · 已发送 {counts.get(OutboxStatus.SENT, 0)} 条 · "
        f"失败 {counts.get(OutboxStatus.DEAD, 0)} 条 · 已转送 {counts.get(OutboxStatus.REROUTED, 0)} 条",
    ]
    if report.held:
        lines.append(f"（其中 {report.held} 条等待对方首次私聊机器人）")
    if report.unreachable:
        lines.append("\n⚠️ 无法送达的工作群：")
        for group in report.unreachable:
            title = f"“{escape(group.title)}”" if group.title else ""
            lines.append(
                f"• {escape(group.department)}{title}：{fmt_datetime(group.since, rt.tz)}起无法送达"
                f"（{unreachable_reason_text(group.reason or '')}），消息暂转送协调员和领导小组。"
                f"请将机器人拉回该群，并在群内发送 /bind {escape(group.department_key)}。"
            )
    if report.backlog:
        lines.append("\n⏳ 待发送：")
        for chat in report.backlog:
            line = (
                f"• {chat.chat}：{chat.waiting} 条，最早 {fmt_datetime(chat.oldest_at, rt.tz)} 入队"
            )
            if chat.held:
                line += "；等待对方首次私聊机器人：对方发送 /start 后按原顺序送达"
            elif chat.last_error_kind:
                line += (
                    f"；上次失败：{_failure(chat.last_error_kind, chat.last_error)}，"
                    f"{fmt_datetime(chat.next_try_at, rt.tz)} 重试"
                )
            lines.append(line)
    if report.failed:
        lines.append("\n❌ 最近失败或转送：")
        # One line per chat and cause (newest first), so a blocked person is one line, not ten.
        folded: dict[tuple[str, str, str], tuple[datetime, int]] = {}
        for failed in report.failed:
            state = "已转送" if failed.status == OutboxStatus.REROUTED else "未发送"
            key = (failed.chat, state, _failure(failed.kind, failed.error))
            latest, n = folded.get(key, (failed.at, 0))
            folded[key] = (latest, n + 1)
        for (label, state, cause), (latest, n) in list(folded.items())[:FAILED_LINES]:
            lines.append(f"• {fmt_datetime(latest, rt.tz)} {label}：{state} {n} 条，{cause}")
    if not (report.unreachable or report.backlog or report.failed):
        lines.append("\n一切正常：没有待发送或失败的消息。")
    await reply(update, truncate("\n".join(lines), MAX_TEXT))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("outbox", outbox))
