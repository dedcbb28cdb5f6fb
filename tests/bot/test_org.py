"""Test loading and checking organisation files."""

from datetime import date, time
from pathlib import Path

import pytest
from lianfang.bot.org import (
    ROLES,
    OrgError,
    Problem,
    Schedule,
    default_org_path,
)
from pydantic import ValidationError

from tests.org import APP_ORG, check_test_org, load_test_org

PLAN_GROUP_KEYS = ["coordination", "screening", "supplies", "publicity", "stability", "supervision"]
PLAN_GROUP_NAMES = ["综合组", "排查组", "保障组", "宣传组", "社会稳定组", "执纪督查组"]

# A small but complete org; each broken-file test changes one thing in it.
MINIMAL_ORG = """\
name = "测试街道"
name_en = "Test Sub-district"
district = "测试区"
coordination_group = "coordination"

[leading_group]
leader = "张三"

[[communities]]
key = "north"
name = "北社区"
name_en = "North Community"

[schedule]
reminder = "15:00"
chasers = ["15:15", "15:25"]
deadline = "15:30"
working_days = ["mon", "tue", "wed", "thu", "fri"]
timezone = "Asia/Shanghai"

[alerts]
symptoms = ["发热", "咳嗽"]

[[groups]]
key = "coordination"
name = "综合组"
name_en = "Coordination"
leads = ["李四"]
departments = ["党政综合办"]
duties = "汇总上报"

[[groups.report]]
key = "progress"
label = "重点工作进展"
label_en = "Key work progress"

[[groups]]
key = "screening"
name = "排查组"
name_en = "Screening"
leads = ["王五"]
departments = ["各社区"]
duties = "逐户核查"

[[groups.report]]
key = "households_checked"
label = "今日核查户数"
label_en = "Households checked today"
type = "int"

[[groups.report]]
key = "situation"
label = "态势"
label_en = "Situation"
type = "choice"
choices = ["平稳", "需关注", "紧急"]
"""


def write(tmp_path: Path, text: str) -> Path:
    """Write an org file into the test's directory and return its path."""
    path = tmp_path / "org.toml"
    path.write_text(text, encoding="utf-8")
    return path


def broken(old: str, new: str) -> str:
    """Return the minimal org with its only occurrence of `old` replaced by `new`."""
    assert MINIMAL_ORG.count(old) == 1, old
    return MINIMAL_ORG.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """Return the 1-based line of the n-th line containing `fragment`."""
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return lines[occurrence - 1]


def only_problem(path: Path, field: str) -> Problem:
    """Return the single problem reported for `field`, after checking load_org refuses the file."""
    with pytest.raises(OrgError) as raised:
        load_test_org(path)
    problems = check_test_org(path)
    assert raised.value.problems == problems
    matching = [problem for problem in problems if problem.field == field]
    assert len(matching) == 1, problems
    return matching[0]


def test_bundled_org_reproduces_the_plan() -> None:
    org = load_test_org()

    assert org.name == "五里牌街道"
    assert org.district == "芙蓉区"
    assert org.leading_group.leader == "王宏武"
    assert org.leading_group.first_deputy == "邓勇"
    assert [group.key for group in org.groups] == PLAN_GROUP_KEYS
    assert [group.name for group in org.groups] == PLAN_GROUP_NAMES
    assert org.coordination_group == "coordination"
    assert org.group(org.coordination_group).name == "综合组"
    assert org.group("screening").leads == ["董晓波", "黎炬"]
    assert org.schedule.deadline == time(15, 30)
    assert org.schedule.chasers == [time(15, 15), time(15, 25)]
    assert org.schedule.timezone == "Asia/Shanghai"
    assert org.alerts.fever_threshold == pytest.approx(37.3)
    assert len(org.communities) == 3
    assert all(2 <= len(group.report) <= 4 for group in org.groups)


def test_bundled_org_keeps_duty_over_the_spring_festival() -> None:
    schedule = load_test_org().schedule

    spring_festival_2020 = date(2020, 1, 25)
    assert schedule.is_working_day(spring_festival_2020)
    assert all(schedule.is_working_day(date(2020, 2, day)) for day in range(1, 8))


