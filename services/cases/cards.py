"""What the bot says about a case, in the office's Chinese: the dispatch card and its follow-ups.

Pure functions of the case DTO and the time; user-typed text is HTML-escaped here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from models.case_dto import CaseView, DeptLine, EventLine, OpenCaseLine
from models.cases import CaseStatus, DeptStatus, EventKind
from services.buttons import CASE, CaseAction
from services.geo import fmt_distance
from services.outbox import Button, Outgoing
from services.timefmt import fmt_datetime, fmt_duration

STATUS_LABELS: dict[CaseStatus, str] = {
    CaseStatus.TRIAGE: "待分派",
    CaseStatus.DISPATCHED: "待报到",
    CaseStatus.IN_PROGRESS: "处置中",
    CaseStatus.VERIFYING: "待核查",
    CaseStatus.CLOSED: "已结案",
}
DEPT_LABELS: dict[DeptStatus, str] = {
    DeptStatus.PENDING: "待报到",
    DeptStatus.ACKED: "已报到",
    DeptStatus.RESOLVED: "已处置",
    DeptStatus.REMOVED: "已移除",
}


def urgency(urgent: bool) -> str:
    return "紧急" if urgent else "一般"


def _when(at: datetime, ref: datetime, tz: ZoneInfo) -> str:
    """`09:20` on the day of `ref`, `12月1日 09:20` on another day."""
    local, day = at.astimezone(tz), ref.astimezone(tz).date()
    return f"{local:%H:%M}" if local.date() == day else fmt_datetime(at, tz)


def place(view: CaseView, *, pin_note: bool = True) -> str:
    """`千山社区 · 梨花苑小区 3号楼东侧（位置见地图）`."""
    text = escape(view.area_label)
    if view.address:
        text += f" {escape(view.address)}"
    if pin_note and view.has_location:
        text += "（位置见地图）"
    return text


def reporter(view: CaseView) -> str:
    unit = f"（{escape(view.reporter_unit)}）" if view.reporter_unit else ""
    return f"{view.reporter_role} {escape(view.reporter_name)}{unit}"


def dept_state(line: DeptLine, view: CaseView, tz: ZoneInfo, now: datetime | None = None) -> str:
    """`住建办 ✅ 09:20 已报到 · 处置时限12月3日 09:20`; with `now`, an overdue one says so."""
    name = escape(line.name)
    if line.status == DeptStatus.PENDING:
        return f"{name} ⏳ 待报到"
    if line.status == DeptStatus.ACKED and line.acked_at is not None:
        acked = _when(line.acked_at, view.created_at, tz)
        if line.acked_on_behalf:
            text = f"{name} ✅ {acked} 代为报到"
        elif line.arrived_at is None:
            text = f"{name} ✅ {acked} 已报到"
        else:
            text = f"{name} ✅ {acked} 报到"
        if line.arrived_at is not None:
            text += f" · 📍 {arrival(line, view, tz)}"
        return text + deadline_note(line, tz, now)
    if line.status == DeptStatus.RESOLVED and line.resolved_at is not None:
        return f"{name} ☑️ {_when(line.resolved_at, view.created_at, tz)} 已处置"
    return f"{name} {DEPT_LABELS[line.status]}"


def deadline_note(line: DeptLine, tz: ZoneInfo, now: datetime | None = None) -> str:
    """`（处置时限12月3日 09:20）`, or `（⚠️ 处置超期3小时，时限…）` when `now` is past it."""
    due = line.resolve_due_at
    if due is None or line.status != DeptStatus.ACKED:
        return ""
    if now is not None and now > due:
        return f"（⚠️ 处置超期{fmt_duration(now - due)}，时限{fmt_datetime(due, tz)}）"
    return f"（处置时限{fmt_datetime(due, tz)}）"


def arrival(line: DeptLine, view: CaseView, tz: ZoneInfo) -> str:
    """`09:41 到场（距约80米）`; without a pin just `09:41 到场`."""
    assert line.arrived_at is not None
    text = f"{_when(line.arrived_at, view.created_at, tz)} 到场"
    if line.arrive_distance_m is not None:
        text += f"（距{fmt_distance(line.arrive_distance_m)}）"
    return text


def card_text(view: CaseView, tz: ZoneInfo) -> str:
    """The dispatch card, as in DOMAIN.md; edited in place as the case moves."""
    lines = [
        f"【{urgency(view.urgent)}】消防隐患 {view.number}",
        f"类别：{escape(view.category_name)}",
        f"地点：{place(view)}",
        f"上报：{reporter(view)} {fmt_datetime(view.created_at, tz)}",
        f"描述：{escape(view.description)}",
        "责任部门：" + " · ".join(dept_state(d, view, tz) for d in view.active_departments),
    ]
    if view.status == CaseStatus.CLOSED and view.closed_at is not None:
        lines.append(f"状态：已结案（{fmt_datetime(view.closed_at, tz)}）")
        if view.close_reason:
            lines.append(f"结案说明：{escape(view.close_reason)}")
    elif view.status == CaseStatus.VERIFYING:
        lines.append("状态：各部门已处置，待上报人核查")
    elif view.reopen_count:
        lines.append(f"状态：核查未通过，已重新派遣（第{view.reopen_count}次）")
    return "\n".join(lines)


def removed_card_text(view: CaseView, department: str, tz: ZoneInfo) -> str:
    """The card of a department taken off the case (last edit it gets)."""
    return card_text(view, tz) + f"\n（协调员已调整责任部门，本案不再由{escape(department)}负责）"


def card_buttons(view: CaseView, department_id: int) -> list[list[Button]]:
    """报到 while pending, 处置完成 once reported for duty, nothing after."""
    line = view.department(department_id)
    if line is None or view.status == CaseStatus.CLOSED:
        return []
    if line.status == DeptStatus.PENDING:
        return [[Button("报到", CASE.encode(CaseAction.ACK, view.id, department_id))]]
    if line.status == DeptStatus.ACKED:
        done = Button("处置完成", CASE.encode(CaseAction.RESOLVE, view.id, department_id))
        if line.arrived_at is None:
            return [[arrive_button(view.id, department_id), done]]
        return [[done]]
    return []


def ack_for_buttons(view: CaseView, department_id: int) -> list[list[Button]]:
    """On a card forwarded to the coordinators (the department has no group): 代为报到."""
    line = view.department(department_id)
    if line is None or line.status != DeptStatus.PENDING or view.status == CaseStatus.CLOSED:
        return []
    return [[Button("代为报到", CASE.encode(CaseAction.ACK_FOR, view.id, department_id))]]


def arrive_button(case_id: int, department_id: int) -> Button:
    return Button("到场打卡", CASE.encode(CaseAction.ARRIVE, case_id, department_id))


def arrive_ping_text(
    view: CaseView, line: DeptLine, now: datetime, *, escalated: bool, office: str = "三级办"
) -> str:
    """The reply to the card that chases a department which reported but is not on site."""
    assert line.acked_at is not None
    since = fmt_duration(now - line.acked_at)
    head = f"⏰【到场催办】{escape(line.name)}：隐患 {view.number}（{escape(view.category_name)}）"
    if escalated:
        return (
            f"{head}已报到{since}，仍未到场，已报告领导小组和{escape(office)}。"
            "请立即到场并点击“到场打卡”。"
        )
    return f"{head}已报到{since}，尚未到场。请尽快到场并点击“到场打卡”。"


def resolve_ping_text(
    view: CaseView,
    line: DeptLine,
    now: datetime,
    tz: ZoneInfo,
    *,
    escalated: bool,
    office: str = "三级办",
) -> str:
    """【处置催办】 with the time left, or (after the deadline) how long it is overdue."""
    due = line.resolve_due_at
    assert due is not None
    head = f"⏰【处置催办】{escape(line.name)}：隐患 {view.number}（{escape(view.category_name)}）"
    if escalated or now >= due:
        return (
            f"{head}处置时限{fmt_datetime(due, tz)}，已超期{fmt_duration(now - due)}，"
            f"已报告领导小组和{escape(office)}。请尽快处置并点击“处置完成”。"
        )
    return (
        f"{head}处置时限{fmt_datetime(due, tz)}，剩余{fmt_duration(due - now)}。"
        "处置后请点击“处置完成”。"
    )


def resolve_escalation_text(
    view: CaseView, line: DeptLine, now: datetime, tz: ZoneInfo, number: int
) -> str:
    """To the leading group and the coordinators: whose 处置时限 passed on which case."""
    due = line.resolve_due_at
    assert due is not None
    return "\n".join(
        [
            f"【升级】{escape(line.name)} 处置超期",
            f"案件：{view.number} {escape(view.category_name)}（{urgency(view.urgent)}）",
            f"地点：{place(view, pin_note=False)}",
            f"处置时限{fmt_datetime(due, tz)}，已超期{fmt_duration(now - due)}，第{number}次升级。"
            f"请督促{escape(line.name)}处置。详情：/case {view.number}",
        ]
    )


def arrive_escalation_text(view: CaseView, line: DeptLine, now: datetime, number: int) -> str:
    """To the leading group and the coordinators: who reported for duty but is not on site."""
    assert line.acked_at is not None
    return "\n".join(
        [
            f"【升级】{escape(line.name)} 未到场",
            f"案件：{view.number} {escape(view.category_name)}（{urgency(view.urgent)}）",
            f"地点：{place(view, pin_note=False)}",
            f"已报到{fmt_duration(now - line.acked_at)}仍未到场，第{number}次升级。"
            f"请督促{escape(line.name)}到场。详情：/case {view.number}",
        ]
    )


def ping_text(
    view: CaseView, line: DeptLine, now: datetime, *, escalated: bool, office: str = "三级办"
) -> str:
    """The short reply to the dispatch card that reminds a silent department."""
    waited = fmt_duration(now - line.ladder_started_at)
    head = f"⏰【催办】{escape(line.name)}：隐患 {view.number}（{escape(view.category_name)}）"
    if escalated:
        return (
            f"{head}已派遣{waited}，仍未报到，已报告领导小组和{escape(office)}。请立即点击“报到”。"
        )
    return f"{head}已派遣{waited}，尚未报到。请尽快点击“报到”。"


def escalation_text(view: CaseView, line: DeptLine, now: datetime, number: int) -> str:
    """To the leading group and the coordinators: who is silent on which case."""
    return "\n".join(
        [
            f"【升级】{escape(line.name)} 未报到",
            f"案件：{view.number} {escape(view.category_name)}（{urgency(view.urgent)}）",
            f"地点：{place(view, pin_note=False)}",
            f"已派遣{fmt_duration(now - line.ladder_started_at)}，第{number}次升级。"
            f"请督促{escape(line.name)}报到。详情：/case {view.number}",
        ]
    )


def triage_text(view: CaseView, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            f"【待分派】{view.number} {escape(view.category_name)}（{urgency(view.urgent)}）",
            f"地点：{place(view, pin_note=False)}",
            f"上报：{reporter(view)} {fmt_datetime(view.created_at, tz)}",
            f"描述：{escape(view.description)}",
            "没有匹配的责任部门，请选择派遣部门（可多选，点击即派遣）：",
        ]
    )


def triage_buttons(view: CaseView, candidates: list[tuple[int, str]]) -> list[list[Button]]:
    """One button per department, two a row; departments already on the case are ticked."""
    on_case = {d.department_id for d in view.active_departments}
    buttons = [
        Button(
            f"✅ {name}" if dept_id in on_case else name,
            CASE.encode(CaseAction.TRIAGE, view.id, dept_id),
        )
        for dept_id, name in candidates
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def verify_request(view: CaseView, tz: ZoneInfo, *, audience: str = "reporter") -> Outgoing:
    """Ask to verify, with the two buttons: the reporter, or the coordinators (`overdue`, or
    `no_reporter`)."""
    what = f"{view.number}（{escape(view.category_name)} · {place(view, pin_note=False)}）"
    if audience == "overdue":
        head = (
            f"【核查超期】{what}各责任部门已处置完成，上报人 {escape(view.reporter_name)} "
            "3天内未核查，请协调员核查："
        )
    elif audience == "no_reporter":
        head = f"【请核查】{what}各责任部门已处置完成，上报人已不在册，请协调员核查："
    else:
        head = f"【请核查】您上报的隐患 {what}各责任部门已处置完成："
    lines = [head]
    for d in view.active_departments:
        when = fmt_datetime(d.resolved_at, tz) if d.resolved_at else ""
        who = f"{escape(d.resolved_by)} " if d.resolved_by else ""
        lines.append(f"{escape(d.name)}：{escape(d.note or '（无说明）')}（{who}{when}）")
    lines.append("请到现场核查隐患是否已消除，并点击下方按钮。")
    buttons = [
        Button("已消除", CASE.encode(CaseAction.VERIFIED, view.id)),
        Button("未消除", CASE.encode(CaseAction.NOT_ELIMINATED, view.id)),
    ]
    return Outgoing(text="\n".join(lines), buttons=[buttons])


def closed_notice(view: CaseView, *, by_reporter: bool) -> str:
    if by_reporter:
        return f"✅ {view.number} 经核查隐患已消除，本案已结案。谢谢各部门。"
    reason = f"结案说明：{escape(view.close_reason)}" if view.close_reason else ""
    return f"✅ 协调员已将 {view.number} 结案。{reason}"


def reopened_notice(view: CaseView, reason: str) -> str:
    return (
        f"🔁【核查未通过】{view.number}：上报人反馈隐患未消除。原因：{escape(reason)}\n"
        "请重新报到并处置。"
    )


def supplement_text(view: CaseView, who: str, role: str, text: str) -> str:
    return f"📎【补充】{view.number}：{role} {escape(who)} 补充情况：{escape(text)}"


def removed_notice(view: CaseView, department: str) -> str:
    return f"协调员已调整 {view.number} 的责任部门，本案不再由{escape(department)}负责，谢谢。"


def dispatched_reply(view: CaseView) -> str:
    """The reporter's confirmation after 提交."""
    if view.status == CaseStatus.TRIAGE:
        return (
            f"已收到，谢谢。案件编号 {view.number}。"
            "该类隐患暂无对应的责任部门，已转协调员分派，分派后会通知相关部门。"
        )
    names = "、".join(escape(d.name) for d in view.active_departments)
    return f"已收到，谢谢。案件编号 {view.number}，已派遣至：{names}。处置完成后会请您核查。"


