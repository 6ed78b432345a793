"""Fills a 通报 Word template: plain placeholders, and the body written at {{正文}} in its styles.

Every run written gets its style's fonts, size, weight and colour spelled out (w:eastAsia
included), so the document reads the same in a Word that lacks the template's styles.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from services.bulletin import template as tpl
from services.bulletin.format import chinese_number
from services.bulletin.layout import (
    TYPE_WIDTH_PT,
    break_title,
    column_widths,
    fit_masthead,
    is_figure,
    text_width,
)
from services.bulletin.ooxml import border, get_or_add, set_borders, set_child, set_fonts
from services.bulletin.templatefile import PLACEHOLDER, TemplateError

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TABLE_SIZES = (12.0, 10.5, 9.0)  # 小四, 五号, 小五: the largest in which no figure wraps
FIGURE_MAX_HEIGHT = Mm(190)


@dataclass(frozen=True)
class Look:
    """A paragraph style's run properties, resolved through its base styles."""

    font: str
    size: float
    bold: bool
    color: str | None


def look_of(style: Any) -> Look:
    font = size = bold = color = None
    while style is not None:
        rpr = style.element.rPr
        if font is None and rpr is not None and rpr.rFonts is not None:
            font = rpr.rFonts.get(qn("w:eastAsia"))
        if size is None and style.font.size is not None:
            size = style.font.size.pt
        if bold is None and style.font.bold is not None:
            bold = style.font.bold
        if color is None and style.font.color.type is not None and style.font.color.rgb:
            color = str(style.font.color.rgb)
        style = style.base_style
    return Look(font or tpl.BODY_FONT, size or tpl.BODY_PT, bool(bold), color)


