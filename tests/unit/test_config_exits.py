"""Every configuration mistake stops `firegrid` with exit 2 and one line naming the key and fix.

Most cases call the CLI's main() in-process (fast); one runs `firegrid run` as a real process
to show that no traceback reaches the terminal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.settings import DEFAULT_ORG

ROOT = Path(__file__).resolve().parents[2]
GOOD = DEFAULT_ORG.read_text(encoding="utf-8")
TOKEN = "123456789:AAFakeTokenForTheSimulatedTelegram0"
# Nothing listens on port 1: "PostgreSQL is down". The password must never be printed.
PG_DOWN = "postgresql+asyncpg://firegrid:s3cretPW@127.0.0.1:1/firegrid"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment in an empty folder (no .env), a token and an unreachable Bot API."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith(("FIREGRID_", "DATABASE_", "TELEGRAM_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    return tmp_path


def _one_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the CLI; assert exit 2 and a single stderr line; return that line."""
    code = main(list(argv))
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("firegrid: "), err
    return lines[0]


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x/y", "runs on SQLite or PostgreSQL only"),
        ("not a url", "not a database URL"),
        ("sqlite:///./data/x.db", "write sqlite+aiosqlite:///./data/x.db"),
        ("postgresql://u:pw@h/db", "write postgresql+asyncpg://u:***@h/db"),
    ],
)
def test_database_url_that_cannot_work(env, capsys, monkeypatch, command, url, says):
    monkeypatch.setenv("DATABASE_URL", url)
    line = _one_line(capsys, *command)
    assert line.startswith("firegrid: DATABASE_URL: ") and says in line
    assert "sqlite+aiosqlite:///" in line or "postgresql+asyncpg://" in line  # a URL that works
    assert ":pw@" not in line


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_postgresql_down_at_start(env, capsys, monkeypatch, command):
    monkeypatch.setenv("DATABASE_URL", PG_DOWN)
    line = _one_line(capsys, *command)
    assert line.startswith("firegrid: DATABASE_URL: the PostgreSQL server at 127.0.0.1:1 ")
    assert "did not answer" in line and "start PostgreSQL" in line
    assert "s3cretPW" not in line


def test_postgresql_wrong_database_name(pg_database, env, capsys, monkeypatch):
    if pg_database is None:
        pytest.skip("PostgreSQL not reachable")
    missing = make_url(pg_database).set(database="firegrid_no_such_db")
    monkeypatch.setenv("DATABASE_URL", missing.render_as_string(hide_password=False))
    line = _one_line(capsys, "db", "upgrade")
    assert "has no database 'firegrid_no_such_db'" in line and "createdb" in line


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_sqlite_folder_that_is_a_file(env, capsys, monkeypatch, command):
    (env / "data").write_text("not a folder")
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./data/firegrid.db")
    line = _one_line(capsys, *command)
    assert f"DATABASE_URL: {env / 'data'} is a file, not a folder" in line


def test_sqlite_path_that_is_a_folder(env, capsys, monkeypatch):
    (env / "db").mkdir()
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///./db")
    assert f"{env / 'db'} is a folder, not a SQLite file" in _one_line(capsys, "db", "upgrade")


@pytest.fixture
def read_only() -> Iterator[object]:
    """Make a file or folder read-only even for root (chattr +i), else by mode bits."""
    made: list[Path] = []
    as_root = os.geteuid() == 0

    def apply(path: Path) -> None:
        if as_root:
            # Permission bits do not stop root; the immutable flag does (ext4 and friends).
            chattr = shutil.which("chattr")
            if chattr is None or subprocess.run([chattr, "+i", str(path)]).returncode != 0:
                pytest.skip("running as root and chattr +i is not available here")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)

    yield apply
    for path in made:
        if as_root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755 if path.is_dir() else 0o644)


def test_read_only_sqlite_file(env, capsys, monkeypatch, read_only):
    file = env / "ro.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{file}")
    assert main(["db", "upgrade"]) == 0  # a real database, migrated, then made read-only
    capsys.readouterr()
    for extra in ("ro.db-wal", "ro.db-shm"):
        (env / extra).unlink(missing_ok=True)
    read_only(file)
    for command in (("db", "upgrade"), ("run",)):
        line = _one_line(capsys, *command)
        assert f"DATABASE_URL: the SQLite file {file} is read-only" in line


def test_read_only_sqlite_folder(env, capsys, monkeypatch, read_only):
    folder = env / "locked"
    folder.mkdir()
    read_only(folder)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{folder}/firegrid.db")
    line = _one_line(capsys, "run")
    assert f"DATABASE_URL: the folder {folder} is not writable" in line
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{folder}/sub/firegrid.db")
    line = _one_line(capsys, "db", "upgrade")
    assert f"DATABASE_URL: the folder {folder / 'sub'} for the SQLite database cannot be" in line


@pytest.mark.parametrize(
    ("mistake", "says"),
    [
        ("duplicate", "key 'name' appears twice in the same block"),
        ("self_parent", "areas[0].parent: area 'qianshan' is its own parent"),
        ("gbk", "not UTF-8 text"),
    ],
)
def test_check_config_reports_org_file_mistakes(env, capsys, mistake, says):
    text = GOOD
    if mistake == "duplicate":
        text = text.replace("    name: 住建办\n", "    name: 住建办\n    name: 消防大队\n")
    elif mistake == "self_parent":
        text = text.replace(
            "    kind: community\n    departments: [community_qianshan,",
            "    kind: community\n    parent: qianshan\n    departments: [community_qianshan,",
        )
    file = env / "org.yaml"
    file.write_bytes(text.encode("gb18030" if mistake == "gbk" else "utf-8"))
    line = _one_line(capsys, "check-config", str(file))
    assert line.startswith(f"firegrid: {file}:") and says in line


def test_run_as_a_process_prints_one_line_when_postgresql_is_down(tmp_path: Path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "DATABASE_URL": PG_DOWN,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "s3cretPW" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL: the PostgreSQL server at 127.0.0.1:1 did not answer" in result.stderr


def test_env_file_not_saved_as_utf8(env, capsys):
    (env / ".env").write_bytes("FIREGRID_TZ=Asia/Shanghai\n# 机器人设置\n".encode("gb18030"))
    line = _one_line(capsys, "db", "upgrade")
    assert line.startswith("firegrid: .env: not UTF-8 text")


@pytest.mark.parametrize("role", ["web", "worker"])
def test_web_and_worker_refuse_sqlite_in_one_line(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, role: str
):
    # SQLite is one process (bot/lock.py): a part of `run` beside others cannot share it.
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{env / 'firegrid.db'}")
    line = _one_line(capsys, role)
    assert f"`firegrid {role}`" in line and "`firegrid run` alone" in line
    assert "postgresql+asyncpg://" in line
    assert not (env / "firegrid.db").exists()  # refused before anything was opened
