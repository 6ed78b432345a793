"""The case use cases, each inside the caller's one transaction (state change + outbox rows).

Every use case that changes a case first locks the case row (`FOR UPDATE` on PostgreSQL;
SQLite serialises writers), so two presses on the same case never interleave; a 报到 or a
处置完成 is additionally a conditional UPDATE whose row count says whether this press was the
one that counted. Messages are only written to the outbox here; delivery happens after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from models.case_dto import AckResult, CaseView
from models.cases import (
    Case,
    CaseDepartment,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    DeptStatus,
    EventKind,
    PhotoSource,
)
from models.dto import DepartmentInfo, PersonInfo
from models.enums import Role
from models.org import Area, Department
from models.outbox import OutboxKind, OutboxMessage
from models.people import Person
from services.cases import cards
from services.cases.draft import MAX_DESCRIPTION, MAX_PHOTOS, WhistleDraft
from services.cases.env import DUPLICATE_WINDOW, CaseEnv
from services.cases.numbering import next_case_number
from services.cases.routing import NOT_DISPATCHABLE, route_departments, triage_candidates
from services.cases.views import case_by_number, view_of
from services.errors import Refusal
from services.outbox import (
    Button,
    Outgoing,
    department_chat,
    enqueue,
    enqueue_to_coordinators,
    enqueue_to_department,
)
from services.people import department_hint, find_department

WHISTLERS = frozenset({Role.GRID_WORKER, Role.COORDINATOR})


# -- small helpers ------------------------------------------------------------------------------


async def record_event(
    session: AsyncSession,
    case_id: int,
    kind: EventKind,
    now: datetime,
    *,
    actor_id: int | None = None,
    department_id: int | None = None,
    chat_id: int | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        CaseEvent(
            case_id=case_id,
            kind=kind,
            at=now,
            actor_id=actor_id,
            department_id=department_id,
            chat_id=chat_id,
            note=note,
            data=data,
        )
    )


async def lock_case(session: AsyncSession, case_id: int) -> Case:
    """The case row, locked for the rest of the transaction (re-read, not from the identity map)."""
    case = await session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if case is None:
        raise Refusal("未找到该案件。")
    return case


async def lock_part(
    session: AsyncSession, row_id: int
) -> tuple[Case, CaseDepartment | None] | None:
    """A department's part and its case, the case locked first (the order every writer takes);
    the part is re-read under that lock. None when the part does not exist."""
    case_id = await session.scalar(
        select(CaseDepartment.case_id).where(CaseDepartment.id == row_id)
    )
    if case_id is None:
        return None
    case = await lock_case(session, case_id)
    row = await session.scalar(
        select(CaseDepartment)
        .where(CaseDepartment.id == row_id)
        .execution_options(populate_existing=True)
    )
    return case, row


async def _rows(session: AsyncSession, case_id: int) -> list[CaseDepartment]:
    return list(
        await session.scalars(
            select(CaseDepartment)
            .where(CaseDepartment.case_id == case_id)
            .order_by(CaseDepartment.id)
            .execution_options(populate_existing=True)
        )
    )


async def _row(session: AsyncSession, case_id: int, department_id: int) -> CaseDepartment | None:
    return await session.scalar(
        select(CaseDepartment)
        .where(CaseDepartment.case_id == case_id, CaseDepartment.department_id == department_id)
        .execution_options(populate_existing=True)
    )


async def _department(session: AsyncSession, department_id: int) -> Department:
    dept = await session.get(Department, department_id)
    if dept is None:
        raise Refusal("未找到该部门。")
    return dept


def may_act_for(actor: PersonInfo, department_id: int) -> bool:
    """报到 and 处置 for a department: its members and leads (a coordinator for the office)."""
    return actor.belongs_to(department_id) and actor.role != Role.GRID_WORKER


def _require_member(actor: PersonInfo, dept: Department, what: str) -> None:
    """`what` (报到, 处置) is the department's own work; a grid worker hears what theirs is."""
    if may_act_for(actor, dept.id):
        return
    if actor.role == Role.GRID_WORKER:
        # /whoami shows the grid worker's department, so "仅限…成员" would read as a mistake.
        raise Refusal(f"{what}由责任部门的部门成员或负责人操作；网格员负责吹哨上报和核查。")
    raise Refusal(f"该按钮仅限{dept.name}成员操作。如需加入，请联系协调员获取邀请链接。")


