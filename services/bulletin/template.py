"""The default Word template of the 通报 (GB/T 9704-2012), and what any template must contain.

The template carries the layout: page, margins, the 22 × 28 grid, page numbers, the 版头 with
its red rule, the 版记, and a named paragraph style per element. The renderer
(services/bulletin/docx.py) fills the placeholders below and writes the body with those
styles, so an office drops in its own red-header template (`bulletin.template` in the org
file) without touching code. `python -m services.bulletin.template` rewrites the shipped
file from this builder.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from services.bulletin.ooxml import RED, border, set_borders, set_child, set_fonts
from services.bulletin.templatefile import (
    ADDRESSEES,
    ATTACHMENTS,
    BODY,
    CC,
    DATE,
    DEFAULT_TEMPLATE,
    NUMBER,
    OFFICE,
    PRINT_DATE,
    PRINTER,
    SIGNATURE,
    TITLE,
)

# Paragraph styles the body is written in (the template may restyle them, not rename them).
S_MASTHEAD = "公文版头"
S_NUMBER = "公文发文字号"
S_TITLE = "公文标题"
S_TEXT = "公文正文"
S_PLAIN = "公文无缩进"
S_H1 = "公文一级标题"
S_H2 = "公文二级标题"
S_H3 = "公文三级标题"
S_H4 = "公文四级标题"
S_TABLE = "公文表格"
S_TABLE_HEAD = "公文表头"
S_FIGURE = "公文图"
S_CAPTION = "公文图题"
S_ATTACHMENT = "公文附件"
S_SIGNATURE = "公文署名"
S_DATE = "公文成文日期"
S_RECORD = "公文版记"
S_PAGE_NUMBER = "公文页码"
BODY_STYLES = (S_TEXT, S_PLAIN, S_H1, S_H2, S_H3, S_H4, S_TABLE, S_TABLE_HEAD, S_FIGURE, S_CAPTION)

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEI = "黑体"
KAI = "楷体"
SONG = "宋体"
# Word substitutes w:altName when a font is missing: the GB fonts are absent on most PCs.
FONT_FALLBACKS = {TITLE_FONT: SONG, BODY_FONT: "仿宋"}

BODY_PT = 16  # 3号
LINE_PITCH_TWIPS = 579  # 225 mm of type area / 22 lines = 28.95 pt
LINE_PITCH = Pt(LINE_PITCH_TWIPS / 20)
CHARS_PER_LINE = 28
TEXT_WIDTH_MM = 210 - 28 - 26


def condense_twips() -> int:
    """Character spacing (twentieths of a point, negative) that sets 28 characters of 3号 a line.

    156 mm holds 27.6 characters of 16 pt; GB/T 9704 asks for 28. Word's character grid would
    do it (w:docGrid linesAndChars with a negative charSpace), but LibreOffice then gives every
    character two grid cells; condensing the body text by a quarter point works in both.
    """
    pitch = TEXT_WIDTH_MM / 25.4 * 72 / CHARS_PER_LINE
    return math.floor((pitch - BODY_PT) * 20)


def _style(
    doc: DocumentObject,
    name: str,
    font: str,
    size: float,
    *,
    base: str | None = None,
    bold: bool = False,
    color: str | None = None,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_chars: float = 0,
    exact: float | None = LINE_PITCH.pt,
    keep_with_next: bool = False,
    outline: int | None = None,
    grid: bool = True,
) -> ParagraphStyle:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles[base] if base else None
    style.quick_style = True
    set_fonts(style.element.get_or_add_rPr(), font)
    style.font.size = Pt(size)
    style.font.bold = bold
    if color is not None:
        style.font.color.rgb = RGBColor.from_string(color)
    fmt = style.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if exact is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    fmt.first_line_indent = Pt(indent_chars * size)
    fmt.left_indent = fmt.right_indent = Pt(0)
    fmt.widow_control = True
    if align is not None:
        fmt.alignment = align
    fmt.keep_with_next = keep_with_next
    ppr = style.element.get_or_add_pPr()
    if not grid:
        # Tables, the title and the chart keep their own spacing, not the body's character grid.
        set_child(ppr, "w:snapToGrid", {"w:val": "0"})
    if outline is not None:
        set_child(ppr, "w:outlineLvl", {"w:val": str(outline)})
    if size == BODY_PT:
        set_child(style.element.get_or_add_rPr(), "w:spacing", {"w:val": str(condense_twips())})
    return style


def _styles(doc: DocumentObject) -> None:
    normal = doc.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    set_fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.font.size = Pt(BODY_PT)
    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    centre = WD_ALIGN_PARAGRAPH.CENTER
    _style(doc, S_MASTHEAD, TITLE_FONT, 26, color=RED, align=centre, exact=None, grid=False)
    number = _style(doc, S_NUMBER, BODY_FONT, BODY_PT, align=centre)
    # The red rule: 4 mm under the 发文字号, as wide as the type area (a paragraph border).
    set_borders(number.element.get_or_add_pPr(), "w:pBdr", {"bottom": border(12, RED, space=11)})
    _style(doc, S_TITLE, TITLE_FONT, 22, align=centre, exact=36, keep_with_next=True, grid=False)
    _style(doc, S_TEXT, BODY_FONT, BODY_PT, align=justify, indent_chars=2)
    _style(doc, S_PLAIN, BODY_FONT, BODY_PT, align=justify)
    _style(doc, S_H1, HEI, BODY_PT, indent_chars=2, keep_with_next=True, outline=0)
    _style(doc, S_H2, KAI, BODY_PT, indent_chars=2, keep_with_next=True, outline=1)
    _style(doc, S_H3, BODY_FONT, BODY_PT, indent_chars=2, keep_with_next=True, outline=2)
    _style(doc, S_H4, BODY_FONT, BODY_PT, indent_chars=2, keep_with_next=True, outline=3)
    _style(doc, S_TABLE, BODY_FONT, 12, align=centre, exact=None, grid=False)
    _style(doc, S_TABLE_HEAD, HEI, 12, align=centre, exact=None, grid=False)
    _style(doc, S_FIGURE, BODY_FONT, BODY_PT, align=centre, exact=None, keep_with_next=True)
    _style(doc, S_CAPTION, HEI, 14, align=centre)
    attachment = _style(doc, S_ATTACHMENT, BODY_FONT, BODY_PT, keep_with_next=True)
    # 附件：1. … with later items under the first name: left 5 characters, hanging 3.
    attachment.paragraph_format.left_indent = Pt(5 * BODY_PT)
    attachment.paragraph_format.first_line_indent = Pt(-3 * BODY_PT)
    right = WD_ALIGN_PARAGRAPH.RIGHT
    _style(doc, S_SIGNATURE, BODY_FONT, BODY_PT, align=right, keep_with_next=True)
    date = _style(doc, S_DATE, BODY_FONT, BODY_PT, align=right)
    date.paragraph_format.right_indent = Pt(4 * BODY_PT)  # 成文日期右空四字
    record = _style(doc, S_RECORD, BODY_FONT, 14, exact=LINE_PITCH.pt, grid=False)
    record.paragraph_format.left_indent = record.paragraph_format.right_indent = Pt(14)
    _style(doc, S_PAGE_NUMBER, SONG, 14, exact=None, grid=False)


def _section(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # The page number sits 7 mm below the type area (GB/T 9704 7.5).
    section.footer_distance = Mm(35 - 7 - 6)
    sect = section._sectPr
    for old in sect.findall(qn("w:docGrid")):
        sect.remove(old)
    grid = sect.makeelement(qn("w:docGrid"), {})
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    sect.append(grid)
    doc.settings.odd_and_even_pages_header_footer = True
    style = doc.styles[S_PAGE_NUMBER]
    assert isinstance(style, ParagraphStyle)
    _page_number(section.footer.paragraphs[0], style, odd=True)
    _page_number(section.even_page_footer.paragraphs[0], style, odd=False)


def _page_number(para: Paragraph, style: ParagraphStyle, *, odd: bool) -> None:
    """`— 1 —` in 4号 宋体: odd pages right, even pages left, one character in from the edge."""
    para.style = style
    fmt = para.paragraph_format
    if odd:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt.right_indent = Pt(14)
    else:
        para.alignment = WD_ALIGN_PARAGRAPH.LEFT
        fmt.left_indent = Pt(14)
    _run(para, "— ")
    for kind in ("begin", "instr", "separate", "number", "end"):
        run = _run(para, "1" if kind == "number" else "")
        if kind == "instr":
            instr = run._element.makeelement(qn("w:instrText"), {})
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._element.append(instr)
        elif kind != "number":
            char = run._element.makeelement(qn("w:fldChar"), {})
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
    _run(para, " —")


def _run(para: Paragraph, text: str) -> Run:
    run = para.add_run(text)
    set_fonts(run._element.get_or_add_rPr(), SONG)
    run.font.size = Pt(14)
    return run


def _para(doc: DocumentObject, style: str, text: str = "") -> Paragraph:
    return doc.add_paragraph(text, style=style)


def _record(doc: DocumentObject) -> None:
    """版记 as a table floating at the foot of the last page: 抄送, then 印发机关 and 印发日期.

    Rules as wide as the type area: thick (0.35 mm) first and last, thin (0.25 mm) between.
    The table floats (w:tblpPr) at the bottom of the page's type area, wherever the text ends.
    """
    table = doc.add_table(rows=2, cols=2)
    tbl_pr = table._tbl.tblPr
    set_child(
        tbl_pr,
        "w:tblpPr",
        {
            "w:vertAnchor": "margin",
            "w:horzAnchor": "margin",
            "w:tblpXSpec": "center",
            "w:tblpYSpec": "bottom",
        },
    )
    # A hair under the type width: LibreOffice floats only a table narrower than the text area.
    width = round(TEXT_WIDTH_MM / 25.4 * 1440) - 10
    set_child(tbl_pr, "w:tblW", {"w:w": str(width), "w:type": "dxa"})
    set_child(tbl_pr, "w:tblLayout", {"w:type": "fixed"})
    set_borders(
        tbl_pr, "w:tblBorders", {"top": border(8), "bottom": border(8), "insideH": border(6)}
    )
    # No cell padding: the paragraphs' own indents put the text one character in.
    margins = set_child(tbl_pr, "w:tblCellMar")
    for side in ("left", "right"):
        margins.append(margins.makeelement(qn(f"w:{side}"), {qn("w:w"): "0", qn("w:type"): "dxa"}))
    left = width * 3 // 5
    for column, twips in zip(table.columns, (left, width - left), strict=True):
        column.width = Twips(twips)
    cc = table.cell(0, 0).merge(table.cell(0, 1)).paragraphs[0]
    cc.style = doc.styles[S_RECORD]
    # 抄送 continues under the first name after the colon (3 characters of 4号 hanging).
    cc.paragraph_format.left_indent = Pt(14 + 3 * 14)
    cc.paragraph_format.first_line_indent = Pt(-3 * 14)
    cc.add_run("抄送：{{" + CC + "}}。")
    printer = table.cell(1, 0).paragraphs[0]
    printer.style = doc.styles[S_RECORD]
    printer.paragraph_format.right_indent = Pt(0)
    printer.add_run("{{" + PRINTER + "}}")
    # 印发机关 one character in from the left, 印发日期 one character in from the right.
    printed = table.cell(1, 1).paragraphs[0]
    printed.style = doc.styles[S_RECORD]
    printed.paragraph_format.left_indent = Pt(0)
    printed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    printed.add_run("{{" + PRINT_DATE + "}}印发")


def build_default_template() -> bytes:
    """The shipped template, built from scratch (deterministic apart from Word's own ids)."""
    from services.bulletin.docxwriter import add_font_fallbacks

    doc = Document()
    body = doc.element.body
    for para in list(body.iterchildren(qn("w:p"))):
        body.remove(para)
    _styles(doc)
    _section(doc)
    _para(doc, S_MASTHEAD, "{{" + OFFICE + "}}")
    _para(doc, S_PLAIN)
    _para(doc, S_PLAIN)
    _para(doc, S_NUMBER, "{{" + NUMBER + "}}")
    _para(doc, S_PLAIN)
    _para(doc, S_PLAIN)
    _para(doc, S_TITLE, "{{" + TITLE + "}}")
    _para(doc, S_PLAIN)
    _para(doc, S_PLAIN, "{{" + ADDRESSEES + "}}：")
    _para(doc, S_TEXT, "{{" + BODY + "}}")
    _para(doc, S_PLAIN)
    _para(doc, S_ATTACHMENT, "附件：{{" + ATTACHMENTS + "}}")
    # Room for the seal: it sits over the signature and date, its top within a line of the text.
    for _ in range(2):
        _para(doc, S_PLAIN).paragraph_format.keep_with_next = True
    _para(doc, S_SIGNATURE, "{{" + SIGNATURE + "}}")
    _para(doc, S_DATE, "{{" + DATE + "}}")
    _record(doc)
    # A plain paragraph after the frame closes it (LibreOffice drops a frame that ends the
    # document); one point high, so it never starts a page of its own.
    end = _para(doc, S_PLAIN)
    end.paragraph_format.line_spacing = Pt(1)
    props = doc.core_properties
    props.title, props.author, props.comments = "通报模板", "FireGrid", "GB/T 9704-2012"
    buf = io.BytesIO()
    doc.save(buf)
    return add_font_fallbacks(buf.getvalue())


def main(argv: list[str]) -> int:
    """Write the default template (to the shipped path, or the path given)."""
    target = Path(argv[0]) if argv else DEFAULT_TEMPLATE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build_default_template())
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
