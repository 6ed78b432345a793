"""Who is who: looking people up, listing and removing them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from difflib import get_close_matches

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.dto import AreaInfo, DepartmentInfo, PersonInfo
from models.org import Area, Department
from models.people import Person, PersonArea
from services.errors import Refusal

UNKNOWN_NAME = "（未知）"


async def person_by_user(session: AsyncSession, telegram_user_id: int) -> PersonInfo | None:
    """The active person behind a Telegram user id, with department and areas: one indexed
    read (the person, its department and its areas joined; one row per area)."""
    found = await _who(session, telegram_user_id)
    return None if found is None else found[1]


async def _who(session: AsyncSession, telegram_user_id: int) -> tuple[Person, PersonInfo] | None:
    rows = (
        await session.execute(
            select(Person, Department, Area)
            .outerjoin(Department, Department.id == Person.department_id)
            .outerjoin(PersonArea, PersonArea.person_id == Person.id)
            .outerjoin(Area, Area.id == PersonArea.area_id)
            .where(Person.telegram_user_id == telegram_user_id, Person.active.is_(True))
            .order_by(Person.id, Area.id)
        )
    ).all()
    if not rows:
        return None
    person, dept = rows[0][0], rows[0][1]
    areas = tuple(AreaInfo.model_validate(row[2]) for row in rows if row[0] is person and row[2])
    info = PersonInfo(
        id=person.id,
        telegram_user_id=person.telegram_user_id,
        display_name=person.display_name,
        role=person.role,
        department=DepartmentInfo.model_validate(dept) if dept else None,
        areas=areas,
    )
    return person, info


async def who_is_asking(
    session: AsyncSession, telegram_user_id: int, display_name: str, username: str | None
) -> PersonInfo | None:
    """Who is asking, on every update: one indexed read; the stored name is kept in step with
    Telegram (admins start with a placeholder) by an UPDATE only when it changed."""
    found = await _who(session, telegram_user_id)
    if found is None:
        return None
    person, info = found
    name = display_name[:128]
    if person.display_name != name or person.username != username:
        person.display_name, person.username = name, username
        info = info.model_copy(update={"display_name": name})
    return info


async def person_names(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, str]:
    """Display names by person id, in one query (None and unknown ids are left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(wanted))
    )
    return dict(rows.tuples().all())


async def person_name(session: AsyncSession, person_id: int | None) -> str:
    """One person's display name; （未知） for nobody or a row that is gone."""
    if person_id is None:
        return UNKNOWN_NAME
    return (await person_names(session, [person_id])).get(person_id, UNKNOWN_NAME)


async def to_info(session: AsyncSession, person: Person) -> PersonInfo:
    dept = await session.get(Department, person.department_id) if person.department_id else None
    areas = await session.scalars(
        select(Area)
        .join(PersonArea, PersonArea.area_id == Area.id)
        .where(PersonArea.person_id == person.id)
        .order_by(Area.id)
    )
    return PersonInfo(
        id=person.id,
        telegram_user_id=person.telegram_user_id,
        display_name=person.display_name,
        role=person.role,
        department=DepartmentInfo.model_validate(dept) if dept else None,
        areas=tuple(AreaInfo.model_validate(a) for a in areas),
    )


async def list_people(session: AsyncSession) -> list[PersonInfo]:
    rows = await session.scalars(
        select(Person).where(Person.active.is_(True)).order_by(Person.department_id, Person.id)
    )
    return [await to_info(session, p) for p in rows]


async def remove_person(
    session: AsyncSession, *, actor: PersonInfo, person_id: int, now: datetime
) -> PersonInfo:
    """Deactivate a person (history stays); coordinators cannot remove themselves."""
    person = await session.get(Person, person_id)
    if person is None or not person.active:
        raise Refusal(f"未找到编号为 {person_id} 的人员，请用 /people 查看人员编号。")
    if person.id == actor.id:
        raise Refusal("不能移除自己。如需变更，请由其他协调员操作。")
    person.active = False
    person.removed_at = now
    person.removed_by = actor.id
    await session.flush()
    return await to_info(session, person)


async def find_department(session: AsyncSession, text: str) -> DepartmentInfo | None:
    """A department by key or by Chinese name (short or full)."""
    text = text.strip()
    row = await session.scalar(
        select(Department).where(
            Department.active.is_(True),
            (Department.key == text) | (Department.name == text) | (Department.full_name == text),
        )
    )
    return DepartmentInfo.model_validate(row) if row else None


async def department_hint(session: AsyncSession, text: str) -> str:
    """For a department not found: `您是否要找：住建办（housing）？` from near misses, or ""."""
    typed = text.strip().lower()
    if not typed:
        return ""
    rows = list(await session.scalars(select(Department).where(Department.active.is_(True))))
    names = {d.key: d for d in rows} | {d.name: d for d in rows}
    close = set(get_close_matches(typed, list(names), n=3, cutoff=0.6))
    close |= {d.name for d in rows if typed in d.name or typed in d.key or d.name in typed}
    found = sorted({names[c].id: names[c] for c in close}.values(), key=lambda d: d.id)[:3]
    if not found:
        return ""
    return "您是否要找：" + "、".join(f"{d.name}（{d.key}）" for d in found) + "？"


async def find_area(session: AsyncSession, text: str) -> AreaInfo | None:
    text = text.strip()
    row = await session.scalar(
        select(Area).where(Area.active.is_(True), (Area.key == text) | (Area.name == text))
    )
    return AreaInfo.model_validate(row) if row else None


async def list_departments(session: AsyncSession) -> list[DepartmentInfo]:
    rows = await session.scalars(
        select(Department).where(Department.active.is_(True)).order_by(Department.id)
    )
    return [DepartmentInfo.model_validate(r) for r in rows]


async def is_registered(session: AsyncSession, telegram_user_id: int) -> bool:
    """Whether an active person has this Telegram user id (one indexed look-up)."""
    found = await session.scalar(
        select(Person.id)
        .where(Person.telegram_user_id == telegram_user_id, Person.active.is_(True))
        .limit(1)
    )
    return found is not None
