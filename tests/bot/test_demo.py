"""The demo's scripted month runs to its end and its outcome is what the script acted out."""

from __future__ import annotations

import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from docx import Document

from faketg import FakeTelegram
from models.cases import CaseStatus
from sim.demo import run_demo
from sim.transcript import render_all
from tests.support import databases

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "demo_transcript.txt"
# Invitation codes are random (services/invitations.py): numbered by first appearance instead.
INVITE_CODE = re.compile(r"(start[= ])([A-Za-z0-9]{16})\b")


def normalized(transcript: str) -> str:
    """The transcript with each invitation code replaced by <邀请码N>, N in order of appearance."""
    codes: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        code = codes.setdefault(match.group(2), f"<邀请码{len(codes) + 1}>")
        return match.group(1) + code

    return INVITE_CODE.sub(number, transcript)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_demo_month(tmp_path: Path, backend: str, request: pytest.FixtureRequest):
    """The same month on SQLite and on PostgreSQL (production's database) ends the same way."""
    url = None
    if backend == "postgresql":
        url = request.getfixturevalue("pg_database")
        if url is None:
            pytest.skip("PostgreSQL not reachable (see the note at the start of the run)")
        await databases.pg_truncate(url)
    lines: list[str] = []
    result = await run_demo(tmp_path, say=lines.append, database_url=url)

    # hazards: the urgent one closed after verification, the normal one reopened and still open
    assert sorted(result.cases) == ["QS-2026-0001", "QS-2026-0002"]
    assert result.cases["QS-2026-0001"] is CaseStatus.CLOSED
    assert result.cases["QS-2026-0002"] is not CaseStatus.CLOSED
    # only the silent housing office was escalated
    assert set(result.escalations) == {"housing"} and result.escalations["housing"] >= 2
    # seven reports, one late (housing, after a coordinator's unlock)
    assert len(result.submissions) == 7
    assert [key for key, late in result.submissions.items() if late] == [
        ("housing", "housing_monthly")
    ]

    bulletin = result.bulletin
    assert bulletin is not None
    assert (bulletin.current.whistled, bulletin.current.closed, bulletin.current.open) == (2, 1, 1)
    assert bulletin.current.reopened == 1 and bulletin.current.reports_late == 1
    assert [t.department for t in bulletin.talks] == ["住建办"]

    # the files the coordinator received, once, written to the output folder
    assert {"docx", "xlsx", "png", "transcript"} <= set(result.files)
    doc = Document(str(result.files["docx"]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "2026年12月" in text and "住建办" in text
    book = openpyxl.load_workbook(result.files["xlsx"])
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert {"QS-2026-0001", "QS-2026-0002"} <= cells
    assert result.files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    transcript = result.files["transcript"].read_text(encoding="utf-8")
    coordinator = next(b for b in transcript.split("══════ ") if b.startswith("私聊：王协调"))
    # The draft, the draft with 工作要求, and the signed 通报 (the one written to the folder).
    assert coordinator.count("[文件：通报-2026-12.docx]") == 3
    assert "千管三级办〔2026〕1号" in "\n".join(
        p.text for p in doc.paragraphs if p.style.name == "公文发文字号"
    )
    assert "[报到]" in transcript and "【升级】住建办 未报到" in transcript
    assert "【核查未通过】" in transcript or "核查未通过" in transcript
    assert any(line.startswith("▶ 12月31日") for line in lines)

    # Nothing the bot says moved: the whole month, word for word, on both databases. After a
    # deliberate change of wording, rewrite the golden copy with FIREGRID_UPDATE_GOLDEN=1 and
    # read its diff before committing it.
    if os.environ.get("FIREGRID_UPDATE_GOLDEN") and backend == "sqlite":
        GOLDEN.write_text(normalized(transcript), encoding="utf-8")
    assert normalized(transcript) == GOLDEN.read_text(encoding="utf-8")


async def test_the_transcript_shows_each_chat_once_even_when_the_reading_order_names_it_twice():
    tg = FakeTelegram()
    coordinator = tg.user(1001, "王", "协调")
    await coordinator.send(1001, "/start")
    text = render_all(tg, ZoneInfo("Asia/Shanghai"), [1001, 1001])
    assert text.count("私聊：王 协调") == 1, text
