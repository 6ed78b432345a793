"""The bulletin's chart (PNG): hazards by category and status, time to 报到 against the ladder."""

from __future__ import annotations

import functools
import importlib.util
import io
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from matplotlib.typing import RcKeyType

from models.bulletin import Bulletin, DepartmentResponse, HazardTally

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
_CLOSED, _OPEN, _OVERDUE = "#4c9a6a", "#e3a33b", "#c8473c"
_BAR, _SLOW, _LIMIT = "#4a78b0", "#c8473c", "#222222"


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC file inside the installed mplfonts package (no system install)."""
    # find_spec locates the package without importing it: mplfonts' import has no use here.
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("mplfonts is not installed: pip install mplfonts")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "fonts" / CJK_FONT_FILE
        if candidate.is_file():
            return candidate
    raise RuntimeError(f"{CJK_FONT_FILE} not found in the mplfonts package")


@functools.cache
def cjk_family() -> str:
    """Register the CJK font with matplotlib by file path once; return its family name."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def chart_rc() -> dict[RcKeyType, Any]:
    """rcParams under which every label is drawn with the CJK font and nothing else."""
    # One family, no fallback list: a missing glyph must warn, never silently draw a box.
    return {"font.family": [cjk_family()], "axes.unicode_minus": False}


def _empty(ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=13, transform=ax.transAxes)


def _hazards_panel(ax: Axes, rows: list[HazardTally]) -> None:
    ax.set_title("隐患按类别与状态（起）", fontsize=13, loc="left")
    if not rows:
        _empty(ax, "本月无吹哨隐患")
        return
    names = [r.name for r in rows]
    y = list(range(len(rows)))
    closed = [r.closed for r in rows]
    in_time = [r.open_in_time for r in rows]
    overdue = [r.overdue for r in rows]
    ax.barh(y, closed, color=_CLOSED, label="已结案")
    ax.barh(y, in_time, left=closed, color=_OPEN, label="未结案（未超期）")
    ax.barh(
        y,
        overdue,
        left=[c + i for c, i in zip(closed, in_time, strict=True)],
        color=_OVERDUE,
        label="超期未结",
    )
    for pos, row in zip(y, rows, strict=True):
        ax.text(row.whistled, pos, f" {row.whistled}", va="center", fontsize=10)
    ax.set_yticks(y, names, fontsize=10)
    ax.invert_yaxis()
    ax.set_xlim(0, max(max(r.whistled for r in rows), 1) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)


def _response_panel(ax: Axes, rows: list[DepartmentResponse]) -> None:
    ax.set_title("各部门报到用时中位数与升级时限", fontsize=13, loc="left")
    if not rows:
        _empty(ax, "本月无派遣部门")
        return
    values = [v for r in rows for v in (r.median_ack_minutes, r.ack_limit_minutes) if v is not None]
    # Hours read better once a normal ladder (a workday) shares the axis with minutes.
    per_unit, unit = (60.0, "小时") if values and max(values) > 180 else (1.0, "分钟")
    y = list(range(len(rows)))
    medians = [(r.median_ack_minutes or 0.0) / per_unit for r in rows]
    colours = [
        _SLOW
        if r.median_ack_minutes is not None
        and r.ack_limit_minutes is not None
        and r.median_ack_minutes > r.ack_limit_minutes
        else _BAR
        for r in rows
    ]
    ax.barh(y, medians, color=colours, label="报到用时中位数")
    limits = [
        (pos, r.ack_limit_minutes / per_unit)
        for pos, r in zip(y, rows, strict=True)
        if r.ack_limit_minutes is not None
    ]
    if limits:
        ax.scatter(
            [v for _, v in limits],
            [p for p, _ in limits],
            marker="|",
            s=500,
            linewidths=2.5,
            color=_LIMIT,
            zorder=3,
            label="升级时限",
        )
    top = max([*medians, *(v for _, v in limits), 1.0 / per_unit])
    for pos, row in zip(y, rows, strict=True):
        if row.median_ack_minutes is None:
            note = " 本月无派遣" if row.cases == 0 else " 无报到记录"
            ax.text(0, pos, note, va="center", fontsize=10, color="#666666")
    ax.set_yticks(y, [r.department for r in rows], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.15)
    ax.set_xlabel(unit, fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    if _SLOW in colours:
        handles.append(Patch(color=_SLOW))
        labels.append("超过时限")
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False
    )


def build_figure(bulletin: Bulletin) -> Figure:
    """The two-panel figure on an Agg canvas (Figure API: no pyplot, no global backend)."""
    cats = bulletin.hazards.by_category
    depts = bulletin.response
    with rc_context(chart_rc()):
        fig = Figure(figsize=(10, 3 + 0.42 * (max(len(cats), 1) + max(len(depts), 1))), dpi=110)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(
            2, 1, height_ratios=[max(len(cats), 2), max(len(depts), 2)], squeeze=True
        )
        fig.suptitle(f"{bulletin.period.label}消防网格化工作统计", fontsize=15)
        _hazards_panel(top, cats)
        _response_panel(bottom, depts)
        fig.tight_layout()
    return fig


def render_png(fig: Figure) -> bytes:
    """PNG bytes of a figure, drawn under the CJK rcParams."""
    buf = io.BytesIO()
    with rc_context(chart_rc()):
        fig.savefig(buf, format="png")
    return buf.getvalue()


def render_chart(bulletin: Bulletin) -> bytes:
    """The bulletin's chart as PNG bytes."""
    return render_png(build_figure(bulletin))
