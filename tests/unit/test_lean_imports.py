"""An idle bot does not carry what it rarely needs (issue 13: idle at most 100 MiB).

matplotlib, python-docx and XlsxWriter/openpyxl cost ~70 MiB and are needed once a month, when a
bulletin is built; alembic costs ~11 MiB and is needed only when the schema is behind. Building
the Application exactly as `firegrid run` does and starting it on a current schema, in a fresh
interpreter, must import none of them; building a bulletin's files must import the first four.
`python -m bench.memory` measures the resident size against a bare PTB echo bot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "docx", "xlsxwriter", "openpyxl")
RARE = (*HEAVY, "alembic")

BUILD_APP = """
import asyncio, json, sys
from bot.app import build_application
from bot.db import upgrade
from bot.settings import load_settings
import bot.cli, bot.run
settings = load_settings()
build_application(settings)
asyncio.run(upgrade(settings.database_url))
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""

BUILD_FILES = """
import json, sys
import services.bulletin.files
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(code: str, url: str, modules: tuple[str, ...]) -> list[str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123456789:AAFakeTokenForTheSimulatedTelegram0",
        "DATABASE_URL": url,
    }
    out = subprocess.run(
        [sys.executable, "-c", code.format(heavy=modules)],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_bot_started_on_a_current_schema_imports_none_of_them(sqlite_url: str):
    assert loaded_after(BUILD_APP, sqlite_url, RARE) == []


def test_a_new_database_is_still_migrated_at_start(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    assert loaded_after(BUILD_APP, url, RARE) == ["alembic"]
    assert loaded_after(BUILD_APP, url, RARE) == []  # and the next start finds it current


def test_building_the_files_imports_the_document_libraries(sqlite_url: str):
    # The first check is only meaningful if these are the modules the files really need.
    assert loaded_after(BUILD_FILES, sqlite_url, HEAVY) == sorted(HEAVY)
