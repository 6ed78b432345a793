"""The 通报 per GB/T 9704-2012, read from the document's XML: 版头, grid, headings, tables, 版记."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from lxml import etree

from models.bulletin import DocumentInfo, check_number_pattern
from services.bulletin.chart import render_chart
from services.bulletin.docx import render_docx
from services.bulletin.layout import (
    TYPE_WIDTH_PT,
    break_title,
    column_widths,
    fit_masthead,
    is_figure,
    text_width,
)
from services.bulletin.template import build_default_template, condense_twips
from services.bulletin.templatefile import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    TemplateError,
    load_template,
    placeholders,
)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SIGNED = DocumentInfo(
    number_pattern="千管三级办〔{year}〕{n}号",
    number="千管三级办〔2026〕12号",
    cc=["市消安委办公室", "区消防救援大队"],
    requirements=["各部门要对照本通报逐项整改，1月10日前将整改情况报三级办。"],
)


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def xml_of(data: bytes, part: str = "word/document.xml"):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read(part))


def text_of(el) -> str:
    return "".join(t.text or "" for t in el.iter(w("t")))


def paragraph(root, starts: str):
    for p in root.iter(w("p")):
        if text_of(p).startswith(starts):
            return p
    raise AssertionError(f"no paragraph starting {starts}")


def style_of(data: bytes, name: str):
    styles = xml_of(data, "word/styles.xml")
    for style in styles.iter(w("style")):
        el = style.find(w("name"))
        if el is not None and el.get(w("val")) == name:
            return style
    raise AssertionError(f"no style {name}")


def edited(data: bytes, old: str, new: str) -> bytes:
    """The .docx with one text of word/document.xml replaced (as an office edits its template)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "word/document.xml":
                assert old.encode() in part
                part = part.replace(old.encode(), new.encode())
            dst.writestr(info, part)
    return out.getvalue()


def run_fonts(run) -> str | None:
    fonts = run.find(f"{w('rPr')}/{w('rFonts')}")
    return None if fonts is None else fonts.get(w("eastAsia"))


@pytest.fixture
def signed(known):
    bulletin = known.model_copy(update={"document": SIGNED})
    return render_docx(bulletin, chart=render_chart(bulletin))


def test_masthead_is_the_office_in_red_xiaobiaosong_on_one_line(signed):
    root = xml_of(signed)
    masthead = paragraph(root, "千山风景区三级消防与消防网格化工作办公室")
    (run,) = masthead.iter(w("r"))
    assert run_fonts(run) == "方正小标宋简体"
    assert run.find(f"{w('rPr')}/{w('color')}").get(w("val")) == "FF0000"
    # 19 characters of 26 pt exceed the 156 mm line: narrowed, not wrapped.
    scale = int(run.find(f"{w('rPr')}/{w('w')}").get(w("val")))
    size = int(run.find(f"{w('rPr')}/{w('sz')}").get(w("val"))) / 2
    assert 19 * size * scale / 100 <= TYPE_WIDTH_PT
    # The fallback is declared: Word shows 宋体 where 方正小标宋简体 is missing.
    fonts = xml_of(signed, "word/fontTable.xml")
    alt = {
        f.get(w("name")): f.find(w("altName")).get(w("val"))
        for f in fonts.iter(w("font"))
        if f.find(w("altName")) is not None
    }
    assert alt["方正小标宋简体"] == "宋体"


def test_number_line_with_the_red_rule_under_it(signed):
    root = xml_of(signed)
    number = paragraph(root, "千管三级办〔2026〕12号")
    assert text_of(number) == "千管三级办〔2026〕12号"
    style = number.find(f"{w('pPr')}/{w('pStyle')}").get(w("val"))
    rule = style_of(signed, "公文发文字号").find(f"{w('pPr')}/{w('pBdr')}/{w('bottom')}")
    assert style == "公文发文字号"
    assert rule.get(w("val")) == "single" and rule.get(w("color")) == "FF0000"
    assert int(rule.get(w("sz"))) >= 8


def test_unsigned_draft_leaves_the_number_blank(known):
    doc = Document(io.BytesIO(render_docx(known)))
    (number,) = [p for p in doc.paragraphs if p.style.name == "公文发文字号"]
    assert number.text == "〔2026〕\u3000\u3000号"


