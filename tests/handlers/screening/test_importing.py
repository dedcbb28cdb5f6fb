"""Importing district screening lists: real-looking files, every bad row reported, duplicates merged, assignment."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render
from lianfang.handlers.screening.importing import ImportFileError, ImportReport, import_list
from lianfang.handlers.shared.idcard import parse_id_number
from lianfang.handlers.shared.screening_settings import Screening, StaffCompounds
from lianfang.models.audit import ACTION_IMPORT, AuditEntry
from lianfang.models.members import Member
from lianfang.models.screening import STATUS_OPEN, ScreeningTarget
from sqlmodel import Session, col, select

from tests.fakes import TEST_DAY, Harness, keys_of
from tests.screening_files import bad_check, id_number, write_csv, write_xlsx

HEADER_MIXED = ["序号", "姓名", "公民身份号码", "Phone", "现住址", "事由", "返长日期"]
LI = id_number(birth="19900101", seq="123")
WANG = id_number(birth="19851231", seq="246")
ZHAO = id_number(birth="19620615", seq="357")
SUN = id_number(birth="19751111", seq="777")
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def run_import(harness: Harness, path: Path, **options: object) -> ImportReport:
    """Import a file in one transaction, as the command line does."""
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        return import_list(ctx, path, batch=str(options.pop("batch", "b1")), actor="cli:test", **options)


def targets(harness: Harness) -> list[ScreeningTarget]:
    """Return the ledger in id order."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(ScreeningTarget).order_by(col(ScreeningTarget.id))))


def member_id(harness: Harness, name: str) -> int | None:
    """Return a member's id by name."""
    with Session(harness.app.engine) as session:
        return session.exec(select(Member.id).where(Member.name == name)).one()


def problems(report: ImportReport) -> list[tuple[int, str]]:
    """Return (row, reason key) of every rejected row."""
    return [(problem.row, problem.key) for problem in report.rejected]


async def test_xlsx_with_merged_title_blank_lines_mixed_headers_and_both_date_kinds(
    harness: Harness, tmp_path: Path
) -> None:
    await harness.member("王芳", "screening", "staff", "dongfeng")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    path = write_xlsx(
        tmp_path / "名单.xlsx",
        HEADER_MIXED,
        [
            [1, "李四", LI, "138 1234 5678", "东风小区3栋201", "武汉返长", datetime(2020, 1, 23)],
            [2, " 王五 ", WANG.lower(), "+86 139-1234-5678", "朝阳新村7栋302", "武汉返长", "2020年1月24日"],
            [3, "赵六", ZHAO, "0731-84512345", "朝阳小区2栋", "密切接触者", "1/25"],
        ],
        title="芙蓉区新型冠状病毒排查名单(1月28日)",
        blank_after=1,
    )
    report = run_import(harness, path)
    assert report.rejected == [] and report.written and report.added == 3 and report.rows == 3
    li, wang, zhao = targets(harness)
    assert (li.name, li.id_number, li.phone, li.arrival_date) == ("李四", LI, "13812345678", date(2020, 1, 23))
    assert (li.community, li.compound, li.member_id) == ("dongfeng", "东风小区", member_id(harness, "王芳"))
    assert (wang.name, wang.phone, wang.arrival_date) == ("王五", "13912345678", date(2020, 1, 24))
    assert (zhao.phone, zhao.arrival_date, zhao.reason) == ("073184512345", date(2020, 1, 25), "密切接触者")
    assert wang.community == zhao.community == "chaoyang" and wang.member_id == member_id(harness, "张伟")
    assert {t.status for t in (li, wang, zhao)} == {STATUS_OPEN} and li.due_on == TEST_DAY
    assert [t.source_row for t in (li, wang, zhao)] == [4, 6, 7]  # title, blank, header, row, blank line, rows


async def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_imported(
    harness: Harness, tmp_path: Path
) -> None:
    path = write_xlsx(
        tmp_path / "bad.xlsx",
        HEADER_MIXED,
        [
            [1, "李四", LI, "13812345678", "东风小区3栋201", "武汉返长", "2020-01-23"],
            [2, "王五", bad_check(WANG), "", "东风小区1栋", "", ""],
            [3, "赵六", id_number(birth="19900230"), "", "东风小区1栋", "", ""],
            [4, "钱七", 430102199001011234, "", "东风小区1栋", "", ""],
            [5, "", ZHAO, "", "东风小区1栋", "", ""],
            [6, "孙八", "", "12345", "东风小区1栋", "", ""],
            [7, "周九", "", "", "东风小区1栋", "", "前天"],
        ],
        title="排查名单",
    )
    report = run_import(harness, path)
    assert problems(report) == [
        (5, "screening.error_id_checksum"),
        (6, "screening.error_id_birth"),
        (7, "screening.error_id_numeric"),
        (8, "screening.error_required"),
        (9, "screening.error_phone"),
        (10, "screening.error_no_contact"),
        (10, "screening.error_date"),
    ]
    assert not report.written and targets(harness) == []
    shown = render(report.rejected[0].text(), "zh_CN")
    assert shown.startswith("第 5 行：身份证号校验位不对")
    assert render(report.rejected[3].text(), "en") == "Row 8: Name is empty"

    kept = run_import(harness, path, only_valid=True)
    assert kept.written and kept.added == 1 and len(kept.rejected) == 7
    assert [t.name for t in targets(harness)] == ["李四"]


