"""Drill files: malformed ones named by file and line, expectations and their windows, and every bundled drill."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lianfang.app.drill.command import run_drill
from lianfang.app.drill.player import Options

from tests.app.test_cli import lianfang
from tests.paths import ROOT

BUNDLED = sorted((ROOT / "examples" / "drills").glob("*.drill"))
HEADER = """\
# A small drill for the tests.
date: 2020-01-28
people:
  张伟 screening staff chaoyang
  王芳 screening staff dongfeng
strangers:
  路人
chats:
  领导小组 leadership
---
"""
HEADER_LINES = HEADER.count("\n")


def drill(tmp_path: Path, body: str, *, header: str = HEADER, name: str = "t.drill") -> Path:
    """Write a drill file in tmp_path and return its path."""
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def play(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Play a drill quietly; return its exit code, what it printed and its problems."""
    out = io.StringIO()
    code = run_drill(path, out, Options(quiet=True))
    return code, out.getvalue(), capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "line", "problem"),
    [
        ("09:00 李四: /help\n", HEADER_LINES + 1, "李四 is neither in people: nor in strangers:"),
        ("09:00 expect 李四: 欢迎\n", HEADER_LINES + 1, "unknown target 李四"),
        ("09:00 张伟 @综合组: /help\n", HEADER_LINES + 1, "unknown chat @综合组"),
        ("09:00 expect @综合组: 欢迎\n", HEADER_LINES + 1, "unknown target @综合组"),
        ("09:00 张伟: /help\n08:59 张伟: /help\n", HEADER_LINES + 2, "08:59 goes back in time"),
        ("09:00 张伟: /help\n=== 2020-01-27\n", HEADER_LINES + 2, "2020-01-27 goes back in time"),
        ("=== 2020-02-30\n", HEADER_LINES + 1, "bad date '2020-02-30'"),
        ("25:00 张伟: /help\n", HEADER_LINES + 1, "bad time 25:00"),
        ("09:00 张伟: <file nowhere.xlsx>\n", HEADER_LINES + 1, "file 'nowhere.xlsx' does not exist"),
        ("张伟: /help\n", HEADER_LINES + 1, "a line of the day starts with HH:MM"),
        ("09:00 just words\n", HEADER_LINES + 1, "expected 'NAME: TEXT'"),
    ],
)
def test_a_malformed_body_is_named_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, line: int, problem: str
) -> None:
    path = drill(tmp_path, body)
    code, _out, err = play(path, capsys)
    assert code == 2
    assert f"{path}:{line}: {problem}" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("old", "new", "line", "problem"),
    [
        ("date: 2020-01-28", "date: 2020-13-01", 2, "bad date '2020-13-01'"),
        ("张伟 screening staff", "张伟 cooking staff", 4, "unknown group 'cooking'"),
        ("张伟 screening staff", "张伟 screening chef", 4, "unknown role 'chef'"),
        ("chaoyang", "atlantis", 4, "unknown community 'atlantis'"),
        ("领导小组 leadership", "领导小组 group:nope", 9, "chat 领导小组: bind to leadership or one of"),
        ("---\n", "", 9, "missing '---'"),
        ("strangers:", "strangers: 张伟", 6, "张伟 is named twice"),
        ("date: 2020-01-28", "colour: blue", 2, "unknown header line 'colour: blue'"),
        ("date: 2020-01-28", "org: nowhere.toml", 2, "org file 'nowhere.toml' does not exist"),
    ],
)
def test_a_malformed_header_is_named_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, line: int, problem: str
) -> None:
    assert old in HEADER
    path = drill(tmp_path, "", header=HEADER.replace(old, new))
    code, _out, err = play(path, capsys)
    assert code == 2
    assert f"{path}:{line}: {problem}" in err
    assert "Traceback" not in err