def test_body_grid_is_22_lines_of_28_characters(signed):
    root = xml_of(signed)
    grid = root.find(f"{w('body')}/{w('sectPr')}/{w('docGrid')}")
    assert grid.get(w("type")) == "lines"
    # 225 mm of type area / 22 lines = 28.95 pt = 579 twips.
    assert grid.get(w("linePitch")) == "579"
    text = style_of(signed, "公文正文")
    spacing = int(text.find(f"{w('rPr')}/{w('spacing')}").get(w("val")))
    assert spacing == condense_twips() < 0
    assert 28 * (16 + spacing / 20) <= TYPE_WIDTH_PT < 29 * (16 + spacing / 20)
    line = text.find(f"{w('pPr')}/{w('spacing')}")
    assert line.get(w("lineRule")) == "exact" and line.get(w("line")) == "579"


def test_headings_keep_with_next_and_fonts(signed):
    root = xml_of(signed)
    level1 = paragraph(root, "四、隐患排查处置情况")
    level2 = paragraph(root, "（一）按隐患类别")
    for para, font in ((level1, "黑体"), (level2, "楷体")):
        assert para.find(f"{w('pPr')}/{w('keepNext')}") is not None
        assert {run_fonts(r) for r in para.iter(w("r"))} == {font}
    required = paragraph(root, "八、下步工作要求")
    assert text_of(required.getnext()).startswith("各部门要对照本通报逐项整改")


def test_every_run_names_size_and_east_asian_font(signed):
    root = xml_of(signed)
    runs = [r for r in root.iter(w("r")) if text_of(r).strip()]
    assert runs
    for run in runs:
        assert run_fonts(run), text_of(run)
        assert run.find(f"{w('rPr')}/{w('sz')}") is not None, text_of(run)


def test_tables_keep_figures_on_one_line(signed):
    doc = Document(io.BytesIO(signed))
    stats = next(t for t in doc.tables if t.rows[0].cells[0].text == "部门" and len(t.columns) == 9)
    header = stats.rows[0]._tr
    assert header.find(f"{w('trPr')}/{w('tblHeader')}") is not None
    row = next(r for r in stats.rows if r.cells[0].text == "公安分局")
    rate = row.cells[3]
    assert rate.text == "100.0%"
    assert rate._tc.find(f"{w('tcPr')}/{w('noWrap')}") is not None
    assert row._tr.find(f"{w('trPr')}/{w('cantSplit')}") is not None
    widths = [int(c.get(w("w"))) / 20 for c in stats._tbl.iter(w("gridCol"))]
    assert sum(widths) <= TYPE_WIDTH_PT + 1
    size = int(row.cells[3].paragraphs[0].runs[0]._r.find(f"{w('rPr')}/{w('sz')}").get(w("val")))
    assert widths[3] >= text_width("100.0%") * size / 2


def test_chart_is_embedded_after_the_sentence_that_refers_to_it(signed):
    doc = Document(io.BytesIO(signed))
    texts = [p.text for p in doc.paragraphs]
    refer = next(i for i, t in enumerate(texts) if "见图1" in t)
    assert texts.index("四、隐患排查处置情况") < refer
    figure = doc.paragraphs[refer + 1]
    assert figure._p.find(f".//{w('drawing')}") is not None
    assert doc.paragraphs[refer].paragraph_format.keep_with_next is True
    assert texts[refer + 2] == "图1\u30002026年12月消防网格化工作统计"
    assert len(doc.inline_shapes) == 1


def test_attachments_signature_room_for_the_seal(signed):
    doc = Document(io.BytesIO(signed))
    texts = [p.text for p in doc.paragraphs]
    attach = next(i for i, t in enumerate(texts) if t.startswith("附件："))
    assert texts[attach] == (
        "附件：1. 2026年12月消防网格化工作台账\n2. 2026年12月消防网格化工作统计图"
    )
    sign = texts.index("千山风景区三级消防与消防网格化工作办公室", attach)
    # Two empty lines between the attachments and the signature: the seal's place.
    assert texts[attach + 1 : sign] == ["", ""]
    assert all(p.paragraph_format.keep_with_next for p in doc.paragraphs[attach + 1 : sign])
    assert texts[sign + 1] == "2026年12月31日"
    date_style = doc.paragraphs[sign + 1].style
    assert date_style.paragraph_format.right_indent.pt == 64  # 成文日期右空四字


def test_record_floats_at_the_foot_with_thick_and_thin_rules(signed):
    doc = Document(io.BytesIO(signed))
    record = doc.tables[-1]
    assert record.rows[0].cells[0].text == "抄送：市消安委办公室，区消防救援大队。"
    assert [c.text for c in record.rows[1].cells] == [
        "千山风景区三级消防与消防网格化工作办公室",
        "2026年12月31日印发",
    ]
    props = record._tbl.tblPr
    floating = props.find(w("tblpPr"))
    assert floating.get(w("tblpYSpec")) == "bottom"
    assert floating.get(w("vertAnchor")) == "margin"
    borders = props.find(w("tblBorders"))
    sizes = {side: borders.find(w(side)).get(w("sz")) for side in ("top", "bottom", "insideH")}
    assert sizes == {"top": "8", "bottom": "8", "insideH": "6"}  # 0.35 mm, 0.35 mm, 0.25 mm
    assert borders.find(w("left")).get(w("val")) == "nil"


