"""处置时限: after 报到 each department is chased to finish, and escalated once the deadline passes.

`resolve_due_at` is set at 报到 from the org file (cases.resolve_within by urgency, or the
category's own; `Nd` counts workdays on a business-hours ladder). The chase is an ordinary
ladder grid (CaseEnv.resolve_ladder) started at 报到: a 【处置催办】 with the time left every
`resolve_ping_every` before the deadline, the first escalation at the deadline (plus
`resolve_escalate_after`), then one every `resolve_ping_every`. Like the 报到 ladder it runs
from rows (`resolve_step`, `resolve_next_at`), one transaction per row, restart-safe, and
stops on 处置完成, removal or closure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from models.cases import CaseDepartment, CaseStatus, DeptStatus, EventKind
from models.outbox import OutboxMessage
from services.buttons import CASE, CaseAction
from services.cases import cards
from services.cases.env import CaseEnv
from services.cases.ladder import Action, LadderState, step
from services.cases.lifecycle import lock_part, record_event
from services.cases.views import view_of
from services.outbox import (
    Button,
    Outgoing,
    department_chat,
    enqueue,
    enqueue_to_coordinators,
    enqueue_to_department,
)

BATCH = 500


async def due_resolutions(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Rows that reported for duty, have not resolved, and whose next chase event is due."""
    rows = await session.scalars(
        select(CaseDepartment.id)
        .where(CaseDepartment.status == DeptStatus.ACKED, CaseDepartment.resolve_next_at <= now)
        .order_by(CaseDepartment.resolve_next_at)
        .limit(limit)
    )
    return list(rows)


async def advance_resolution(
    session: AsyncSession, env: CaseEnv, row_id: int, now: datetime
) -> Action | None:
    """One department's 处置 chase at `now`: at most one message, then the next look."""
    locked = await lock_part(session, row_id)
    if locked is None:
        return None
    case, row = locked
    if row is None or row.resolve_next_at is None or row.resolve_next_at > now:
        return None
    if (
        row.status != DeptStatus.ACKED
        or row.acked_at is None
        or row.resolve_due_at is None
        or case.status == CaseStatus.CLOSED
    ):
        row.resolve_next_at = None  # resolved, removed or closed meanwhile
        return None
    chase, _ = env.resolve_ladder(row.ladder_key, case.category_key, case.urgent)
    result = step(chase, LadderState(started_at=row.acked_at, step=row.resolve_step), now)
    if result.action is None:
        row.resolve_next_at = result.eta
        return None
    done = await session.execute(
        update(CaseDepartment)
        .where(
            CaseDepartment.id == row.id,
            CaseDepartment.resolve_step == row.resolve_step,
            CaseDepartment.status == DeptStatus.ACKED,
        )
        .values(resolve_step=result.step, resolve_next_at=result.eta, last_ping_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(done, CursorResult)
    if done.rowcount != 1:
        return None
    await session.refresh(row)
    escalated = result.action is Action.ESCALATE
    view = await view_of(session, case)
    line = view.department(row.department_id)
    assert line is not None and line.resolve_due_at is not None
    key = f"case:{row.id}:r{row.ladder_round}:d{result.step}"
    text = cards.resolve_ping_text(
        view, line, now, env.tz, escalated=escalated, office=env.org.office.short_name
    )
    chat = await department_chat(session, row.department_id)
    if chat is not None:
        card = (
            await session.get(OutboxMessage, row.card_outbox_id)
            if row.card_outbox_id is not None
            else None
        )
        reply_to = card.id if card is not None and card.chat_id == chat.chat_id else None
        done_button = Button(
            "处置完成", CASE.encode(CaseAction.RESOLVE, case.id, row.department_id)
        )
        await enqueue(
            session,
            Outgoing(text=text, buttons=[[done_button]], reply_to_outbox_id=reply_to),
            chat_id=chat.chat_id,
            thread_id=chat.thread_id,
            department_id=row.department_id,
            now=now,
            dedupe_key=f"{key}:ping",
        )
    elif not escalated:
        await enqueue_to_department(
            session,
            Outgoing(text=text),
            department_id=row.department_id,
            now=now,
            dedupe_key=f"{key}:ping",
        )
    if escalated:
        number = result.step - chase.pings_before_escalation
        await enqueue_to_coordinators(
            session,
            Outgoing(text=cards.resolve_escalation_text(view, line, now, env.tz, number)),
            now=now,
            dedupe_key=f"{key}:esc",
            include_leading_group=True,
        )
        await record_event(
            session,
            case.id,
            EventKind.RESOLVE_ESCALATED,
            now,
            department_id=row.department_id,
            data={"escalation": number, "skipped": result.skipped},
        )
    return result.action
