"""The month-end bulletin: due on the last workday, sent once through the outbox, or on demand."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bulletin import BulletinSpec
from models.bulletin_runs import BulletinRun, BulletinRunStatus
from models.outbox import OutboxKind
from models.period import MonthPeriod
from services.bulletin.build import compute, render
from services.bulletin.figures import bot_epoch
from services.bulletin.issue import document_info, number_pattern, peek_number, take_number
from services.bulletin.signoff import claim, settle_deadlines, start_draft
from services.outbox import Outgoing, enqueue_to_coordinators
from services.runtime import Runtime
from services.timefmt import fmt_datetime
from services.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from services.bulletin.files import BulletinFiles

log = logging.getLogger("firegrid.bulletin")


def due_at(period: MonthPeriod, spec: BulletinSpec, cal: WorkdayCalendar, tz: ZoneInfo) -> datetime:
    """When the month's bulletin is due: its last workday at the configured local time (UTC)."""
    day = cal.last_workday_of_month(period.year, period.month)
    return datetime.combine(day, spec.deliver_at, tzinfo=tz).astimezone(UTC)


async def enqueue_files(
    session: AsyncSession,
    files: BulletinFiles,
    *,
    now: datetime,
    dedupe_key: str,
    include_leading_group: bool,
) -> int:
    """Outbox rows for every coordinator (and the leading group if asked); returns recipients."""
    messages = [("summary", Outgoing(text=files.summary))]
    messages += [
        (
            name.rsplit(".", 1)[-1],
            Outgoing(
                kind=OutboxKind.DOCUMENT,
                document=data,
                document_name=name,
                text=caption,
                parse_mode=None,
            ),
        )
        for name, data, caption in files.documents()
    ]
    recipients = 0
    for part, message in messages:
        ids = await enqueue_to_coordinators(
            session,
            message,
            now=now,
            dedupe_key=f"{dedupe_key}:{part}",
            include_leading_group=include_leading_group,
        )
        recipients = max(recipients, len(ids))
    return recipients


def _missed_text(period: MonthPeriod, due: datetime, tz: ZoneInfo) -> str:
    return (
        f"{period.label}通报原定于{fmt_datetime(due, tz)}自动发送，"
        f"因系统停机未能按时发送，现已超过补发时限。如需查看，请发送 /digest {period.key}。"
    )


async def deliver_month_end(rt: Runtime, now: datetime) -> list[str]:
    """Scheduler step: send each due, unsent month-end bulletin once; returns the periods acted on.

    The occurrence row and the outbox rows are written in one transaction, and the row's unique
    period makes a second tick, a restart or a second process a no-op.
    """
    spec = rt.org.bulletin
    this_month = MonthPeriod.containing(now, rt.tz)
    async with rt.transaction() as session:
        epoch = await bot_epoch(session)
    acted: list[str] = []
    # The previous month too: its last workday may have passed while the bot was down.
    for period in (this_month.previous(), this_month):
        due = due_at(period, spec, rt.calendar, rt.tz)
        # A month-end that came before the office's first record was nobody's to send.
        if now < due or epoch is None or epoch > due:
            continue
        async with rt.transaction() as session:
            done = await session.scalar(
                select(BulletinRun.id).where(BulletinRun.period == period.key)
            )
        if done is not None:
            continue
        if now - due > timedelta(hours=spec.catch_up_hours):
            async with rt.transaction() as session:
                if await claim(session, period, due, BulletinRunStatus.MISSED, now) is not None:
                    await enqueue_to_coordinators(
                        session,
                        Outgoing(text=_missed_text(period, due, rt.tz)),
                        now=now,
                        dedupe_key=f"bulletin:{period.key}:missed",
                    )
                    log.warning("bulletin %s missed (due %s)", period.key, due.isoformat())
                    acted.append(period.key)
            continue
        if spec.sign_off:
            if await start_draft(rt, period, due, now):
                log.info("bulletin %s: draft sent to the coordinators for 签发", period.key)
                acted.append(period.key)
            continue
        # Figures and files first (reads and CPU), then one short write transaction; the
        # number is peeked before and taken inside it (rendered again if another took it).
        year = now.astimezone(rt.tz).year
        async with rt.transaction() as session:
            expected = await peek_number(session, year)
        pattern = number_pattern(rt.org)
        bulletin = await compute(rt, period, now, number=pattern.format(year=year, n=expected))
        files = await render(rt, bulletin)
        async with rt.transaction() as session:
            run_id = await claim(session, period, due, BulletinRunStatus.SENT, now)
            if run_id is None:
                continue
            n = await take_number(session, year)
            if n != expected:
                bulletin = bulletin.model_copy(
                    update={
                        "document": document_info(rt.org, number=pattern.format(year=year, n=n))
                    }
                )
                files = await render(rt, bulletin)
            recipients = await enqueue_files(
                session,
                files,
                now=now,
                dedupe_key=f"bulletin:{period.key}",
                include_leading_group=spec.include_leading_group,
            )
            run = await session.get(BulletinRun, run_id)
            assert run is not None
            run.recipients = recipients
            run.number_year, run.number = year, n
            run.number_text = pattern.format(year=year, n=n)
            run.signed_at = now
        log.info("bulletin %s queued for %d recipients", period.key, recipients)
        acted.append(period.key)
    # Drafts past their sign_by: issued unsigned or the coordinators reminded, as configured.
    acted += await settle_deadlines(rt, now)
    return acted
