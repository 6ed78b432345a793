"""Org and forms files: parent cycles, repeated keys and non-UTF-8 text are refused with the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import DEFAULT_ORG
from models.orgfile import OrgFile
from services.forms.config import FormsFileError, load_forms, parse_forms
from services.org_sync import responsible_keys
from services.orgconfig import OrgFileError, load_org, parse_org
from services.yamlfile import compose

GOOD = DEFAULT_ORG.read_text(encoding="utf-8")
FORMS = (DEFAULT_ORG.parent / "forms.example.yaml").read_text(encoding="utf-8")


def _line(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first row containing needle (after the first row containing after)."""
    rows = text.splitlines()
    start = next(i for i, row in enumerate(rows) if after in row) if after else 0
    return next(i for i, row in enumerate(rows[start:], start + 1) if needle in row)


def _refusal(text: str) -> str:
    with pytest.raises(OrgFileError) as err:
        parse_org(text, "org.yaml")
    return str(err.value)


def test_area_that_is_its_own_parent_is_refused_at_its_parent_line():
    text = GOOD.replace(
        "    kind: community\n    departments: [community_qianshan,",
        "    kind: community\n    parent: qianshan\n    departments: [community_qianshan,",
    )
    message = _refusal(text)
    line = _line(text, "parent: qianshan", after="key: qianshan")
    assert message.startswith(f"org.yaml:{line}: areas[0].parent:"), message
    assert "'qianshan' is its own parent" in message


def test_three_areas_in_a_circle_are_refused_with_the_loop():
    text = GOOD.replace(
        "    kind: community\n    departments: [community_qianshan,",
        "    kind: community\n    parent: lihua_xincun\n    departments: [community_qianshan,",
    ).replace(
        "    kind: community\n    departments: [community_lihua,",
        "    kind: community\n    parent: qianshan\n    departments: [community_lihua,",
    )
    message = _refusal(text)
    line = _line(text, "parent: lihua_xincun")
    assert message.startswith(f"org.yaml:{line}: areas[0].parent:"), message
    assert "qianshan → lihua_xincun → lihua → qianshan" in message


def test_department_cycles_are_refused_with_the_line():
    own = GOOD.replace(
        "    full_name: 千山公安分局\n    kind: police_bureau\n",
        "    full_name: 千山公安分局\n    kind: police_bureau\n    parent: police_bureau\n",
    )
    message = _refusal(own)
    line = _line(own, "parent: police_bureau", after="key: police_bureau")
    assert message.startswith(f"org.yaml:{line}: departments[3].parent:"), message
    assert "'police_bureau' is its own parent" in message

    # A loop of three; police_station_qianshan (under police_bureau) only leads into it.
    three = GOOD.replace(
        "    full_name: 千山消防救援大队\n    kind: fire_brigade\n",
        "    full_name: 千山消防救援大队\n    kind: fire_brigade\n    parent: social_affairs\n",
    ).replace(
        "    full_name: 千山公安分局\n    kind: police_bureau\n",
        "    full_name: 千山公安分局\n    kind: police_bureau\n    parent: fire_brigade\n",
    )
    three = three.replace(
        "  - key: social_affairs\n", "  - key: social_affairs\n    parent: police_bureau\n"
    )
    message = _refusal(three)
    line = _line(three, "parent: social_affairs", after="key: fire_brigade")
    assert message.startswith(f"org.yaml:{line}: departments[2].parent:"), message
    assert "fire_brigade → social_affairs → police_bureau → fire_brigade" in message


def test_walk_up_the_org_file_ends_even_on_a_cycle_that_bypassed_the_check():
    org = load_org(DEFAULT_ORG)
    areas = [
        area.model_copy(update={"parent": "qianshan_lihuayuan"}) if area.key == "qianshan" else area
        for area in org.areas
    ]
    looped = OrgFile.model_construct(**{**dict(org), "areas": areas})
    assert responsible_keys(looped, "qianshan_lihuayuan") == responsible_keys(org, "qianshan")


def test_repeated_key_is_refused_at_its_second_line():
    text = GOOD.replace(
        "    name: 住建办\n    full_name: 住建物业管理办公室\n",
        "    name: 住建办\n    full_name: 住建物业管理办公室\n    name: 消防大队\n",
    )
    message = _refusal(text)
    first = _line(text, "name: 住建办")
    assert message == (
        f"org.yaml:{first + 2}: key 'name' appears twice in the same block "
        f"(first on line {first}); keep one of them"
    )
    top = GOOD + "\nareas: []\n"
    assert "key 'areas' appears twice" in _refusal(top)


def test_yaml_merge_keys_are_not_taken_for_repeats():
    text = "base: &b {ping_every: 1h, escalate_after: 2h}\nurgent:\n  <<: *b\n  ping_every: 10m\n"
    _, data = compose(text, "x.yaml", OrgFileError)
    assert data["urgent"] == {"ping_every": "10m", "escalate_after": "2h"}


def test_non_utf8_org_file_names_the_file_line_and_the_fix(tmp_path: Path):
    file = tmp_path / "org.yaml"
    file.write_bytes(GOOD.encode("gb18030"))
    with pytest.raises(OrgFileError) as err:
        load_org(file)
    first_chinese = next(i for i, row in enumerate(GOOD.splitlines(), 1) if not row.isascii())
    assert str(err.value).startswith(f"{file}:{first_chinese}: not UTF-8 text")
    assert "save the file as UTF-8" in str(err.value)


def test_org_path_that_is_a_folder_is_one_line(tmp_path: Path):
    with pytest.raises(OrgFileError, match="is a folder, not a file"):
        load_org(tmp_path)


def test_forms_file_refuses_repeated_keys_and_non_utf8(tmp_path: Path):
    text = FORMS.replace(
        "    title: 消防大队指导培训情况\n", "    title: 消防大队指导培训情况\n    title: 别的\n"
    )
    with pytest.raises(FormsFileError) as err:
        parse_forms(text, "forms.yaml")
    line = _line(text, "title: 别的")
    assert str(err.value).startswith(f"forms.yaml:{line}: key 'title' appears twice")
    file = tmp_path / "forms.yaml"
    file.write_bytes(FORMS.encode("gb18030"))
    with pytest.raises(FormsFileError, match=r"forms.yaml:1: not UTF-8 text"):
        load_forms(file)
