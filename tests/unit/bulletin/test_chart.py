"""The chart is a PNG whose Chinese labels are drawn with the CJK font, not as tofu boxes."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.text import Text

from services.bulletin.chart import (
    MIN_VISIBLE,
    SHARE_CAP,
    build_figure,
    chart_rc,
    cjk_font_path,
    render_chart,
    render_png,
    response_bars,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def texts_of(fig: Figure) -> list[Text]:
    fig.canvas.draw()
    return [t for t in fig.findobj(Text) if isinstance(t, Text) and t.get_text().strip()]


def unrenderable(text: Text) -> tuple[str, str]:
    """(font file matplotlib resolves for this text, characters that font has no glyph for)."""
    path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
    font = FT2Font(path)
    missing = "".join(
        c for c in text.get_text() if not c.isspace() and font.get_char_index(ord(c)) == 0
    )
    return path, missing


def render_label(label: str, family: str) -> np.ndarray:
    """Grey pixels of one label drawn alone in the given font family."""
    fig = Figure(figsize=(2.0, 0.6), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(0.05, 0.3, label, fontsize=20, family=family)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return rgba[..., :3].mean(axis=2)


def test_font_comes_from_the_mplfonts_package():
    path = cjk_font_path()
    assert path.is_file()
    assert "mplfonts" in path.parts
    assert path.name == "NotoSansCJKsc-Regular.otf"


def test_chart_is_png(known):
    data = render_chart(known)
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 10_000


def test_every_label_resolves_to_the_cjk_file_and_has_every_glyph(known):
    fig = build_figure(known)
    texts = texts_of(fig)
    shown = {t.get_text() for t in texts}
    # The labels the reader needs are really on the figure.
    for label in (
        "消防通道堵塞",
        "电动自行车违规停放充电",
        "社会事业局",
        "升级时限（100%）",
        "住建办（紧急）",
        "隐患按类别与状态（起）",
        "2026年12月消防网格化工作统计",
    ):
        assert label in shown
    for text in texts:
        with rc_context(chart_rc()):
            path, missing = unrenderable(text)
        assert Path(path) == cjk_font_path(), text.get_text()
        assert missing == "", f"{text.get_text()!r} lacks glyphs for {missing!r}"


def test_glyph_check_catches_a_font_without_cjk():
    """Negative control: the check above fails for a CJK label set in DejaVu Sans."""
    fig = Figure()
    FigureCanvasAgg(fig)
    text = fig.text(0, 0, "消防通道堵塞", family="DejaVu Sans")
    path, missing = unrenderable(text)
    assert Path(path).name == "DejaVuSans.ttf"
    assert missing == "消防通道堵塞"


def test_rendering_emits_no_missing_glyph_warning(known, empty):
    for bulletin in (known, empty):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            render_chart(bulletin)
        glyph_warnings = [str(w.message) for w in caught if "missing from font" in str(w.message)]
        assert glyph_warnings == []


def test_missing_glyph_warning_is_observable():
    """Negative control: the same capture does see the warning when the font lacks the glyphs."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, "报到", family="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    assert any("missing from font" in str(w.message) for w in caught)


def test_cjk_labels_have_ink_and_distinct_shapes_where_tofu_would_not():
    family = chart_rc()["font.family"][0]
    with rc_context(chart_rc()):
        a, b = render_label("消防", family), render_label("报到", family)
    # Dark pixels where the label is, and the two words look different.
    assert (a < 128).sum() > 50 and (b < 128).sum() > 50
    assert np.abs(a - b).sum() > 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tofu_a, tofu_b = render_label("消防", "DejaVu Sans"), render_label("报到", "DejaVu Sans")
    # Negative control: without CJK glyphs both words become the same boxes.
    assert np.array_equal(tofu_a, tofu_b)


def test_empty_month_chart_says_so(empty):
    fig = build_figure(empty)
    shown = {t.get_text() for t in texts_of(fig)}
    assert {"本月无吹哨隐患", "本月无派遣部门"} <= shown
    assert render_png(fig).startswith(PNG_MAGIC)


def test_each_department_is_measured_against_its_own_ladder(known):
    bars = {b.label: b for b in response_bars(known.response)}
    # 住建办 answered urgent cases in 95 minutes against a 30-minute ladder: over, in red.
    urgent = bars["住建办（紧急）"]
    assert urgent.over and urgent.text == "1小时35分钟 / 时限30分钟（317%）"
    # Its normal cases ran on an 8-hour ladder and are inside it: not mixed with the urgent.
    normal = bars["住建办（一般）"]
    assert not normal.over and normal.text == "5小时 / 时限8小时（62%）"
    assert bars["社会事业局"].share is None and bars["社会事业局"].text == "本月无派遣"


def test_bars_are_labelled_and_small_values_stay_visible(known):
    fig = build_figure(known)
    _, bottom = fig.axes[:2]
    shown = {t.get_text().strip() for t in texts_of(fig)}
    assert {"8分钟 / 时限8小时（2%）", "6分钟 / 时限30分钟（20%）", "升级时限（100%）"} <= shown
    right = bottom.get_xlim()[1]
    widths = {
        label.get_text(): patch.get_width()
        for label, patch in zip(bottom.get_yticklabels(), bottom.patches, strict=False)
    }
    # 8 minutes of an 8-hour ladder is 1.7 %: drawn at least 1.2 % of the axis wide.
    assert widths["消防大队（一般）"] >= right * MIN_VISIBLE > 0
    assert widths["住建办（紧急）"] == pytest.approx(316.7)
    assert any(line.get_xdata()[0] == 100 for line in bottom.get_lines())


def test_a_department_far_past_its_limit_does_not_flatten_the_rest(known):
    rows = [
        r.model_copy(
            update={"lanes": [lane.model_copy(update={"median_share": 5000.0}) for lane in r.lanes]}
        )
        if r.department_key == "housing"
        else r
        for r in known.response
    ]
    fig = build_figure(known.model_copy(update={"response": rows}))
    _, bottom = fig.axes[:2]
    assert bottom.get_xlim()[1] == SHARE_CAP
    assert "1小时35分钟 / 时限30分钟（5000%）" in {t.get_text().strip() for t in texts_of(fig)}