def _require_coordinator(actor: PersonInfo) -> None:
    if not actor.is_coordinator:
        raise Refusal("该操作仅限协调员。")


def _require_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise Refusal(f"{case.number} 已结案，无需再操作。")


def derive_status(current: CaseStatus, statuses: Sequence[DeptStatus]) -> CaseStatus:
    """The case's status from its departments' (a closed case stays closed)."""
    if current == CaseStatus.CLOSED:
        return CaseStatus.CLOSED
    active = [s for s in statuses if s != DeptStatus.REMOVED]
    if not active:
        return CaseStatus.TRIAGE
    if DeptStatus.PENDING in active:
        return CaseStatus.DISPATCHED
    if DeptStatus.ACKED in active:
        return CaseStatus.IN_PROGRESS
    return CaseStatus.VERIFYING


def _start_ladder(env: CaseEnv, row: CaseDepartment, urgent: bool, now: datetime) -> None:
    """(Re)start a department's ladder at `now`."""
    ladder = env.ladder(row.ladder_key, urgent)
    row.status = DeptStatus.PENDING
    row.ladder_started_at = now
    row.step = 0
    row.next_ping_at = ladder.at(now, 1)
    row.ack_due_at = ladder.at(now, ladder.first_escalation())
    row.acked_at = None
    row.acked_by = None
    row.acked_on_behalf = False
    row.arrived_at = None
    row.arrived_by = None
    row.arrive_distance_m = None
    row.arrive_due_at = None
    row.arrive_step = 0
    row.arrive_next_at = None
    row.resolve_due_at = None
    row.resolve_step = 0
    row.resolve_next_at = None
    row.resolved_at = None
    row.resolved_by = None
    row.resolution_note = None
    row.removed_at = None


async def _card_row(session: AsyncSession, row: CaseDepartment) -> OutboxMessage | None:
    if row.card_outbox_id is None:
        return None
    return await session.get(OutboxMessage, row.card_outbox_id)


async def _to_department_thread(
    session: AsyncSession,
    row: CaseDepartment,
    message: Outgoing,
    now: datetime,
    *,
    dedupe_key: str | None = None,
) -> int | None:
    """Post into the department's group as a reply to its dispatch card when possible."""
    card = await _card_row(session, row)
    chat = await department_chat(session, row.department_id)
    if chat is not None and card is not None and card.chat_id == chat.chat_id:
        message.reply_to_outbox_id = card.id
    return await enqueue_to_department(
        session, message, department_id=row.department_id, now=now, dedupe_key=dedupe_key
    )


def _media(view_photos: Sequence[str]) -> Outgoing | None:
    if not view_photos:
        return None
    if len(view_photos) == 1:
        return Outgoing(kind=OutboxKind.PHOTO, media=[view_photos[0]], parse_mode=None)
    return Outgoing(kind=OutboxKind.MEDIA_GROUP, media=list(view_photos), parse_mode=None)


# -- dispatch and cards -------------------------------------------------------------------------


async def _send_card(
    session: AsyncSession, env: CaseEnv, view: CaseView, row: CaseDepartment, now: datetime
) -> None:
    """The dispatch to one department: the card with 报到, then photos and the map pin."""
    text = cards.card_text(view, env.tz)
    buttons = cards.card_buttons(view, row.department_id)
    if await department_chat(session, row.department_id) is None:
        # Forwarded to the coordinators: they can report for duty on its behalf (代为报到).
        buttons = cards.ack_for_buttons(view, row.department_id)
    card_id = await enqueue_to_department(
        session,
        Outgoing(text=text, buttons=buttons),
        department_id=row.department_id,
        now=now,
    )
    row.card_outbox_id = card_id
    row.card_text = text
    media = _media(view.photos)
    if media is not None:
        media.reply_to_outbox_id = card_id
        await enqueue_to_department(session, media, department_id=row.department_id, now=now)
    if view.latitude is not None and view.longitude is not None:
        await enqueue_to_department(
            session,
            Outgoing(
                kind=OutboxKind.LOCATION,
                location=(view.latitude, view.longitude),
                parse_mode=None,
                reply_to_outbox_id=card_id,
            ),
            department_id=row.department_id,
            now=now,
        )


