"""/digest [YYYY-MM]: the bulletin of any month, built on demand and sent back as files."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from handlers.context import CommandSpec, CustomContext
from handlers.guards import guarded, reply
from models.dto import PersonInfo
from models.enums import Role
from models.period import MonthPeriod
from services.bulletin.build import build_files
from services.errors import Refusal

READERS = frozenset({Role.COORDINATOR, Role.LEADER})

COMMANDS = [
    CommandSpec("digest", "月度通报：/digest 本月，/digest 2026-11 指定月份", READERS, "private"),
]


def parse_month(args: list[str], current: MonthPeriod) -> MonthPeriod:
    """The month asked for (2026-11, 2026年11月, 本月, 上月; none: this month); a later one is refused."""
    if not args or args == ["本月"]:
        return current
    if args == ["上月"]:
        return current.previous()
    try:
        period = MonthPeriod.parse(" ".join(args))
    except ValueError:
        raise Refusal(
            "月份格式不正确。请写作 /digest 2026-11（或 2026年11月、上月），或只发送 /digest 查看本月。"
        ) from None
    if (period.year, period.month) > (current.year, current.month):
        raise Refusal(f"{period.label}尚未开始，暂无通报。可查看本月或以前的月份。")
    return period


@guarded(roles=READERS, where="private")
async def digest(update: Update, context: CustomContext, person: PersonInfo) -> None:
    """/digest [YYYY-MM]: reply with the month's summary, then the Word, Excel and chart files."""
    rt = context.rt
    now = rt.now()
    period = parse_month(list(context.args or []), MonthPeriod.containing(now, rt.tz))
    files = await build_files(rt, period, now)
    await reply(update, files.summary)
    message = update.effective_message
    assert message is not None
    for name, data, caption in files.documents():
        await message.reply_document(document=data, filename=name, caption=caption)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("digest", digest))
