"""Typed views of cases that leave the services (for cards, queries and handlers)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from models.cases import CaseStatus, DeptStatus, EventKind


class _Dto(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeptLine(_Dto):
    """One department's part in a case."""

    department_id: int
    key: str
    name: str
    status: DeptStatus
    dispatched_at: datetime
    ladder_started_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None
    acked_on_behalf: bool = False  # 代为报到 by a coordinator
    arrived_at: datetime | None = None  # 到场打卡
    arrived_by: str | None = None
    arrive_distance_m: int | None = None  # None: the case has no pin
    arrive_due_at: datetime | None = None  # on site by then (None: no arrival deadline)
    resolve_due_at: datetime | None = None  # 处置时限 (set at 报到)
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    note: str | None = None
    escalations: int = 0
    has_card: bool = False


class CaseView(_Dto):
    """Everything a card, a timeline line or a reply needs to say about a case."""

    id: int
    number: str
    category_key: str
    category_name: str
    area_id: int
    area_label: str  # "千山社区 · 梨花苑小区"
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    description: str
    urgent: bool
    reporter_id: int
    reporter_name: str
    reporter_role: str
    reporter_unit: str | None = None
    reporter_chat_id: int
    status: CaseStatus
    created_at: datetime
    dispatched_at: datetime | None = None
    verify_asked_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = None
    reopen_count: int = 0
    departments: tuple[DeptLine, ...] = ()
    photos: tuple[str, ...] = ()

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def active_departments(self) -> tuple[DeptLine, ...]:
        return tuple(d for d in self.departments if d.status != DeptStatus.REMOVED)

    def department(self, department_id: int) -> DeptLine | None:
        return next((d for d in self.departments if d.department_id == department_id), None)

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class EventLine(_Dto):
    """One line of a case's timeline."""

    kind: EventKind
    at: datetime
    actor: str | None = None
    department: str | None = None
    chat_id: int | None = None
    note: str | None = None


class AckResult(_Dto):
    """The answer to a 报到 press: recorded now, or already recorded by someone."""

    recorded: bool
    on_behalf: bool = False
    department: str
    acked_at: datetime
    acked_by: str | None
    case_number: str


class ArrivalResult(_Dto):
    """The answer to a shared location: recorded, to be confirmed (too far), or already done."""

    recorded: bool
    needs_confirm: bool = False  # farther than the radius: ask before recording
    department: str
    case_number: str
    arrived_at: datetime | None = None
    arrived_by: str | None = None
    distance_m: int | None = None  # None: the case has no pin
    radius_m: int


class OpenCaseLine(_Dto):
    """One open case in a department's /open list or a reporter's /mycases list."""

    case_id: int
    number: str
    category_name: str
    area_label: str
    urgent: bool
    status: CaseStatus
    dept_status: DeptStatus | None = None
    created_at: datetime
    since: datetime  # dispatched (or whistled) at: the age is counted from here
    # The earliest 处置时限 of a department that reported and has not resolved (None: none).
    resolve_due_at: datetime | None = None
