"""Departments and areas, synced from the org file (rows with history are never deleted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, state_column
from models.enums import AreaKind, DepartmentKind


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[DepartmentKind] = mapped_column(state_column(DepartmentKind, 24))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[AreaKind] = mapped_column(state_column(AreaKind, 24))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    active: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AreaDepartment(Base):
    """Department responsible for an area (包保), as declared in the org file."""

    __tablename__ = "area_departments"
    __table_args__ = (UniqueConstraint("area_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