EVENT_LABELS: dict[EventKind, str] = {
    EventKind.WHISTLED: "吹哨上报",
    EventKind.SUPPLEMENTED: "补充情况",
    EventKind.TRIAGE: "无对应责任部门，转协调员分派",
    EventKind.DISPATCHED: "派遣",
    EventKind.ACKED: "报到",
    EventKind.ACKED_FOR: "协调员代为报到",
    EventKind.ESCALATED: "未报到，升级至领导小组和协调员",
    EventKind.ARRIVED: "到场打卡",
    EventKind.ARRIVE_ESCALATED: "未按时到场，升级至领导小组和协调员",
    EventKind.RESOLVE_ESCALATED: "超过处置时限，升级至领导小组和协调员",
    EventKind.RESOLVED: "处置完成",
    EventKind.VERIFY_ASKED: "请上报人核查",
    EventKind.VERIFY_OVERDUE: "上报人3天未核查，转协调员核查",
    EventKind.VERIFIED: "核查：隐患已消除",
    EventKind.REOPENED: "核查：隐患未消除，重新派遣",
    EventKind.DEPT_ADDED: "增加责任部门",
    EventKind.DEPT_REMOVED: "移除责任部门",
    EventKind.REASSIGNED: "改派",
    EventKind.CLOSED: "结案",
}

