"""The bulletin as a 通报 (GB/T 9704-2012), written into the office's Word template.

services/bulletin/template.py builds the shipped template and names its placeholders and
styles; services/bulletin/docxwriter.py fills them. This module says what the 通报 states.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.bulletin import Bulletin, ReportStatus
from services.bulletin import template as tpl
from services.bulletin.docxwriter import TemplateWriter
from services.bulletin.format import DASH, local_text, minutes_text, rate_text
from services.bulletin.headline import (
    MEDIAN_ACK,
    WHISTLED,
    document_rows,
    on_time_text,
    versus,
)
from services.bulletin.templatefile import load_template
from services.timefmt import fmt_date


def _overview(b: Bulletin) -> str:
    cur, prev = b.current, b.previous
    parts = []
    if cur.whistled:
        parts.append(
            f"本月共吹哨隐患{cur.whistled}起"
            + versus(WHISTLED.change(cur, prev))
            + f"，已结案{cur.closed}起，未结案{cur.open}起，其中超期{cur.overdue}起。"
        )
    else:
        parts.append("本月无吹哨隐患。")
    if cur.dispatches:
        parts.append(
            f"各责任部门共接派遣{cur.dispatches}次，按时报到{cur.acks_on_time}次，"
            + on_time_text(cur, prev)
            + f"，报到用时中位数{MEDIAN_ACK.text(cur)}"
            + versus(MEDIAN_ACK.change(cur, prev))
            + f"；被升级案件{cur.escalations}件，核查未通过重新处置{cur.reopened}次。"
        )
    if cur.reports_expected:
        parts.append(
            f"应报送月度报告{cur.reports_expected}份，按时报送{cur.reports_on_time}份，"
            f"逾期报送{cur.reports_late}份，未报送{cur.reports_missing}份"
            + (f"，未到截止时间{cur.reports_pending}份" if cur.reports_pending else "")
            + "。"
        )
    else:
        parts.append("本月无应报送的月度报告。")
    return "".join(parts)


def attachment_names(b: Bulletin, *, chart: bool) -> list[str]:
    """The files sent with the 通报, as its 附件 line names them."""
    names = [f"{b.period.label}消防网格化工作台账"]
    if chart:
        names.append(f"{b.period.label}消防网格化工作统计图")
    return names


def render_docx(
    b: Bulletin,
    *,
    chart: bytes | None = None,
    template: bytes | None = None,
    attachments: Sequence[str] | None = None,
) -> bytes:
    """The bulletin as .docx bytes, in `template` (default: the shipped GB/T 9704 one).

    `chart` (PNG) is embedded where the text refers to it; `attachments` name the 附件.
    """
    tz = b.zone
    doc = TemplateWriter(template if template is not None else load_template(None))
    doc.doc.core_properties.title = b.title
    doc.doc.core_properties.author = b.office
    doc.text(f"现将{b.period.label}消防网格化工作情况通报如下。")
    for note in b.notes:
        doc.text(note)
    if b.before_records:
        # Nothing was recorded: tables of zeros would read as figures that were checked.
        doc.text("本月无可通报的业务数据。")
        return _signed(doc, b, attachments)

    doc.heading("总体情况")
    doc.text(_overview(b))
    doc.table(
        ["指标", "本月", "上月", "变化"],
        [[r.label, r.current, r.previous, r.change] for r in document_rows(b)],
    )

    doc.heading("月度报告报送情况")
    if b.reports:
        missing = [r for r in b.reports if r.status is ReportStatus.MISSING]
        late = [r for r in b.reports if r.status is ReportStatus.LATE]
        on_time = [r for r in b.reports if r.status is ReportStatus.ON_TIME]
        pending = [r for r in b.reports if r.status is ReportStatus.PENDING]
        summary = [f"应报送{len(b.reports)}份，按时{len(on_time)}份"]
        summary.append(f"逾期{len(late)}份")
        summary.append(f"未报送{len(missing)}份")
        if pending:
            summary.append(f"未到截止时间{len(pending)}份")
        text = "，".join(summary) + "。"
        if missing:
            text += "未报送：" + "；".join(f"{r.department}《{r.form}》" for r in missing) + "。"
        doc.text(text)
        doc.table(
            ["部门", "报告", "报送情况", "报送时间", "报送人"],
            [
                [
                    r.department,
                    r.form,
                    r.status.label,
                    local_text(r.submitted_at, tz, year=b.period.year),
                    r.submitted_by or DASH,
                ]
                for r in b.reports
            ],
        )
    else:
        doc.text("本月无应报送的月度报告。")

    doc.heading("会议、培训、检查开展情况")
    if b.duties:
        short = [d for d in b.duties if d.shortfall]
        if short:
            doc.text(
                "未按要求开展："
                + "；".join(
                    f"{d.department}{d.title}（应{d.expected}次，实{d.held}次）" for d in short
                )
                + "。"
            )
        else:
            doc.text("各部门均按要求开展会议、培训和检查。")
        doc.table(
            ["部门", "事项", "应开展", "已开展", "情况"],
            [
                [
                    d.department,
                    d.title,
                    str(d.expected),
                    str(d.held),
                    f"缺{d.shortfall}次" if d.shortfall else "完成",
                ]
                for d in b.duties
            ],
        )
    else:
        doc.text("本月无应开展的会议、培训和检查。")

    doc.heading("隐患排查处置情况")
    hz = b.hazards
    if b.current.whistled == 0:
        doc.text("本月无吹哨隐患。")
    if chart is not None:
        lead = doc.text("本月隐患按类别与状态的分布、各部门报到用时与升级时限的对比见图1。")
        doc.keep_with_next(lead)
        doc.figure(chart, f"{b.period.label}消防网格化工作统计")
    tally_headers = ["吹哨", "已结案", "未结案", "超期"]
    for title, first, rows in (
        ("按隐患类别", "类别", hz.by_category),
        ("按区域", "区域", hz.by_area),
        ("按责任部门", "部门", hz.by_department),
    ):
        if rows:
            doc.subheading(title)
            doc.table(
                [first, *tally_headers],
                [
                    [t.name, str(t.whistled), str(t.closed), str(t.open), str(t.overdue)]
                    for t in rows
                ],
            )
    if hz.oldest_open:
        doc.subheading("久未结案案件")
        doc.table(
            ["案件编号", "类别", "区域", "吹哨时间", "已持续", "未报到部门"],
            [
                [
                    c.number,
                    c.category,
                    c.area,
                    local_text(c.whistled_at, tz, year=b.period.year),
                    minutes_text(c.age_minutes),
                    "、".join(c.pending_departments) or DASH,
                ]
                for c in hz.oldest_open
            ],
        )

    doc.heading("各部门报到与处置情况")
    if b.response:
        doc.table(
            [
                "部门",
                "派遣",
                "报到",
                "按时报到率",
                "报到用时中位数",
                "报到用时90%分位",
                "处置用时中位数",
                "被升级案件",
                "重新处置",
            ],
            [
                [
                    r.department,
                    str(r.cases),
                    str(r.acks),
                    rate_text(r.on_time_rate),
                    minutes_text(r.median_ack_minutes),
                    minutes_text(r.p90_ack_minutes),
                    minutes_text(r.median_resolve_minutes),
                    str(r.escalations),
                    str(r.reopened),
                ]
                for r in b.response
            ],
        )
    else:
        doc.text("本月无派遣至各部门的案件。")

    doc.heading("约谈建议")
    rule = f"按照约谈规则（{b.talk_rule}），" if b.talk_rule else ""
    if b.talks:
        doc.text(f"{rule}建议约谈以下部门：")
        doc.numbered([f"{t.department}：{'；'.join(t.reasons)}。" for t in b.talks])
    else:
        doc.text(f"{rule}本月无建议约谈的部门。")

    doc.heading("亮点和先进经验")
    if b.highlights:
        # Quotes inside a quotation become single quotes, as Chinese typesetting does.
        inner = str.maketrans({"“": "‘", "”": "’"})
        doc.numbered([f"{h.department}：“{h.text.translate(inner)}”" for h in b.highlights])
    else:
        doc.text("本月报告未载亮点和先进经验。")

    if b.document.requirements:
        doc.heading("下步工作要求")
        for paragraph in b.document.requirements:
            doc.text(paragraph)

    return _signed(
        doc,
        b,
        attachments if attachments is not None else attachment_names(b, chart=chart is not None),
    )


def _signed(doc: TemplateWriter, b: Bulletin, attachments: Sequence[str] | None) -> bytes:
    """版头, title, 主送, 附件, signature, date and 版记 into the placeholders; the bytes."""
    info = b.document
    day = fmt_date(b.issue_date, weekday=False)
    if not attachments:
        listed = None
    elif len(attachments) == 1:
        listed = attachments[0]
    else:
        listed = "\n".join(f"{no}. {name}" for no, name in enumerate(attachments, start=1))
    doc.fill(
        {
            tpl.OFFICE: b.office,
            tpl.NUMBER: info.number_line(b.issue_date.year),
            tpl.TITLE: doc.title(b.title_parts),
            tpl.ADDRESSEES: info.addressees,
            tpl.ATTACHMENTS: listed,
            tpl.SIGNATURE: b.office,
            tpl.DATE: day,
            tpl.CC: "，".join(info.cc) if info.cc else None,
            tpl.PRINTER: info.printer or b.office,
            tpl.PRINT_DATE: day,
        }
    )
    doc.fit_masthead()
    doc.centre_signature()
    return doc.to_bytes()
