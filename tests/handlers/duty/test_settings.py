"""The org file's [duty] section: checked with line numbers like the rest of the file."""

from __future__ import annotations

from pathlib import Path

from lianfang.bot.org import default_org_path

from tests.org import check_test_org, load_test_org

SECTION = """[duty]
escalate_group = "{group}"
checkin_grace_minutes = 15
escalate_minutes = {escalate}
shifts = [
    {{ key = "day", name = "白班", name_en = "Day shift", start = "08:00", end = "{end}" }},
    {{ key = "night", name = "白班", name_en = "Night shift", start = "18:00", end = "08:00" }},
]
leaders = [
    {{ date = 2020-01-28, leader = "王宏武" }},
    {{ date = 2020-01-28, leader = "邓勇" }},
]

"""


def org_with(tmp_path: Path, **values: str) -> Path:
    """Write the bundled org with its [duty] section replaced."""
    text = default_org_path().read_text(encoding="utf-8")
    start = text.index("[duty]")
    end = text.index("# ---", start)
    path = tmp_path / "org.toml"
    path.write_text(text[:start] + SECTION.format(**values) + text[end:], encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """Return the line number of the first line containing needle."""
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_bundled_roster_settings_load() -> None:
    duty = load_test_org().duty
    assert [(s.name, s.start.hour, s.end.hour) for s in duty.shifts] == [("白班", 8, 18), ("夜班", 18, 8)]
    assert duty.shift("夜班") is duty.shift("night") is duty.shifts[1]
    assert (duty.eve_time.hour, duty.before_minutes, duty.checkin_grace_minutes, duty.escalate_minutes) == (
        18,
        30,
        15,
        30,
    )


def test_problems_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = org_with(tmp_path, group="supervisor", escalate="10", end="08:00")
    problems = {(p.line, p.field): p.message for p in check_test_org(path)}
    assert problems == {
        (line_of(path, 'escalate_group = "supervisor"'), "duty.escalate_group"): "no group has key 'supervisor' "
        "(groups: coordination, screening, supplies, publicity, stability, supervision)",
        (line_of(path, "escalate_minutes = 10"), "duty.escalate_minutes"): "escalate_minutes 10 must be more than "
        "checkin_grace_minutes 15",
        (line_of(path, 'name_en = "Night shift"'), "duty.shifts[1].name"): "'白班' is used by an earlier shift too",
        (
            line_of(path, 'name_en = "Day shift"'),
            "duty.shifts[0].end",
        ): "a shift must end at another time than it starts",
        (line_of(path, 'leader = "邓勇"'), "duty.leaders[1].date"): "2020-01-28 already has a leader above",
    }


def test_a_bad_time_is_reported_at_its_line(tmp_path: Path) -> None:
    path = org_with(tmp_path, group="supervision", escalate="30", end="25:00")
    (problem,) = check_test_org(path)
    assert problem.line == line_of(path, 'name_en = "Day shift"') and problem.field == "duty.shifts[0].end"
