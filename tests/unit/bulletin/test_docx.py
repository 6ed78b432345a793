"""The .docx is a GB/T 9704-shaped 通报 stating exactly the month's figures."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from services.bulletin.docx import render_docx

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def read(data: bytes):
    return Document(io.BytesIO(data))


def east_asia(run) -> str | None:
    fonts = run._element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def table_with_header(doc, *first: str):
    for table in doc.tables:
        header = [c.text for c in table.rows[0].cells]
        if header[: len(first)] == list(first):
            return table
    raise AssertionError(f"no table starting with {first}")


def row_of(table, key: str) -> list[str]:
    for row in table.rows:
        cells = [c.text for c in row.cells]
        if cells[0] == key:
            return cells
    raise AssertionError(f"no row {key}")


def body_texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def styled(doc, style: str):
    """The body paragraphs in one of the template's styles."""
    return [p for p in doc.paragraphs if p.style is not None and p.style.name == style]


def title_of(doc):
    (title,) = styled(doc, "公文标题")
    return title


def test_page_is_a4_with_gbt9704_margins(known):
    section = read(render_docx(known)).sections[0]
    for got, want in (
        (section.page_width, 210),
        (section.page_height, 297),
        (section.top_margin, 37),
        (section.bottom_margin, 35),
        (section.left_margin, 28),
        (section.right_margin, 26),
    ):
        assert abs(got.mm - want) < 0.05, (got.mm, want)


def test_title_centred_in_2hao_xiaobiaosong(known):
    doc = read(render_docx(known))
    title = title_of(doc)
    # Broken between words, never leaving one character alone on a line.
    assert title.text == "关于2026年12月\n消防网格化工作情况的通报"
    assert title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    (run,) = title.runs
    assert run.font.size == Pt(22)
    assert east_asia(run) == "方正小标宋简体"


def test_font_table_falls_back_to_songti_and_fangsong(known):
    with zipfile.ZipFile(io.BytesIO(render_docx(known))) as z:
        table = etree.fromstring(z.read("word/fontTable.xml"))
    alt = {
        f.get(f"{{{W}}}name"): f.find(f"{{{W}}}altName").get(f"{{{W}}}val")
        for f in table.findall(f"{{{W}}}font")
        if f.find(f"{{{W}}}altName") is not None
    }
    assert alt == {"方正小标宋简体": "宋体", "仿宋_GB2312": "仿宋"}


def test_body_in_3hao_fangsong_with_fixed_line_pitch(known):
    doc = read(render_docx(known))
    para = next(p for p in doc.paragraphs if p.text.startswith("现将"))
    assert para.text == "现将2026年12月消防网格化工作情况通报如下。"
    fmt = para.style.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert 28 <= fmt.line_spacing.pt <= 29
    assert fmt.first_line_indent == Pt(32)
    (run,) = para.runs
    assert run.font.size == Pt(16)
    assert east_asia(run) == "仿宋_GB2312"


