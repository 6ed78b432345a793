"""The Telegram side of the outbox: send due rows in per-chat order and record what happened."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Message
from telegram.error import TelegramError

from models.outbox import OutboxMessage
from services.runtime import Runtime

log = logging.getLogger("firegrid.delivery")


def keyboard(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b["label"], url=b["url"])
                if "url" in b
                else InlineKeyboardButton(b["label"], callback_data=b["data"])
                for b in row
            ]
            for row in rows
        ]
    )


async def _message_id_of(session: AsyncSession, outbox_id: int | None) -> int | None:
    if outbox_id is None:
        return None
    row = await session.get(OutboxMessage, outbox_id)
    return row.first_message_id if row is not None else None


async def send_row(bot: Bot, session: AsyncSession, row: OutboxMessage) -> list[int]:
    """Send one row; returns the Telegram message ids it produced."""
    markup = keyboard(row.buttons)
    reply_to = await _message_id_of(session, row.reply_to_outbox_id)
    common = {"chat_id": row.chat_id, "message_thread_id": row.thread_id}
    sent: list[Message] = []
    if row.kind == "text":
        sent = [
            await bot.send_message(
                text=row.text or "",
                parse_mode=row.parse_mode,
                reply_markup=markup,
                reply_to_message_id=reply_to,
                **common,
            )
        ]
    elif row.kind == "photo":
        sent = [
            await bot.send_photo(
                photo=(row.media or [""])[0],
                caption=row.text,
                parse_mode=row.parse_mode,
                reply_markup=markup,
                reply_to_message_id=reply_to,
                **common,
            )
        ]
    elif row.kind == "media_group":
        media = [InputMediaPhoto(file_id) for file_id in row.media or []]
        sent = list(await bot.send_media_group(media=media, reply_to_message_id=reply_to, **common))
    elif row.kind == "document":
        sent = [
            await bot.send_document(
                document=row.document or b"",
                filename=row.document_name,
                caption=row.text,
                parse_mode=row.parse_mode,
                reply_to_message_id=reply_to,
                **common,
            )
        ]
    elif row.kind == "location":
        loc = row.location or {}
        sent = [
            await bot.send_location(
                latitude=loc["latitude"],
                longitude=loc["longitude"],
                reply_to_message_id=reply_to,
                **common,
            )
        ]
    elif row.kind in ("edit_text", "edit_markup"):
        target = await _message_id_of(session, row.target_outbox_id)
        if target is None:
            return []
        if row.kind == "edit_text":
            await bot.edit_message_text(
                text=row.text or "",
                chat_id=row.chat_id,
                message_id=target,
                parse_mode=row.parse_mode,
                reply_markup=markup,
            )
        else:
            await bot.edit_message_reply_markup(
                chat_id=row.chat_id, message_id=target, reply_markup=markup
            )
        return [target]
    else:
        raise ValueError(f"unknown outbox kind {row.kind}")
    return [m.message_id for m in sent]


async def deliver_due(bot: Bot, rt: Runtime, now: datetime, limit: int = 200) -> int:
    """Send due rows oldest first; returns how many were sent."""
    done = 0
    async with rt.transaction() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.not_before <= now)
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        )
    for row in rows:
        async with rt.transaction() as session:
            fresh = await session.get(OutboxMessage, row.id)
            if fresh is None or fresh.status != "pending":
                continue
            fresh.attempts += 1
            try:
                fresh.message_ids = await send_row(bot, session, fresh)
            except TelegramError as exc:
                fresh.last_error = str(exc)[:500]
                fresh.last_error_kind = type(exc).__name__
                log.warning("delivery to chat %s failed: %s", fresh.chat_id, type(exc).__name__)
                continue
            fresh.status = "sent"
            fresh.sent_at = now
            done += 1
    return done
