"""The ledger workbook holds every case with its timestamps, each form's answers, the figures."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from services.bulletin.xlsx import TIME_FORMAT, render_xlsx


def book(data: bytes):
    return load_workbook(io.BytesIO(data))


def rows_by_key(ws) -> dict[str, dict[str, object]]:
    header = [c.value for c in ws[1]]
    return {
        str(row[0].value): dict(zip(header, [c.value for c in row], strict=True))
        for row in ws.iter_rows(min_row=2)
    }


def test_sheets(known):
    wb = book(render_xlsx(known))
    assert wb.sheetnames == [
        "汇总",
        "案件台账",
        "部门响应",
        "隐患统计",
        "月报报送",
        "会议培训检查",
        "社区履职情况",
        "联合执法_专项行动_12月_",
    ]


def test_every_sheet_has_frozen_bold_header_and_widths(known):
    wb = book(render_xlsx(known))
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold for c in ws[1]), ws.title
        for col in range(1, ws.max_column + 1):
            letter = ws.cell(row=1, column=col).column_letter
            assert ws.column_dimensions[letter].width >= 8, (ws.title, letter)
    # Wide Chinese headers get wide columns.
    ledger = wb["案件台账"]
    assert ledger.column_dimensions["A"].width >= len("QS-2026-0001")


def test_case_ledger_has_every_timestamp_in_shanghai_time(known):
    ws = book(render_xlsx(known))["案件台账"]
    header = [c.value for c in ws[1]]
    assert header == [
        "案件编号",
        "类别",
        "区域",
        "地点",
        "紧急程度",
        "上报人",
        "状态",
        "吹哨时间",
        "派遣时间",
        "公安分局报到时间",
        "公安分局处置时间",
        "住建办报到时间",
        "住建办处置时间",
        "消防大队报到时间",
        "消防大队处置时间",
        "社会事业局报到时间",
        "社会事业局处置时间",
        "核查时间",
        "结案时间",
        "重新处置次数",
        "描述",
    ]
    cases = rows_by_key(ws)
    assert list(cases) == ["QS-2026-0001", "QS-2026-0003", "QS-2026-0005"]
    first = cases["QS-2026-0001"]
    assert first["紧急程度"] == "紧急"
    assert first["地点"] == "梨花苑小区 3号楼东侧"
    assert first["吹哨时间"] == datetime(2026, 12, 1, 9, 14)
    assert first["公安分局报到时间"] == datetime(2026, 12, 1, 9, 20)
    assert first["公安分局处置时间"] == datetime(2026, 12, 1, 11, 0)
    assert first["住建办报到时间"] == datetime(2026, 12, 1, 10, 5)
    assert first["住建办处置时间"] == datetime(2026, 12, 1, 12, 30)
    assert first["核查时间"] == datetime(2026, 12, 1, 14, 0)
    assert first["结案时间"] == datetime(2026, 12, 1, 14, 1)
    assert first["消防大队报到时间"] is None  # not its case
    pending = cases["QS-2026-0003"]
    assert pending["住建办报到时间"] == "—"  # its case, no 报到 yet
    assert pending["结案时间"] is None
    assert pending["重新处置次数"] == 1
    evening = cases["QS-2026-0005"]
    # 20:05 in Shanghai is 12:05 UTC: the sheet shows the office's clock.
    assert evening["吹哨时间"] == datetime(2026, 12, 10, 20, 5)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                assert cell.number_format == TIME_FORMAT


def test_form_sheets_hold_the_submitted_answers(known):
    wb = book(render_xlsx(known))
    ws = wb["社区履职情况"]
    assert [c.value for c in ws[1]] == [
        "部门",
        "报送时间",
        "报送人",
        "召开会议（次）",
        "开展培训（次）",
        "消防检查（次）",
        "亮点和先进经验",
    ]
    row = [c.value for c in ws[2]]
    assert row == [
        "千山社区",
        datetime(2026, 12, 27, 8, 30),
        "千山社区 李某",
        "1",
        "2",
        "3",
        "=1+1 组织楼长开展夜间巡查",
    ]
    # A typed answer that looks like a formula stays text.
    assert ws.cell(row=2, column=7).data_type == "s"
    joint = wb["联合执法_专项行动_12月_"]
    assert [c.value for c in joint[2]][3:] == ["2", "37"]


def test_summary_and_department_figures(known):
    wb = book(render_xlsx(known))
    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["吹哨隐患（起）"] == (7, 5, 2)
    assert summary["未结案（起）"] == (3, 0, 3)
    assert summary["按时报到率（%）"] == (70.0, 100.0, -30.0)
    assert summary["报到用时中位数（分钟）"] == (18.0, 22.0, -4.0)
    assert summary["月报未报送（份）"] == (2, 1, 1)
    depts = rows_by_key(wb["部门响应"])
    assert depts["住建办"]["按时报到率（%）"] == 25.0
    assert depts["住建办"]["报到用时90%分位（分钟）"] == 300.0
    assert depts["住建办"]["被升级案件"] == 4
    assert depts["社会事业局"]["报到用时中位数（分钟）"] == "—"
    assert depts["社会事业局"]["按时报到率（%）"] == "—"
    reports = rows_by_key(wb["月报报送"])
    assert reports["住建办"]["报送情况"] == "未报送"
    assert reports["千山社区"]["报送时间"] == datetime(2026, 12, 27, 8, 30)
    tallies = [r for r in wb["隐患统计"].iter_rows(min_row=2, values_only=True)]
    assert ("区域", "千山社区", 4, 3, 1, 1) in tallies
    assert ("部门", "住建办", 4, 2, 2, 1) in tallies


def test_empty_month_workbook(empty):
    wb = book(render_xlsx(empty))
    assert wb.sheetnames == ["汇总", "案件台账", "部门响应", "隐患统计", "月报报送", "会议培训检查"]
    assert wb["案件台账"].max_row == 1
    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["吹哨隐患（起）"] == (0, "—", "—")
    assert summary["按时报到率（%）"] == ("—", "—", "—")


def test_a_month_before_the_bot_is_a_workbook_of_one_note(empty):
    wb = book(render_xlsx(empty.model_copy(update={"before_records": True})))
    assert wb.sheetnames == ["说明"]
    assert wb["说明"]["A2"].value == "本月早于系统启用，无业务记录。"