# /case shows at most this many timeline lines (the newest), to stay one phone screen.
TIMELINE_LINES = 30


def timeline_text(view: CaseView, events: list[EventLine], tz: ZoneInfo, now: datetime) -> str:
    """`/case`: the card's facts, then who did what, when, from where."""
    head = [
        f"{view.number}【{urgency(view.urgent)}】{escape(view.category_name)}",
        f"地点：{place(view, pin_note=False)}",
        f"描述：{escape(view.description)}",
        f"状态：{STATUS_LABELS[view.status]}（{_status_note(view, tz, now)}）",
    ]
    if view.active_departments:
        head.append(
            "责任部门：" + " · ".join(dept_state(d, view, tz, now) for d in view.active_departments)
        )
    lines = []
    for e in events[-TIMELINE_LINES:]:
        who = escape(e.actor) if e.actor else "系统"
        where = "" if e.chat_id is None else ("（群聊）" if e.chat_id < 0 else "（私聊）")
        dept = f"{escape(e.department)} " if e.department else ""
        note = f"：{escape(e.note)}" if e.note else ""
        lines.append(f"{fmt_datetime(e.at, tz)} {who}{where} · {dept}{EVENT_LABELS[e.kind]}{note}")
    skipped = len(events) - TIMELINE_LINES
    if skipped > 0:
        lines.insert(0, f"（更早的{skipped}条记录从略）")
    return "\n".join([*head, "", "记录：", *lines])


