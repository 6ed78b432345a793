"""Settings and the org file: mistakes become one clear line, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULT_ORG, ConfigError, load_settings
from services.orgconfig import OrgFileError, load_org, parse_org

GOOD = DEFAULT_ORG.read_text(encoding="utf-8")


def test_shipped_org_file_is_valid():
    org = load_org(DEFAULT_ORG)
    assert org.office.case_prefix == "QS"
    kinds = {d.kind for d in org.departments}
    assert {"coordinator", "leading_group", "fire_brigade", "police_bureau", "housing"} <= kinds
    assert len([d for d in org.departments if d.kind == "police_station"]) == 2
    assert len([d for d in org.departments if d.kind == "community"]) == 3
    assert [c.name for c in org.categories][-1] == "其他"
    assert org.ladders["urgent"].ping_every.to_timedelta().total_seconds() == 600


def test_bad_field_names_its_line():
    text = GOOD.replace("    kind: housing\n", "    kind: housingg\n")
    with pytest.raises(OrgFileError) as err:
        parse_org(text, "org.yaml")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "kind: housingg" in row)
    assert str(err.value).startswith(f"org.yaml:{line}: departments[6].kind:")


def test_unknown_reference_names_its_line():
    text = GOOD.replace("    parent: police_bureau\n", "    parent: police_bureu\n", 1)
    with pytest.raises(OrgFileError) as err:
        parse_org(text, "org.yaml")
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "police_bureu" in row)
    message = str(err.value)
    assert "unknown department 'police_bureu'" in message
    assert message.startswith("org.yaml:")
    # the line points at the department that has the bad parent
    reported = int(message.split(":")[1])
    assert line - 5 <= reported <= line


def test_bad_duration_and_yaml_syntax():
    with pytest.raises(OrgFileError, match=r"ladders.urgent.ping_every.*10 minutes"):
        parse_org(GOOD.replace("ping_every: 10m", "ping_every: 10 minutes"), "o.yaml")
    with pytest.raises(OrgFileError, match=r"^o.yaml:\d+: YAML syntax error"):
        parse_org(GOOD + "\nbroken: [unclosed\n", "o.yaml")


def test_settings_errors_name_the_key(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN is not set.*@BotFather"):
        load_settings(telegram_bot_token=None, _env_file=None).require_token()
    with pytest.raises(ConfigError, match=r"^TELEGRAM_API_BASE_URL:"):
        load_settings(telegram_api_base_url="ftp://x", _env_file=None)
    with pytest.raises(ConfigError, match=r"^FIREGRID_ADMINS:"):
        load_settings(firegrid_admins="12,abc", _env_file=None)
    s = load_settings(firegrid_admins=" 12, 34 ", _env_file=None)
    assert s.admin_ids == (12, 34)


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


def test_cli_without_token_exits_with_one_line(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = _cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "@BotFather" in result.stderr and "Traceback" not in result.stderr


def test_cli_check_config(tmp_path: Path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    ok = _cli("check-config", str(DEFAULT_ORG), env=env, cwd=tmp_path)
    assert ok.returncode == 0 and "departments: 11" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("ping_every: 2h", "ping_every: soon"), encoding="utf-8")
    result = _cli("check-config", str(bad), env=env, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{bad}:" in result.stderr and "ladders.normal.ping_every" in result.stderr


def test_cli_run_with_unreachable_bot_api_says_so_in_one_line(tmp_path: Path):
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TELEGRAM_BOT_TOKEN": "123456789:AAFakeTokenForTheSimulatedTelegram0",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
    }
    result = _cli("run", env=env, cwd=tmp_path)
    assert result.returncode == 4
    assert "Traceback" not in result.stderr
    assert "cannot reach the Bot API at http://127.0.0.1:9/bot" in result.stderr
    assert "AAFakeToken" not in result.stderr
