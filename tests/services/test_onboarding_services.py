"""Onboarding use cases on both real databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import make_sessions
from bot.settings import DEFAULT_ORG
from models.enums import Role
from models.org import Area, AreaDepartment, Department
from models.people import Invitation
from services.clock import FakeClock
from services.errors import Refusal
from services.groups import bind_group, binding_for_chat, list_bindings, unbind_group
from services.invitations import create_invite, redeem_invite
from services.org_sync import ensure_admins, sync_org
from services.orgconfig import load_org, parse_org
from services.people import person_by_user

ORG = load_org(DEFAULT_ORG)


async def _setup(engine: AsyncEngine, clock: FakeClock):
    sessions = make_sessions(engine)
    async with sessions() as s, s.begin():
        await sync_org(s, ORG, clock.now())
        await ensure_admins(s, ORG, [1001], clock.now())
    async with sessions() as s:
        admin = await person_by_user(s, 1001)
    assert admin is not None and admin.role == Role.COORDINATOR
    return sessions, admin


async def test_sync_is_idempotent_and_keeps_history(engine: AsyncEngine, clock: FakeClock):
    sessions, _ = await _setup(engine, clock)
    async with sessions() as s, s.begin():
        report = await sync_org(s, ORG, clock.now())
    assert (report.added, report.renamed, report.deactivated) == (0, 0, 0)
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Department)) == 11
        assert await s.scalar(select(func.count()).select_from(Area)) == 7
        # the estate 梨花苑小区 inherits 千山社区's four departments
        estate = await s.scalar(select(Area.id).where(Area.key == "qianshan_lihuayuan"))
        n = await s.scalar(
            select(func.count()).select_from(AreaDepartment).where(AreaDepartment.area_id == estate)
        )
        assert n == 4
    # a rename and a removal: the removed department stays, inactive
    text = DEFAULT_ORG.read_text(encoding="utf-8").replace("name: 住建办", "name: 住建物业办")
    text = text.replace(
        "  - key: community_tanggangzi\n    name: 汤岗子社区\n    kind: community\n    parent: social_affairs\n",
        "",
    ).replace("[community_tanggangzi, ", "[")
    changed = parse_org(text)
    async with sessions() as s, s.begin():
        report = await sync_org(s, changed, clock.now())
    assert report.renamed == 1 and report.deactivated == 1
    async with sessions() as s:
        housing = await s.scalar(select(Department).where(Department.key == "housing"))
        gone = await s.scalar(select(Department).where(Department.key == "community_tanggangzi"))
    assert housing is not None and housing.name == "住建物业办"
    assert gone is not None and gone.active is False


async def test_invite_is_single_use_and_expires(engine: AsyncEngine, clock: FakeClock):
    sessions, admin = await _setup(engine, clock)
    async with sessions() as s, s.begin():
        invite = await create_invite(
            s,
            actor=admin,
            role_word="网格员",
            target="梨花苑小区",
            now=clock.now(),
            ttl=timedelta(days=7),
        )
    assert invite.department is not None and invite.department.key == "community_qianshan"
    async with sessions() as s, s.begin():
        person = await redeem_invite(
            s,
            code=invite.code,
            telegram_user_id=2002,
            display_name="网格员甲",
            username=None,
            now=clock.now(),
        )
    assert person.role == Role.GRID_WORKER and [a.key for a in person.areas] == [
        "qianshan_lihuayuan"
    ]
    with pytest.raises(Refusal, match="已被使用"):
        async with sessions() as s, s.begin():
            await redeem_invite(
                s,
                code=invite.code,
                telegram_user_id=2003,
                display_name="x",
                username=None,
                now=clock.now(),
            )
    async with sessions() as s, s.begin():
        late = await create_invite(
            s,
            actor=admin,
            role_word="成员",
            target="housing",
            now=clock.now(),
            ttl=timedelta(days=7),
        )
    clock.advance(days=7, seconds=1)
    with pytest.raises(Refusal, match="已过期"):
        async with sessions() as s, s.begin():
            await redeem_invite(
                s,
                code=late.code,
                telegram_user_id=2004,
                display_name="y",
                username=None,
                now=clock.now(),
            )
    async with sessions() as s:
        unused = await s.scalar(select(Invitation).where(Invitation.code == late.code))
        assert unused is not None and unused.used_at is None
        assert await person_by_user(s, 2004) is None


async def test_bind_moves_and_lists(engine: AsyncEngine, clock: FakeClock):
    sessions, admin = await _setup(engine, clock)
    async with sessions() as s, s.begin():
        first, replaced = await bind_group(
            s,
            actor=admin,
            department_text="住建办",
            chat_id=-100,
            thread_id=None,
            chat_type="group",
            title="住建群",
            now=clock.now(),
        )
    assert replaced is None and first.department.key == "housing"
    with pytest.raises(Refusal, match="已绑定为住建办"):
        async with sessions() as s, s.begin():
            await bind_group(
                s,
                actor=admin,
                department_text="fire_brigade",
                chat_id=-100,
                thread_id=None,
                chat_type="group",
                title="住建群",
                now=clock.now(),
            )
    async with sessions() as s, s.begin():
        _, replaced = await bind_group(
            s,
            actor=admin,
            department_text="housing",
            chat_id=-200,
            thread_id=7,
            chat_type="supergroup",
            title="综合群",
            now=clock.now(),
        )
    assert replaced is not None and replaced.chat_id == -100
    async with sessions() as s:
        assert await binding_for_chat(s, -100, None) is None
        topic = await binding_for_chat(s, -200, 7)
        assert topic is not None and topic.department.key == "housing"
        bound, missing = await list_bindings(s)
    assert [b.department.key for b in bound] == ["housing"]
    assert len(missing) == 10
    async with sessions() as s, s.begin():
        dept = await unbind_group(s, chat_id=-200, thread_id=7, now=clock.now())
    assert dept.key == "housing"


async def test_invite_ends_on_areas_whose_parents_loop_in_the_database(
    engine: AsyncEngine, clock: FakeClock
):
    """Rows that bypassed the org-file check (a parent cycle) must not hang /invite 网格员."""
    sessions, admin = await _setup(engine, clock)
    async with sessions() as s, s.begin():
        rows = {a.key: a for a in await s.scalars(select(Area))}
        estate, other = rows["qianshan_lihuayuan"], rows["qianshan_cuifeng"]
        estate.parent_id, other.parent_id = other.id, estate.id
        await s.execute(
            delete(AreaDepartment).where(AreaDepartment.area_id.in_([estate.id, other.id]))
        )
    async with sessions() as s, s.begin():
        # wait_for turns the old endless walk into a failure instead of a hung suite.
        invite = await asyncio.wait_for(
            create_invite(
                s,
                actor=admin,
                role_word="网格员",
                target="梨花苑小区",
                now=clock.now(),
                ttl=timedelta(days=7),
            ),
            timeout=10,
        )
    assert invite.area is not None and invite.area.key == "qianshan_lihuayuan"
    assert invite.department is None  # no community on the loop: none is guessed