def test_bundled_org_duties_are_the_plan_text() -> None:
    duties = load_test_org().group("supervision").duties

    assert duties == (
        "强化执纪监督,严肃问责机制,加强对各工作组的督查督办,"
        "因责任落实不到位导致工作被动、造成严重后果的,依法依规严肃追责。"
    )


def test_bundled_org_has_no_problems() -> None:
    assert check_test_org(default_org_path()) == []


def test_roles_constant_lists_every_role() -> None:
    assert ROLES == ("admin", "leader", "group_lead", "reporter", "staff")


def test_working_day_rules() -> None:
    schedule = Schedule(
        reminder="15:00",
        deadline="15:30",
        working_days=["mon", "tue", "wed", "thu", "fri"],
        holidays=[date(2020, 1, 27)],
        extra_working_days=["2020-02-01"],
    )

    assert schedule.is_working_day(date(2020, 1, 28))  # a Tuesday
    assert not schedule.is_working_day(date(2020, 1, 26))  # a Sunday
    assert not schedule.is_working_day(date(2020, 1, 27))  # a Monday, but a holiday
    assert schedule.is_working_day(date(2020, 2, 1))  # a Saturday, but an extra working day


def test_date_both_holiday_and_extra_working_day_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        broken('timezone = "Asia/Shanghai"', "holidays = [2020-01-27]\nextra_working_days = [2020-01-27]"),
    )

    problem = only_problem(path, "schedule.extra_working_days[0]")
    assert "holidays" in problem.message
    assert problem.line == line_of(path.read_text(encoding="utf-8"), "extra_working_days =")


def test_community_lookup_by_key_name_or_english_name() -> None:
    org = load_test_org()
    first = org.communities[0]

    assert org.community(first.key) is first
    assert org.community(first.name) is first
    assert org.community(first.name_en.upper()) is first
    assert org.community("no such place") is None


def test_minimal_org_loads(tmp_path: Path) -> None:
    org = load_test_org(write(tmp_path, MINIMAL_ORG))

    assert org.access.full_data_roles == ["admin", "leader", "group_lead"]
    assert org.alerts.fever_threshold == pytest.approx(37.3)
    assert org.group("screening").report[1].choices == ["平稳", "需关注", "紧急"]
    assert org.group("missing") is None


def test_typo_in_key_is_reported_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, broken('deadline = "15:30"', 'deadlin = "15:30"'))

    problem = only_problem(path, "schedule.deadlin")
    assert problem.message.startswith("unknown field (typo?)")
    assert "'deadline'" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "deadline =")
    missing = only_problem(path, "schedule.deadline")
    assert missing.message == "Field required"
    assert missing.line == line_of(MINIMAL_ORG, "[schedule]")


def test_impossible_time_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, broken('reminder = "15:00"', 'reminder = "25:00"'))

    problem = only_problem(path, "schedule.reminder")
    assert "must be HH:MM" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "reminder =")


def test_toml_local_times_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, broken('deadline = "15:30"', "deadline = 15:30:00"))

    assert load_test_org(path).schedule.deadline == time(15, 30)


def test_chaser_after_deadline_points_at_the_chasers_line(tmp_path: Path) -> None:
    path = write(tmp_path, broken('chasers = ["15:15", "15:25"]', 'chasers = ["15:15", "15:45"]'))

    problem = only_problem(path, "schedule.chasers[1]")
    assert "before deadline 15:30" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "chasers =")


def test_chaser_in_a_multiline_array_points_at_its_own_line(tmp_path: Path) -> None:
    text = broken('chasers = ["15:15", "15:25"]', 'chasers = [\n    "15:25",\n    "15:15",\n]')
    path = write(tmp_path, text)

    problem = only_problem(path, "schedule.chasers[1]")
    assert "ascending" in problem.message
    assert problem.line == line_of(text, '"15:15"')


def test_unknown_coordination_group_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, broken('coordination_group = "coordination"', 'coordination_group = "zonghe"'))

    problem = only_problem(path, "coordination_group")
    assert "'zonghe'" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "coordination_group =")


def test_duplicate_group_key_points_at_the_second_group(tmp_path: Path) -> None:
    path = write(tmp_path, broken('key = "screening"', 'key = "coordination"'))

    problem = only_problem(path, "groups[1].key")
    assert "'coordination'" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, 'key = "screening"')


