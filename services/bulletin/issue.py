"""The 通报 as an issued document: 主送/抄送/印发 from the org file, the per-year 发文字号."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.bulletin import DocumentInfo
from models.bulletin_runs import DocumentCounter
from models.orgfile import OrgFile
from services.bulletin.templatefile import load_template
from services.sql import insert_ignore


def number_pattern(org: OrgFile) -> str:
    """The org file's 发文字号 pattern, or `<short name>〔{year}〕{n}号`."""
    return org.bulletin.number or f"{org.office.short_name}〔{{year}}〕{{n}}号"


def document_info(
    org: OrgFile, *, number: str | None = None, requirements: str = ""
) -> DocumentInfo:
    """What the org file (and the month's sign-off row) say about the document itself."""
    spec = org.bulletin
    return DocumentInfo(
        addressees=spec.addressees,
        cc=list(spec.cc),
        printer=spec.printer or org.office.name,
        number_pattern=number_pattern(org),
        number=number,
        requirements=[line.strip() for line in requirements.splitlines() if line.strip()],
    )


def template_path(org: OrgFile, org_dir: str | Path) -> Path | None:
    """The office's template named in the org file (relative to it); None: the shipped one."""
    name = org.bulletin.template
    return None if name is None else Path(org_dir) / name


def template_bytes(org: OrgFile, org_dir: str | Path) -> bytes:
    """The template's bytes, read each time (the office may replace the file while running)."""
    return load_template(template_path(org, org_dir))


def check_template(org: OrgFile, org_dir: str | Path) -> None:
    """At start: the named template exists and has {{正文}}; TemplateError says what is wrong."""
    template_bytes(org, org_dir)


async def peek_number(session: AsyncSession, year: int) -> int:
    """The number the year's next 签发 will get (nothing is reserved)."""
    last = await session.scalar(select(DocumentCounter.last).where(DocumentCounter.year == year))
    return (last or 0) + 1


async def take_number(session: AsyncSession, year: int) -> int:
    """Give the year's next number: the counter row is updated in the caller's transaction."""
    await insert_ignore(
        session,
        DocumentCounter,
        {"year": year, "last": 0},
        ["year"],
        returning=DocumentCounter.year,
    )
    # One UPDATE … RETURNING: the row lock serialises two 签发 at once (PostgreSQL), and
    # SQLite has one writer; a rolled-back transaction gives its number back.
    result = await session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.year == year)
        .values(last=DocumentCounter.last + 1)
        .returning(DocumentCounter.last)
    )
    return int(result.scalar_one())