def test_a_passing_drill_exits_0_and_a_failing_one_exits_1_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    passing = drill(tmp_path, "09:00 张伟: /help\n09:00 expect 张伟: 您可以使用以下功能\n", name="pass.drill")
    assert play(passing, capsys)[0] == 0
    failing = drill(tmp_path, "09:00 张伟: /help\n09:00 expect 张伟: 您可以使用以下功能\n09:00 expect 张伟: 已保存\n")
    code, out, _err = play(failing, capsys)
    assert code == 1
    assert f"{failing}:{HEADER_LINES + 3}: ✗ expect 张伟: 已保存" in out
    assert "sent: 1 message(s)" in out and "您可以使用以下功能" in out
    assert f"{failing}:{HEADER_LINES + 2}:" not in out


def test_expect_no_and_a_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        "09:00 张伟: /help\n"
        "09:00 expect no 张伟: 已保存\n"
        "09:00 expect 张伟: 1 messages\n"
        "09:00 expect 王芳: 0 messages\n"
    )
    assert play(drill(tmp_path, body), capsys)[0] == 0
    wrong = "09:00 张伟: /help\n09:00 expect no 张伟: 您可以\n09:00 expect 张伟: 2 messages\n"
    code, out, _err = play(drill(tmp_path, wrong, name="wrong.drill"), capsys)
    assert code == 1
    assert f":{HEADER_LINES + 2}: ✗ expect no 张伟: 您可以" in out
    assert f":{HEADER_LINES + 3}: ✗ expect 张伟: 2 messages" in out


def test_two_blocks_on_one_target_see_what_came_between_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "09:00 张伟: /help\n"
        "09:00 expect 张伟: 1 messages\n"
        "09:00 张伟: /help\n"
        "09:00 张伟: /help\n"
        "09:00 expect 张伟: 2 messages\n"
        "09:00 expect 张伟: 您可以使用以下功能\n"
        "09:05 expect 张伟: 0 messages\n"
    )
    assert play(drill(tmp_path, body), capsys)[0] == 0


def test_one_block_on_two_targets_gives_each_its_own_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        "09:00 张伟: /help\n"
        "09:00 expect 张伟: 1 messages\n"
        "09:01 王芳: /help\n"
        "09:01 王芳: /help\n"
        "09:01 张伟: /help\n"
        "09:01 expect 王芳: 2 messages\n"
        "09:01 expect 张伟: 1 messages\n"
        "09:01 expect 王芳: 您可以使用以下功能\n"
    )
    assert play(drill(tmp_path, body), capsys)[0] == 0


def test_the_set_up_is_not_counted_and_a_stranger_is_answered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = (
        "09:00 expect 张伟: 0 messages\n"
        "09:00 expect @领导小组: 0 messages\n"
        "09:01 路人: 你好\n"
        "09:01 expect 路人: 1 messages\n"
    )
    assert play(drill(tmp_path, body), capsys)[0] == 0


def test_a_tap_on_a_missing_button_is_a_failed_expectation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "09:00 张伟: /help\n09:01 张伟: [提交]\n09:02 张伟: /help\n09:02 expect 张伟: 您可以使用以下功能\n"
    code, out, err = play(drill(tmp_path, body), capsys)
    assert code == 1
    assert f":{HEADER_LINES + 2}: ✗ 张伟 taps [提交]" in out
    assert "no message to 张伟 carries that button" in out
    assert "Traceback" not in err


def test_a_lianfang_line_runs_on_the_drills_database_and_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "09:00 $ lianfang invite create --group screening --role staff --name 李四\n09:01 $ lianfang nonsense\n"
    out = io.StringIO()
    code = run_drill(drill(tmp_path, body), out, Options())
    assert code == 1
    printed = out.getvalue()
    assert "09:00 $ lianfang invite create" in printed
    assert f":{HEADER_LINES + 2}: ✗ lianfang nonsense exits 0" in printed


