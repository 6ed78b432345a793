"""Typed views of rows that leave the services (rows themselves never do)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from models.enums import ROLE_LABELS, AreaKind, DepartmentKind, Role


class DepartmentInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    key: str
    name: str
    kind: DepartmentKind


class AreaInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    key: str
    name: str
    kind: AreaKind


class PersonInfo(BaseModel):
    """Who is asking: role, department and areas."""

    model_config = ConfigDict(frozen=True)

    id: int
    telegram_user_id: int
    display_name: str
    role: Role
    department: DepartmentInfo | None
    areas: tuple[AreaInfo, ...] = ()

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def belongs_to(self, department_id: int) -> bool:
        return self.department is not None and self.department.id == department_id


class BindingInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    department: DepartmentInfo
    chat_id: int
    thread_id: int | None
    title: str | None
    bound_at: datetime
    unreachable_at: datetime | None = None
    unreachable_reason: str | None = None


class InviteInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    role: Role
    department: DepartmentInfo | None
    area: AreaInfo | None
    expires_at: datetime