def test_every_run_with_text_names_its_east_asian_font(known, empty):
    for bulletin in (known, empty):
        data = render_docx(bulletin)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            parts = [n for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")]
            xml = {n: etree.fromstring(z.read(n)) for n in parts}
        runs = [
            r
            for root in xml.values()
            for r in root.iter(f"{{{W}}}r")
            if "".join(t.text or "" for t in r.iter(f"{{{W}}}t")).strip()
        ]
        assert len(runs) > 10
        bare = [
            "".join(t.text or "" for t in r.iter(f"{{{W}}}t"))
            for r in runs
            if r.find(f"{{{W}}}rPr/{{{W}}}rFonts") is None
            or not r.find(f"{{{W}}}rPr/{{{W}}}rFonts").get(f"{{{W}}}eastAsia")
        ]
        assert bare == []


def test_headings_numbered_in_heiti_and_kaiti(known):
    doc = read(render_docx(known))
    level1 = [p for p in doc.paragraphs if p.text[:2] in {f"{n}、" for n in "一二三四五六七八九"}]
    assert [p.text for p in level1] == [
        "一、总体情况",
        "二、月度报告报送情况",
        "三、会议、培训、检查开展情况",
        "四、隐患排查处置情况",
        "五、各部门报到与处置情况",
        "六、约谈建议",
        "七、亮点和先进经验",
    ]
    assert {east_asia(p.runs[0]) for p in level1} == {"黑体"}
    level2 = [p for p in doc.paragraphs if p.text.startswith("（")]
    assert [p.text for p in level2] == [
        "（一）按隐患类别",
        "（二）按区域",
        "（三）按责任部门",
        "（四）久未结案案件",
    ]
    assert {east_asia(p.runs[0]) for p in level2} == {"楷体"}


def test_overview_states_the_figures(known):
    doc = read(render_docx(known))
    overview = body_texts(doc)[body_texts(doc).index("一、总体情况") + 1]
    assert overview == (
        "本月共吹哨隐患7起（较上月↑2），已结案4起，未结案3起，其中超期1起。"
        "各责任部门共接派遣10次，按时报到7次，按时报到率70.0%（较上月↓30.0个百分点），"
        "报到用时中位数18分钟（较上月↓4分钟）；被升级案件4件，核查未通过重新处置1次。"
        "应报送月度报告6份，按时报送3份，逾期报送1份，未报送2份。"
    )
    headline = table_with_header(doc, "指标", "本月", "上月", "变化")
    assert row_of(headline, "吹哨隐患（起）") == ["吹哨隐患（起）", "7", "5", "↑2"]
    assert row_of(headline, "按时报到率") == ["按时报到率", "70.0%", "100.0%", "↓30.0个百分点"]
    assert row_of(headline, "报到用时中位数") == ["报到用时中位数", "18分钟", "22分钟", "↓4分钟"]
    assert row_of(headline, "月报未报送（份）") == ["月报未报送（份）", "2", "1", "↑1"]


def test_report_duty_and_hazard_tables(known):
    doc = read(render_docx(known))
    reports = table_with_header(doc, "部门", "报告", "报送情况")
    assert row_of(reports, "住建办") == ["住建办", "住建办物业消防工作报告", "未报送", "—", "—"]
    assert row_of(reports, "千山社区") == [
        "千山社区",
        "社区履职情况",
        "逾期报送",
        "12月27日 08:30",
        "千山社区 李某",
    ]
    duties = table_with_header(doc, "部门", "事项", "应开展")
    assert [c.text for c in duties.rows[2].cells] == ["社会事业局", "会议", "1", "0", "缺1次"]
    assert (
        "未按要求开展：社会事业局会议（应1次，实0次）；千山社区检查（应4次，实3次）。"
        in body_texts(doc)
    )
    categories = table_with_header(doc, "类别", "吹哨")
    assert row_of(categories, "消防通道堵塞") == ["消防通道堵塞", "3", "2", "1", "1"]
    areas = table_with_header(doc, "区域", "吹哨")
    assert row_of(areas, "梨花社区") == ["梨花社区", "3", "1", "2", "0"]
    oldest = table_with_header(doc, "案件编号")
    assert row_of(oldest, "QS-2026-0003") == [
        "QS-2026-0003",
        "消防通道堵塞",
        "千山社区",
        "12月2日 09:14",
        "29天6小时",
        "住建办",
    ]


def test_department_stats_table(known):
    doc = read(render_docx(known))
    stats = table_with_header(doc, "部门", "派遣", "报到")
    assert row_of(stats, "住建办") == [
        "住建办",
        "4",
        "3",
        "25.0%",
        "1小时35分钟",
        "5小时",
        "1天1小时",
        "4",
        "0",
    ]
    # A department with no cases: no medians, no rate, shown as dashes.
    assert row_of(stats, "社会事业局") == [
        "社会事业局",
        "0",
        "0",
        "—",
        "—",
        "—",
        "—",
        "0",
        "0",
    ]


def test_talks_highlights_and_signature(known):
    doc = read(render_docx(known))
    texts = body_texts(doc)
    start = texts.index("六、约谈建议")
    assert (
        texts[start + 1]
        == "按照约谈规则（本月被升级案件2件及以上，或按时报到率低于80%），建议约谈以下部门："
    )
    assert texts[start + 2] == "1. 住建办：本月被升级案件4件；按时报到率25.0%。"
    start = texts.index("七、亮点和先进经验")
    assert (
        texts[start + 1] == "1. 千山社区：“组织楼长开展夜间巡查，发现并整改电动车入户充电隐患5处。”"
    )
    assert texts[start + 2] == "2. 消防大队：“为三个社区开展‘送课上门’培训。”"
    (office,) = styled(doc, "公文署名")
    (day,) = styled(doc, "公文成文日期")
    assert office.text == "千山风景区三级消防与消防网格化工作办公室"
    assert day.text == "2026年12月31日"
    assert office.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert day.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_empty_month_is_a_sensible_document(empty):
    doc = read(render_docx(empty))
    texts = body_texts(doc)
    assert title_of(doc).text.replace("\n", "") == "关于2025年1月消防网格化工作情况的通报"
    assert "本月早于系统启用，无业务记录。" in texts
    for sentence in (
        "本月无应报送的月度报告。",
        "本月无应开展的会议、培训和检查。",
        "本月无吹哨隐患。",
        "本月无派遣至各部门的案件。",
        "本月无建议约谈的部门。",
        "本月报告未载亮点和先进经验。",
    ):
        assert sentence in texts
    # Only the headline table (and the 版记), with dashes where there is no previous month.
    headline, record = doc.tables
    assert record.cell(0, 0).text.startswith("千山风景区")
    assert row_of(headline, "吹哨隐患（起）") == ["吹哨隐患（起）", "0", "—", "—"]
    assert row_of(headline, "按时报到率") == ["按时报到率", "—", "—", "—"]
    assert [p.text for p in styled(doc, "公文成文日期")] == ["2025年1月27日"]


def test_a_month_before_the_bot_is_a_document_without_figures(empty):
    before = empty.model_copy(update={"before_records": True})
    doc = read(render_docx(before))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "本月早于系统启用，无业务记录。" in text and "本月无可通报的业务数据。" in text
    # No table of figures: only the 版记 (抄送/印发) of every 通报.
    (record,) = doc.tables
    assert record.rows[-1].cells[-1].text == "2025年1月27日印发"
    assert "本月无吹哨隐患" not in text
    assert text.rstrip().endswith("2025年1月27日")