async def test_dry_run_reports_but_writes_nothing(harness: Harness, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ["姓名", "身份证号", "住址"], [["李四", LI, "东风小区3栋"]])
    report = run_import(harness, path, dry_run=True, only_valid=True)
    assert (report.rows, len(report.good), report.written) == (1, 1, False)
    assert targets(harness) == []


async def test_duplicates_in_the_file_and_in_the_ledger_are_merged_never_doubled(
    harness: Harness, tmp_path: Path
) -> None:
    header = ["姓名", "身份证号码", "手机号", "现住址", "事由"]
    first = write_csv(
        tmp_path / "first.csv",
        header,
        [["李四", LI, "", "东风小区3栋201", "武汉返长"], ["李四", LI, "13812345678", "东风小区3栋201", ""]],
    )
    report = run_import(harness, first)
    assert [(m.row, m.key, m.params) for m in report.merged] == [(3, "screening.merged_in_file", {"first": 2})]
    (li,) = targets(harness)
    assert (li.phone, li.reason) == ("13812345678", "武汉返长")

    second = write_csv(tmp_path / "second.csv", header, [["李四", LI, "13900001111", "东风新村5栋", "复查"]])
    again = run_import(harness, second, batch="b2")
    assert [(m.row, m.key, m.params) for m in again.merged] == [(2, "screening.merged_existing", {"number": li.id})]
    assert (again.added, again.updated) == (0, 1)
    (merged,) = targets(harness)
    assert (merged.id, merged.phone, merged.address, merged.reason, merged.batch) == (
        li.id,
        "13900001111",
        "东风新村5栋",
        "复查",
        "b1",
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
async def test_csv_in_utf8_with_bom_and_in_gbk(harness: Harness, tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        ["姓名", "身份证号", "联系电话", "现住址", "社区", "原因", "抵达日期"],
        [["李四", LI, "13812345678", "某某路8号", "新华社区", "武汉返长", "2020/1/23"]],
        encoding=encoding,
    )
    report = run_import(harness, path)
    assert report.rejected == [] and report.added == 1
    (li,) = targets(harness)
    assert (li.name, li.community, li.reason, li.arrival_date) == ("李四", "xinhua", "武汉返长", date(2020, 1, 23))


async def test_the_org_file_can_name_more_headers(harness: Harness, tmp_path: Path) -> None:
    # examples/wulipai.toml maps 返长人员姓名 → name and 来长时间 → arrival_date.
    path = write_csv(
        tmp_path / "list.csv",
        ["返长人员姓名", "证件号码", "居住地址", "来长时间"],
        [["李四", LI, "东风小区1栋", "1月20日"]],
    )
    run_import(harness, path)
    (li,) = targets(harness)
    assert (li.name, li.arrival_date) == ("李四", date(2020, 1, 20))


async def test_assignment_by_compound_where_configured_else_fewest_open_targets(
    database_url: str, tmp_path: Path
) -> None:
    base = Harness.create(database_url).org
    org = base.model_copy(
        update={"screening": Screening(staff=[StaffCompounds(member="张伟", compounds=["朝阳新村"])])}
    )
    harness = Harness.create(database_url, org=org)
    await harness.app.start()
    try:
        for name in ("张伟", "刘洋"):
            await harness.member(name, "screening", "staff", "chaoyang")
        rows = [[f"人{i}", id_number(seq=f"{i:03d}"), "", f"朝阳小区{i}栋", ""] for i in range(1, 5)]
        rows += [
            ["新村人", id_number(seq="900"), "", "朝阳新村1栋", ""],
            ["无名路人", id_number(seq="901"), "", "无名路1号", ""],
        ]
        path = write_csv(tmp_path / "list.csv", ["姓名", "身份证号", "电话", "住址", "事由"], rows)
        report = run_import(harness, path)
        by_name = {t.name: t for t in targets(harness)}
        zhang, liu = member_id(harness, "张伟"), member_id(harness, "刘洋")
        assert by_name["新村人"].member_id == zhang  # 朝阳新村 is 张伟's compound
        assigned = [by_name[f"人{i}"].member_id for i in range(1, 5)]
        assert assigned == [zhang, liu, zhang, liu]  # balanced: the one with fewer open targets, then the older
        assert by_name["无名路人"].community is None and by_name["无名路人"].member_id is None
        assert [(u.row, u.key) for u in report.unassigned] == [(7, "screening.unassigned_no_community")]
        assert report.assigned == {zhang: 3, liu: 2}
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_community_without_staff_is_reported(harness: Harness, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ["姓名", "身份证号", "住址"], [["李四", LI, "新华苑2栋"]])
    report = run_import(harness, path)
    assert [(u.row, u.key) for u in report.unassigned] == [(2, "screening.unassigned_no_staff")]
    assert render(report.unassigned[0].text(), "zh_CN") == "第 2 行：新华社区 暂无排查组工作人员，未分配"
    (li,) = targets(harness)
    assert (li.community, li.member_id) == ("xinhua", None)


@pytest.mark.parametrize(
    ("name", "content", "key"),
    [
        ("list.txt", b"x", "screening.error_file_type"),
        ("list.xlsx", b"not a zip file", "screening.error_file_unreadable"),
        ("list.csv", "备注,说明\n1,2\n".encode(), "screening.error_no_header"),
        ("list.csv", "姓名,身份证号\n李四,1\n".encode(), "screening.error_missing_column"),
        ("list.csv", b"\xff\xfe\x00\x00\x81", "screening.error_file_encoding"),
    ],
)
async def test_files_that_cannot_be_imported_say_why(
    harness: Harness, tmp_path: Path, name: str, content: bytes, key: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as error:
        run_import(harness, path)
    assert error.value.key == key
    assert targets(harness) == []


async def test_import_is_audited_and_staff_are_told_privately(harness: Harness, tmp_path: Path) -> None:
    from lianfang.handlers.screening.verification import notify_assignees

    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    path = write_csv(tmp_path / "list.csv", ["姓名", "身份证号", "住址"], [["李四", LI, "东风小区3栋"]])
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        report = import_list(ctx, path, batch="b1", actor="cli:test")
        assert notify_assignees(ctx, report.assigned) == 1
    await harness.app.drain()
    told = staff.unread()
    assert keys_of(told) == ["screening.new_tasks"] and told[0].lines[0].params == {"count": 1}
    assert [b.value for b in told[0].buttons] == ["/tasks"]
    with Session(harness.app.engine) as session:
        (entry,) = session.exec(select(AuditEntry)).all()
        assert (entry.action, entry.actor) == (ACTION_IMPORT, "cli:test") and "1 added" in entry.detail


# -- dates, ID numbers and the import's messages (issue 11, smaller defects) --------------------------------


async def test_a_short_date_is_the_most_recent_past_one_and_a_future_date_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    harness = Harness.create(database_url, day=date(2020, 1, 2))
    await harness.app.start()
    try:
        rows = [
            ["李四", LI, "东风小区3栋201", "12月30日"],
            ["王五", WANG, "东风小区5栋101", "1月2日"],
            ["赵六", ZHAO, "东风小区1栋", "2020-01-03"],
            ["孙八", id_number(seq="901"), "东风小区1栋", "1/5"],
        ]
        path = write_csv(tmp_path / "list.csv", ["姓名", "身份证号", "住址", "抵达日期"], rows)
        report = run_import(harness, path, only_valid=True)
        assert problems(report) == [(4, "screening.error_date_future")]
        assert render(report.rejected[0].text(), "zh_CN") == "第 4 行：抵达日期在今天之后：2020-01-03"
        arrivals = {t.name: t.arrival_date for t in targets(harness)}
        assert arrivals == {"李四": date(2019, 12, 30), "王五": date(2020, 1, 2), "孙八": date(2019, 1, 5)}
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_import_messages_give_the_real_reason(harness: Harness, tmp_path: Path) -> None:
    await harness.member("王芳", "screening", "staff", "dongfeng")
    old_id = "430102900101123"  # a valid 15-digit number, born 1990-01-01
    path = write_xlsx(
        tmp_path / "list.xlsx",
        ["姓名", "身份证号", "电话", "住址", "社区", "抵达日期"],
        [
            ["李四", LI, "", "东风小区3栋201", "", datetime(1999, 12, 31)],
            ["王五", int(old_id), "", "东风小区5栋", "", ""],
            ["赵六", 430102901301123, "", "东风小区1栋", "", ""],
            ["钱七", 430102199001011234, "", "东风小区1栋", "", ""],
            ["=A1&B1", ZHAO, "", "东风小区1栋", "", ""],
            ["孙八", SUN.translate(FULL_WIDTH), "", "火星路1号", "火星社区", ""],
        ],
    )
    report = run_import(harness, path, only_valid=True)
    assert problems(report) == [
        (2, "screening.error_date_implausible"),
        (4, "screening.error_id_birth"),
        (5, "screening.error_id_numeric"),
        (6, "screening.error_formula_no_value"),
    ]
    shown = [render(problem.text(), "zh_CN") for problem in report.rejected]
    assert shown[0] == "第 2 行：日期不合常理：1999-12-31（早于 2000 年）"  # no 看不懂, no 00:00:00
    assert "丢失" not in shown[1] and "出生日期" in shown[1]
    assert shown[3].startswith("第 6 行：“姓名”是公式") and "不能为空" not in "".join(shown)
    assert [(u.row, u.key, u.params) for u in report.unassigned] == [
        (7, "screening.unassigned_unknown_community", {"value": "火星社区"})
    ]
    assert render(report.unassigned[0].text(), "zh_CN").startswith("第 7 行：没有名为“火星社区”的社区")
    by_name = {t.name: t for t in targets(harness)}
    assert by_name["王五"].id_number == parse_id_number(old_id, today=TEST_DAY).number  # upgraded to 18
    assert by_name["孙八"].id_number == SUN  # full-width digits normalized