def dress(run: Run, look: Look, *, bold: bool | None = None) -> Run:
    """Spell out the run's font (w:eastAsia too), size, weight and colour."""
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None or not fonts.get(qn("w:eastAsia")):
        set_fonts(rpr, look.font)
    if run.font.size is None:
        run.font.size = Pt(look.size)
    run.font.bold = look.bold if bold is None else bold
    if look.color is not None and run.font.color.rgb is None:
        set_child(rpr, "w:color", {"w:val": look.color})
    return run


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class TemplateWriter:
    """Writes the body before the template's {{正文}} paragraph and fills the other placeholders."""

    def __init__(self, template: bytes) -> None:
        self.doc: DocumentObject = Document(io.BytesIO(template))
        anchor = self._find(tpl.BODY)
        if anchor is None:
            raise TemplateError("通报模板缺少占位符 {{" + tpl.BODY + "}}")
        self._anchor: Paragraph = anchor
        self._counters = [0, 0, 0, 0]
        section = self.doc.sections[0]
        page, left, right = section.page_width, section.left_margin, section.right_margin
        if page is None or left is None or right is None:
            self.type_width_pt = TYPE_WIDTH_PT
        else:
            self.type_width_pt = Emu(page - left - right).pt
        self._figures = 0

    # ---- placeholders ----------------------------------------------------------------------
    def _paragraphs(self) -> list[Paragraph]:
        body = self.doc.element.body
        return [Paragraph(p, self.doc._body) for p in body.iter(qn("w:p"))]

    def _find(self, name: str) -> Paragraph | None:
        for para in self._paragraphs():
            if name in PLACEHOLDER.findall(para.text):
                return para
        return None

    def _style(self, name: str) -> ParagraphStyle:
        try:
            style = self.doc.styles[name]
        except KeyError:
            raise TemplateError(f"通报模板缺少段落样式“{name}”") from None
        assert isinstance(style, ParagraphStyle)
        return style

    def fill(self, values: Mapping[str, str | None]) -> None:
        """Replace each {{名称}}; a None value removes its paragraph (or its 版记 row)."""
        for para in self._paragraphs():
            names = PLACEHOLDER.findall(para.text)
            if not names or tpl.BODY in names:
                continue
            if any(values.get(n) is None for n in names if n in values):
                self._remove(para)
                continue
            text = PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), para.text)
            runs = para.runs
            runs[0].text = text  # python-docx writes \n as w:br and \t as w:tab
            for run in runs[1:]:
                run._element.getparent().remove(run._element)
            dress(runs[0], look_of(para.style))

    def _remove(self, para: Paragraph) -> None:
        """Drop a paragraph (a table row, in a table); the 版记's thick top rule moves down."""
        element = para._p
        row = next(element.iterancestors(qn("w:tr")), None)
        if row is not None:
            row.getparent().remove(row)
            return
        top = element.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}")
        following = element.getnext()
        if top is not None and following is not None and following.tag == qn("w:p"):
            box = get_or_add(following.get_or_add_pPr(), "w:pBdr")
            for old in box.findall(qn("w:top")):
                box.remove(old)
            box.insert(0, top)
        element.getparent().remove(element)

    def fit_masthead(self) -> None:
        """Keep the red office name on one line by narrowing (then shrinking) its characters."""
        para = self._find_text_style(tpl.S_MASTHEAD)
        if para is None or not para.runs:
            return
        run = para.runs[0]
        size = run.font.size.pt if run.font.size is not None else look_of(para.style).size
        fit = fit_masthead(para.text, size, self.type_width_pt)
        run.font.size = Pt(fit.size_pt)
        if fit.scale != 100:
            set_child(run._element.get_or_add_rPr(), "w:w", {"w:val": str(fit.scale)})

    def _find_text_style(self, style: str) -> Paragraph | None:
        for para in self._paragraphs():
            if para.style is not None and para.style.name == style and para.text.strip():
                return para
        return None

    def title(self, parts: Sequence[str]) -> str:
        """The title with its line breaks, for a title style's size on this type width."""
        para = self._find(tpl.TITLE)
        size = look_of(para.style).size if para is not None else 22.0
        return "\n".join(break_title(parts, self.type_width_pt / size))

    def centre_signature(self) -> None:
        """Centre the office's name over the date (GB/T 9704 7.3.5.1), right edge kept in the line."""
        sign = self._find_text_style(tpl.S_SIGNATURE)
        date = self._find_text_style(tpl.S_DATE)
        if sign is None or date is None:
            return
        size = look_of(date.style).size
        indent = date.paragraph_format.right_indent
        if indent is None and date.style is not None:
            indent = date.style.paragraph_format.right_indent
        right = Emu(indent).pt if indent is not None else 0.0
        centre = right + text_width(date.text) * size / 2
        sign.paragraph_format.right_indent = Pt(max(centre - text_width(sign.text) * size / 2, 0))

    # ---- the body ----------------------------------------------------------------------------
    def para(self, text: str = "", style: str = tpl.S_TEXT) -> Paragraph:
        para = self._anchor.insert_paragraph_before("", style=self._style(style))
        if text:
            dress(para.add_run(text), look_of(para.style))
        return para

    def text(self, text: str, *, indent: bool = True) -> Paragraph:
        return self.para(text, tpl.S_TEXT if indent else tpl.S_PLAIN)

    def _heading(self, level: int, label: str, style: str) -> Paragraph:
        self._counters[level] += 1
        for deeper in range(level + 1, len(self._counters)):
            self._counters[deeper] = 0
        para = self.para(label, style)
        para.paragraph_format.keep_with_next = True
        return para

    def heading(self, text: str) -> Paragraph:
        """Level 1: `一、…` in 黑体."""
        no = chinese_number(self._counters[0] + 1)
        return self._heading(0, f"{no}、{text}", tpl.S_H1)

    def subheading(self, text: str) -> Paragraph:
        """Level 2: `（一）…` in 楷体."""
        no = chinese_number(self._counters[1] + 1)
        return self._heading(1, f"（{no}）{text}", tpl.S_H2)

    def numbered(self, items: Sequence[str]) -> None:
        """Level 3 items: `1. …`."""
        for no, item in enumerate(items, start=1):
            self.para(f"{no}. {item}", tpl.S_TEXT)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
        """A ruled table whose figures never wrap: widths measured, the font shrunk if needed."""
        size, widths = TABLE_SIZES[-1], None
        for candidate in TABLE_SIZES:
            widths = column_widths(headers, rows, candidate, self.type_width_pt)
            if widths is not None:
                size = candidate
                break
        if widths is None:
            widths = [self.type_width_pt / len(headers)] * len(headers)
        table = self.doc.add_table(rows=1 + len(rows), cols=len(headers))
        self._anchor._p.addprevious(table._tbl)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        tbl_pr = table._tbl.tblPr
        set_child(tbl_pr, "w:tblW", {"w:w": str(round(sum(widths) * 20)), "w:type": "dxa"})
        set_child(tbl_pr, "w:tblLayout", {"w:type": "fixed"})
        line = border(4)
        set_borders(
            tbl_pr,
            "w:tblBorders",
            {s: line for s in ("top", "left", "bottom", "right", "insideH", "insideV")},
        )
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Pt(width)
        head_look = look_of(self._style(tpl.S_TABLE_HEAD))
        cell_look = look_of(self._style(tpl.S_TABLE))
        for r, values in enumerate([list(headers), *map(list, rows)]):
            row = table.rows[r]
            tr_pr = row._tr.get_or_add_trPr()
            set_child(tr_pr, "w:cantSplit")
            if r == 0:
                set_child(tr_pr, "w:tblHeader")  # repeated on each page the table spans
            for c, value in enumerate(values):
                cell = row.cells[c]
                cell.width = Pt(widths[c])
                para = cell.paragraphs[0]
                para.style = self._style(tpl.S_TABLE_HEAD if r == 0 else tpl.S_TABLE)
                if r > 0 and is_figure(value):
                    set_child(cell._tc.get_or_add_tcPr(), "w:noWrap")
                run = para.add_run(value)
                run.font.size = Pt(size)
                dress(run, head_look if r == 0 else cell_look)
        # GB/T 9704 sets no rule for tables; a body line after each keeps the grid readable.
        self.para("", tpl.S_PLAIN)
        return table

    def figure(self, png: bytes, caption: str) -> str:
        """Embed a chart with its caption `图N　…`; returns `图N` for the text to refer to."""
        self._figures += 1
        label = f"图{self._figures}"
        para = self.para("", tpl.S_FIGURE)
        px_w, px_h = _png_size(png)
        width = Emu(int(min(self.type_width_pt, 150 / 25.4 * 72) * 12700))
        height = Emu(int(width * px_h / px_w))
        if height > FIGURE_MAX_HEIGHT:
            width, height = Emu(int(width * FIGURE_MAX_HEIGHT / height)), Emu(FIGURE_MAX_HEIGHT)
        para.add_run().add_picture(io.BytesIO(png), width=width, height=height)
        self.para(f"{label}\u3000{caption}", tpl.S_CAPTION)
        return label

    def keep_with_next(self, para: Paragraph) -> None:
        para.paragraph_format.keep_with_next = True

    def to_bytes(self) -> bytes:
        """The filled document (the {{正文}} paragraph removed), fonts declared with fallbacks."""
        self._anchor._p.getparent().remove(self._anchor._p)
        buf = io.BytesIO()
        self.doc.save(buf)
        return add_font_fallbacks(buf.getvalue())


def add_font_fallbacks(docx_bytes: bytes, fallbacks: Mapping[str, str] | None = None) -> bytes:
    """Declare each font in word/fontTable.xml with the font Word should use when it is missing."""
    fallbacks = tpl.FONT_FALLBACKS if fallbacks is None else fallbacks
    w = _W
    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    table = etree.fromstring(src.read("word/fontTable.xml"))
    declared = {el.get(f"{{{w}}}name") for el in table.findall(f"{{{w}}}font")}
    names = [*fallbacks, *fallbacks.values(), tpl.HEI, tpl.KAI, tpl.SONG]
    for name in dict.fromkeys(names):
        if name in declared:
            continue
        font = etree.SubElement(table, f"{{{w}}}font", {f"{{{w}}}name": name})
        if name in fallbacks:
            etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": fallbacks[name]})
        etree.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": "auto"})
        etree.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "variable"})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/fontTable.xml":
                data = etree.tostring(
                    table, xml_declaration=True, encoding="UTF-8", standalone=True
                )
            dst.writestr(info, data)
    return out.getvalue()