def test_choice_field_without_choices_points_at_its_table(tmp_path: Path) -> None:
    path = write(tmp_path, broken('choices = ["平稳", "需关注", "紧急"]\n', ""))

    problem = only_problem(path, "groups[1].report[1].choices")
    assert "choices" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "[[groups.report]]", occurrence=3)


def test_unknown_field_type_in_nested_table(tmp_path: Path) -> None:
    path = write(tmp_path, broken('type = "int"', 'type = "number"'))

    problem = only_problem(path, "groups[1].report[0].type")
    assert problem.message == "must be one of 'text', 'int' or 'choice'"
    assert problem.line == line_of(MINIMAL_ORG, 'type = "int"')
    assert str(problem) == f"{path}:{problem.line}: groups[1].report[0].type: {problem.message}"


def test_inline_tables_point_at_the_right_element(tmp_path: Path) -> None:
    inline_report = (
        "report = [\n"
        '    { key = "progress", label = "进展", label_en = "Progress" },\n'
        '    { key = "count", label = "数量", label_en = "Count", type = "nummber" },\n'
        "]\n"
    )
    text = broken(
        '[[groups.report]]\nkey = "progress"\nlabel = "重点工作进展"\nlabel_en = "Key work progress"\n',
        inline_report,
    )
    path = write(tmp_path, text)

    problem = only_problem(path, "groups[0].report[1].type")
    assert problem.line == line_of(text, '"nummber"')


def test_bad_toml_syntax_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, broken('district = "测试区"', 'district "测试区"'))

    problems = check_test_org(path)
    assert len(problems) == 1
    assert problems[0].line == line_of(MINIMAL_ORG, "district =")
    assert problems[0].field == ""
    assert problems[0].message.startswith("TOML syntax error")
    with pytest.raises(OrgError):
        load_test_org(path)


def test_misspelt_timezone_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, broken('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shangai"'))

    problem = only_problem(path, "schedule.timezone")
    assert problem.message.startswith("unknown timezone 'Asia/Shangai'")
    assert "'Asia/Shanghai'" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, "timezone =")


def test_missing_table_has_no_line(tmp_path: Path) -> None:
    path = write(tmp_path, broken('[alerts]\nsymptoms = ["发热", "咳嗽"]\n', ""))

    problem = only_problem(path, "alerts")
    assert problem.message == "Field required"
    assert problem.line is None
    assert str(problem) == f"{path}: alerts: Field required"


def test_fever_threshold_out_of_range(tmp_path: Path) -> None:
    path = write(tmp_path, broken("[alerts]\n", "[alerts]\nfever_threshold = 42\n"))

    problem = only_problem(path, "alerts.fever_threshold")
    assert problem.message == "must be at most 40.0"
    assert problem.line == line_of(MINIMAL_ORG, "[alerts]") + 1


def test_several_problems_are_reported_in_file_order(tmp_path: Path) -> None:
    text = broken('reminder = "15:00"', 'reminder = "3pm"').replace('type = "int"', "type = 1")
    path = write(tmp_path, text)

    problems = check_test_org(path)
    assert [problem.field for problem in problems] == ["schedule.reminder", "groups[1].report[0].type"]
    assert problems[0].line < problems[1].line


def test_unreadable_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"

    problems = check_test_org(path)
    assert len(problems) == 1
    assert problems[0].line is None
    assert "cannot read file" in problems[0].message
    with pytest.raises(OrgError, match="cannot read file"):
        load_test_org(path)


def test_cross_field_rules_also_guard_models_built_in_code() -> None:
    with pytest.raises(ValidationError, match="deadline 15:00 must be after reminder 15:30"):
        Schedule(reminder="15:30", deadline="15:00", working_days=["mon"])
    data = load_test_org().model_dump()
    data["coordination_group"] = "nobody"
    with pytest.raises(ValidationError, match="no group has key 'nobody'"):
        APP_ORG.model_validate(data)


def test_max_length_only_for_text_fields(tmp_path: Path) -> None:
    path = write(tmp_path, broken('type = "int"', 'type = "int"\nmax_length = 10'))

    problem = only_problem(path, "groups[1].report[0].max_length")
    assert "text" in problem.message
    assert problem.line == line_of(MINIMAL_ORG, 'type = "int"') + 1


