"""The scheduler's case step: advance due ladders and chase overdue verifications.

Like Grafana OnCall's escalate task, each due row is handled in its own transaction: lock the
case, re-read the row, return early if it was acknowledged (or the case closed) meanwhile,
ask the pure ladder what is due, and write the ping or escalation to the outbox together with
the new step and `next_ping_at`. Running the same tick twice sends nothing twice: the step is
advanced with a conditional UPDATE and every message carries a dedupe key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import Case, CaseDepartment, CaseStatus, DeptStatus, EventKind
from models.outbox import OutboxMessage
from services.buttons import CASE, CaseAction
from services.cases import arrival, cards, deadline
from services.cases.env import VERIFY_WITHIN, CaseEnv
from services.cases.ladder import Action, LadderState
from services.cases.ladder import step as ladder_step
from services.cases.lifecycle import lock_case, lock_part, record_event
from services.cases.views import view_of
from services.outbox import (
    Button,
    Outgoing,
    department_chat,
    enqueue,
    enqueue_to_coordinators,
    enqueue_to_department,
)
from services.runtime import Runtime

BATCH = 500
log = logging.getLogger("firegrid.cases")


async def advance_ladder(
    session: AsyncSession, env: CaseEnv, row_id: int, now: datetime
) -> Action | None:
    """One department's ladder at `now`: send what is due (at most one message), move on."""
    locked = await lock_part(session, row_id)
    if locked is None:
        return None
    case, row = locked
    if row is None or row.status != DeptStatus.PENDING or row.next_ping_at is None:
        return None  # reported for duty (or removed) since the tick looked
    if row.next_ping_at > now:
        return None
    if case.status == CaseStatus.CLOSED:
        row.next_ping_at = None
        return None
    ladder = env.ladder(row.ladder_key, case.urgent)
    result = ladder_step(ladder, LadderState(started_at=row.ladder_started_at, step=row.step), now)
    if result.action is None:
        row.next_ping_at = result.eta
        return None
    escalated = result.action is Action.ESCALATE
    done = await session.execute(
        update(CaseDepartment)
        .where(
            CaseDepartment.id == row.id,
            CaseDepartment.step == row.step,
            CaseDepartment.status == DeptStatus.PENDING,
        )
        .values(
            step=result.step,
            next_ping_at=result.eta,
            last_ping_at=now,
            escalations=CaseDepartment.escalations + (1 if escalated else 0),
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(done, CursorResult)
    if done.rowcount != 1:
        return None
    await session.refresh(row)
    view = await view_of(session, case)
    line = view.department(row.department_id)
    assert line is not None
    key = f"case:{row.id}:r{row.ladder_round}:s{result.step}"
    chat = await department_chat(session, row.department_id)
    if chat is not None:
        card = (
            await session.get(OutboxMessage, row.card_outbox_id)
            if row.card_outbox_id is not None
            else None
        )
        reply_to = card.id if card is not None and card.chat_id == chat.chat_id else None
        await enqueue(
            session,
            Outgoing(
                text=cards.ping_text(
                    view, line, now, escalated=escalated, office=env.org.office.short_name
                ),
                buttons=[[Button("报到", CASE.encode(CaseAction.ACK, case.id, row.department_id))]],
                reply_to_outbox_id=reply_to,
            ),
            chat_id=chat.chat_id,
            thread_id=chat.thread_id,
            department_id=row.department_id,
            now=now,
            dedupe_key=f"{key}:ping",
        )
    elif not escalated:
        # No reachable group (never bound, removed, or blocked): the coordinators and the
        # leading group get the ping instead, until a coordinator binds a new group. At an
        # escalation step the escalation message below says the same, so it is not doubled.
        await enqueue_to_department(
            session,
            Outgoing(
                text=cards.ping_text(
                    view, line, now, escalated=False, office=env.org.office.short_name
                ),
                buttons=cards.ack_for_buttons(view, row.department_id),
            ),
            department_id=row.department_id,
            now=now,
            dedupe_key=f"{key}:ping",
        )
    if escalated:
        await enqueue_to_coordinators(
            session,
            Outgoing(text=cards.escalation_text(view, line, now, row.escalations)),
            now=now,
            dedupe_key=f"{key}:esc",
            include_leading_group=True,
        )
        await record_event(
            session,
            case.id,
            EventKind.ESCALATED,
            now,
            department_id=row.department_id,
            data={"escalation": row.escalations, "skipped": result.skipped},
        )
    return result.action


async def chase_verification(
    session: AsyncSession, env: CaseEnv, case_id: int, now: datetime
) -> bool:
    """No 核查 within 3 days: the coordinators are asked to verify instead (once per round)."""
    case = await lock_case(session, case_id)
    if (
        case.status != CaseStatus.VERIFYING
        or case.verify_asked_at is None
        or case.verify_escalated_at is not None
        or case.verify_asked_at > now - VERIFY_WITHIN
    ):
        return False
    case.verify_escalated_at = now
    await record_event(session, case.id, EventKind.VERIFY_OVERDUE, now)
    view = await view_of(session, case)
    await enqueue_to_coordinators(
        session,
        cards.verify_request(view, env.tz, audience="overdue"),
        now=now,
        dedupe_key=f"case:vover:{case.id}:{case.reopen_count}",
    )
    return True


async def due_ladders(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Rows whose next ping is due (the index on status, next_ping_at answers this)."""
    rows = await session.scalars(
        select(CaseDepartment.id)
        .where(CaseDepartment.status == DeptStatus.PENDING, CaseDepartment.next_ping_at <= now)
        .order_by(CaseDepartment.next_ping_at)
        .limit(limit)
    )
    return list(rows)


async def overdue_verifications(session: AsyncSession, now: datetime) -> list[int]:
    rows = await session.scalars(
        select(Case.id).where(
            Case.status == CaseStatus.VERIFYING,
            Case.verify_asked_at <= now - VERIFY_WITHIN,
            Case.verify_escalated_at.is_(None),
        )
    )
    return list(rows)


async def step(rt: Runtime, now: datetime) -> int:
    """The tick's case step; returns how many messages-worth of work it did."""
    env = CaseEnv.of(rt)
    done = 0
    seen: set[int] = set()
    while True:
        async with rt.transaction() as session:
            ids = [i for i in await due_ladders(session, now) if i not in seen]
        for row_id in ids:
            seen.add(row_id)
            try:
                async with rt.transaction() as session:
                    if await advance_ladder(session, env, row_id, now) is not None:
                        done += 1
            except Exception:
                # One bad row must not hold up every other ladder; it is retried next tick.
                log.exception("ladder of case_departments row %s failed", row_id)
        if len(ids) < BATCH:
            break
    done += await _chase(rt, env, now, arrival.due_arrivals, arrival.advance_arrival, "arrival")
    done += await _chase(
        rt, env, now, deadline.due_resolutions, deadline.advance_resolution, "处置"
    )
    async with rt.transaction() as session:
        overdue = await overdue_verifications(session, now)
    for case_id in overdue:
        try:
            async with rt.transaction() as session:
                if await chase_verification(session, env, case_id, now):
                    done += 1
        except Exception:
            log.exception("verification chase of case %s failed", case_id, extra={"case": case_id})
    return done


async def _chase(
    rt: Runtime,
    env: CaseEnv,
    now: datetime,
    due: Callable[[AsyncSession, datetime], Awaitable[list[int]]],
    advance: Callable[[AsyncSession, CaseEnv, int, datetime], Awaitable[Action | None]],
    what: str,
) -> int:
    """A chase after 报到 (到场, 处置) for every due row, one transaction each."""
    done = 0
    seen: set[int] = set()
    while True:
        async with rt.transaction() as session:
            ids = [i for i in await due(session, now) if i not in seen]
        for row_id in ids:
            seen.add(row_id)
            try:
                async with rt.transaction() as session:
                    if await advance(session, env, row_id, now) is not None:
                        done += 1
            except Exception:
                log.exception("%s chase of case_departments row %s failed", what, row_id)
        if len(ids) < BATCH:
            return done
