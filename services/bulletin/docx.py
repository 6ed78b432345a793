"""The bulletin as a Word document in the shape of a government 通报 (GB/T 9704-2012)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from models.bulletin import Bulletin, ReportStatus
from services.bulletin.format import DASH, chinese_number, local_text, minutes_text, rate_text
from services.bulletin.headline import (
    MEDIAN_ACK,
    WHISTLED,
    document_rows,
    on_time_text,
    versus,
)
from services.timefmt import fmt_date

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体"
PAGE_NUMBER_FONT = "宋体"
# Word substitutes w:altName when a font is missing: the GB fonts are absent on most PCs.
FONT_FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋"}

TITLE_SIZE = Pt(22)  # 2号
BODY_SIZE = Pt(16)  # 3号
TABLE_SIZE = Pt(12)  # 小四: tables hold several columns on a 156 mm line
WIDE_TABLE_SIZE = Pt(10.5)  # 五号
# 225 mm of type area / 22 lines = 28.95 pt (579 twips): GB/T 9704's 22 lines a page.
LINE_PITCH = Pt(28.95)
FIRST_LINE_INDENT = Pt(32)  # two characters of 3号


def set_run_font(
    run: Run,
    east_asia: str,
    *,
    size: Length | None = None,
    bold: bool | None = None,
) -> Run:
    """Name the font for East Asian text on the run (w:eastAsia) and for Latin and digits."""
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold
    return run


def _style_fonts(style: ParagraphStyle, east_asia: str, size: Length) -> None:
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), east_asia)
    style.font.size = size


class _Writer:
    """Appends 公文-formatted paragraphs and tables to one document."""

    def __init__(self) -> None:
        self.doc: DocumentObject = Document()
        self._section_no = 0
        self._subsection_no = 0
        section = self.doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        normal = self.doc.styles["Normal"]
        assert isinstance(normal, ParagraphStyle)
        _style_fonts(normal, BODY_FONT, BODY_SIZE)
        self._page_numbers()

    def _page_numbers(self) -> None:
        """Footer `— 1 —` in 4号 宋体, as GB/T 9704 numbers pages."""
        para = self.doc.sections[0].footer.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_run_font(para.add_run("— "), PAGE_NUMBER_FONT, size=Pt(14))
        for kind, instr in (("begin", None), (None, " PAGE "), ("separate", None)):
            run = set_run_font(para.add_run(), PAGE_NUMBER_FONT, size=Pt(14))
            if kind is not None:
                char = OxmlElement("w:fldChar")
                char.set(qn("w:fldCharType"), kind)
                run._element.append(char)
            else:
                text = OxmlElement("w:instrText")
                text.set(qn("xml:space"), "preserve")
                text.text = instr
                run._element.append(text)
        set_run_font(para.add_run("1"), PAGE_NUMBER_FONT, size=Pt(14))
        end = set_run_font(para.add_run(), PAGE_NUMBER_FONT, size=Pt(14))
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), "end")
        end._element.append(char)
        set_run_font(para.add_run(" —"), PAGE_NUMBER_FONT, size=Pt(14))

    def _para(self, *, indent: bool = True) -> Paragraph:
        para = self.doc.add_paragraph()
        fmt = para.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        if indent:
            fmt.first_line_indent = FIRST_LINE_INDENT
        return para

    def title(self, text: str) -> None:
        para = self._para(indent=False)
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        # The title line is taller than the body grid: let it breathe instead of clipping.
        para.paragraph_format.line_spacing = Pt(36)
        set_run_font(para.add_run(text), TITLE_FONT, size=TITLE_SIZE, bold=True)
        self.blank()

    def blank(self) -> None:
        set_run_font(self._para(indent=False).add_run(""), BODY_FONT, size=BODY_SIZE)

    def text(self, text: str, *, indent: bool = True) -> Paragraph:
        para = self._para(indent=indent)
        set_run_font(para.add_run(text), BODY_FONT, size=BODY_SIZE)
        return para

    def heading(self, text: str) -> None:
        """Level 1: `一、…` in 黑体."""
        self._section_no += 1
        self._subsection_no = 0
        para = self._para()
        set_run_font(
            para.add_run(f"{chinese_number(self._section_no)}、{text}"),
            HEADING1_FONT,
            size=BODY_SIZE,
        )

    def subheading(self, text: str) -> None:
        """Level 2: `（一）…` in 楷体."""
        self._subsection_no += 1
        para = self._para()
        set_run_font(
            para.add_run(f"（{chinese_number(self._subsection_no)}）{text}"),
            HEADING2_FONT,
            size=BODY_SIZE,
        )

    def numbered(self, items: Sequence[str]) -> None:
        """Level 3 items: `1. …`."""
        for no, item in enumerate(items, start=1):
            self.text(f"{no}. {item}")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        size = TABLE_SIZE if len(headers) <= 5 else WIDE_TABLE_SIZE
        table = self.doc.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for r, values in enumerate([list(headers), *map(list, rows)]):
            for c, value in enumerate(values):
                para = table.cell(r, c).paragraphs[0]
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                para.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
                font = HEADING1_FONT if r == 0 else BODY_FONT
                set_run_font(para.add_run(value), font, size=size)
        # GB/T 9704 sets no rule for tables; a body line after each keeps the grid readable.
        self._para(indent=False)

    def right(self, text: str) -> None:
        para = self._para(indent=False)
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        # Four characters in from the right margin, as the issuing date sits in a 公文.
        para.paragraph_format.right_indent = Pt(64)
        set_run_font(para.add_run(text), BODY_FONT, size=BODY_SIZE)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return add_font_fallbacks(buf.getvalue(), FONT_FALLBACKS)


def add_font_fallbacks(docx_bytes: bytes, fallbacks: dict[str, str]) -> bytes:
    """Declare each font in word/fontTable.xml with the font Word should use when it is missing."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    src = zipfile.ZipFile(io.BytesIO(docx_bytes))
    table = etree.fromstring(src.read("word/fontTable.xml"))
    declared = {el.get(f"{{{w}}}name") for el in table.findall(f"{{{w}}}font")}
    names = [*fallbacks, *fallbacks.values(), HEADING1_FONT, HEADING2_FONT, PAGE_NUMBER_FONT]
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


def render_docx(b: Bulletin) -> bytes:
    """The bulletin as .docx bytes."""
    tz = b.zone
    doc = _Writer()
    doc.doc.core_properties.title = b.title
    doc.doc.core_properties.author = b.office
    doc.title(b.title)
    doc.text("各有关部门、各社区：", indent=False)
    doc.text(f"现将{b.period.label}消防网格化工作情况通报如下。")
    for note in b.notes:
        doc.text(note)
    if b.before_records:
        # Nothing was recorded: tables of zeros would read as figures that were checked.
        doc.text("本月无可通报的业务数据。")
        return _signed(doc, b)

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

    return _signed(doc, b)


def _signed(doc: _Writer, b: Bulletin) -> bytes:
    """The issuing office and the date, right-aligned at the end; the document as bytes."""
    doc.blank()
    doc.blank()
    doc.right(b.office)
    doc.right(fmt_date(b.issue_date, weekday=False))
    return doc.to_bytes()
