"""A month's bulletin computed (one read transaction) and rendered (a worker thread)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from models.bulletin import Bulletin
from models.period import MonthPeriod
from services.bulletin.figures import compute_bulletin
from services.bulletin.issue import document_info, template_bytes
from services.runtime import Runtime

if TYPE_CHECKING:
    from services.bulletin.files import BulletinFiles


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
    # Imported here, not at the top: matplotlib, python-docx and XlsxWriter cost ~70 MiB, and a
    # running bot needs them once a month (issue 13: idle at most 100 MiB).
    from services.bulletin.files import render_files

    template = template_bytes(rt.org, rt.org_dir)
    return await asyncio.to_thread(render_files, bulletin, template)


async def build_files(rt: Runtime, period: MonthPeriod, now: datetime) -> BulletinFiles:
    """Compute a month's bulletin (unnumbered: a working copy) and render it."""
    return await render(rt, await compute(rt, period, now))
