"""The 通报 template as a file: where the shipped one is, its placeholders, the check at start.

Standard library only (zipfile, ElementTree): the bot checks the office's template when it
starts without loading python-docx (issue 13: an idle bot stays lean).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

DEFAULT_TEMPLATE = Path(__file__).with_name("templates") / "通报模板.docx"

# Placeholders, written {{名称}} in the template; each is filled with plain text except 正文.
OFFICE = "发文机关"
NUMBER = "发文字号"
TITLE = "标题"
ADDRESSEES = "主送"
BODY = "正文"  # the paragraph replaced by the whole body (headings, text, tables, the chart)
ATTACHMENTS = "附件"
SIGNATURE = "署名"
DATE = "成文日期"
CC = "抄送"
PRINTER = "印发机关"
PRINT_DATE = "印发日期"
PLACEHOLDERS = (
    OFFICE,
    NUMBER,
    TITLE,
    ADDRESSEES,
    BODY,
    ATTACHMENTS,
    SIGNATURE,
    DATE,
    CC,
    PRINTER,
    PRINT_DATE,
)
REQUIRED = (BODY,)

PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class TemplateError(ValueError):
    """The template lacks what the renderer needs (said in one line)."""


def placeholders(data: bytes) -> set[str]:
    """The {{名称}} placeholders of a .docx (each paragraph's text joined across its runs)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = ElementTree.fromstring(z.read("word/document.xml"))
    found: set[str] = set()
    for para in root.iter(f"{_W}p"):
        text = "".join(t.text or "" for t in para.iter(f"{_W}t"))
        found.update(PLACEHOLDER.findall(text))
    return found


def load_template(path: Path | None) -> bytes:
    """The template's bytes (the shipped one when `path` is None), checked for {{正文}}."""
    source = path or DEFAULT_TEMPLATE
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise TemplateError(f"通报模板无法读取：{source}（{exc.strerror}）") from None
    try:
        names = placeholders(data)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        raise TemplateError(f"通报模板不是有效的 Word（.docx）文件：{source}") from None
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise TemplateError(
            f"通报模板缺少占位符 {'、'.join('{{' + m + '}}' for m in missing)}：{source}"
        )
    return data