def _age(delta: timedelta) -> str:
    """`已2小时15分`; under a minute just `不足1分钟` (never `已不足1分钟`)."""
    text = fmt_duration(delta)
    return text if delta < timedelta(minutes=1) else f"已{text}"


def _status_note(view: CaseView, tz: ZoneInfo, now: datetime) -> str:
    """A closed case: when it closed; an open one: how long since it was reported."""
    if view.status == CaseStatus.CLOSED and view.closed_at is not None:
        return fmt_datetime(view.closed_at, tz)
    return _age(now - view.created_at)


def open_line(item: OpenCaseLine, now: datetime, tz: ZoneInfo | None = None) -> str:
    """One line of /open or /mycases (with the 处置时限, or how long it is overdue)."""
    state = DEPT_LABELS[item.dept_status] if item.dept_status else STATUS_LABELS[item.status]
    text = (
        f"{item.number}【{urgency(item.urgent)}】{escape(item.category_name)} · "
        f"{escape(item.area_label)} · {state} · {_age(now - item.since)}"
    )
    due = item.resolve_due_at
    if due is not None and tz is not None:
        if now > due:
            text += f" · ⚠️ 处置超期{fmt_duration(now - due)}"
        else:
            text += f" · 处置时限{fmt_datetime(due, tz)}"
    return text


