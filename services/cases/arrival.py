"""到场: after 报到 a member shares a location on site; a department not on site in time is chased.

The arrival is one conditional UPDATE (the first location counts), with the great-circle
distance to the case's pin. Beyond the org file's `arrive_radius` the member is asked first
(the use case answers `needs_confirm` and changes nothing); a case without a pin records the
arrival without a distance.

The chase runs from rows like the 报到 ladder (tick.py): `arrive_due_at` is set at 报到 from the
ladder's `arrive_within`, `arrive_next_at` is the next look, `arrive_step` the events handled.
At the deadline a 到场催办 goes to the department's group, one `ping_every` later the first
escalation, then one every `escalate_every` (ladder.chase_step), until the department arrives,
resolves, is removed, or the case closes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from models.case_dto import ArrivalResult, CaseView
from models.cases import CaseDepartment, CaseStatus, DeptStatus, EventKind
from models.dto import PersonInfo
from models.outbox import OutboxMessage
from models.people import Person
from services.cases import cards
from services.cases.env import CaseEnv
from services.cases.ladder import Action, chase_step
from services.cases.lifecycle import lock_part, member_part, record_event, refresh_cards
from services.cases.views import view_of
from services.errors import Refusal
from services.geo import distance_m, fmt_distance
from services.outbox import (
    Outgoing,
    department_chat,
    enqueue,
    enqueue_to_coordinators,
    enqueue_to_department,
)

BATCH = 500


def _check_arrivable(number: str, dept_name: str, row: CaseDepartment) -> None:
    if row.status == DeptStatus.PENDING:
        raise Refusal(f"{dept_name}尚未报到，请先点击“报到”。")
    if row.status == DeptStatus.RESOLVED:
        raise Refusal(f"{dept_name}已提交 {number} 的处置情况，无需到场打卡。")


async def check_may_arrive(
    session: AsyncSession, *, actor: PersonInfo, case_id: int, department_id: int
) -> tuple[CaseView, ArrivalResult | None]:
    """Before asking for the location: the case, and the arrival if one is already recorded."""
    case, row, dept = await member_part(session, actor, case_id, department_id, "到场打卡")
    _check_arrivable(case.number, dept.name, row)
    view = await view_of(session, case)
    if row.arrived_at is None:
        return view, None
    by = await session.scalar(select(Person.display_name).where(Person.id == row.arrived_by))
    return view, ArrivalResult(
        recorded=False,
        department=dept.name,
        case_number=case.number,
        arrived_at=row.arrived_at,
        arrived_by=by,
        distance_m=row.arrive_distance_m,
        radius_m=0,
    )


async def record_arrival(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    department_id: int,
    latitude: float,
    longitude: float,
    at: datetime,
    live: bool,
    confirm_far: bool,
    chat_id: int | None,
    now: datetime,
) -> ArrivalResult:
    """到场打卡 with a shared location (shared at `at`); beyond the radius only when confirmed."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise Refusal("位置无效，请重新发送当前位置。")
    case, row, dept = await member_part(session, actor, case_id, department_id, "到场打卡")
    _check_arrivable(case.number, dept.name, row)
    radius = env.org.cases.arrive_radius
    distance: int | None = None
    if case.latitude is not None and case.longitude is not None:
        distance = round(distance_m(latitude, longitude, case.latitude, case.longitude))
    base = ArrivalResult(
        recorded=False,
        department=dept.name,
        case_number=case.number,
        distance_m=distance,
        radius_m=radius,
    )
    far = distance is not None and distance > radius
    if row.arrived_at is None and far and not confirm_far:
        return base.model_copy(update={"needs_confirm": True})
    done = await session.execute(
        update(CaseDepartment)
        .where(
            CaseDepartment.id == row.id,
            CaseDepartment.status == DeptStatus.ACKED,
            CaseDepartment.arrived_at.is_(None),
        )
        .values(
            arrived_at=at,
            arrived_by=actor.id,
            arrive_distance_m=distance,
            arrive_next_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(done, CursorResult)
    recorded = done.rowcount == 1
    await session.refresh(row)
    if recorded:
        note = None
        if distance is not None:
            note = f"距隐患点{fmt_distance(distance)}"
            if far:
                note += f"，超出{radius}米范围"
        await record_event(
            session,
            case.id,
            EventKind.ARRIVED,
            now,
            actor_id=actor.id,
            department_id=dept.id,
            chat_id=chat_id,
            note=note,
            data={"distance_m": distance, "far": far, "live": live, "shared_at": at.isoformat()},
        )
        await refresh_cards(session, env, case, now)
    by = await session.scalar(select(Person.display_name).where(Person.id == row.arrived_by))
    return base.model_copy(
        update={
            "recorded": recorded,
            "arrived_at": row.arrived_at,
            "arrived_by": by,
            "distance_m": row.arrive_distance_m,
        }
    )


# -- the chase (tick) ---------------------------------------------------------------------------


async def due_arrivals(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Rows that reported for duty, are not on site, and whose next chase event is due."""
    rows = await session.scalars(
        select(CaseDepartment.id)
        .where(CaseDepartment.status == DeptStatus.ACKED, CaseDepartment.arrive_next_at <= now)
        .order_by(CaseDepartment.arrive_next_at)
        .limit(limit)
    )
    return list(rows)


async def advance_arrival(
    session: AsyncSession, env: CaseEnv, row_id: int, now: datetime
) -> Action | None:
    """One department's arrival chase at `now`: at most one message, then the next look."""
    locked = await lock_part(session, row_id)
    if locked is None:
        return None
    case, row = locked
    if row is None or row.arrive_next_at is None or row.arrive_next_at > now:
        return None
    if (
        row.status != DeptStatus.ACKED
        or row.arrived_at is not None
        or row.arrive_due_at is None
        or case.status == CaseStatus.CLOSED
    ):
        row.arrive_next_at = None  # arrived, resolved, removed or closed meanwhile
        return None
    ladder = env.ladder(row.ladder_key, case.urgent)
    result = chase_step(ladder, row.arrive_due_at, row.arrive_step, now)
    if result.action is None:
        row.arrive_next_at = result.eta
        return None
    done = await session.execute(
        update(CaseDepartment)
        .where(
            CaseDepartment.id == row.id,
            CaseDepartment.arrive_step == row.arrive_step,
            CaseDepartment.status == DeptStatus.ACKED,
            CaseDepartment.arrived_at.is_(None),
        )
        .values(arrive_step=result.step, arrive_next_at=result.eta, last_ping_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(done, CursorResult)
    if done.rowcount != 1:
        return None
    await session.refresh(row)
    escalated = result.action is Action.ESCALATE
    view = await view_of(session, case)
    line = view.department(row.department_id)
    assert line is not None
    key = f"case:{row.id}:r{row.ladder_round}:a{result.step}"
    text = cards.arrive_ping_text(
        view, line, now, escalated=escalated, office=env.org.office.short_name
    )
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
                text=text,
                buttons=[[cards.arrive_button(case.id, row.department_id)]],
                reply_to_outbox_id=reply_to,
            ),
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
        number = result.step - 1
        await enqueue_to_coordinators(
            session,
            Outgoing(text=cards.arrive_escalation_text(view, line, now, number)),
            now=now,
            dedupe_key=f"{key}:esc",
            include_leading_group=True,
        )
        await record_event(
            session,
            case.id,
            EventKind.ARRIVE_ESCALATED,
            now,
            department_id=row.department_id,
            data={"escalation": number, "skipped": result.skipped},
        )
    return result.action
