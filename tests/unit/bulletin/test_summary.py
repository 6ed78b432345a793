"""The chat summary states the month's figures first, names the 约谈 and fits one message."""

from __future__ import annotations

import re

from models.bulletin import (
    DepartmentResponse,
    HeadlineFigures,
    ReportRow,
    ReportStatus,
    TalkProposal,
)
from services.bulletin.summary import TELEGRAM_TEXT_LIMIT, render_summary

TAG = re.compile(r"</?([a-z]+)[^>]*>")


def test_known_month_figures_and_changes(known):
    text = render_summary(known)
    lines = text.split("\n")
    assert lines[0] == "<b>2026年12月消防网格化工作通报</b>"
    assert lines[1] == "隐患：吹哨7起（较上月↑2），已结案4起，未结案3起，其中超期1起。"
    assert lines[2] == (
        "报到：用时中位数18分钟（较上月↓4分钟），按时报到率70.0%（较上月↓30.0个百分点），"
        "被升级案件4件（较上月↑3），核查未通过1次。"
    )
    assert lines[3] == "月报：应报6份，按时3份，逾期1份，未报送2份（较上月↑1）。"
    assert lines[4] == "未报送：住建办《住建办物业消防工作报告》；梨花社区《社区履职情况》。"
    assert lines[5] == "<b>建议约谈</b>：住建办（本月被升级案件4件，按时报到率25.0%）。"
    assert lines[6] == "久未结案：QS-2026-0003 消防通道堵塞 · 千山社区，12月2日吹哨，已29天6小时。"


def test_no_change_shown_without_previous_month(known):
    text = render_summary(known.model_copy(update={"previous": None}))
    assert "较上月" not in text
    assert "吹哨7起，已结案4起" in text


def test_unchanged_figure_reads_flat(known):
    same = known.current.model_copy(update={"escalations": 4})
    prev = known.previous.model_copy(update={"escalations": 4, "median_ack_minutes": 18.0})
    text = render_summary(known.model_copy(update={"current": same, "previous": prev}))
    assert "被升级案件4件（较上月持平）" in text
    assert "用时中位数18分钟（较上月持平）" in text


def test_empty_month(empty):
    text = render_summary(empty)
    assert text.split("\n") == [
        "<b>2025年1月消防网格化工作通报</b>",
        "本月早于系统启用，无业务记录。",
        "隐患：本月无吹哨隐患。",
        "月报：本月无应报送的月报。",
        "建议约谈：无。",
        "详见附件：通报（Word）、台账（Excel）、统计图。",
    ]


def test_user_text_is_escaped(known):
    evil = "<i>物业</i> & Co"
    talks = [TalkProposal(department_key="x", department=evil, reasons=["按时报到率<50%"])]
    text = render_summary(known.model_copy(update={"talks": talks}))
    assert "&lt;i&gt;物业&lt;/i&gt; &amp; Co（按时报到率&lt;50%）" in text
    assert {m.group(1) for m in TAG.finditer(text)} == {"b"}


def test_huge_month_fits_one_message(known):
    long_name = "某某街道某某社区居民委员会" * 6 + "&<>"
    talks = [
        TalkProposal(
            department_key=f"d{i}", department=f"{long_name}{i}", reasons=["本月被升级案件9件"] * 5
        )
        for i in range(400)
    ]
    reports = [
        ReportRow(
            department_key=f"d{i}",
            department=f"{long_name}{i}",
            form_key="f",
            form=long_name,
            status=ReportStatus.MISSING,
        )
        for i in range(400)
    ]
    big = known.model_copy(update={"talks": talks, "reports": reports, "notes": ["说明" * 200] * 3})
    text = render_summary(big)
    assert len(text) < TELEGRAM_TEXT_LIMIT
    assert "等400个部门" in text or "共400个部门" in text
    # Tags stay balanced whatever was cut.
    assert text.count("<b>") == text.count("</b>")


def test_department_without_cases_does_not_break_summary(known):
    rows = [
        DepartmentResponse(
            department_key="social", department="社会事业局", cases=0, acks=0, acks_on_time=0
        )
    ]
    current = HeadlineFigures(reports_on_time=1)
    text = render_summary(known.model_copy(update={"response": rows, "current": current}))
    assert "报到：" not in text  # no dispatches: no 报到 line with empty figures
    assert "月报：应报1份，按时1份，逾期0份，未报送0份" in text
