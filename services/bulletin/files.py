"""The month's bulletin computed and rendered: the chat summary and the three documents."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime

from models.bulletin import Bulletin
from models.period import MonthPeriod
from services.bulletin.chart import render_chart
from services.bulletin.docx import render_docx
from services.bulletin.figures import compute_bulletin
from services.bulletin.issue import document_info, template_bytes
from services.bulletin.summary import render_summary
from services.bulletin.xlsx import render_xlsx
from services.runtime import Runtime

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


async def compute(
    rt: Runtime,
    period: MonthPeriod,
    now: datetime,
    *,
    number: str | None = None,
    requirements: str = "",
) -> Bulletin:
    """A month's bulletin in one read transaction, with its 发文字号 and 工作要求 if given."""
    async with rt.transaction() as session:
        bulletin = await compute_bulletin(session, rt, period, now)
    document = document_info(rt.org, number=number, requirements=requirements)
    return bulletin.model_copy(update={"document": document})


async def render(rt: Runtime, bulletin: Bulletin) -> BulletinFiles:
    """Render in a worker thread, in the template the org file names (read now)."""
    template = template_bytes(rt.org, rt.org_dir)
    return await asyncio.to_thread(render_files, bulletin, template)


async def build_files(rt: Runtime, period: MonthPeriod, now: datetime) -> BulletinFiles:
    """Compute a month's bulletin (unnumbered: a working copy) and render it."""
    return await render(rt, await compute(rt, period, now))
