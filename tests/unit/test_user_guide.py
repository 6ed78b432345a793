"""docs/使用手册.md: one chapter per role, and its bot lines are the bot's real texts."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "使用手册.md").read_text(encoding="utf-8")
TRANSCRIPT = (ROOT / "tests" / "golden" / "demo_transcript.txt").read_text(encoding="utf-8")


def test_every_role_has_its_chapter():
    for role in ("网格员", "部门成员、部门负责人", "协调员", "领导"):
        assert re.search(rf"^## .*{role}", GUIDE, re.M), role


def test_what_the_bot_says_in_the_examples_is_what_the_demo_month_shows():
    """Lines the bot says in the guide's chats appear verbatim in the golden transcript
    (or differ only where a department key became its Chinese name)."""
    said = re.findall(r"^    (【[^】]+】.+|已.+。|请.+。)$", GUIDE, re.M)
    assert len(said) > 20
    missing = [line for line in said if line.strip() not in TRANSCRIPT]
    assert missing == []


def test_no_english_keys_in_the_commands_shown():
    commands = re.findall(r"^    (/\S+(?: \S+)*)$", GUIDE, re.M)
    assert commands
    for command in commands:
        assert not re.search(r" [a-z_]{3,}", command), command