def test_lianfang_drill_as_a_process(tmp_path: Path) -> None:
    good = drill(tmp_path, "09:00 张伟: /help\n09:00 expect 张伟: 您可以使用以下功能\n", name="good.drill")
    result = lianfang("drill", str(good), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "09:00 👤 张伟: /help" in result.stdout and "all 1 expectation(s) and actions held" in result.stdout
    bad = drill(tmp_path, "09:00 李四: /help\n", name="bad.drill")
    result = lianfang("drill", str(bad), "--quiet", tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"{bad}:{HEADER_LINES + 1}: 李四 is neither" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_every_bundled_drill_passes(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = play(path, capsys)
    assert code == 0, out + err


def test_a_person_sends_a_file_beside_the_drill(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "list.xlsx").write_bytes((ROOT / "examples" / "drills" / "screening-list.xlsx").read_bytes())
    header = "people:\n  龙雅俐 coordination admin\n---\n"
    body = (
        "09:00 龙雅俐: <file list.xlsx>\n09:00 expect 龙雅俐: 已检查《list.xlsx》：共读取 3 行\n09:01 龙雅俐: [导入]\n"
    )
    code, out, err = play(drill(tmp_path, body, header=header), capsys)
    assert code == 0, out + err


def test_org_names_the_org_file_and_a_bad_one_is_named_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / "examples" / "wulipai.toml").read_text(encoding="utf-8")
    (tmp_path / "mine.toml").write_text(text.replace('name = "五里牌街道"', 'name = "演练街道"', 1), encoding="utf-8")
    path = drill(tmp_path, "09:00 张伟: /help\n", header="org: mine.toml\n" + HEADER.replace("date: 2020-01-28\n", ""))
    out = io.StringIO()
    assert run_drill(path, out, Options()) == 0
    assert "lianfang drill — 演练街道" in out.getvalue()
    (tmp_path / "mine.toml").write_text(text.replace('deadline = "15:30"', 'deadline = "25:30"'), encoding="utf-8")
    code, _out, err = play(path, capsys)
    assert code == 2 and "mine.toml:" in err and "schedule.deadline" in err


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("supervision.accountability_days = ", "not a TOML setting 'section.key = value'"),
        ("accountability_days = 1", "accountability_days: unknown field (typo?)"),
        ("[supervision]", "a setting reads 'section.key = value'"),
        ("supervision.accountability_days = 0", "supervision.accountability_days: must be at least 1"),
        ('supervision.accountability_days = "三"', "supervision.accountability_days: must be a whole number"),
        ("supervision.colour = 1", "supervision.colour: unknown field (typo?)"),
        ("duty.shifts = []", "duty.shifts: "),
    ],
)
def test_a_bad_setting_is_named_by_the_drill_line_that_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, problem: str
) -> None:
    header = HEADER.replace("people:\n", f"set:\n  supervision.max_repeats = 1\n  {setting}\npeople:\n")
    path = drill(tmp_path, "09:00 张伟: /help\n", header=header)
    code, _out, err = play(path, capsys)
    assert code == 2
    assert f"{path}:5: {problem}" in err  # line 4 sets a good value
    assert ":4:" not in err and "Traceback" not in err


def test_a_setting_set_twice_is_named_by_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    twice = "set: supervision.max_repeats = 1\n  supervision.max_repeats = 2\npeople:\n"
    path = drill(tmp_path, "", header=HEADER.replace("people:\n", twice))
    code, _out, err = play(path, capsys)
    assert code == 2
    assert f"{path}:4: supervision.max_repeats is set twice (first on line 3)" in err


def test_settings_apply_on_top_of_the_org_file_for_the_app_and_its_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = 'set:\n  name = "演练街道"\n  supervision.accountability_days = 1\npeople:\n'
    body = "15:31 expect @领导小组: 演练街道\n15:40 $ lianfang report --date 2020-01-28\n"
    path = drill(tmp_path, body, header=HEADER.replace("people:\n", settings))
    out = io.StringIO()
    code = run_drill(path, out, Options())
    assert code == 0, out.getvalue()
    assert out.getvalue().count("演练街道") >= 3  # the title, the 15:30 report and the command's report
    assert "五里牌街道" not in out.getvalue()
