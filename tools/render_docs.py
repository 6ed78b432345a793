"""Render the bulletin's .docx pages to PNG through LibreOffice, for people to look at.

`make docs` (or `.venv/bin/python -m tools.render_docs [file.docx] [outdir]`): without a file it
renders the sample month of the tests (December 2026) into docs/bulletin-pages/. Needs
LibreOffice (`soffice`) and pypdfium2; without them it says so and exits 0.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path("docs") / "bulletin-pages"


# LibreOffice has none of the GB fonts: show them in the Noto CJK faces of the same kind.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
{aliases}
</fontconfig>
"""
SERIF, SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"
ALIASES = {
    "方正小标宋简体": SERIF,
    "宋体": SERIF,
    "仿宋_GB2312": SERIF,
    "仿宋": SERIF,
    "楷体": SERIF,
    "黑体": SANS,
}


def fonts_conf(folder: Path) -> Path:
    aliases = "\n".join(
        f'  <alias binding="same"><family>{name}</family><prefer><family>{face}</family>'
        "</prefer></alias>"
        for name, face in ALIASES.items()
    )
    path = folder / "fonts.conf"
    path.write_text(FONTS_CONF.format(aliases=aliases), encoding="utf-8")
    return path


def sample_docx(target: Path) -> Path:
    """The sample month's 通报, signed and numbered, with its chart, as the bot sends it."""
    from models.bulletin import DocumentInfo
    from services.bulletin.chart import render_chart
    from services.bulletin.docx import render_docx
    from tests.unit.bulletin.conftest import build_known_month

    bulletin = build_known_month()
    bulletin = bulletin.model_copy(
        update={
            "document": DocumentInfo(
                number_pattern="千管三级办〔{year}〕{n}号",
                number="千管三级办〔2026〕12号",
                cc=["市消安委办公室", "区消防救援大队"],
                requirements=["各部门要对照本通报逐项整改，1月10日前将整改情况报三级办。"],
            )
        }
    )
    target.write_bytes(render_docx(bulletin, chart=render_chart(bulletin)))
    return target


def render(docx: Path, out: Path, *, scale: float = 1.3) -> list[Path]:
    """docx → PDF with LibreOffice, then each page → page-N.png; returns the PNGs."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError("soffice")
    import pypdfium2

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf(Path(tmp)))}
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(docx)],
            check=True,
            capture_output=True,
            timeout=180,
            env=env,
        )
        pdf = pypdfium2.PdfDocument(str(Path(tmp) / (docx.stem + ".pdf")))
        pages = []
        for no in range(len(pdf)):
            path = out / f"page-{no + 1}.png"
            pdf[no].render(scale=scale).to_pil().save(path)
            pages.append(path)
        pdf.close()
    return pages


def main(argv: list[str]) -> int:
    if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
        print(
            "LibreOffice (soffice) is not installed: no pages rendered (apt-get install -y libreoffice-writer-nogui)."
        )
        return 0
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        print("pypdfium2 is not installed: no pages rendered (pip install pypdfium2).")
        return 0
    out = Path(argv[1]) if len(argv) > 1 else OUT
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(argv[0]) if argv else sample_docx(Path(tmp) / "通报-2026-12.docx")
        for page in render(docx, out):
            print(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
