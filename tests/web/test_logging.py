"""FIREGRID_LOG_FORMAT=json: one JSON object per line; the token and the DB password never show."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logsetup import configure_logging
from bot.run import secrets_of
from bot.settings import load_settings
from sim.simulation import FAKE_TOKEN

PASSWORD = "Hunter2-db-secret"
DB_URL = f"postgresql+asyncpg://firegrid:{PASSWORD}@db.internal:5432/firegrid"


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines_logged(capsys: pytest.CaptureFixture[str], *, json_lines: bool) -> list[str]:
    settings = load_settings(
        telegram_bot_token=FAKE_TOKEN, database_url=DB_URL, firegrid_log_level="debug"
    )
    configure_logging(
        FAKE_TOKEN, settings.log_level, json_lines=json_lines, secrets=secrets_of(settings)
    )
    log = logging.getLogger("firegrid.test")
    log.info("delivery to chat %s failed", -100123, extra={"chat": -100123, "row": 7})
    log.info("case QS-2026-0042 whistled", extra={"case": "QS-2026-0042"})
    log.warning("GET https://api.telegram.org/bot%s/getMe failed", FAKE_TOKEN)
    log.debug("connecting to %s", DB_URL)
    try:
        raise ConnectionError(f"could not connect with {DB_URL} password={PASSWORD}")
    except ConnectionError:
        log.exception("database lost")
    return capsys.readouterr().err.splitlines()


def test_json_lines_carry_level_logger_message_and_chat_or_case(
    capsys: pytest.CaptureFixture[str], restore_root: None
):
    lines = lines_logged(capsys, json_lines=True)
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert len(entries) == 5
    first = entries[0]
    assert (first["level"], first["logger"], first["chat"], first["row"]) == (
        "INFO",
        "firegrid.test",
        -100123,
        7,
    )
    assert first["message"] == "delivery to chat -100123 failed"
    assert entries[1]["case"] == "QS-2026-0042"
    assert entries[4]["level"] == "ERROR" and "ConnectionError" in entries[4]["error"]


@pytest.mark.parametrize("json_lines", [True, False])
def test_the_token_and_the_database_password_never_appear(
    capsys: pytest.CaptureFixture[str], restore_root: None, json_lines: bool
):
    text = "\n".join(lines_logged(capsys, json_lines=json_lines))
    assert FAKE_TOKEN not in text
    assert FAKE_TOKEN.split(":")[1] not in text
    assert PASSWORD not in text
    assert "firegrid:***@db.internal" in text  # the URL still says where it went
    assert "<token>" in text


def test_a_bad_log_level_or_format_is_one_line(monkeypatch: pytest.MonkeyPatch):
    from bot.settings import ConfigError

    with pytest.raises(ConfigError, match="FIREGRID_LOG_LEVEL"):
        load_settings(firegrid_log_level="loud")
    with pytest.raises(ConfigError, match="FIREGRID_LOG_FORMAT"):
        load_settings(firegrid_log_format="xml")
    assert load_settings(firegrid_log_format="JSON").firegrid_log_format == "json"
