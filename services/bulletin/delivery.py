"""The month-end bulletin: due on the last workday, sent once through the outbox, or on demand."""

from __future__ import annotations

import asyncio
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
from services.bulletin.figures import bot_epoch, compute_bulletin
from services.outbox import Outgoing, enqueue_to_coordinators
from services.runtime import Runtime
from services.sql import insert_ignore
from services.timefmt import fmt_datetime
from services.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from services.bulletin.files import BulletinFiles

log = logging.getLogger("firegrid.bulletin")


def due_at(period: MonthPeriod, spec: BulletinSpec, cal: WorkdayCalendar, tz: ZoneInfo) -> datetime:
    """When the month's bulletin is due: its last workday at the configured local time (UTC)."""
    day = cal.last_workday_of_month(period.year, period.month)
    return datetime.combine(day, spec.deliver_at, tzinfo=tz).astimezone(UTC)


async def build_files(rt: Runtime, period: MonthPeriod, now: datetime) -> BulletinFiles:
    """Compute a month's bulletin in one read transaction and render it in a worker thread."""
    async with rt.transaction() as session:
        bulletin = await compute_bulletin(session, rt, period, now)
    # Imported here, not at the top: matplotlib, python-docx and XlsxWriter cost ~70 MiB, and a
    # running bot needs them once a month (issue 13: idle at most 100 MiB).
    from services.bulletin.files import render_files

    return await asyncio.to_thread(render_files, bulletin)


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


async def _claim(
    session: AsyncSession,
    period: MonthPeriod,
    due: datetime,
    status: BulletinRunStatus,
    now: datetime,
) -> int | None:
    """Insert the month's occurrence row; None when it already exists (sent or missed)."""
    values = {
        "period": period.key,
        "due_at": due,
        "status": status,
        "recorded_at": now,
        "recipients": 0,
    }
    return await insert_ignore(session, BulletinRun, values, ["period"])


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
                if await _claim(session, period, due, BulletinRunStatus.MISSED, now) is not None:
                    await enqueue_to_coordinators(
                        session,
                        Outgoing(text=_missed_text(period, due, rt.tz)),
                        now=now,
                        dedupe_key=f"bulletin:{period.key}:missed",
                    )
                    log.warning("bulletin %s missed (due %s)", period.key, due.isoformat())
                    acted.append(period.key)
            continue
        # Figures and files first (reads and CPU), then one short write transaction.
        files = await build_files(rt, period, now)
        async with rt.transaction() as session:
            run_id = await _claim(session, period, due, BulletinRunStatus.SENT, now)
            if run_id is None:
                continue
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
        log.info("bulletin %s queued for %d recipients", period.key, recipients)
        acted.append(period.key)
    return acted