async def refresh_cards(session: AsyncSession, env: CaseEnv, case: Case, now: datetime) -> CaseView:
    """Edit every department's card whose text changed (edit_text rows through the outbox)."""
    await session.flush()
    view = await view_of(session, case)
    for row in await _rows(session, case.id):
        if row.status == DeptStatus.REMOVED:
            continue
        card = await _card_row(session, row)
        if card is None:
            continue
        text = cards.card_text(view, env.tz)
        if text == row.card_text:
            continue
        await enqueue(
            session,
            Outgoing(
                kind=OutboxKind.EDIT_TEXT,
                text=text,
                buttons=cards.card_buttons(view, row.department_id),
                target_outbox_id=card.id,
            ),
            chat_id=card.chat_id,
            thread_id=card.thread_id,
            department_id=row.department_id,
            now=now,
        )
        row.card_text = text
    return view


async def _settle(session: AsyncSession, env: CaseEnv, case: Case, now: datetime) -> CaseView:
    """Derive the case status after a change, ask for verification on entering it, edit cards."""
    rows = await _rows(session, case.id)
    before = case.status
    after = derive_status(before, [r.status for r in rows])
    case.status = after
    case.updated_at = now
    if after != CaseStatus.TRIAGE and case.dispatched_at is None:
        case.dispatched_at = now
    view = await refresh_cards(session, env, case, now)
    if after == CaseStatus.VERIFYING and before != CaseStatus.VERIFYING:
        await _ask_verification(session, env, case, view, now)
    return view


async def _ask_verification(
    session: AsyncSession, env: CaseEnv, case: Case, view: CaseView, now: datetime
) -> None:
    """Every department resolved: the reporter (or, without one, the coordinators) verifies."""
    case.verify_asked_at = now
    case.verify_escalated_at = None
    await record_event(session, case.id, EventKind.VERIFY_ASKED, now)
    since = await session.scalar(
        select(CaseEvent.at)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.REOPENED)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    photos = list(
        await session.scalars(
            select(CasePhoto.file_id)
            .where(
                CasePhoto.case_id == case.id,
                CasePhoto.source == PhotoSource.RESOLUTION,
                CasePhoto.added_at >= (since or case.created_at),
            )
            .order_by(CasePhoto.id)
            .limit(10)
        )
    )
    key = f"case:verify:{case.id}:{case.reopen_count}"
    reporter = await session.get(Person, case.reporter_id)
    if reporter is None or not reporter.active:
        case.verify_escalated_at = now
        await enqueue_to_coordinators(
            session,
            cards.verify_request(view, env.tz, audience="no_reporter"),
            now=now,
            dedupe_key=key,
        )
        return
    media = _media(photos)
    if media is not None:
        await enqueue(session, media, chat_id=case.reporter_chat_id, now=now)
    await enqueue(
        session,
        cards.verify_request(view, env.tz),
        chat_id=case.reporter_chat_id,
        now=now,
        dedupe_key=key,
    )


async def _dispatch(
    session: AsyncSession,
    env: CaseEnv,
    case: Case,
    department_id: int,
    now: datetime,
    *,
    kind: EventKind,
    actor_id: int | None,
    chat_id: int | None,
    note: str | None = None,
) -> CaseDepartment:
    """Put a department on the case (new, or back after removal) and send it the card."""
    row = await _row(session, case.id, department_id)
    if row is None:
        row = CaseDepartment(
            case_id=case.id,
            department_id=department_id,
            ladder_key=env.ladder_key(case.category_key, case.urgent),
            ladder_round=0,
            dispatched_at=now,
            escalations=0,
        )
        session.add(row)
    else:
        row.ladder_round += 1
        row.dispatched_at = now
        row.card_outbox_id = None
        row.card_text = None
    _start_ladder(env, row, case.urgent, now)
    await record_event(
        session,
        case.id,
        kind,
        now,
        actor_id=actor_id,
        department_id=department_id,
        chat_id=chat_id,
        note=note,
    )
    await session.flush()
    return row


async def _send_new_cards(
    session: AsyncSession, env: CaseEnv, case: Case, rows: Sequence[CaseDepartment], now: datetime
) -> CaseView:
    """After dispatching `rows`: settle the status, then send each new department its card."""
    view = await _settle(session, env, case, now)
    for row in rows:
        await _send_card(session, env, view, row, now)
    return view


# -- whistle ------------------------------------------------------------------------------------


