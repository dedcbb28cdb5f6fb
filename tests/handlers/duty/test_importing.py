"""Importing a duty roster: every row checked, bad rows named by number, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main
from lianfang.bot.db import make_engine
from lianfang.bot.i18n import render
from lianfang.models.duty import DutyAssignment, DutyLeader
from lianfang.models.members import create_member
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.fakes import Harness
from tests.handlers.duty.roster_files import import_file, roster

DAY = date(2020, 1, 28)


def stored(harness_or_url: Harness | str) -> list[tuple[date, str, str]]:
    """Return the roster as (day, shift, member name)."""
    url = harness_or_url if isinstance(harness_or_url, str) else str(harness_or_url.app.engine.url)
    engine = make_engine(url) if isinstance(harness_or_url, str) else harness_or_url.app.engine
    from lianfang.models.members import Member

    with Session(engine) as session:
        rows = [
            (a.day, a.shift, m.name)
            for a, m in session.exec(
                select(DutyAssignment, Member).where(DutyAssignment.member_id == Member.id).order_by(DutyAssignment.id)
            )
        ]
    if isinstance(harness_or_url, str):
        engine.dispose()
    return rows


async def test_every_bad_row_is_named_and_nothing_is_imported(harness: Harness, tmp_path: Path) -> None:
    await harness.member("王宏武", "coordination", "leader")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("王芳", "screening", "staff", "dongfeng")
    path = roster(
        tmp_path,
        [
            [datetime(2020, 1, 28), "白班", "王宏武", "张伟", "13812345678", ""],  # row 4: good
            ["2020-01-28", "夜班", "王宏武", "李雷", "", ""],  # row 5: unknown member
            ["1月32日", "白班", "王宏武", "王芳", "", ""],  # row 6: unparseable date
            ["2020-01-29", "中班", "王宏武", "王芳", "", ""],  # row 7: unknown shift
            ["2020/1/28", "day", "王宏武", "张伟、王芳", "", ""],  # row 8: 张伟 twice on the day shift
            ["2020-01-29", "夜班", "王宏武", "王芳", "12345", ""],  # row 9: bad phone
            ["2020-01-28", "夜班", "张伟", "王芳", "", ""],  # row 10: a second leader for the 28th
        ],
    )
    result = import_file(harness, path)
    assert not result.written
    problems = {(p.row, p.text.key) for p in result.problems}
    assert problems == {
        (5, "duty.import_unknown_member"),
        (6, "duty.import_bad_date"),
        (7, "duty.import_bad_shift"),
        (8, "duty.import_overlap"),
        (9, "duty.import_bad_phone"),
        (10, "duty.import_leader_conflict"),
    }
    rendered = "\n".join(render(p.line(), "zh_CN") for p in result.problems)
    assert "第 5 行：“李雷”不是在册成员" in rendered
    assert "第 8 行：张伟 的班次与第 4 行的班次时间重叠" in rendered
    assert "第 7 行：班次“中班”不存在（可用：白班、夜班）" in rendered
    assert stored(harness) == []


async def test_a_good_roster_replaces_the_days_it_covers(harness: Harness, tmp_path: Path) -> None:
    await harness.member("王宏武", "coordination", "leader")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("王芳", "screening", "staff", "dongfeng")
    first = roster(tmp_path, [["2020-01-28", "白班", "王宏武", "张伟、王芳", "", ""]], "a.xlsx")
    assert import_file(harness, first).written
    second = roster(
        tmp_path,
        [
            ["2020-01-28", "夜班", "王宏武", "张伟", "", ""],
            ["2020-01-29", "白班", "", "王芳", "0731-84512345", "春节"],
        ],
        "b.xlsx",
    )
    result = import_file(harness, second)
    assert result.written and result.problems == []
    assert stored(harness) == [(DAY, "night", "张伟"), (date(2020, 1, 29), "day", "王芳")]
    with Session(harness.app.engine) as session:
        assert [leader.day for leader in session.exec(select(DutyLeader))] == [DAY]


async def test_a_shift_overlapping_the_kept_roster_is_refused(harness: Harness, tmp_path: Path) -> None:
    await harness.member("张伟", "screening", "staff", "chaoyang")
    assert import_file(harness, roster(tmp_path, [["2020-01-28", "夜班", "", "张伟", "", ""]], "a.xlsx")).written
    # The night of the 28th runs to 08:00 on the 29th: a day shift from 08:00 touches it but does not overlap.
    assert import_file(harness, roster(tmp_path, [["2020-01-29", "白班", "", "张伟", "", ""]], "b.xlsx")).written
    result = import_file(harness, roster(tmp_path, [["2020-01-29", "夜班", "", "张伟", "", ""]], "c.xlsx"))
    assert result.written  # the 29th is replaced as a whole: its day shift goes, its night shift comes


def add_member(engine: Engine, name: str) -> None:
    """Add a screening staff member straight to the database, as the CLI tests have no chat."""
    with Session(engine) as session:
        create_member(
            session=session,
            name=name,
            group_key="screening",
            role="staff",
            community=None,
            lang="zh_CN",
            now=datetime.now().astimezone(),
        )
        session.commit()


@pytest.fixture
def cli(cli_on_database: Callable[[str], Path]) -> Path:
    """Point the command line at the test database, on a drill clock at 08:00 on 28 January 2020."""
    return cli_on_database("2020-01-28T08:00:00")


def test_the_cli_exits_2_on_bad_rows_and_0_on_a_good_roster(
    cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["duty", "import", str(roster(cli, [["2020-01-28", "白班", "", "张伟", "", ""]]))]) == EXIT_INVALID
    assert "“张伟”不是在册成员" in capsys.readouterr().out  # the schema exists now: add the member
    engine = make_engine(database_url)
    add_member(engine, "张伟")
    engine.dispose()
    bad = roster(
        cli, [["2020-01-28", "白班", "", "张伟", "", ""], ["2020-01-28", "早班", "", "张伟", "", ""]], "bad.xlsx"
    )
    assert main(["duty", "import", str(bad)]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "值班表有 1 行有问题，未导入任何内容" in out and "第 5 行：班次“早班”不存在" in out
    assert stored(database_url) == []
    assert (
        main(["duty", "import", str(roster(cli, [["2020-01-28", "白班", "", "张伟", "", ""]], "ok.xlsx"))]) == EXIT_OK
    )
    assert "值班表已导入：1 行，1 天，共 1 人次" in capsys.readouterr().out
    assert stored(database_url) == [(DAY, "day", "张伟")]
    assert main(["duty", "import", str(cli / "nothing.txt")]) == EXIT_INVALID
    assert "不支持 .txt 文件" in capsys.readouterr().err


def test_the_month_is_exported_with_check_ins(cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    engine = make_engine(database_url)
    # The first import creates the schema and refuses the unknown member; then the member exists.
    assert (
        main(["duty", "import", str(roster(cli, [["2020-01-28", "白班", "", "张伟", "", ""]], "none.xlsx"))])
        == EXIT_INVALID
    )
    add_member(engine, "张伟")
    engine.dispose()
    path = roster(
        cli, [["2020-01-28", "白班", "", "张伟", "13812345678", "春节"], ["2020-02-01", "夜班", "", "张伟", "", ""]]
    )
    assert main(["duty", "import", str(path)]) == EXIT_OK
    capsys.readouterr()
    assert main(["duty", "export", "--month", "2020-1月"]) == EXIT_INVALID
    assert "月份“2020-1月”无法识别" in capsys.readouterr().err
    assert main(["duty", "export"]) == EXIT_OK
    assert "值班表已导出到 duty-roster-202001.xlsx：1 行" in capsys.readouterr().out
    rows = list(load_workbook(cli / "duty-roster-202001.xlsx").active.iter_rows(values_only=True))
    assert rows[0][:4] == ("日期", "班次", "值班领导", "值班人员")
    assert rows[1] == ("2020-01-28", "白班", None, "张伟", "13812345678", "春节", "待到岗", None, None)
