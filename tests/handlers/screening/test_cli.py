"""``lianfang screening import|export`` and ``lianfang audit`` as an operator runs them."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lianfang.app.cli import EXIT_INVALID, EXIT_OK, main
from lianfang.bot.db import make_engine
from lianfang.models.audit import ACTION_EXPORT, ACTION_IMPORT, AuditEntry
from lianfang.models.members import create_member
from lianfang.models.screening import ScreeningTarget
from openpyxl import DEFUSEDXML, load_workbook
from sqlmodel import Session, select

from tests.screening_files import bad_check, id_number, write_xlsx

HEADER = ["序号", "姓名", "身份证号", "联系电话", "现住址", "事由", "抵达日期"]
LI = id_number(birth="19900101", seq="123")
WANG = id_number(birth="19851231", seq="246")
ZHAO = id_number(birth="19620615", seq="357")


@pytest.fixture
def cli(cli_on_database: Callable[[str], Path]) -> Path:
    """Point the command line at the test database, on a drill clock at 08:00 on 28 January 2020."""
    return cli_on_database("2020-01-28T08:00:00")


def district_list(folder: Path) -> Path:
    """Write a list with one bad ID number among three people."""
    return write_xlsx(
        folder / "区排查名单.xlsx",
        HEADER,
        [
            [1, "李四", LI, "13812345678", "东风小区3栋201", "武汉返长", datetime(2020, 1, 23)],
            [2, "王五", bad_check(WANG), "13912345678", "东风新村1栋", "武汉返长", "1月24日"],
            [3, "赵六", ZHAO, "", "朝阳新村7栋302", "密切接触者", "2020年1月22日"],
        ],
        title="芙蓉区排查名单",
    )


def stored(database_url: str) -> list[ScreeningTarget]:
    """Return the ledger."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = list(session.exec(select(ScreeningTarget)))
    engine.dispose()
    return rows


def audit_actions(database_url: str) -> list[str]:
    """Return the audit log's actions in order."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = [entry.action for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    engine.dispose()
    return rows


def test_openpyxl_parses_with_defusedxml() -> None:
    assert DEFUSEDXML


def test_bad_rows_exit_2_and_import_nothing_unless_only_valid(
    cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = district_list(cli)
    assert main(["screening", "import", str(path)]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "第 5 行：身份证号校验位不对" in out and "未导入任何数据" in out
    assert stored(database_url) == []

    assert main(["screening", "import", str(path), "--dry-run", "--only-valid"]) == EXIT_INVALID
    assert "未导入任何数据" in capsys.readouterr().out and stored(database_url) == []

    assert main(["screening", "import", str(path), "--only-valid", "--batch", "1月28日"]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "导入完成" in out and "新增 2 人" in out and "拒收 1 行" in out
    assert sorted(t.name for t in stored(database_url)) == ["李四", "赵六"]
    assert {t.batch for t in stored(database_url)} == {"1月28日"}


def test_a_clean_list_exits_0_and_importing_it_again_merges(
    cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_xlsx(cli / "ok.xlsx", HEADER, [[1, "李四", LI, "13812345678", "东风小区3栋201", "武汉返长", ""]])
    assert main(["screening", "import", str(path)]) == EXIT_OK
    assert main(["screening", "import", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "台账中已有此人" in out and "合并 1 人" in out
    assert len(stored(database_url)) == 1


def test_export_writes_one_sheet_per_community_with_the_district_columns_and_is_audited(
    cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["screening", "import", str(district_list(cli)), "--only-valid"])
    out = cli / "台账.xlsx"
    assert main(["screening", "export", "--out", str(out)]) == EXIT_OK
    assert "2 人" in capsys.readouterr().out
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["朝阳社区", "东风社区", "新华社区"]
    header, *rows = list(book["东风社区"].iter_rows(values_only=True))
    assert list(header) == [
        "序号",
        "姓名",
        "性别",
        "年龄",
        "身份证号",
        "联系电话",
        "现住址",
        "所属小区",
        "事由",
        "抵达日期",
        "核查人",
        "核查时间",
        "是否在家",
        "体温",
        "症状",
        "处置措施",
        "备注",
    ]
    assert list(rows[0][:10]) == [
        1,
        "李四",
        "男",
        30,
        LI,
        "13812345678",
        "东风小区3栋201",
        "东风小区",
        "武汉返长",
        "2020-01-23",
    ]
    assert [row[1] for row in book["朝阳社区"].iter_rows(min_row=2, values_only=True)] == ["赵六"]
    assert list(book["新华社区"].iter_rows(min_row=2, values_only=True)) == []
    book.close()

    one = cli / "one.xlsx"
    assert main(["screening", "export", "--out", str(one), "--community", "朝阳社区"]) == EXIT_OK
    assert load_workbook(one, read_only=True).sheetnames == ["朝阳社区"]
    with pytest.raises(SystemExit) as bad:
        main(["screening", "export", "--community", "nowhere"])
    assert bad.value.code == EXIT_INVALID
    assert audit_actions(database_url) == [ACTION_IMPORT, ACTION_EXPORT, ACTION_EXPORT]

    capsys.readouterr()
    assert main(["audit", "--since", "2020-01-28"]) == EXIT_OK
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[2] for line in lines] == [ACTION_IMPORT, ACTION_EXPORT, ACTION_EXPORT]
    assert lines[1].startswith("2020-01-28 08:0") and "台账.xlsx" in lines[1]
    assert main(["audit", "--since", "2020-01-29"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == "no audit entries"


def test_a_file_that_is_not_a_list_exits_2_with_a_reason(cli: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = cli / "notes.csv"
    path.write_text("会议记录\n今天下雨\n", encoding="utf-8")
    assert main(["screening", "import", str(path)]) == EXIT_INVALID
    assert "找不到表头" in capsys.readouterr().err


class Terminal(io.StringIO):
    """Typed answers on a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "imported"), [("y\n", ["李四", "赵六"]), ("\n", [])])
def test_on_a_terminal_the_importer_is_asked_about_the_good_rows(
    cli: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    imported: list[str],
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert main(["screening", "import", str(district_list(cli))]) == EXIT_INVALID
    assert "是否只导入其余 2 行？ [y/N]" in capsys.readouterr().out
    assert sorted(t.name for t in stored(database_url)) == imported


def test_assign_gives_unassigned_targets_to_staff_who_joined_later(
    cli: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["screening", "import", str(district_list(cli)), "--only-valid"])
    assert {t.member_id for t in stored(database_url)} == {None}
    engine = make_engine(database_url)
    with Session(engine) as session:
        create_member(
            session=session,
            name="王芳",
            group_key="screening",
            role="staff",
            community="dongfeng",
            lang="zh_CN",
            now=datetime(2020, 1, 28, 8, 0, tzinfo=UTC),
        )
        session.commit()
    engine.dispose()
    capsys.readouterr()
    assert main(["screening", "assign"]) == EXIT_OK
    assert "已分配 1 人，仍有 1 人未能分配" in capsys.readouterr().out
    by_name = {t.name: t.member_id for t in stored(database_url)}
    assert by_name["李四"] is not None and by_name["赵六"] is None