async def _area_ok(session: AsyncSession, area_id: int | None) -> Area:
    area = await session.get(Area, area_id) if area_id is not None else None
    if area is None or not area.active:
        raise Refusal("所选区域已不可用，请重新选择。")
    return area


async def find_duplicate(
    session: AsyncSession, *, category_key: str, area_id: int, now: datetime
) -> CaseView | None:
    """An open case of the same category in the same area whistled in the last 24 hours."""
    case = await session.scalar(
        select(Case)
        .where(
            Case.category_key == category_key,
            Case.area_id == area_id,
            Case.created_at >= now - DUPLICATE_WINDOW,
            Case.status != CaseStatus.CLOSED,
        )
        .order_by(Case.created_at.desc())
        .limit(1)
    )
    return await view_of(session, case) if case is not None else None


async def submit_whistle(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    draft: WhistleDraft,
    chat_id: int,
    now: datetime,
) -> CaseView:
    """吹哨 → 派遣: number the case, route it, send each department its card (or triage)."""
    if actor.role not in WHISTLERS:
        raise Refusal("吹哨上报仅限网格员和协调员。")
    category = env.org.category(draft.category_key or "")
    if category is None:
        raise Refusal("所选类别已不可用，请重新选择。")
    await _area_ok(session, draft.area_id)
    assert draft.area_id is not None
    description = (draft.description or "").strip()
    if not description:
        raise Refusal("请填写隐患描述。")
    year = now.astimezone(env.tz).year
    seq, number = await next_case_number(session, prefix=env.org.office.case_prefix, year=year)
    case = Case(
        number=number,
        year=year,
        seq=seq,
        category_key=category.key,
        category_name=category.name,
        area_id=draft.area_id,
        address=(draft.address or "").strip()[:200] or None,
        latitude=draft.latitude,
        longitude=draft.longitude,
        description=description[:MAX_DESCRIPTION],
        urgent=bool(draft.urgent),
        reporter_id=actor.id,
        reporter_chat_id=chat_id,
        status=CaseStatus.TRIAGE,
        created_at=now,
        reopen_count=0,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    for file_id in draft.photos[:MAX_PHOTOS]:
        session.add(
            CasePhoto(
                case_id=case.id,
                file_id=file_id,
                source=PhotoSource.WHISTLE,
                added_by=actor.id,
                added_at=now,
            )
        )
    await record_event(
        session, case.id, EventKind.WHISTLED, now, actor_id=actor.id, chat_id=chat_id
    )
    departments = await route_departments(session, env.org, category.key, draft.area_id)
    if not departments:
        await record_event(session, case.id, EventKind.TRIAGE, now)
        view = await _settle(session, env, case, now)
        await _ask_triage(session, env, view, now)
        return view
    rows = [
        await _dispatch(
            session, env, case, d.id, now, kind=EventKind.DISPATCHED, actor_id=None, chat_id=None
        )
        for d in departments
    ]
    return await _send_new_cards(session, env, case, rows, now)


async def _ask_triage(session: AsyncSession, env: CaseEnv, view: CaseView, now: datetime) -> None:
    candidates = await triage_candidates(session, env.org, view.area_id)
    await enqueue_to_coordinators(
        session,
        Outgoing(
            text=cards.triage_text(view, env.tz),
            buttons=cards.triage_buttons(view, [(d.id, d.name) for d in candidates]),
        ),
        now=now,
        dedupe_key=f"case:triage:{view.id}",
    )


async def triage_keyboard(
    session: AsyncSession, env: CaseEnv, case_id: int
) -> tuple[CaseView, list[list[Button]]]:
    """The triage buttons as they stand now (departments on the case ticked)."""
    case = await session.get(Case, case_id)
    if case is None:
        raise Refusal("未找到该案件。")
    view = await view_of(session, case)
    candidates = await triage_candidates(session, env.org, view.area_id)
    return view, cards.triage_buttons(view, [(d.id, d.name) for d in candidates])


async def supplement_case(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    text: str,
    photos: Sequence[str],
    chat_id: int,
    now: datetime,
) -> CaseView:
    """补充到该案件: the new text and photos go to the case and to its departments' groups."""
    if actor.role not in WHISTLERS:
        raise Refusal("吹哨上报仅限网格员和协调员。")
    case = await lock_case(session, case_id)
    if case.status == CaseStatus.CLOSED:
        raise Refusal(f"{case.number} 已结案，请新建案件。")
    text = text.strip()[:MAX_DESCRIPTION]
    for file_id in photos[:MAX_PHOTOS]:
        session.add(
            CasePhoto(
                case_id=case.id,
                file_id=file_id,
                source=PhotoSource.SUPPLEMENT,
                added_by=actor.id,
                added_at=now,
            )
        )
    await record_event(
        session,
        case.id,
        EventKind.SUPPLEMENTED,
        now,
        actor_id=actor.id,
        chat_id=chat_id,
        note=text or f"补充照片{len(photos)}张",
        data={"photos": len(photos)},
    )
    case.updated_at = now
    await session.flush()
    view = await view_of(session, case)
    message = cards.supplement_text(view, actor.display_name, actor.role_label, text or "（照片）")
    rows = [r for r in await _rows(session, case.id) if r.status != DeptStatus.REMOVED]
    if not rows:
        await enqueue_to_coordinators(session, Outgoing(text=message), now=now)
        media = _media(photos)
        if media is not None:
            await enqueue_to_coordinators(session, media, now=now)
        return view
    for row in rows:
        await _to_department_thread(session, row, Outgoing(text=message), now)
        media = _media(photos)
        if media is not None:
            await _to_department_thread(session, row, media, now)
    return view


# -- 报到 and 处置 -------------------------------------------------------------------------------


async def member_part(
    session: AsyncSession,
    actor: PersonInfo,
    case_id: int,
    department_id: int,
    what: str,
    *,
    for_office: bool = False,
) -> tuple[Case, CaseDepartment, Department]:
    """The case (locked), the department's part in it and the department, for a member
    (for a coordinator acting on the department's behalf with `for_office`)."""
    case = await lock_case(session, case_id)
    row = await _row(session, case_id, department_id)
    if row is None:
        raise Refusal("该案件未派遣给该部门。")
    dept = await _department(session, department_id)
    if for_office:
        _require_coordinator(actor)
    else:
        _require_member(actor, dept, what)
    _require_open(case)
    if row.status == DeptStatus.REMOVED:
        raise Refusal(f"{case.number} 已不再由{dept.name}负责。")
    return case, row, dept


async def acknowledge(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    department_id: int,
    chat_id: int | None,
    now: datetime,
    on_behalf: str | None = None,
) -> AckResult:
    """报到: the first press records it; any later press hears who reported and when.

    With `on_behalf` (the reason, e.g. confirmed by phone) a coordinator reports for duty in
    the department's place (代为报到): recorded and shown as such, and not counted as the
    department's own on-time 报到.
    """
    if on_behalf is not None:
        on_behalf = on_behalf.strip()[:MAX_DESCRIPTION]
        if not on_behalf:
            raise Refusal("请填写代为报到的原因，例如：已电话确认，负责人正赶赴现场。")
    case, row, dept = await member_part(
        session, actor, case_id, department_id, "报到", for_office=on_behalf is not None
    )
    result = await session.execute(
        update(CaseDepartment)
        .where(
            CaseDepartment.id == row.id,
            CaseDepartment.status == DeptStatus.PENDING,
            CaseDepartment.acked_at.is_(None),
        )
        .values(
            status=DeptStatus.ACKED,
            acked_at=now,
            acked_by=actor.id,
            acked_on_behalf=on_behalf is not None,
            next_ping_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    recorded = result.rowcount == 1
    await session.refresh(row)
    if recorded:
        if row.first_acked_at is None:
            row.first_acked_at = now
        # 报到 is not the end: on site within the ladder's arrive_within (到场催办 from rows).
        row.arrive_due_at = env.ladder(row.ladder_key, case.urgent).arrive_due(now)
        row.arrive_step = 0
        row.arrive_next_at = row.arrive_due_at
        # 处置时限: reminders before it, escalations after it (deadline.py, from rows).
        chase, within = env.resolve_ladder(row.ladder_key, case.category_key, case.urgent)
        row.resolve_due_at = chase.shift(now, within)
        row.resolve_step = 0
        row.resolve_next_at = chase.at(now, 1)
        await record_event(
            session,
            case.id,
            EventKind.ACKED if on_behalf is None else EventKind.ACKED_FOR,
            now,
            actor_id=actor.id,
            department_id=dept.id,
            chat_id=chat_id,
            note=on_behalf,
        )
        await _settle(session, env, case, now)
    by = await session.scalar(select(Person.display_name).where(Person.id == row.acked_by))
    return AckResult(
        on_behalf=row.acked_on_behalf,
        recorded=recorded,
        department=dept.name,
        acked_at=row.acked_at or now,
        acked_by=by,
        case_number=case.number,
    )


async def check_may_ack_for(
    session: AsyncSession, *, actor: PersonInfo, case_id: int, department_id: int
) -> CaseView:
    """Before asking a coordinator for the 代为报到 reason: is the department still pending?"""
    case, row, dept = await member_part(
        session, actor, case_id, department_id, "报到", for_office=True
    )
    if row.status != DeptStatus.PENDING:
        raise Refusal(f"{dept.name}已报到，无需代为报到。")
    return await view_of(session, case)


async def acknowledge_for(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    number: str,
    department: str,
    reason: str,
    chat_id: int | None,
    now: datetime,
) -> AckResult:
    """/case_ack: 代为报到 by case number and department name or key."""
    _require_coordinator(actor)
    case = await _open_case(session, number)
    dept = await _dispatchable(session, department)
    return await acknowledge(
        session,
        env,
        actor=actor,
        case_id=case.id,
        department_id=dept.id,
        chat_id=chat_id,
        now=now,
        on_behalf=reason,
    )


async def check_may_resolve(
    session: AsyncSession, *, actor: PersonInfo, case_id: int, department_id: int
) -> CaseView:
    """Before asking for the 处置 note: may this person resolve for this department now?"""
    case, row, dept = await member_part(session, actor, case_id, department_id, "处置")
    if row.status == DeptStatus.PENDING:
        raise Refusal(f"{dept.name}尚未报到，请先点击“报到”。")
    if row.status == DeptStatus.RESOLVED:
        raise Refusal(f"{dept.name}已提交过 {case.number} 的处置情况。")
    return await view_of(session, case)


async def resolve(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    department_id: int,
    note: str,
    photos: Sequence[str],
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """处置完成: the department's note and photos; when all are done, the reporter verifies."""
    note = note.strip()[:MAX_DESCRIPTION]
    if not note:
        raise Refusal("请填写处置情况说明。")
    case, row, dept = await member_part(session, actor, case_id, department_id, "处置")
    result = await session.execute(
        update(CaseDepartment)
        .where(CaseDepartment.id == row.id, CaseDepartment.status == DeptStatus.ACKED)
        .values(
            status=DeptStatus.RESOLVED,
            resolved_at=now,
            resolved_by=actor.id,
            resolution_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        await session.refresh(row)
        if row.status == DeptStatus.PENDING:
            raise Refusal(f"{dept.name}尚未报到，请先点击“报到”。")
        raise Refusal(f"{dept.name}已提交过 {case.number} 的处置情况。")
    await session.refresh(row)
    for file_id in photos[:MAX_PHOTOS]:
        session.add(
            CasePhoto(
                case_id=case.id,
                file_id=file_id,
                source=PhotoSource.RESOLUTION,
                department_id=dept.id,
                added_by=actor.id,
                added_at=now,
            )
        )
    await record_event(
        session,
        case.id,
        EventKind.RESOLVED,
        now,
        actor_id=actor.id,
        department_id=dept.id,
        chat_id=chat_id,
        note=note,
        data={"photos": len(photos)},
    )
    return await _settle(session, env, case, now)


# -- 核查 ----------------------------------------------------------------------------------------


async def _verifiable(session: AsyncSession, actor: PersonInfo, case_id: int) -> Case:
    case = await lock_case(session, case_id)
    if actor.id != case.reporter_id and not actor.is_coordinator:
        raise Refusal("仅上报人或协调员可以核查该案件。")
    _require_open(case)
    if case.status != CaseStatus.VERIFYING:
        raise Refusal(f"{case.number} 尚有部门未处置完成，暂不能核查。")
    return case


async def check_may_verify(session: AsyncSession, *, actor: PersonInfo, case_id: int) -> CaseView:
    """Only the reporter or a coordinator verifies, and only a case waiting for it."""
    return await view_of(session, await _verifiable(session, actor, case_id))


async def verify(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """已消除: the case closes; the departments hear it under their cards."""
    case = await _verifiable(session, actor, case_id)
    case.status = CaseStatus.CLOSED
    case.verified_at = now
    case.verified_by = actor.id
    case.closed_at = now
    case.closed_by = actor.id
    await record_event(
        session, case.id, EventKind.VERIFIED, now, actor_id=actor.id, chat_id=chat_id
    )
    await record_event(session, case.id, EventKind.CLOSED, now, actor_id=actor.id, chat_id=chat_id)
    return await _close_out(session, env, case, now, by_reporter=True)


async def reopen(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    reason: str,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """未消除: the departments that resolved start their ladders again from now."""
    reason = reason.strip()[:MAX_DESCRIPTION]
    if not reason:
        raise Refusal("请说明隐患未消除的原因。")
    case = await _verifiable(session, actor, case_id)
    restarted = [r for r in await _rows(session, case.id) if r.status == DeptStatus.RESOLVED]
    for row in restarted:
        row.ladder_round += 1
        _start_ladder(env, row, case.urgent, now)
    case.reopen_count += 1
    case.verify_asked_at = None
    case.verify_escalated_at = None
    await record_event(
        session,
        case.id,
        EventKind.REOPENED,
        now,
        actor_id=actor.id,
        chat_id=chat_id,
        note=reason,
        data={"departments": [r.department_id for r in restarted]},
    )
    view = await _settle(session, env, case, now)
    for row in restarted:
        await _to_department_thread(
            session,
            row,
            Outgoing(
                text=cards.reopened_notice(view, reason),
                buttons=cards.card_buttons(view, row.department_id),
            ),
            now,
        )
    return view


# -- coordinators -------------------------------------------------------------------------------


async def _dispatchable(session: AsyncSession, text: str) -> DepartmentInfo:
    dept = await find_department(session, text)
    if dept is None:
        hint = await department_hint(session, text)
        raise Refusal(f"未找到部门“{text[:30]}”。{hint}请使用部门代码或简称，可用 /groups 查看。")
    if dept.kind in NOT_DISPATCHABLE:
        raise Refusal(f"{dept.name}不作为责任部门派遣。")
    return dept


async def _open_case(session: AsyncSession, number: str) -> Case:
    """The case a coordinator's command names, locked; a closed case is refused."""
    found = await case_by_number(session, number)
    case = await lock_case(session, found.id)
    _require_open(case)
    return case


async def _add(
    session: AsyncSession,
    env: CaseEnv,
    actor: PersonInfo,
    case: Case,
    dept: DepartmentInfo,
    chat_id: int | None,
    now: datetime,
    kind: EventKind,
    note: str | None = None,
) -> CaseDepartment:
    row = await _row(session, case.id, dept.id)
    if row is not None and row.status != DeptStatus.REMOVED:
        raise Refusal(f"{dept.name}已是 {case.number} 的责任部门。")
    return await _dispatch(
        session, env, case, dept.id, now, kind=kind, actor_id=actor.id, chat_id=chat_id, note=note
    )


async def _remove(
    session: AsyncSession, env: CaseEnv, case: Case, dept: DepartmentInfo, now: datetime
) -> CaseDepartment:
    row = await _row(session, case.id, dept.id)
    if row is None or row.status == DeptStatus.REMOVED:
        raise Refusal(f"{dept.name}不是 {case.number} 的责任部门。")
    row.status = DeptStatus.REMOVED
    row.removed_at = now
    row.next_ping_at = None
    return row


async def _farewell(
    session: AsyncSession,
    env: CaseEnv,
    view: CaseView,
    row: CaseDepartment,
    name: str,
    now: datetime,
) -> None:
    """The removed department's card loses its buttons and says why; a short reply too."""
    card = await _card_row(session, row)
    if card is not None:
        await enqueue(
            session,
            Outgoing(
                kind=OutboxKind.EDIT_TEXT,
                text=cards.removed_card_text(view, name, env.tz),
                target_outbox_id=card.id,
            ),
            chat_id=card.chat_id,
            thread_id=card.thread_id,
            department_id=row.department_id,
            now=now,
        )
    await _to_department_thread(session, row, Outgoing(text=cards.removed_notice(view, name)), now)


async def add_department(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    number: str,
    department: str,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """Coordinator: one more responsible department (dispatched now, its own ladder)."""
    _require_coordinator(actor)
    case = await _open_case(session, number)
    dept = await _dispatchable(session, department)
    row = await _add(session, env, actor, case, dept, chat_id, now, EventKind.DEPT_ADDED)
    return await _send_new_cards(session, env, case, [row], now)


async def remove_department(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    number: str,
    department: str,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """Coordinator: take a department off the case (its ladder stops); one must remain."""
    _require_coordinator(actor)
    case = await _open_case(session, number)
    dept = await _dispatchable(session, department)
    active = [r for r in await _rows(session, case.id) if r.status != DeptStatus.REMOVED]
    if [r.department_id for r in active] == [dept.id]:
        raise Refusal(
            "至少保留一个责任部门。如需改派请用 /case_reassign，如需结案请用 /case_close。"
        )
    row = await _remove(session, env, case, dept, now)
    await record_event(
        session,
        case.id,
        EventKind.DEPT_REMOVED,
        now,
        actor_id=actor.id,
        department_id=dept.id,
        chat_id=chat_id,
    )
    view = await _settle(session, env, case, now)
    await _farewell(session, env, view, row, dept.name, now)
    return view


async def reassign(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    number: str,
    from_department: str,
    to_department: str,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """Coordinator: one department's part goes to another (a fresh dispatch and ladder)."""
    _require_coordinator(actor)
    case = await _open_case(session, number)
    old = await _dispatchable(session, from_department)
    new = await _dispatchable(session, to_department)
    if old.id == new.id:
        raise Refusal("改派前后是同一部门。")
    removed = await _remove(session, env, case, old, now)
    added = await _add(
        session,
        env,
        actor,
        case,
        new,
        chat_id,
        now,
        EventKind.REASSIGNED,
        f"{old.name} → {new.name}",
    )
    view = await _send_new_cards(session, env, case, [added], now)
    await _farewell(session, env, view, removed, old.name, now)
    return view


async def close_case(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    number: str,
    reason: str,
    chat_id: int | None,
    now: datetime,
) -> CaseView:
    """Coordinator: close with a reason; every ladder stops; departments and reporter are told."""
    _require_coordinator(actor)
    reason = reason.strip()[:200]
    if not reason:
        raise Refusal("请写明结案说明，例如：/case_close QS-2026-0042 已现场核实消除")
    case = await _open_case(session, number)
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    case.closed_by = actor.id
    case.close_reason = reason
    await record_event(
        session, case.id, EventKind.CLOSED, now, actor_id=actor.id, chat_id=chat_id, note=reason
    )
    view = await _close_out(session, env, case, now, by_reporter=False)
    if case.reporter_id != actor.id:
        await enqueue(
            session,
            Outgoing(text=f"您上报的隐患 {view.number} 已由协调员结案。结案说明：{escape(reason)}"),
            chat_id=case.reporter_chat_id,
            now=now,
        )
    return view


async def _close_out(
    session: AsyncSession, env: CaseEnv, case: Case, now: datetime, *, by_reporter: bool
) -> CaseView:
    """A case just closed: stop every ladder, edit the cards, tell each department."""
    rows = await _rows(session, case.id)
    for row in rows:
        row.next_ping_at = None
    case.updated_at = now
    view = await refresh_cards(session, env, case, now)
    for row in rows:
        if row.status != DeptStatus.REMOVED:
            await _to_department_thread(
                session, row, Outgoing(text=cards.closed_notice(view, by_reporter=by_reporter)), now
            )
    return view


async def triage_pick(
    session: AsyncSession,
    env: CaseEnv,
    *,
    actor: PersonInfo,
    case_id: int,
    department_id: int,
    chat_id: int | None,
    now: datetime,
) -> tuple[CaseView, bool]:
    """Coordinator presses a department on the triage message: dispatched now (once)."""
    _require_coordinator(actor)
    case = await lock_case(session, case_id)
    _require_open(case)
    dept_row = await _department(session, department_id)
    if dept_row.kind in NOT_DISPATCHABLE or not dept_row.active:
        raise Refusal(f"{dept_row.name}不作为责任部门派遣。")
    row = await _row(session, case.id, department_id)
    if row is not None and row.status != DeptStatus.REMOVED:
        return await view_of(session, case), False
    dept = DepartmentInfo.model_validate(dept_row)
    added = await _add(session, env, actor, case, dept, chat_id, now, EventKind.DISPATCHED)
    return await _send_new_cards(session, env, case, [added], now), True
