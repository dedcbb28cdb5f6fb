"""The org file's [supervision] section: defaults, and what `lianfang org check` refuses."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from lianfang.bot.org import default_org_path
from lianfang.handlers.supervision.settings import SUPERVISION, oversight_group

from tests.bot.test_org import MINIMAL_ORG
from tests.org import check_test_org, load_test_org

SAMPLE = Path(default_org_path())


def without_section(text: str) -> str:
    """Return an org file's text without its [supervision] table."""
    head, _, rest = text.partition("[supervision]\n")
    kept = rest.split("\n\n", 1)[1] if "\n\n" in rest else ""
    return head + kept


def test_the_sample_states_the_defaults_and_an_org_without_the_section_gets_them(tmp_path: Path) -> None:
    rules = SUPERVISION.of(load_test_org())
    assert (rules.group, rules.near_hours, rules.stale_days, rules.max_repeats) == ("supervision", 24, 2, 3)
    assert (rules.digest_time, rules.due_time, rules.accountability_days) == (time(8, 30), time(17), 3)
    bare = tmp_path / "bare.toml"
    bare.write_text(without_section(SAMPLE.read_text(encoding="utf-8")), encoding="utf-8")
    assert "[supervision]" not in bare.read_text(encoding="utf-8")
    org = load_test_org(bare)
    assert SUPERVISION.of(org) == rules.model_copy(update={"group": None})
    assert oversight_group(org) == "supervision"  # the group keyed supervision, when the section names none


@pytest.mark.parametrize(
    ("line", "bad", "field", "message"),
    [
        ('group = "supervision"', 'group = "discipline"', "supervision.group", "no group has key 'discipline'"),
        ('digest_time = "08:30"', 'digest_time = "25:00"', "supervision.digest_time", "HH:MM"),
        ("near_hours = 24", "near_hours = 0", "supervision.near_hours", ""),
        ("max_repeats = 3", 'max_repeats = "3"', "supervision.max_repeats", ""),
    ],
)
def test_org_check_names_a_bad_setting_by_line(tmp_path: Path, line: str, bad: str, field: str, message: str) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    assert line in text
    path = tmp_path / "org.toml"
    path.write_text(text.replace(line, bad, 1), encoding="utf-8")
    problems = check_test_org(path)
    assert [problem.field for problem in problems] == [field]
    assert message in problems[0].message
    assert problems[0].line is not None


def test_an_org_without_a_discipline_group_has_no_oversight_group(tmp_path: Path) -> None:
    path = tmp_path / "minimal.toml"
    path.write_text(MINIMAL_ORG, encoding="utf-8")
    org = load_test_org(path)
    assert org.group("supervision") is None
    assert oversight_group(org) is None
