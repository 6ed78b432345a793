"""The Telegram side of the outbox: the courier claims due rows, paces them, sends, records.

One row at a time per process (so a kill repeats at most one message), in per-chat order,
within Telegram's limits (bot/ratelimit.py). What happens on each Bot API answer:
    sent                 -> the part's message ids are committed before the next part goes
    429 retry_after      -> same row again after retry_after; the chat is held, others go on
    timeout, network, 5xx-> backoff (2 s doubling to 2 min); the pass stops (Telegram is
                            likely down for everyone); the first success afterwards makes every
                            backed-off row due again, so an outage ends in per-chat order
    403 can't initiate,  -> a person who has not opened the private chat yet: the row is held
    400 chat not found      (the chat waits behind it, others go on) until they send /start;
      (private chat)        no failure notice, /outbox shows it
    403 Forbidden        -> chat unreachable, department re-routed, coordinators told once
    400 migrated         -> binding and queue moved to the supergroup, row resent once
    other 400            -> dead, coordinators told once per kind of error
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import socket
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.ratelimit import (
    ALREADY_PACED,
    OutboundLimiter,
    Pacing,
    SharedRateLimiter,
    SystemPacing,
    retry_after_seconds,
    take,
)
from models.outbox import OutboxMessage
from services.delivery import (
    EDIT_KINDS,
    active_binding,
    chat_migrated,
    chat_unreachable,
    claim,
    delivery_targets,
    due_heads,
    hold_until_started,
    never_started,
    notify_error_kind,
    reclaim,
    record_dead,
    record_part,
    record_retry,
    release_backoff,
)
from services.outage import OutageLog
from services.runtime import Runtime
from services.textsplit import MAX_CAPTION, MAX_TEXT, split_text, truncate, visible_length

log = logging.getLogger("firegrid.delivery")

_TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
_SERVER_ERROR = re.compile(
    r"\b5\d\d\b|bad gateway|internal server error|service unavailable|gateway time",
    re.IGNORECASE,
)


class Outcome(StrEnum):
    """What one attempt at a row came to."""

    SENT = "sent"
    RETRY = "retry"  # 429: again after retry_after
    TRANSIENT = "transient"  # timeout/network/5xx: backoff, and end this pass
    DEAD = "dead"
    REROUTED = "rerouted"
    MOVED = "moved"  # chat migrated: resent to the new id
    HELD = "held"  # the person has not opened the chat yet: waits for their /start
    SKIPPED = "skipped"  # another worker had it


class InvalidRow(ValueError):
    """A row that can never be sent as it is (no text, no photo, an edit of nothing)."""


@dataclass(frozen=True)
class EditTarget:
    """The message an edit changes, and whether its text is a caption."""

    message_id: int
    caption: bool


@dataclass(frozen=True)
class Job:
    """Everything needed to send one row, read in the claiming transaction."""

    id: int
    chat_id: int
    thread_id: int | None
    kind: str
    text: str | None
    parse_mode: str | None
    buttons: list[list[dict[str, str]]] | None
    media: list[str]
    location: dict[str, float] | None
    document: bytes | None
    document_name: str | None
    parts_sent: int = 0
    attempts: int = 0
    reply_to: int | None = None
    edit_target: EditTarget | None = None

    @classmethod
    def of(cls, row: OutboxMessage) -> Job:
        return cls(
            id=row.id,
            chat_id=row.chat_id,
            thread_id=row.thread_id,
            kind=row.kind,
            text=row.text,
            parse_mode=row.parse_mode,
            buttons=row.buttons,
            media=list(row.media or []),
            location=row.location,
            document=row.document,
            document_name=row.document_name,
            parts_sent=row.parts_sent,
            attempts=row.attempts,
        )

    @property
    def html(self) -> bool:
        return (self.parse_mode or "").upper() == "HTML"


@dataclass(frozen=True)
class Part:
    """One Bot API call of a row."""

    action: str  # message|photo|document|media_group|location|edit_text|edit_caption|edit_markup
    text: str | None = None
    markup: InlineKeyboardMarkup | None = None
    reply_to: int | None = None
    media: tuple[str, ...] = ()

    @property
    def weight(self) -> int:
        """Messages it adds to the chat (what the flood limits count)."""
        if self.action.startswith("edit_"):
            return 0
        return max(1, len(self.media)) if self.action == "media_group" else 1


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


def _texts(
    text: str, html: bool, markup: InlineKeyboardMarkup | None, reply_to: int | None
) -> list[Part]:
    chunks = split_text(text, MAX_TEXT, html=html)
    return [
        Part(
            "message",
            chunk,
            markup=markup if i == len(chunks) - 1 else None,
            reply_to=reply_to if i == 0 else None,
        )
        for i, chunk in enumerate(chunks)
    ]


def plan(job: Job) -> list[Part]:
    """The Bot API calls that send a row: long text split, long captions moved after the media."""
    markup = keyboard(job.buttons)
    text = job.text or ""
    has_text = bool(text.strip())
    caption_fits = visible_length(text, html=job.html) <= MAX_CAPTION
    if job.kind == "text":
        if not has_text:
            raise InvalidRow("a text message without text")
        return _texts(text, job.html, markup, job.reply_to)
    if job.kind in ("photo", "document"):
        if job.kind == "photo" and not job.media:
            raise InvalidRow("a photo message without a photo")
        if job.kind == "document" and job.document is None:
            raise InvalidRow("a document message without a document")
        media = tuple(job.media[:1])
        if caption_fits:
            return [Part(job.kind, text or None, markup, job.reply_to, media)]
        return [
            Part(job.kind, None, None, job.reply_to, media),
            *_texts(text, job.html, markup, None),
        ]
    if job.kind == "media_group":
        if not job.media:
            raise InvalidRow("an album without photos")
        inline_caption = has_text and caption_fits and markup is None
        parts = []
        for start in range(0, len(job.media), 10):
            batch = tuple(job.media[start : start + 10])
            caption = text if inline_caption and start == 0 else None
            reply_to = job.reply_to if start == 0 else None
            action = "media_group" if len(batch) > 1 else "photo"
            parts.append(Part(action, caption, None, reply_to, batch))
        if has_text and not inline_caption:
            parts.extend(_texts(text, job.html, markup, None))
        elif markup is not None:
            parts.append(Part("message", "请选择操作：", markup))
        return parts
    if job.kind == "location":
        if not job.location or "latitude" not in job.location:
            raise InvalidRow("a location message without coordinates")
        first = Part("location", None, None if has_text else markup, job.reply_to)
        return [first, *_texts(text, job.html, markup, None)] if has_text else [first]
    if job.kind in EDIT_KINDS:
        target = job.edit_target
        if target is None:
            raise InvalidRow("an edit of a message that was never delivered")
        if job.kind == "edit_markup":
            return [Part("edit_markup", markup=markup)]
        if not has_text:
            raise InvalidRow("an edit without text")
        limit = MAX_CAPTION if target.caption else MAX_TEXT
        action = "edit_caption" if target.caption else "edit_text"
        return [Part(action, truncate(text, limit, html=job.html), markup)]
    raise InvalidRow(f"unknown outbox kind {job.kind!r}")


async def _job(session: AsyncSession, row: OutboxMessage) -> Job:
    """The row as a Job, with the message it replies to and the message it edits resolved."""
    job = Job.of(row)
    reply_to, target = await delivery_targets(session, row)
    if reply_to is not None:
        job = replace(job, reply_to=reply_to)
    if target is not None and target.message_ids:
        caption = False
        if target.kind not in EDIT_KINDS:
            with suppress(InvalidRow):
                last = plan(Job.of(target))[-1]
                caption = last.action in ("photo", "document") and bool(last.text)
        job = replace(job, edit_target=EditTarget(target.message_ids[-1], caption))
    return job


class DeliveryMetrics(Protocol):
    """What the courier reports as it goes (bot.metrics.Metrics)."""

    def delivered(self, outcome: str) -> None: ...

    def retry_asked(self, seconds: float) -> None: ...


def default_worker_id() -> str:
    """host:pid:random — unique per process, readable in the outbox table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class Courier:
    """Delivers the outbox of one process; `deliver_due()` is one pass, `start()` runs it on."""

    bot: Bot
    rt: Runtime
    limiter: OutboundLimiter | None = None
    pacing: Pacing = field(default_factory=SystemPacing)
    worker: str = field(default_factory=default_worker_id)
    claim_timeout: timedelta = timedelta(minutes=2)
    backoff_base: float = 2.0
    backoff_cap: float = 120.0
    batch: int = 200
    max_wait: float = 5.0  # longest pause for a chat's bucket inside one pass
    stats: Counter[str] = field(default_factory=Counter)
    metrics: DeliveryMetrics | None = None
    # A failing pass (the database is down) is retried every second: logged once, not each time.
    pass_log: OutageLog = field(default_factory=lambda: OutageLog("outbox delivery pass", log))
    _busy: asyncio.Lock = field(default_factory=asyncio.Lock)
    _outage: bool = False
    _stopping: bool = False
    _task: asyncio.Task[None] | None = None
    _wake: asyncio.Event | None = None
    _last_reclaim: float | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    async def recover(self, *, exclusive: bool) -> int:
        """At start: rows a dead process left `sending` go back to the queue.

        `exclusive` (SQLite, where a lock file guarantees one process): all of them now;
        otherwise (PostgreSQL, other workers may be alive) those older than claim_timeout.
        """
        async with self.rt.transaction() as session:
            count = await reclaim(
                session, now=self.rt.now(), older_than=None if exclusive else self.claim_timeout
            )
        if count:
            log.info("re-queued %d outbox row(s) left unfinished by a previous run", count)
        return count

    def start(self, every: float) -> None:
        """Deliver in the background: a pass every `every` seconds, or at once when woken."""
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run(every), name="firegrid-delivery")

    def wake(self) -> bool:
        """Ask the background loop for a pass now; False when there is no loop."""
        if self._task is None or self._wake is None:
            return False
        self._wake.set()
        return True

    async def stop(self, grace: float = 10.0) -> None:
        """Finish the message in flight (up to `grace` seconds), then stop the loop."""
        task, self._task = self._task, None
        self._stopping = True
        if task is None:
            return
        if self._wake is not None:
            self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self, every: float) -> None:
        assert self._wake is not None
        while not self._stopping:
            self._wake.clear()
            await self.background_pass()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), every)

    async def background_pass(self) -> None:
        """One pass of the background loop; failing passes are logged at start, minutely, at end."""
        try:
            await self.deliver_due()
        except Exception as exc:
            self.pass_log.failed(exc, self.rt.now())
        else:
            self.pass_log.succeeded(self.rt.now())

    # -- one pass -----------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Send everything due now, in per-chat order; returns the rows sent.

        A pass already running in this process makes this call return 0 at once.
        """
        if self._busy.locked():
            return 0
        async with self._busy:
            return await self._drain()

    async def _drain(self) -> int:
        sent = 0
        await self._reclaim_stale()
        while not self._stopping:
            async with self.rt.transaction() as session:
                heads = await due_heads(session, self.rt.now(), self.batch)
            if not heads:
                break
            changed = False
            soonest: float | None = None
            for head in heads:
                if self._stopping:
                    break
                if self.limiter is not None:
                    verdict = self.limiter.chat_wait(head.chat_id)
                    if not verdict.ok:
                        soonest = verdict.wait if soonest is None else min(soonest, verdict.wait)
                        continue
                outcome = await self.deliver_row(head.id)
                self.stats[outcome] += 1
                if self.metrics is not None:
                    self.metrics.delivered(outcome)
                if outcome is Outcome.SKIPPED:
                    continue
                changed = True
                if outcome is Outcome.SENT:
                    sent += 1
                elif outcome is Outcome.TRANSIENT:
                    return sent
            if not changed:
                if soonest is None or soonest > self.max_wait:
                    break
                await self.pacing.sleep(soonest)
        return sent

    async def _reclaim_stale(self) -> None:
        """Rows a crashed worker (on PostgreSQL, perhaps another machine) left `sending`."""
        now_mono = self.pacing.monotonic()
        if self._last_reclaim is not None and now_mono - self._last_reclaim < 30:
            return
        self._last_reclaim = now_mono
        async with self.rt.transaction() as session:
            count = await reclaim(session, now=self.rt.now(), older_than=self.claim_timeout)
        if count:
            log.warning("re-queued %d outbox row(s) whose worker stopped answering", count)

    # -- one row ------------------------------------------------------------------------------

    async def deliver_row(self, row_id: int) -> Outcome:
        """Claim one due row and send its remaining parts."""
        now = self.rt.now()
        async with self.rt.transaction() as session:
            row = await claim(session, row_id, worker=self.worker, now=now)
            if row is None:
                return Outcome.SKIPPED
            binding = await active_binding(session, row.chat_id)
            if binding is not None and binding.unreachable_at is not None:
                # Marked unreachable earlier: route around it without asking Telegram again.
                await chat_unreachable(
                    session,
                    chat_id=row.chat_id,
                    description=binding.unreachable_reason or "unreachable",
                    now=now,
                )
                return Outcome.REROUTED
            job = await _job(session, row)
        try:
            parts = plan(job)
        except InvalidRow as exc:
            return await self._dead(job, "invalid", str(exc), notify=False)
        for index in range(job.parts_sent, len(parts)):
            part = parts[index]
            if self.limiter is not None and part.weight:
                await take(self.limiter, self.pacing, job.chat_id, part.weight)
            try:
                message_ids = await self.send_part(job, part)
            except TelegramError as exc:
                if isinstance(exc, BadRequest) and _not_modified(exc, part):
                    message_ids = [job.edit_target.message_id] if job.edit_target else []
                else:
                    return await self._failed(job, exc)
            except Exception as exc:  # a bug or a closed connection pool: keep the row
                log.exception("delivery to chat %s (row %s) raised", job.chat_id, job.id)
                return await self._transient(job, "unexpected", self._clean(repr(exc)))
            async with self.rt.transaction() as session:
                mine = await record_part(
                    session,
                    job.id,
                    worker=self.worker,
                    message_ids=message_ids,
                    parts_sent=index + 1,
                    done=index + 1 == len(parts),
                    now=self.rt.now(),
                )
            if not mine:
                log.warning("outbox row %s was taken from this worker while sending", job.id)
                return Outcome.SKIPPED
        if self._outage:
            self._outage = False
            async with self.rt.transaction() as session:
                released = await release_backoff(session, self.rt.now())
            if released:
                log.info("Telegram answers again: %d waiting row(s) are due now", released)
        return Outcome.SENT

    def _common(self, job: Job) -> dict[str, Any]:
        extra: dict[str, Any] = {"chat_id": job.chat_id}
        if job.thread_id is not None:
            extra["message_thread_id"] = job.thread_id
        if isinstance(getattr(self.bot, "rate_limiter", None), SharedRateLimiter):
            extra["rate_limit_args"] = ALREADY_PACED
        return extra

    async def send_part(self, job: Job, part: Part) -> list[int]:
        """One Bot API call; returns the ids of the messages it created (or edited)."""
        bot, common = self.bot, self._common(job)
        mode = job.parse_mode if part.text else None
        reply = (
            ReplyParameters(message_id=part.reply_to, allow_sending_without_reply=True)
            if part.reply_to is not None
            else None
        )
        sent: Message | tuple[Message, ...] | bool
        if part.action == "message":
            sent = await bot.send_message(
                text=part.text or "",
                parse_mode=mode,
                reply_markup=part.markup,
                reply_parameters=reply,
                **common,
            )
        elif part.action == "photo":
            sent = await bot.send_photo(
                photo=part.media[0],
                caption=part.text,
                parse_mode=mode,
                reply_markup=part.markup,
                reply_parameters=reply,
                **common,
            )
        elif part.action == "document":
            sent = await bot.send_document(
                document=job.document or b"",
                filename=job.document_name,
                caption=part.text,
                parse_mode=mode,
                reply_markup=part.markup,
                reply_parameters=reply,
                **common,
            )
        elif part.action == "media_group":
            media = [
                InputMediaPhoto(file_id, caption=part.text if i == 0 else None, parse_mode=mode)
                for i, file_id in enumerate(part.media)
            ]
            sent = await bot.send_media_group(media=media, reply_parameters=reply, **common)
        elif part.action == "location":
            assert job.location is not None
            sent = await bot.send_location(
                latitude=job.location["latitude"],
                longitude=job.location["longitude"],
                reply_markup=part.markup,
                reply_parameters=reply,
                **common,
            )
        else:
            return await self._edit(job, part, common)
        if isinstance(sent, Message):
            return [sent.message_id]
        assert isinstance(sent, tuple)
        return [m.message_id for m in sent]

    async def _edit(self, job: Job, part: Part, common: dict[str, Any]) -> list[int]:
        assert job.edit_target is not None
        target = job.edit_target.message_id
        common = {k: v for k, v in common.items() if k != "message_thread_id"}
        if part.action == "edit_text":
            await self.bot.edit_message_text(
                text=part.text or "",
                message_id=target,
                parse_mode=job.parse_mode,
                reply_markup=part.markup,
                **common,
            )
        elif part.action == "edit_caption":
            await self.bot.edit_message_caption(
                caption=part.text,
                message_id=target,
                parse_mode=job.parse_mode,
                reply_markup=part.markup,
                **common,
            )
        else:
            await self.bot.edit_message_reply_markup(
                message_id=target, reply_markup=part.markup, **common
            )
        return [target]

    # -- failures -----------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        """Error text without the bot token (URLs in errors may carry it)."""
        token = getattr(self.bot, "token", "")
        if token:
            text = text.replace(token, "<token>")
        return _TOKEN_SHAPE.sub("<token>", text)[:500]

    def _log(self, job: Job, kind: str, detail: str, extra: str = "") -> None:
        log.warning(
            "delivery to chat %s failed: %s (row %s, attempt %d): %s%s",
            job.chat_id,
            kind,
            job.id,
            job.attempts,
            detail,
            extra,
            extra={"chat": job.chat_id, "row": job.id},
        )

    async def _failed(self, job: Job, exc: TelegramError) -> Outcome:
        detail = self._clean(str(exc))
        now = self.rt.now()
        if isinstance(exc, RetryAfter):
            seconds = retry_after_seconds(exc)
            if self.metrics is not None:
                self.metrics.retry_asked(seconds)
            if self.limiter is not None:
                self.limiter.hold(job.chat_id, seconds)
            async with self.rt.transaction() as session:
                await record_retry(
                    session,
                    job.id,
                    worker=self.worker,
                    not_before=now + timedelta(seconds=seconds),
                    kind="rate_limited",
                    error=detail,
                )
            self._log(job, "rate_limited", detail, f"; again in {seconds:g} s")
            return Outcome.RETRY
        if isinstance(exc, ChatMigrated):
            async with self.rt.transaction() as session:
                again = await chat_migrated(
                    session,
                    row_id=job.id,
                    old_chat_id=job.chat_id,
                    new_chat_id=int(exc.new_chat_id),
                    now=now,
                )
            self._log(job, "chat_migrated", detail, "; resending" if again else "; gave up")
            return Outcome.MOVED if again else Outcome.DEAD
        if isinstance(exc, Forbidden | BadRequest) and never_started(job.chat_id, detail):
            async with self.rt.transaction() as session:
                await hold_until_started(session, job.id, worker=self.worker, description=detail)
            # Expected at first start (FIREGRID_ADMINS before their /start): not a warning.
            log.info(
                "chat %s has not been opened by its person yet (row %s): held until /start",
                job.chat_id,
                job.id,
                extra={"chat": job.chat_id, "row": job.id},
            )
            return Outcome.HELD
        gone = isinstance(exc, BadRequest) and "chat not found" in detail.lower()
        if isinstance(exc, Forbidden) or gone:
            async with self.rt.transaction() as session:
                result = await chat_unreachable(
                    session, chat_id=job.chat_id, description=detail, now=now
                )
            self._log(
                job,
                "forbidden" if isinstance(exc, Forbidden) else "chat_not_found",
                detail,
                f"; chat marked unreachable, {result.rerouted} re-routed, {result.dropped} dropped",
            )
            return Outcome.REROUTED
        if isinstance(exc, BadRequest):
            return await self._dead(job, "bad_request", detail, notify=True)
        if isinstance(exc, TimedOut):
            kind = "timeout"
        elif isinstance(exc, NetworkError):
            kind = "server_error" if _SERVER_ERROR.search(detail) else "network"
        else:
            kind = "telegram_error"
        return await self._transient(job, kind, detail)

    async def _transient(self, job: Job, kind: str, detail: str) -> Outcome:
        seconds = min(self.backoff_cap, self.backoff_base * 2 ** max(0, job.attempts - 1))
        async with self.rt.transaction() as session:
            await record_retry(
                session,
                job.id,
                worker=self.worker,
                not_before=self.rt.now() + timedelta(seconds=seconds),
                kind=kind,
                error=detail,
            )
        self._outage = True
        self._log(job, kind, detail, f"; again in {seconds:g} s")
        return Outcome.TRANSIENT

    async def _dead(self, job: Job, kind: str, detail: str, *, notify: bool) -> Outcome:
        async with self.rt.transaction() as session:
            await record_dead(session, job.id, worker=self.worker, kind=kind, error=detail)
            if notify:
                await notify_error_kind(
                    session, chat_id=job.chat_id, description=detail, now=self.rt.now()
                )
        self._log(job, kind, detail, "; not retried")
        return Outcome.DEAD


def _not_modified(exc: BadRequest, part: Part) -> bool:
    """Editing a message into what it already is: Telegram says 400, we say done."""
    return part.action.startswith("edit_") and "message is not modified" in str(exc).lower()
