"""Bring the departments and areas tables in line with the org file (additions and renames)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import DepartmentKind, Role
from models.org import Area, AreaDepartment, Department
from models.orgfile import OrgFile
from models.people import Person


@dataclass(frozen=True)
class SyncReport:
    added: int
    renamed: int
    deactivated: int


async def sync_org(session: AsyncSession, org: OrgFile, now: datetime) -> SyncReport:
    """Upsert departments, areas and responsibilities; rows gone from the file become inactive."""
    added = renamed = deactivated = 0
    depts = {d.key: d for d in await session.scalars(select(Department))}
    for spec in org.departments:
        row = depts.get(spec.key)
        if row is None:
            row = Department(key=spec.key, name=spec.name, kind=spec.kind, synced_at=now)
            session.add(row)
            depts[spec.key] = row
            added += 1
        elif row.name != spec.name or row.kind != spec.kind or not row.active:
            renamed += 1
        row.name, row.full_name, row.kind, row.active = (
            spec.name,
            spec.full_name,
            spec.kind,
            True,
        )
        row.synced_at = now
    in_file = {d.key for d in org.departments}
    for key, row in depts.items():
        if key not in in_file and row.active:
            row.active = False
            deactivated += 1
    await session.flush()
    for spec in org.departments:
        depts[spec.key].parent_id = depts[spec.parent].id if spec.parent else None

    areas = {a.key: a for a in await session.scalars(select(Area))}
    for aspec in org.areas:
        area = areas.get(aspec.key)
        if area is None:
            area = Area(key=aspec.key, name=aspec.name, kind=aspec.kind, synced_at=now)
            session.add(area)
            areas[aspec.key] = area
            added += 1
        elif area.name != aspec.name or not area.active:
            renamed += 1
        area.name, area.kind, area.active, area.synced_at = (
            aspec.name,
            aspec.kind,
            True,
            now,
        )
    area_keys = {a.key for a in org.areas}
    for key, area in areas.items():
        if key not in area_keys and area.active:
            area.active = False
            deactivated += 1
    await session.flush()
    for aspec in org.areas:
        areas[aspec.key].parent_id = areas[aspec.parent].id if aspec.parent else None

    # Responsibilities are pure configuration (no history hangs on them): replace them.
    existing = {
        (r.area_id, r.department_id): r for r in await session.scalars(select(AreaDepartment))
    }
    wanted = {
        (areas[a.key].id, depts[k].id) for a in org.areas for k in responsible_keys(org, a.key)
    }
    for pair, link in existing.items():
        if pair not in wanted:
            await session.delete(link)
    for area_id, dept_id in wanted - existing.keys():
        session.add(AreaDepartment(area_id=area_id, department_id=dept_id))
    await session.flush()
    return SyncReport(added=added, renamed=renamed, deactivated=deactivated)


def responsible_keys(org: OrgFile, area_key: str) -> list[str]:
    """Departments responsible for an area: its own plus those inherited from its parents."""
    keys: list[str] = []
    area = org.area(area_key)
    seen: set[str] = set()
    while area is not None and area.key not in seen:
        seen.add(area.key)
        keys.extend(k for k in area.departments if k not in keys)
        area = org.area(area.parent) if area.parent else None
    return keys


async def ensure_admins(
    session: AsyncSession, org: OrgFile, user_ids: Iterable[int], now: datetime
) -> int:
    """Make every FIREGRID_ADMINS user a coordinator (created if unknown). Returns how many changed."""
    office_key = next(d.key for d in org.departments if d.kind == DepartmentKind.COORDINATOR)
    office_id = await session.scalar(select(Department.id).where(Department.key == office_key))
    changed = 0
    for uid in user_ids:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == uid))
        if person is None:
            session.add(
                Person(
                    telegram_user_id=uid,
                    display_name=f"协调员{uid}",
                    role=Role.COORDINATOR,
                    department_id=office_id,
                    joined_at=now,
                )
            )
            changed += 1
        elif person.role != Role.COORDINATOR or not person.active:
            person.role, person.department_id, person.active = Role.COORDINATOR, office_id, True
            person.removed_at = None
            changed += 1
    await session.flush()
    return changed
