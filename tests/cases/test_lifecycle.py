"""Case use cases on both real databases: dispatch, 报到, 处置, 核查, coordinators, triage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from models.cases import Case, CaseDepartment, CaseEvent, CaseStatus, DeptStatus, EventKind
from models.outbox import OutboxKind
from services.cases import lifecycle as lc
from services.cases.queries import case_timeline, my_cases, open_for_chat
from services.clock import FakeClock
from services.errors import Refusal
from tests.cases.office import COORDINATOR, OTHER_HOUSING, Office, build_office

ROUTED = ["police_station_qianshan", "housing", "community_qianshan"]


@pytest.fixture
async def office(engine: AsyncEngine, clock: FakeClock) -> Office:
    return await build_office(engine, clock)


async def submit(office: Office, **kw: object):
    async with office.tx() as s:
        return await lc.submit_whistle(
            s,
            office.env,
            actor=office.grid,
            draft=office.draft(**kw),
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )


async def rows(office: Office, case_id: int) -> dict[int, CaseDepartment]:
    async with office.tx() as s:
        found = await s.scalars(select(CaseDepartment).where(CaseDepartment.case_id == case_id))
        return {r.department_id: r for r in found}


async def status(office: Office, case_id: int) -> CaseStatus:
    async with office.tx() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        return CaseStatus(case.status)


async def ack(office: Office, case_id: int, key: str, user: int | None = None):
    person = office.people[user] if user else office.member(key)
    async with office.tx() as s:
        return await lc.acknowledge(
            s,
            office.env,
            actor=person,
            case_id=case_id,
            department_id=office.dept_ids[key],
            chat_id=office.group(key),
            now=office.now(),
        )


async def resolve(office: Office, case_id: int, key: str, note: str = "已清理通道") -> None:
    async with office.tx() as s:
        await lc.resolve(
            s,
            office.env,
            actor=office.member(key),
            case_id=case_id,
            department_id=office.dept_ids[key],
            note=note,
            photos=["after-1"],
            chat_id=office.member(key).telegram_user_id,
            now=office.now(),
        )


async def test_whistle_is_numbered_routed_and_dispatched_with_photos_and_pin(office: Office):
    view = await submit(office)
    assert view.number == "QS-2026-0001"
    assert [d.key for d in view.departments] == ROUTED
    assert view.status == CaseStatus.DISPATCHED
    for key in ROUTED:
        sent = await office.outbox(chat_id=office.group(key))
        assert [m.kind for m in sent] == [
            OutboxKind.TEXT,
            OutboxKind.MEDIA_GROUP,
            OutboxKind.LOCATION,
        ]
        card, media, pin = sent
        assert card.text is not None and card.text.startswith("【紧急】消防隐患 QS-2026-0001")
        assert "地点：千山社区 · 梨花苑小区 3号楼东侧（位置见地图）" in card.text
        assert "上报：网格员 李某（千山社区） 11月30日 09:00" in card.text
        assert "千山派出所 ⏳ 待报到 · 住建办 ⏳ 待报到 · 千山社区 ⏳ 待报到" in card.text
        data = office.dept_ids[key]
        assert card.buttons == [[{"label": "报到", "data": f"c:ack:{view.id}:{data}"}]]
        assert media.media == ["photo-a", "photo-b"] and media.reply_to_outbox_id == card.id
        assert pin.location == {"latitude": 41.0, "longitude": 123.1}
        assert pin.reply_to_outbox_id == card.id
    second = await submit(office, category="wiring")
    assert second.number == "QS-2026-0002"
    assert [d.key for d in second.departments] == ["housing", "community_qianshan"]
    # the ladder state is in the row
    state = await rows(office, view.id)
    housing = state[office.dept_ids["housing"]]
    assert housing.ladder_key == "urgent" and housing.step == 0
    assert housing.next_ping_at == office.now() + timedelta(minutes=10)
    assert housing.ack_due_at == office.now() + timedelta(minutes=30)


async def test_one_photo_is_sent_as_a_photo_and_no_pin_without_location(office: Office):
    view = await submit(office, photos=["only"], latitude=None, longitude=None, urgent=False)
    sent = await office.outbox(chat_id=office.group("housing"))
    assert [m.kind for m in sent] == [OutboxKind.TEXT, OutboxKind.PHOTO]
    assert sent[0].text is not None and sent[0].text.startswith("【一般】")
    assert "（位置见地图）" not in sent[0].text
    assert (await rows(office, view.id))[office.dept_ids["housing"]].ladder_key == "normal"


async def test_department_without_group_is_forwarded_to_coordinators(
    engine: AsyncEngine, clock: FakeClock
):
    office = await build_office(engine, clock, bind_all=False)
    view = await submit(office, category="facilities")  # fire_brigade, housing
    texts = await office.texts(COORDINATOR)
    assert len(texts) == 2 and all("【转送】" in t for t in texts)
    assert all(not r.card_outbox_id for r in (await rows(office, view.id)).values())


async def test_only_members_acknowledge_and_the_first_press_counts(office: Office):
    view = await submit(office)
    housing = office.dept_ids["housing"]
    before = await office.outbox()
    not_member = "该按钮仅限住建办成员操作"
    grid_worker = "报到由责任部门的部门成员或负责人操作；网格员负责吹哨上报和核查。"
    for intruder, refusal in (
        (office.member("fire_brigade"), not_member),
        (office.grid, grid_worker),  # defect 10: not "仅限住建办成员" (the grid worker's own)
        (office.coordinator, not_member),
    ):
        with pytest.raises(Refusal, match=refusal):
            async with office.tx() as s:
                await lc.acknowledge(
                    s,
                    office.env,
                    actor=intruder,
                    case_id=view.id,
                    department_id=housing,
                    chat_id=office.group("housing"),
                    now=office.now(),
                )
    assert (await rows(office, view.id))[housing].status == DeptStatus.PENDING
    assert len(await office.outbox()) == len(before)

    office.clock.advance(minutes=6)
    first = await ack(office, view.id, "housing")
    assert first.recorded and first.acked_by == "成员4002"
    office.clock.advance(minutes=1)
    again = await ack(office, view.id, "housing", user=OTHER_HOUSING)
    assert not again.recorded and again.acked_by == "成员4002"
    assert again.acked_at == first.acked_at
    row = (await rows(office, view.id))[housing]
    assert row.status == DeptStatus.ACKED and row.next_ping_at is None
    async with office.tx() as s:
        acks = await s.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == EventKind.ACKED)
        )
    assert acks == 1
    # every card was edited once: housing's now offers 到场打卡 and 处置完成, the others 报到
    edits = await office.outbox(kind=OutboxKind.EDIT_TEXT)
    assert len(edits) == 3
    by_chat = {e.chat_id: e for e in edits}
    assert "住建办 ✅ 09:06 已报到" in (by_chat[office.group("housing")].text or "")
    assert by_chat[office.group("housing")].buttons == [
        [
            {"label": "到场打卡", "data": f"c:arr:{view.id}:{housing}"},
            {"label": "处置完成", "data": f"c:res:{view.id}:{housing}"},
        ]
    ]
    assert by_chat[office.group("community_qianshan")].buttons[0][0]["label"] == "报到"


async def test_forged_ids_are_refused(office: Office):
    view = await submit(office)
    with pytest.raises(Refusal):
        async with office.tx() as s:
            await lc.acknowledge(
                s,
                office.env,
                actor=office.member("fire_brigade"),
                case_id=view.id,
                department_id=office.dept_ids["fire_brigade"],  # not on this case
                chat_id=office.group("fire_brigade"),
                now=office.now(),
            )
    with pytest.raises(Refusal):
        async with office.tx() as s:
            await lc.acknowledge(
                s,
                office.env,
                actor=office.member("housing"),
                case_id=999,
                department_id=office.dept_ids["housing"],
                chat_id=None,
                now=office.now(),
            )


async def test_full_loop_resolve_verify_close(office: Office):
    view = await submit(office, category="wiring")  # housing, community_qianshan
    with pytest.raises(Refusal, match="尚未报到"):
        await resolve(office, view.id, "housing")
    await ack(office, view.id, "housing")
    await ack(office, view.id, "community_qianshan")
    assert await status(office, view.id) == CaseStatus.IN_PROGRESS
    office.clock.advance(hours=1)
    with pytest.raises(Refusal, match="该按钮仅限住建办成员操作"):
        async with office.tx() as s:
            await lc.resolve(
                s,
                office.env,
                actor=office.member("fire_brigade"),
                case_id=view.id,
                department_id=office.dept_ids["housing"],
                note="冒名处置",
                photos=[],
                chat_id=None,
                now=office.now(),
            )
    await resolve(office, view.id, "housing", "已拆除私接电线")
    with pytest.raises(Refusal, match="已提交过"):
        await resolve(office, view.id, "housing")
    assert await status(office, view.id) == CaseStatus.IN_PROGRESS
    await resolve(office, view.id, "community_qianshan", "已张贴告知书")
    assert await status(office, view.id) == CaseStatus.VERIFYING
    to_reporter = await office.outbox(chat_id=office.grid.telegram_user_id)
    assert [m.kind for m in to_reporter] == [OutboxKind.MEDIA_GROUP, OutboxKind.TEXT]
    ask = to_reporter[-1]
    assert ask.text is not None and "【请核查】" in ask.text and "已拆除私接电线" in ask.text
    assert ask.buttons == [
        [
            {"label": "已消除", "data": f"c:vok:{view.id}"},
            {"label": "未消除", "data": f"c:vno:{view.id}"},
        ]
    ]
    with pytest.raises(Refusal, match="仅上报人或协调员"):
        async with office.tx() as s:
            await lc.verify(
                s,
                office.env,
                actor=office.member("housing"),
                case_id=view.id,
                chat_id=None,
                now=office.now(),
            )
    async with office.tx() as s:
        closed = await lc.verify(
            s,
            office.env,
            actor=office.grid,
            case_id=view.id,
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )
    assert closed.status == CaseStatus.CLOSED
    group = await office.texts(office.group("housing"))
    assert "经核查隐患已消除，本案已结案" in group[-1]
    housing_edits = await office.outbox(chat_id=office.group("housing"), kind=OutboxKind.EDIT_TEXT)
    last_edit = housing_edits[-1]
    assert "状态：已结案（11月30日 10:00）" in (last_edit.text or "")
    assert last_edit.buttons is None
    async with office.tx() as s:
        _, events = await case_timeline(s, actor=office.grid, number="qs-2026-1")
    kinds = [e.kind for e in events]
    assert kinds[0] == EventKind.WHISTLED and kinds[-2:] == [EventKind.VERIFIED, EventKind.CLOSED]
    assert kinds.count(EventKind.DISPATCHED) == 2 and kinds.count(EventKind.RESOLVED) == 2


async def test_reopen_restarts_the_ladder_of_departments_that_resolved(office: Office):
    view = await submit(office, category="wiring")
    for key in ("housing", "community_qianshan"):
        await ack(office, view.id, key)
        await resolve(office, view.id, key)
    office.clock.advance(hours=2)
    async with office.tx() as s:
        reopened = await lc.reopen(
            s,
            office.env,
            actor=office.grid,
            case_id=view.id,
            reason="货车仍停在通道内",
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )
    assert reopened.status == CaseStatus.DISPATCHED and reopened.reopen_count == 1
    for row in (await rows(office, view.id)).values():
        assert row.status == DeptStatus.PENDING and row.ladder_round == 1
        assert row.ladder_started_at == office.now()
        assert row.next_ping_at == office.now() + timedelta(minutes=10)
        assert row.first_acked_at is not None and row.acked_at is None
    notice = (await office.outbox(chat_id=office.group("housing")))[-1]
    assert "【核查未通过】" in (notice.text or "") and "货车仍停在通道内" in (notice.text or "")
    assert notice.reply_to_outbox_id is not None
    with pytest.raises(Refusal, match="暂不能核查"):
        async with office.tx() as s:
            await lc.verify(
                s, office.env, actor=office.grid, case_id=view.id, chat_id=None, now=office.now()
            )


async def test_unroutable_case_goes_to_triage(office: Office):
    view = await submit(office, category="other")
    assert view.status == CaseStatus.TRIAGE and view.departments == ()
    ask = (await office.outbox(chat_id=COORDINATOR))[-1]
    assert ask.text is not None and ask.text.startswith("【待分派】QS-2026-0001 其他")
    labels = [b["label"] for row in ask.buttons or [] for b in row]
    assert labels[:4] == ["千山社区", "千山派出所", "消防大队", "住建办"]
    assert "三级办" not in labels and "领导小组" not in labels
    with pytest.raises(Refusal, match="仅限协调员"):
        async with office.tx() as s:
            await lc.triage_pick(
                s,
                office.env,
                actor=office.grid,
                case_id=view.id,
                department_id=office.dept_ids["housing"],
                chat_id=None,
                now=office.now(),
            )
    for expected in (True, False):
        async with office.tx() as s:
            picked, added = await lc.triage_pick(
                s,
                office.env,
                actor=office.coordinator,
                case_id=view.id,
                department_id=office.dept_ids["housing"],
                chat_id=COORDINATOR,
                now=office.now(),
            )
        assert added is expected
    assert picked.status == CaseStatus.DISPATCHED
    assert len(await office.outbox(chat_id=office.group("housing"), kind=OutboxKind.TEXT)) == 1


async def test_coordinator_adds_removes_reassigns_and_closes(office: Office):
    view = await submit(office, category="wiring")
    number = view.number

    async def call(fn, **kw):
        async with office.tx() as s:
            return await fn(
                s,
                office.env,
                actor=office.coordinator,
                number=number,
                chat_id=COORDINATOR,
                now=office.now(),
                **kw,
            )

    with pytest.raises(Refusal, match="已是"):
        await call(lc.add_department, department="住建办")
    added = await call(lc.add_department, department="fire_brigade")
    assert [d.key for d in added.active_departments] == [
        "housing",
        "community_qianshan",
        "fire_brigade",
    ]
    removed = await call(lc.remove_department, department="消防大队")
    assert [d.key for d in removed.active_departments] == ["housing", "community_qianshan"]
    fire_row = (await rows(office, view.id))[office.dept_ids["fire_brigade"]]
    assert fire_row.status == DeptStatus.REMOVED and fire_row.next_ping_at is None
    fire_texts = await office.texts(office.group("fire_brigade"))
    assert "不再由消防大队负责" in fire_texts[-1]
    moved = await call(
        lc.reassign, from_department="community_qianshan", to_department="police_station_qianshan"
    )
    assert [d.key for d in moved.active_departments] == ["housing", "police_station_qianshan"]
    await call(lc.remove_department, department="housing")
    with pytest.raises(Refusal, match="至少保留一个责任部门"):
        await call(lc.remove_department, department="千山派出所")
    with pytest.raises(Refusal, match="结案说明"):
        await call(lc.close_case, reason="  ")
    closed = await call(lc.close_case, reason="已现场核实消除")
    assert closed.status == CaseStatus.CLOSED and closed.close_reason == "已现场核实消除"
    assert all(r.next_ping_at is None for r in (await rows(office, view.id)).values())
    assert "已由协调员结案" in (await office.texts(office.grid.telegram_user_id))[-1]
    with pytest.raises(Refusal, match="已结案"):
        await call(lc.add_department, department="fire_brigade")
    async with office.tx() as s:
        _, events = await case_timeline(s, actor=office.coordinator, number=number)
    assert [e.kind for e in events if e.kind in (EventKind.REASSIGNED,)] == [EventKind.REASSIGNED]
    assert next(e.note for e in events if e.kind == EventKind.REASSIGNED) == "千山社区 → 千山派出所"
    # not a coordinator: refused
    with pytest.raises(Refusal, match="仅限协调员"):
        async with office.tx() as s:
            await lc.close_case(
                s,
                office.env,
                actor=office.grid,
                number=number,
                reason="x",
                chat_id=None,
                now=office.now(),
            )


async def test_duplicate_is_found_within_24_hours_and_supplement_reaches_groups(office: Office):
    view = await submit(office)
    async with office.tx() as s:
        found = await lc.find_duplicate(
            s, category_key="fire_lane", area_id=view.area_id, now=office.now()
        )
        other = await lc.find_duplicate(
            s, category_key="ebike", area_id=view.area_id, now=office.now()
        )
    assert found is not None and found.id == view.id and other is None
    async with office.tx() as s:
        await lc.supplement_case(
            s,
            office.env,
            actor=office.grid,
            case_id=view.id,
            text="又来了一辆货车",
            photos=["more-1"],
            chat_id=office.grid.telegram_user_id,
            now=office.now(),
        )
    sent = await office.outbox(chat_id=office.group("housing"))
    assert [m.kind for m in sent[-2:]] == [OutboxKind.TEXT, OutboxKind.PHOTO]
    assert (
        "【补充】QS-2026-0001" in (sent[-2].text or "")
        and sent[-2].reply_to_outbox_id == sent[0].id
    )
    office.clock.advance(hours=24, minutes=1)
    async with office.tx() as s:
        late = await lc.find_duplicate(
            s, category_key="fire_lane", area_id=view.area_id, now=office.now()
        )
    assert late is None


async def test_queries_mycases_open_and_read_rights(office: Office):
    view = await submit(office)
    await submit(office, category="debris", urgent=False)
    await ack(office, view.id, "housing")
    office.clock.advance(hours=2, minutes=15)
    async with office.tx() as s:
        mine = await my_cases(s, actor=office.grid)
        dept, listed = await open_for_chat(s, chat_id=office.group("housing"), thread_id=None)
        with pytest.raises(Refusal, match="无权查看"):
            await case_timeline(s, actor=office.member("fire_brigade"), number=view.number)
        with pytest.raises(Refusal, match="未绑定"):
            await open_for_chat(s, chat_id=-5, thread_id=None)
    assert [c.number for c in mine] == ["QS-2026-0002", "QS-2026-0001"]
    assert dept.key == "housing"
    assert [(c.number, c.dept_status) for c in listed] == [
        ("QS-2026-0001", DeptStatus.ACKED),
        ("QS-2026-0002", DeptStatus.PENDING),
    ]
