"""The bulletin's chat summary: what a coordinator reads on a phone in 30 seconds (HTML)."""

from __future__ import annotations

from html import escape

from models.bulletin import Bulletin, ReportStatus
from services.bulletin.format import minutes_text
from services.bulletin.headline import (
    ESCALATIONS,
    MEDIAN_ACK,
    REPORTS_MISSING,
    WHISTLED,
    on_time_text,
    versus,
)
from services.timefmt import fmt_date

TELEGRAM_TEXT_LIMIT = 4096
# (talks, missing reports, oldest open cases) named in full; tried in order until the text fits.
_CAPS: tuple[tuple[int, int, int], ...] = ((10, 6, 3), (5, 3, 1), (3, 0, 0), (0, 0, 0))
_ITEM_CHARS = 40


def _clip(text: str, limit: int = _ITEM_CHARS) -> str:
    """Escape user-given text after clipping it, so one long name cannot fill the screen."""
    text = " ".join(text.split())
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _named(items: list[str], cap: int, unit: str) -> str:
    shown = "；".join(items[:cap])
    if len(items) <= cap:
        return shown
    rest = f"等{len(items)}{unit}"
    return f"{shown}{rest}" if shown else f"共{len(items)}{unit}"


def _render(b: Bulletin, caps: tuple[int, int, int]) -> str:
    talk_cap, missing_cap, oldest_cap = caps
    cur, prev = b.current, b.previous
    tz = b.zone
    lines = [f"<b>{escape(b.period.label)}消防网格化工作通报</b>"]
    lines.extend(_clip(note, 120) for note in b.notes)
    if b.before_records:
        # Nothing was recorded: "no hazards" or "no talks" would read as checked facts.
        lines.append("如需查看系统启用以来的情况，请发送 /digest 本月。")
        return "\n".join(lines)

    if cur.whistled == 0 and cur.open == 0:
        lines.append("隐患：本月无吹哨隐患" + versus(WHISTLED.change(cur, prev)) + "。")
    else:
        lines.append(
            f"隐患：吹哨{cur.whistled}起"
            + versus(WHISTLED.change(cur, prev))
            + f"，已结案{cur.closed}起，未结案{cur.open}起"
            + (f"，其中超期{cur.overdue}起" if cur.overdue else "")
            + "。"
        )
    if cur.dispatches:
        lines.append(
            f"报到：用时中位数{MEDIAN_ACK.text(cur)}"
            + versus(MEDIAN_ACK.change(cur, prev))
            + f"，{on_time_text(cur, prev)}"
            + f"，被升级案件{cur.escalations}件"
            + versus(ESCALATIONS.change(cur, prev))
            + (f"，核查未通过{cur.reopened}次" if cur.reopened else "")
            + "。"
        )

    if cur.reports_expected == 0:
        lines.append("月报：本月无应报送的月报。")
    else:
        lines.append(
            f"月报：应报{cur.reports_expected}份，按时{cur.reports_on_time}份，"
            f"逾期{cur.reports_late}份，未报送{cur.reports_missing}份"
            + versus(REPORTS_MISSING.change(cur, prev))
            + (f"，未到截止时间{cur.reports_pending}份" if cur.reports_pending else "")
            + "。"
        )
        missing = [
            f"{_clip(r.department)}《{_clip(r.form)}》"
            for r in b.reports
            if r.status is ReportStatus.MISSING
        ]
        if missing and missing_cap:
            lines.append("未报送：" + _named(missing, missing_cap, "份") + "。")

    if b.talks:
        talks = [f"{_clip(t.department)}（{_clip('，'.join(t.reasons), 60)}）" for t in b.talks]
        lines.append("<b>建议约谈</b>：" + _named(talks, talk_cap, "个部门") + "。")
    else:
        lines.append("建议约谈：无。")

    for case in b.hazards.oldest_open[:oldest_cap]:
        day = fmt_date(case.whistled_at.astimezone(tz).date(), weekday=False, year=False)
        lines.append(
            f"久未结案：{_clip(case.number)} {_clip(case.category)} · {_clip(case.area)}，"
            f"{day}吹哨，已{minutes_text(case.age_minutes)}。"
        )
    lines.append("详见附件：通报（Word）、台账（Excel）、统计图。")
    return "\n".join(lines)


def render_summary(bulletin: Bulletin) -> str:
    """The summary as Telegram HTML, always under Telegram's 4096-character limit."""
    text = ""
    for caps in _CAPS:
        text = _render(bulletin, caps)
        if len(text) < TELEGRAM_TEXT_LIMIT:
            return text
    # Only notes can still be too long here: they are clipped, so this cuts at a line end.
    return text[: text.rfind("\n", 0, TELEGRAM_TEXT_LIMIT - 1)]