def review_text(
    category: str,
    area: str,
    address: str | None,
    has_pin: bool,
    photos: int,
    description: str,
    urgent: bool,
) -> str:
    """The whistle's review card: everything once more before 提交."""
    where = escape(area) + (f" {escape(address)}" if address else "")
    if has_pin:
        where += "（已附位置）"
    return "\n".join(
        [
            "请核对上报内容：",
            f"类别：{escape(category)}",
            f"地点：{where}",
            f"照片：{photos}张" if photos else "照片：无",
            f"描述：{escape(description)}",
            f"紧急程度：{urgency(urgent)}",
            "",
            "确认无误请点击“提交”；需要更改请点击“修改”。",
        ]
    )


def duplicate_text(view: CaseView, tz: ZoneInfo) -> str:
    """The duplicate hint: an open case of the same category and area from the last 24 hours."""
    return "\n".join(
        [
            "该区域24小时内已有同类隐患正在办理：",
            f"{view.number}【{urgency(view.urgent)}】{escape(view.category_name)} · {place(view)}",
            f"上报：{reporter(view)} {fmt_datetime(view.created_at, tz)}，"
            f"状态：{STATUS_LABELS[view.status]}",
            f"描述：{escape(view.description)}",
            "",
            "如为同一隐患，请点击“补充到该案件”（照片和描述将补充给责任部门）；否则请点击“仍然新建”。",
        ]
    )
