"""`firegrid check-config` checks the forms file before OK; `firegrid db backup|current|check`."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot import dbtools
from bot.cli import main
from bot.settings import DEFAULT_ORG

FORMS = DEFAULT_ORG.with_name("forms.example.yaml")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FIREGRID_", "DATABASE_", "TELEGRAM_")):
            monkeypatch.delenv(key)
    return tmp_path


def test_check_config_fails_on_the_forms_file_before_saying_ok(clean_env: Path, capsys):
    shutil.copy(DEFAULT_ORG, clean_env / "org.yaml")
    forms = FORMS.read_text(encoding="utf-8").replace("type: integer", "type: number", 1)
    (clean_env / "forms.example.yaml").write_text(forms, encoding="utf-8")
    assert main(["check-config", str(clean_env / "org.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no OK, no half summary
    assert err.count("\n") == 1 and "forms.example.yaml:" in err


def test_check_config_ok_lists_the_forms(clean_env: Path, capsys):
    assert main(["check-config", str(DEFAULT_ORG)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(": OK") and "report forms:" in out


def test_db_current_check_and_backup_on_sqlite(
    clean_env: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip().endswith("(head)")

    assert main(["db", "check"]) == 0
    out = capsys.readouterr().out
    assert "schema at head" in out and "integrity_check: OK" in out

    target = clean_env / "backups" / "firegrid-backup.db"
    assert main(["db", "backup", str(target)]) == 0
    capsys.readouterr()
    copy = sqlite3.connect(target)
    tables = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    copy.close()
    assert {"cases", "outbox", "heartbeats", "alembic_version"} <= tables

    assert main(["db", "backup", str(target)]) == 5  # never overwrites
    assert "exists already" in capsys.readouterr().err


def test_db_check_finds_a_database_behind_the_code(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    url = f"sqlite+aiosqlite:///{clean_env / 'old.db'}"
    from bot.db import upgrade_sync

    upgrade_sync(url, "0009_h3_dialogs")
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "current"]) == 0
    assert "run firegrid db upgrade" in capsys.readouterr().out
    assert main(["db", "check"]) == 5
    out, err = capsys.readouterr()
    assert "run firegrid db upgrade" in out and "1 check(s) failed" in err


def test_postgres_backup_without_pg_dump_prints_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on this PATH
    url = "postgresql+asyncpg://firegrid:pw-secret@db.internal:5433/firegrid"
    assert dbtools.backup(url, tmp_path / "x.dump") == 5
    out = capsys.readouterr().out
    assert (
        "pg_dump --format=custom --file=" in out
        and "--host=db.internal --port=5433 --username=firegrid firegrid" in out
    )
    assert "pw-secret" not in out and "PGPASSWORD=…" in out


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_postgres_backup_runs_pg_dump(
    pg_database: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable")
    target = tmp_path / "pg.dump"
    code = dbtools.backup(pg_database, target)
    err = capsys.readouterr().err
    if code != 0 and "server version mismatch" in err:
        pytest.skip(f"pg_dump and the server differ in version: {err.strip()}")
    assert code == 0, err
    assert target.stat().st_size > 0
