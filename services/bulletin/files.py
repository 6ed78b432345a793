"""The month's bulletin rendered: the chat summary and the three documents.

This module imports matplotlib, python-docx and XlsxWriter; import it only where files are built
(services/bulletin/build.py does so inside the function), so an idle bot never loads them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from models.bulletin import Bulletin
from services.bulletin.chart import render_chart
from services.bulletin.docx import render_docx
from services.bulletin.summary import render_summary
from services.bulletin.xlsx import render_xlsx

# matplotlib's rc_context changes process-wide settings: one chart at a time.
_RENDER_LOCK = threading.Lock()


@dataclass(frozen=True)
class BulletinFiles:
    """What goes to a coordinator: the chat summary, then three documents."""

    summary: str
    docx: bytes
    xlsx: bytes
    png: bytes
    stem: str

    def documents(self) -> list[tuple[str, bytes, str]]:
        """(file name, bytes, caption), in the order they are sent."""
        return [
            (f"{self.stem}.docx", self.docx, "通报（Word）"),
            (f"{self.stem}-台账.xlsx", self.xlsx, "台账（Excel）"),
            (f"{self.stem}-统计图.png", self.png, "统计图"),
        ]


def render_files(bulletin: Bulletin, template: bytes | None = None) -> BulletinFiles:
    """Render the summary and the three documents (CPU work: call it off the event loop).

    The chart is drawn first: the 通报 embeds it where its text refers to it.
    """
    with _RENDER_LOCK:
        png = render_chart(bulletin)
    return BulletinFiles(
        summary=render_summary(bulletin),
        docx=render_docx(bulletin, chart=png, template=template),
        xlsx=render_xlsx(bulletin),
        png=png,
        stem=bulletin.file_stem(),
    )