def test_a_report_source_must_be_known_and_only_on_int_fields(tmp_path: Path) -> None:
    unknown = broken('type = "int"', 'type = "int"\nsource = "checks_yesterday"')
    problem = only_problem(write(tmp_path, unknown), "groups[1].report[0].source")
    assert "checks_today" in problem.message and problem.line == line_of(unknown, "source =")

    choices = 'choices = ["平稳", "需关注", "紧急"]'
    on_choice = broken(choices, f'{choices}\nsource = "checks_today"')
    problem = only_problem(write(tmp_path, on_choice), "groups[1].report[1].source")
    assert problem.message == 'only "int" fields take a source (this one is "choice")'


def test_a_compound_under_two_communities_is_refused_at_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lianfang.app.cli import main

    text = broken(
        'name_en = "North Community"\n',
        'name_en = "North Community"\ncompounds = ["朝阳新村", "东风小区"]\n\n'
        '[[communities]]\nkey = "south"\nname = "南社区"\nname_en = "South Community"\ncompounds = ["东风小区"]\n',
    )
    path = write(tmp_path, text)
    problems = check_test_org(path)
    assert [(p.field, p.line) for p in problems] == [
        ("communities[0].compounds[1]", line_of(text, '"东风小区"]', 1)),
        ("communities[1].compounds[0]", line_of(text, '"东风小区"]', 2)),
    ]
    assert "'south'" in problems[0].message and "'north'" in problems[1].message
    assert main(["org", "check", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}:{problems[0].line}:" in out and f"{path}:{problems[1].line}:" in out


def test_quiet_hours_default_and_are_checked() -> None:
    from lianfang.bot.org import DEFAULT_QUIET_HOURS, Schedule

    schedule = load_test_org().schedule
    assert schedule.quiet_hours == DEFAULT_QUIET_HOURS == (time(22), time(7))
    assert schedule.is_quiet(time(23, 30)) and schedule.is_quiet(time(0, 1)) and schedule.is_quiet(time(4, 1))
    assert not schedule.is_quiet(time(7)) and not schedule.is_quiet(time(21, 59))
    base = {"reminder": "15:00", "deadline": "15:30", "working_days": ["mon"]}
    with pytest.raises(ValidationError) as error:
        Schedule.model_validate({**base, "quiet_hours": ["15:00", "16:00"]})
    assert "15:00 falls in the quiet hours 15:00-16:00" in str(error.value)
    assert "15:30 falls in the quiet hours" in str(error.value)
    for bad in (["22:00", "22:00"], ["22:00", "25:00"], ["22:00"]):
        with pytest.raises(ValidationError):
            Schedule.model_validate({**base, "quiet_hours": bad})


def test_the_org_is_the_core_plus_the_sections_it_is_given(tmp_path: Path) -> None:
    from lianfang.bot.org import Located, Org, OrgModel, OrgSection, check_org, load_org, org_model

    class Drills(OrgModel):
        group: str = "coordination"

    def drill_problems(org: Org, drills: Drills) -> Located:
        return [] if org.group(drills.group) else [(("group",), f"no group has key {drills.group!r}")]

    drills = OrgSection("drills", Drills, check=drill_problems)
    assert org_model([drills]) is org_model((drills,))  # composed once per section list
    assert load_test_org().alerts.symptoms  # the app's sections
    minimal = write(tmp_path, MINIMAL_ORG.replace('[alerts]\nsymptoms = ["发热", "咳嗽"]\n', ""))
    assert drills.of(load_org(minimal, [drills])) == Drills()
    assert [(p.field, p.message) for p in check_org(default_org_path(), [drills])][:1] == [
        ("alerts", "unknown field (typo?)")  # a feature's table is known only with its section
    ]
    text = minimal.read_text(encoding="utf-8") + '\n[drills]\ngroup = "nobody"\n'
    problems = check_org(write(tmp_path, text), [drills])
    assert [(p.field, p.line, p.message) for p in problems] == [
        ("drills.group", line_of(text, 'group = "nobody"'), "no group has key 'nobody'")
    ]
