"""Each headline figure is declared once (services/bulletin/headline.py) and every file reads it."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import load_workbook

from models.bulletin import CaseHeadline, HeadlineFigures, ReportHeadline
from services.bulletin.docx import render_docx
from services.bulletin.headline import (
    DOCUMENT_TABLE,
    LEDGER_SHEET,
    Count,
    document_rows,
    sheet_rows,
)
from services.bulletin.xlsx import render_xlsx

# Figures the prose states but no table shows (未到截止时间 is not a count to compare).
PROSE_ONLY = {"reports_pending"}


def test_the_document_table_and_the_ledger_sheet_are_the_declared_figures(known):
    doc = Document(io.BytesIO(render_docx(known)))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "指标")
    shown = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert shown == [[r.label, r.current, r.previous, r.change] for r in document_rows(known)]
    assert [r[0] for r in shown] == [f.text_label for f in DOCUMENT_TABLE]

    sheet = load_workbook(io.BytesIO(render_xlsx(known)))["汇总"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows == sheet_rows(known)
    assert [r[0] for r in rows] == [f.sheet_label for f in LEDGER_SHEET]


def test_the_ledger_keeps_every_figure_the_document_shows():
    assert set(DOCUMENT_TABLE) <= set(LEDGER_SHEET)
    assert len(set(LEDGER_SHEET)) == len(LEDGER_SHEET)


def test_a_count_carries_its_unit_into_both_labels_a_rate_and_a_duration_only_into_the_sheet():
    labels = {f.text_label: f.sheet_label for f in LEDGER_SHEET}
    assert labels["吹哨隐患（起）"] == "吹哨隐患（起）"
    assert labels["按时报到率"] == "按时报到率（%）"
    assert labels["报到用时中位数"] == "报到用时中位数（分钟）"
    assert all(isinstance(f, Count) == f.text_label.endswith("）") for f in LEDGER_SHEET)


def test_every_headline_field_reaches_the_ledger_sheet():
    """A field added to the headline but to no table fails here: declare its Figure."""
    fields = [*CaseHeadline.model_fields, *ReportHeadline.model_fields]
    assert set(HeadlineFigures.model_fields) == set(fields)
    # Each count gets a value no other field has, so the sheet's numbers say which it read.
    marked = {
        name: 101 + i
        for i, name in enumerate(fields)
        if name != "median_ack_minutes" and name not in PROSE_ONLY
    }
    marked |= {"dispatches": 1000, "acks_on_time": 1}
    figures = HeadlineFigures(**marked, median_ack_minutes=7.25)
    shown = {row[1] for row in sheet_rows_of(figures)}
    missing = [name for name, value in marked.items() if value not in shown]
    assert missing == []
    assert 7.2 in shown or 7.3 in shown  # the median, rounded to 0.1 minute
    assert figures.on_time_rate is not None and float(figures.on_time_rate) in shown


def sheet_rows_of(figures: HeadlineFigures) -> list[list[object]]:
    return [f.cells(figures, None) for f in LEDGER_SHEET]


def test_the_previous_month_missing_reads_as_a_dash_everywhere(known):
    alone = known.model_copy(update={"previous": None})
    assert {r.previous for r in document_rows(alone)} == {"—"}
    assert {r.change for r in document_rows(alone)} == {"—"}
    assert {(r[2], r[3]) for r in sheet_rows(alone)} == {("—", "—")}
