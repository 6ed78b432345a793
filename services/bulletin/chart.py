"""The bulletin's chart (PNG): hazards by category and status, time to 报到 against each ladder."""

from __future__ import annotations

import functools
import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter
from matplotlib.typing import RcKeyType

from models.bulletin import Bulletin, DepartmentResponse, HazardTally
from services.bulletin.format import minutes_text

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


# The share axis ends here at most: a department far past its limit would otherwise squeeze
# everyone else to a sliver (its bar is cut and its label says the true figure).
SHARE_CAP = 400.0
# A bar is never drawn narrower than this share of the axis, so 8 minutes of a workday shows.
MIN_VISIBLE = 0.012


@dataclass(frozen=True)
class ResponseBar:
    """One bar of the lower panel: a department's dispatches on one kind of ladder."""

    label: str
    share: float | None  # median 报到 time as % of the ladder's limit
    text: str  # `1小时35分 / 时限30分（317%）`, or why there is no bar
    over: bool


def response_bars(rows: list[DepartmentResponse]) -> list[ResponseBar]:
    """Each department's lanes (urgent, normal) against the limit of the ladder each ran on."""
    bars = []
    for row in rows:
        if not row.lanes:
            note = "本月无派遣" if row.cases == 0 else "无报到记录"
            bars.append(ResponseBar(row.department, None, note, over=False))
            continue
        for lane in row.lanes:
            label = f"{row.department}（{lane.label}）"
            if lane.median_ack_minutes is None or lane.median_share is None:
                note = f"无报到记录（派遣{lane.cases}次）" if lane.acks == 0 else "无升级时限"
                bars.append(ResponseBar(label, None, note, over=False))
                continue
            text = (
                f"{minutes_text(lane.median_ack_minutes)} / 时限{minutes_text(lane.ack_limit_minutes)}"
                f"（{lane.median_share:.0f}%）"
            )
            bars.append(ResponseBar(label, lane.median_share, text, lane.median_share > 100))
    return bars


def _response_panel(ax: Axes, rows: list[DepartmentResponse]) -> None:
    ax.set_title(
        "各部门报到用时中位数（占所走升级时限的比例，紧急与一般分列）", fontsize=13, loc="left"
    )
    if not rows:
        _empty(ax, "本月无派遣部门")
        return
    bars = response_bars(rows)
    shares = [b.share for b in bars if b.share is not None]
    right = min(max([*shares, 100.0]) * 1.1, SHARE_CAP)
    right = max(right, 130.0)
    y = list(range(len(bars)))
    widths = [
        0.0 if b.share is None else max(min(b.share, right), right * MIN_VISIBLE) for b in bars
    ]
    colours = [_SLOW if b.over else _BAR for b in bars]
    ax.barh(y, widths, color=colours, height=0.6)
    ax.axvline(100, color=_LIMIT, linewidth=1.5, linestyle="--", label="升级时限（100%）")
    for pos, bar, width in zip(y, bars, widths, strict=True):
        if bar.share is None:
            ax.text(0, pos, " " + bar.text, va="center", fontsize=9, color="#666666")
        elif width > right * 0.55:
            ax.text(width, pos, bar.text + " ", va="center", ha="right", fontsize=9, color="white")
        else:
            # White behind the label: it stays readable where it crosses the 100% line.
            ax.text(
                width,
                pos,
                " " + bar.text,
                va="center",
                fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85},
            )
    ax.set_yticks(y, [b.label for b in bars], fontsize=10)
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xlabel("报到用时 ÷ 升级时限", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(color=_BAR), Patch(color=_SLOW)]
    labels += ["未超时限", "超过时限"]
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False
    )


def build_figure(bulletin: Bulletin) -> Figure:
    """The two-panel figure on an Agg canvas (Figure API: no pyplot, no global backend)."""
    cats = bulletin.hazards.by_category
    depts = bulletin.response
    with rc_context(chart_rc()):
        lanes = len(response_bars(depts))
        fig = Figure(figsize=(11, 3 + 0.42 * (max(len(cats), 1) + max(lanes, 1))), dpi=110)
        FigureCanvasAgg(fig)
        top, bottom = fig.subplots(
            2, 1, height_ratios=[max(len(cats), 2), max(lanes, 2)], squeeze=True
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
