"""`firegrid demo`: the whole office for one simulated month, on the simulated Telegram.

The real Application (same factory, services, scheduler steps and outbox as production) runs
on a fresh SQLite file in a temporary folder, against the in-process fake Telegram, with a
simulated clock that moves a month in about a minute. No token, no network.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bot.settings import DEFAULT_ORG
from models.bulletin import Bulletin
from models.cases import Case, CaseDepartment, CaseStatus
from models.org import Department
from models.period import MonthPeriod
from models.reports import ReportSubmission, SubmissionStatus
from services.bulletin.figures import compute_bulletin
from services.clock import FakeClock
from sim.script import ADMIN, SH, Office, run_month, sh
from sim.simulation import Simulation
from sim.transcript import chat_title, render_all


@dataclass
class DemoResult:
    """What the month produced, read back from the database and the simulated chats."""

    cases: dict[str, CaseStatus] = field(default_factory=dict)  # number -> status
    escalations: dict[str, int] = field(default_factory=dict)  # department key -> count
    submissions: dict[tuple[str, str], bool] = field(default_factory=dict)  # (dept, form) -> late
    files: dict[str, Path] = field(default_factory=dict)  # kind -> written file
    bulletin: Bulletin | None = None


async def _read_back(sim: Simulation) -> DemoResult:
    result = DemoResult()
    async with sim.rt.transaction() as s:
        for number, status in (await s.execute(select(Case.number, Case.status))).all():
            result.cases[number] = status
        rows = await s.execute(
            select(Department.key, func.sum(CaseDepartment.escalations))
            .join(CaseDepartment, CaseDepartment.department_id == Department.id)
            .group_by(Department.key)
        )
        result.escalations = {key: int(n or 0) for key, n in rows.all() if n}
        subs = await s.execute(
            select(Department.key, ReportSubmission.form_key, ReportSubmission.late)
            .join(Department, Department.id == ReportSubmission.department_id)
            .where(ReportSubmission.status == SubmissionStatus.SUBMITTED)
        )
        result.submissions = {(key, form): bool(late) for key, form, late in subs.all()}
        result.bulletin = await compute_bulletin(
            s, sim.rt, MonthPeriod(year=2026, month=12), sim.clock.now()
        )
    return result


def _write_files(sim: Simulation, out: Path, result: DemoResult) -> None:
    """The bulletin files exactly as the coordinator received them, and the transcript."""
    out.mkdir(parents=True, exist_ok=True)
    for view in sim.tg.bot_messages(ADMIN):
        if view.document is None or not view.document.file_name:
            continue
        name = view.document.file_name
        target = out / name
        target.write_bytes(sim.tg.document_bytes(view))
        result.files[name.rsplit(".", 1)[-1]] = target


async def run_demo(
    out: Path,
    *,
    say: Callable[[str], None] = print,
    org_path: Path = DEFAULT_ORG,
    database_url: str | None = None,
) -> DemoResult:
    """Run the scripted month; write the transcript and the bulletin files into `out`.

    By default on a fresh SQLite file in a temporary folder; `database_url` runs it on another
    (empty) database, e.g. PostgreSQL in the tests.
    """
    with tempfile.TemporaryDirectory(prefix="firegrid-demo-") as tmp:
        clock = FakeClock(sh(11, 30, 17, 0))
        sim = Simulation(
            database_url=database_url or f"sqlite+aiosqlite:///{tmp}/firegrid.db",
            clock=clock,
            admins=(ADMIN,),
            org_path=org_path,
            migrate=True,
        )
        coordinator = sim.tg.user(ADMIN, "王协调")
        await sim.start()
        office = Office(sim=sim, say=lambda text: say(f"▶ {text}"), people={ADMIN: coordinator})
        try:
            await run_month(office)
            result = await _read_back(sim)
        finally:
            await sim.stop()
        transcript = render_all(sim.tg, SH, [ADMIN, *office.people, *office.groups.values()])
        _write_files(sim, out, result)
        (out / "transcript.txt").write_text(transcript, encoding="utf-8")
        result.files["transcript"] = out / "transcript.txt"
        say("")
        say(transcript)
        groups = "、".join(chat_title(sim.tg, g) for g in office.groups.values())
        say(f"（共 {len(sim.tg.all_messages())} 条消息；工作群：{groups}）")
    return result


def main(out: str = "demo-output") -> int:
    """Entry point of `firegrid demo`."""
    logging.basicConfig(level=logging.WARNING)
    target = Path(out).resolve()
    result = asyncio.run(run_demo(target))
    print()
    print("=" * 60)
    print(
        f"演示结束：{len(result.cases)} 件隐患，{sum(result.escalations.values())} 次升级，"
        f"{len(result.submissions)} 份月报（逾期 {sum(result.submissions.values())} 份）。"
    )
    print(f"Demo finished. Files are in {target}:")
    for kind, path in sorted(result.files.items()):
        print(f"  {kind:<10} {path}")
    print("To run the bot for real: cp .env.example .env, put a token from @BotFather in")
    print("TELEGRAM_BOT_TOKEN and your Telegram user id in FIREGRID_ADMINS, then `make run`.")
    return 0
