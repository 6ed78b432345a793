"""Which departments answer a hazard: category × area, as the org file says."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import DepartmentInfo
from models.enums import DepartmentKind
from models.org import Area, Department
from models.orgfile import OrgFile
from services.org_sync import responsible_keys

# Departments that never take a case themselves: they triage and are escalated to.
NOT_DISPATCHABLE = frozenset({DepartmentKind.COORDINATOR, DepartmentKind.LEADING_GROUP})


def route_keys(org: OrgFile, category_key: str, area_key: str) -> list[str]:
    """Department keys for a category in an area, in the category's order (no duplicates).

    A route naming a kind picks the area's responsible departments of that kind (inherited
    from parent areas). A route naming a department key picks that department wherever the
    hazard is. When a word is both (e.g. `housing`), the area's own department of that kind
    wins, so an area with its own housing office gets it.
    """
    category = org.category(category_key)
    if category is None:
        return []
    responsible = responsible_keys(org, area_key)
    keys: list[str] = []
    for route in category.routes:
        by_kind = [
            k
            for k in responsible
            if (spec := org.department(k)) is not None and spec.kind.value == route
        ]
        if by_kind:
            picked = by_kind
        elif org.department(route) is not None:
            picked = [route]
        else:
            picked = []
        keys.extend(k for k in picked if k not in keys)
    return keys


async def route_departments(
    session: AsyncSession, org: OrgFile, category_key: str, area_id: int
) -> list[DepartmentInfo]:
    """The active departments responsible for this category in this area; empty: triage."""
    area_key = await session.scalar(select(Area.key).where(Area.id == area_id))
    if area_key is None:
        return []
    keys = route_keys(org, category_key, area_key)
    if not keys:
        return []
    rows = {
        d.key: d
        for d in await session.scalars(
            select(Department).where(Department.key.in_(keys), Department.active.is_(True))
        )
    }
    return [
        DepartmentInfo.model_validate(rows[k])
        for k in keys
        if k in rows and rows[k].kind not in NOT_DISPATCHABLE
    ]


async def triage_candidates(
    session: AsyncSession, org: OrgFile, area_id: int
) -> list[DepartmentInfo]:
    """Departments a coordinator may choose for a case: the area's own first, then the rest."""
    area_key = await session.scalar(select(Area.key).where(Area.id == area_id))
    own = responsible_keys(org, area_key) if area_key else []
    rows = list(
        await session.scalars(
            select(Department)
            .where(Department.active.is_(True), Department.kind.not_in(NOT_DISPATCHABLE))
            .order_by(Department.id)
        )
    )
    rows.sort(key=lambda d: (own.index(d.key) if d.key in own else len(own), d.id))
    return [DepartmentInfo.model_validate(d) for d in rows]
