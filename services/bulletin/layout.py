"""Pure measurements of the 通报's type area: title breaks, the masthead's fit, table columns.

Widths are in ems of the font in use: a Chinese character (or full-width sign) is 1 em, an
ASCII digit, letter or sign ½ em — as 仿宋_GB2312, 宋体 and 小标宋 set them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# GB/T 9704: A4 with 28 mm + 26 mm side margins leaves a 156 mm line (442.2 pt).
TYPE_WIDTH_PT = 156 / 25.4 * 72
# Word and LibreOffice set bold 小标宋 (or its 宋体 fallback) a little wider than 1 em a
# character; a title within two ems of the line still wraps there, so it is broken by us first.
TITLE_SLACK_EM = 2.0
# Cell padding Word adds on both sides (0.19 cm each) plus a hair for rounding, in pt.
CELL_PADDING_PT = 2 * 5.4 + 2.0

# An ASCII character's width in ems: ½ in the GB fonts, up to 0.6 in the fallbacks (DejaVu,
# Noto Sans) a reader without them sees; measured at the wider so nothing wraps in either.
NARROW_EM = 0.6

_NUMERIC = re.compile(r"^[\s\d.,:%+\-—↑↓个百分点分小时天次起份处月日年]*$")


def text_width(text: str) -> float:
    """Width of `text` in ems: wide (CJK, full-width) characters 1, others ½."""
    total = 0.0
    previous: bool | None = None
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F") or ch in "—“”‘’…"
        total += 1.0 if wide else NARROW_EM
        if previous is not None and previous != wide and not ch.isspace():
            # Word and LibreOffice put a quarter em between Chinese and Latin or digits.
            total += 0.25
        previous = None if ch.isspace() else wide
    return total


def break_title(parts: Sequence[str], capacity_em: float) -> list[str]:
    """The title's lines: broken only between its parts (words stay whole, no lone character).

    A title that fits (with TITLE_SLACK_EM to spare) stays one line; otherwise it becomes the
    fewest lines that fit, split where the lines come out most even (GB/T 9704 asks for 梯形 or
    菱形, "词意完整，排列对称，长短适宜").
    """
    limit = capacity_em - TITLE_SLACK_EM
    whole = "".join(parts)
    if text_width(whole) <= limit or len(parts) < 2:
        return [whole]
    best: tuple[float, list[str]] | None = None
    for cut in range(1, len(parts)):
        first, second = "".join(parts[:cut]), "".join(parts[cut:])
        widths = (text_width(first), text_width(second))
        if max(widths) > limit:
            continue
        score = abs(widths[0] - widths[1])
        if best is None or score < best[0]:
            best = (score, [first, second])
    if best is not None:
        return best[1]
    # Longer than two lines: fill each line greedily, still only between parts.
    lines: list[str] = []
    line = ""
    for part in parts:
        if line and text_width(line + part) > limit:
            lines.append(line)
            line = ""
        line += part
    lines.append(line)
    return lines


@dataclass(frozen=True)
class Masthead:
    """The issuing office's name in the 版头: its size and horizontal scale (w:w, percent)."""

    size_pt: float
    scale: int


def fit_masthead(name: str, size_pt: float, width_pt: float = TYPE_WIDTH_PT) -> Masthead:
    """Keep the red office name on one line: narrow the characters (down to 60 %), then shrink."""
    need = text_width(name) * size_pt
    if need <= width_pt:
        return Masthead(size_pt, 100)
    scale = int(width_pt / need * 100)
    if scale >= 60:
        return Masthead(size_pt, scale)
    return Masthead(round(width_pt / (text_width(name) * 0.6), 1), 60)


def is_figure(text: str) -> bool:
    """A number, a rate, a duration or a change: a cell that must not wrap."""
    return bool(text.strip()) and bool(_NUMERIC.match(text)) and any(c.isdigit() for c in text)


def column_widths(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    font_pt: float,
    width_pt: float = TYPE_WIDTH_PT,
) -> list[float] | None:
    """Column widths (pt) summing to `width_pt` in which no figure wraps; None when none exist.

    Figures (and names, statuses or case numbers up to 8 ems) need their whole width; the
    headers and other text may wrap. Space left over goes to the columns whose text would wrap,
    in proportion to what they lack, then evenly.
    """
    cols = len(headers)
    need = [0.0] * cols
    natural = [0.0] * cols
    for r, values in enumerate([list(headers), *map(list, rows)]):
        for c, value in enumerate(values):
            width = text_width(value) * font_pt + CELL_PADDING_PT
            natural[c] = max(natural[c], width)
            if r == 0:
                # A header wraps between characters; two characters a line at least.
                need[c] = max(need[c], min(width, 2 * font_pt + CELL_PADDING_PT))
            elif is_figure(value):
                need[c] = max(need[c], width)
            else:
                # A name, status or case number up to 8 ems stays on one line; longer text wraps.
                short = min(text_width(value), 8.0) * font_pt + CELL_PADDING_PT
                need[c] = max(need[c], short)
    if sum(need) > width_pt:
        return None
    widths = list(need)
    spare = width_pt - sum(widths)
    lack = [max(n - w, 0.0) for n, w in zip(natural, widths, strict=True)]
    if sum(lack) > 0:
        give = min(spare, sum(lack))
        widths = [w + give * gap / sum(lack) for w, gap in zip(widths, lack, strict=True)]
        spare -= give
    return [w + spare / cols for w in widths]