def test_record_without_cc_keeps_the_thick_first_rule(known):
    doc = Document(io.BytesIO(render_docx(known)))
    record = doc.tables[-1]
    assert len(record.rows) == 1
    assert record.rows[0].cells[1].text == "2026年12月31日印发"
    assert record._tbl.tblPr.find(f"{w('tblBorders')}/{w('top')}").get(w("sz")) == "8"


def test_page_numbers_outside_edge_in_4hao_songti(signed):
    settings = xml_of(signed, "word/settings.xml")
    assert settings.find(w("evenAndOddHeaders")) is not None
    doc = Document(io.BytesIO(signed))
    section = doc.sections[0]
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        (para,) = footer.paragraphs
        assert para.alignment == align
        xml = para._p
        assert [i.text.strip() for i in xml.iter(w("instrText"))] == ["PAGE"]
        kinds = [c.get(w("fldCharType")) for c in xml.iter(w("fldChar"))]
        assert kinds == ["begin", "separate", "end"]
        assert para.text == "— 1 —"
        for run in xml.iter(w("r")):
            assert run_fonts(run) == "宋体"
            assert run.find(f"{w('rPr')}/{w('sz')}").get(w("val")) == "28"  # 4号 = 14 pt


def test_shipped_template_is_the_builders_and_has_every_placeholder():
    shipped = DEFAULT_TEMPLATE.read_bytes()
    assert placeholders(shipped) == set(PLACEHOLDERS)
    assert placeholders(build_default_template()) == set(PLACEHOLDERS)
    assert xml_of(shipped).find(f".//{w('docGrid')}").get(w("linePitch")) == "579"


def test_an_office_template_is_used_as_it_is(tmp_path, known):
    # The office's own 版头: a different masthead wording kept around the placeholder.
    data = edited(build_default_template(), "{{发文机关}}", "{{发文机关}}文件")
    doc = Document(io.BytesIO(render_docx(known, template=data)))
    assert doc.paragraphs[0].text == "千山风景区三级消防与消防网格化工作办公室文件"


def test_a_template_without_body_placeholder_is_refused(tmp_path):
    path = tmp_path / "office.docx"
    path.write_bytes(edited(build_default_template(), "{{正文}}", "BODY"))
    with pytest.raises(TemplateError, match="正文"):
        load_template(path)
    path.write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match="不是有效的 Word"):
        load_template(path)
    with pytest.raises(TemplateError, match="无法读取"):
        load_template(tmp_path / "missing.docx")


def test_title_breaks_between_words_without_an_orphan():
    parts = ["关于", "2026年12月", "消防网格化", "工作情况", "的通报"]
    lines = break_title(parts, TYPE_WIDTH_PT / 22)
    assert lines == ["关于2026年12月", "消防网格化工作情况的通报"]
    assert all(len(line) > 1 for line in lines)
    assert break_title(["关于", "1月", "通报"], TYPE_WIDTH_PT / 22) == ["关于1月通报"]


def test_masthead_narrows_then_shrinks():
    assert fit_masthead("三级办", 26).scale == 100
    long = fit_masthead("千山风景区三级消防与消防网格化工作办公室", 26)
    assert 60 <= long.scale < 100 and long.size_pt == 26
    very = fit_masthead("千" * 40, 26)
    assert very.scale == 60 and very.size_pt * 40 * 0.6 <= TYPE_WIDTH_PT + 0.5


def test_column_widths_fit_the_line_and_hold_the_figures():
    headers = ["部门", "按时报到率", "处置用时中位数"]
    rows = [["住建办", "100.0%", "1天1小时"]]
    widths = column_widths(headers, rows, 12)
    assert widths is not None and abs(sum(widths) - TYPE_WIDTH_PT) < 0.01
    assert widths[1] >= text_width("100.0%") * 12
    assert column_widths(["x"] * 30, [["100.0%"] * 30], 12) is None
    assert is_figure("↓30.0个百分点") and is_figure("12月2日 09:14") and not is_figure("住建办")


def test_number_pattern_is_checked():
    assert check_number_pattern("千管三级办〔{year}〕{n}号")
    for bad in ("千管三级办〔{year}〕号", "〔{yr}〕{n}号", "{"):
        with pytest.raises(ValueError):
            check_number_pattern(bad)
