"""The bulletin writes durations the way the rest of the bot does (services/timefmt.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.bulletin.format import minutes_text
from services.timefmt import fmt_duration


@pytest.mark.parametrize("minutes", [0, 0.4, 5, 59, 60, 135, 24 * 60, 3 * 24 * 60 + 120])
def test_minutes_read_as_in_chat(minutes: float):
    assert minutes_text(minutes) == fmt_duration(timedelta(minutes=minutes))


def test_document_times_in_the_house_style_with_the_year_only_when_it_differs():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from services.bulletin.format import local_text

    sh = ZoneInfo("Asia/Shanghai")
    moment = datetime(2026, 12, 1, 1, 20, tzinfo=UTC)
    assert local_text(moment, sh, year=2026) == "12月1日 09:20"
    assert local_text(moment, sh, year=2027) == "2026年12月1日 09:20"
    assert local_text(None, sh, year=2026) == "—"


def test_a_month_before_the_bot_states_no_figures_in_the_files():
    import io

    import openpyxl
    from docx import Document

    from services.bulletin.docx import render_docx
    from services.bulletin.xlsx import render_xlsx
    from tests.unit.bulletin.conftest import build_empty_month

    before = build_empty_month().model_copy(update={"before_records": True})
    doc = Document(io.BytesIO(render_docx(before)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "本月早于系统启用，无业务记录。" in text and "本月无可通报的业务数据。" in text
    # No table of figures: only the 版记 (抄送/印发) of every 通报.
    (record,) = doc.tables
    assert record.rows[-1].cells[-1].text == "2025年1月27日印发"
    assert "本月无吹哨隐患" not in text
    assert text.rstrip().endswith("2025年1月27日")
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(before)))
    assert book.sheetnames == ["说明"]
    assert book["说明"]["A2"].value == "本月早于系统启用，无业务记录。"
