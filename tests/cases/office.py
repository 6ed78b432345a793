"""A small office on a real database for the case service tests: people, groups, a runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db import make_sessions
from bot.settings import DEFAULT_ORG
from models.chats import BoundChat
from models.dto import PersonInfo
from models.enums import Role
from models.org import Area, Department
from models.outbox import OutboxKind, OutboxMessage
from models.people import Person, PersonArea
from services.cases.draft import WhistleDraft
from services.cases.env import CaseEnv
from services.clock import FakeClock
from services.org_sync import ensure_admins, sync_org
from services.orgconfig import load_org
from services.people import person_by_user
from services.runtime import Runtime
from services.workdays import WorkdayCalendar

ORG = load_org(DEFAULT_ORG)
CAL = WorkdayCalendar.build(max_package_year=2026)
COORDINATOR = 1001
GRID = 3001
# Department key -> (Telegram user id of a member, group chat id).
MEMBERS = {
    "police_station_qianshan": (4001, -100401),
    "housing": (4002, -100402),
    "community_qianshan": (4003, -100403),
    "fire_brigade": (4004, -100404),
    "leading_group": (4005, -100405),
}
OTHER_HOUSING = 4012  # a second member of 住建办


@dataclass
class Office:
    """Handles on the office: sessions, the runtime, and the people by role."""

    rt: Runtime
    env: CaseEnv
    clock: FakeClock
    people: dict[int, PersonInfo] = field(default_factory=dict)
    dept_ids: dict[str, int] = field(default_factory=dict)
    area_ids: dict[str, int] = field(default_factory=dict)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[AsyncSession]:
        async with self.rt.transaction() as session:
            yield session

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def coordinator(self) -> PersonInfo:
        return self.people[COORDINATOR]

    @property
    def grid(self) -> PersonInfo:
        return self.people[GRID]

    def member(self, dept_key: str) -> PersonInfo:
        return self.people[MEMBERS[dept_key][0]]

    def group(self, dept_key: str) -> int:
        return MEMBERS[dept_key][1]

    def draft(
        self, category: str = "fire_lane", area: str = "qianshan_lihuayuan", **kw: object
    ) -> WhistleDraft:
        values: dict[str, object] = {
            "category_key": category,
            "area_id": self.area_ids[area],
            "address": "3号楼东侧",
            "latitude": 41.0,
            "longitude": 123.1,
            "place_done": True,
            "photos": ["photo-a", "photo-b"],
            "photos_done": True,
            "description": "消防通道被三辆货车堵塞，已持续一天。",
            "urgent": True,
            "duplicate_checked": True,
        }
        values.update(kw)
        return WhistleDraft.model_validate(values)

    async def outbox(self, **where: object) -> list[OutboxMessage]:
        async with self.tx() as s:
            stmt = select(OutboxMessage).order_by(OutboxMessage.id)
            for name, value in where.items():
                stmt = stmt.where(getattr(OutboxMessage, name) == value)
            return list(await s.scalars(stmt))

    async def texts(self, chat_id: int, kind: OutboxKind = OutboxKind.TEXT) -> list[str]:
        return [m.text or "" for m in await self.outbox(chat_id=chat_id, kind=kind)]


async def build_office(engine: AsyncEngine, clock: FakeClock, *, bind_all: bool = True) -> Office:
    """Org synced, a coordinator, a grid worker of 梨花苑小区, a member per department, groups."""
    sessions = make_sessions(engine)
    rt = Runtime(sessions=sessions, org=ORG, clock=clock, calendar=CAL)
    office = Office(rt=rt, env=CaseEnv.of(rt), clock=clock)
    now = clock.now()
    async with office.tx() as s:
        await sync_org(s, ORG, now)
        await ensure_admins(s, ORG, [COORDINATOR], now)
        office.dept_ids = {d.key: d.id for d in await s.scalars(select(Department))}
        office.area_ids = {a.key: a.id for a in await s.scalars(select(Area))}
        grid = Person(
            telegram_user_id=GRID,
            display_name="李某",
            role=Role.GRID_WORKER,
            department_id=office.dept_ids["community_qianshan"],
            joined_at=now,
        )
        s.add(grid)
        await s.flush()
        s.add(PersonArea(person_id=grid.id, area_id=office.area_ids["qianshan_lihuayuan"]))
        users = [(uid, key, f"成员{uid}") for key, (uid, _) in MEMBERS.items()]
        users.append((OTHER_HOUSING, "housing", "钱某"))
        for uid, key, name in users:
            s.add(
                Person(
                    telegram_user_id=uid,
                    display_name=name,
                    role=Role.LEADER if key == "leading_group" else Role.MEMBER,
                    department_id=office.dept_ids[key],
                    joined_at=now,
                )
            )
            if bind_all and uid in {u for u, _ in MEMBERS.values()}:
                s.add(
                    BoundChat(
                        department_id=office.dept_ids[key],
                        chat_id=MEMBERS[key][1],
                        chat_type="supergroup",
                        title=f"{key}群",
                        bound_at=now,
                    )
                )
    async with office.tx() as s:
        for uid in [COORDINATOR, GRID, OTHER_HOUSING, *(u for u, _ in MEMBERS.values())]:
            info = await person_by_user(s, uid)
            assert info is not None
            office.people[uid] = info
    return office
