"""Sending the roster to the bot: ``/duty import`` (值班导入) asks for the file, previews it, imports on 确认 once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lianfang.models.files import KeptFile, PendingImport
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import roster
from tests.handlers.duty.test_importing import stored

GOOD_ROWS = [
    ["2020-01-28", "白班", "王宏武", "张伟", "13812345678", ""],
    ["2020-01-28", "夜班", "", "王芳", "", ""],
    ["2020-01-29", "白班", "邓勇", "张伟、王芳", "", "春节"],
]


async def lead_with_staff(harness: Harness, language_code: str = "zh-CN") -> Chat:
    """Return the private chat of a 综合组 lead, with the members a roster names."""
    await harness.member("王宏武", "coordination", "leader")
    await harness.member("邓勇", "supplies", "leader")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("王芳", "screening", "staff", "dongfeng")
    return await harness.member("刘主任", "coordination", "group_lead", language_code=language_code)


def kept_and_pending(harness: Harness) -> tuple[list[KeptFile], list[PendingImport]]:
    """Return the files kept as form answers and the rosters held for confirmation."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(KeptFile))), list(session.exec(select(PendingImport)))


async def test_a_roster_sent_in_chat_is_previewed_then_imported_once(harness: Harness, tmp_path: Path) -> None:
    lead = await lead_with_staff(harness)
    asked = await lead.say("值班导入")
    assert keys_of(asked)[-2:] == ["duty.upload_ask", "form.hint_cancel"]
    assert "日期、班次、值班领导、值班人员、联系电话、备注" in texts_of(asked)
    preview = await lead.send_file("值班表.xlsx", roster(tmp_path, GOOD_ROWS).read_bytes())
    text = texts_of(preview)
    assert "值班表共 3 行：4 人次，2 天（2020-01-28 至 2020-01-29）" in text
    assert "值班人员：张伟、王芳" in text and "值班领导：王宏武、邓勇" in text
    assert stored(harness) == []  # nothing is written before 确认
    kept, held = kept_and_pending(harness)
    assert kept == [] and len(held) == 1  # the roster (with phones) is held once, not also as a kept answer

    done = await lead.tap("确认导入")
    assert keys_of(done) == ["duty.import_done"]
    assert "值班表已导入：3 行，2 天，共 4 人次" in texts_of(done)
    roster_now = stored(harness)
    assert roster_now == [
        (date(2020, 1, 28), "day", "张伟"),
        (date(2020, 1, 28), "night", "王芳"),
        (date(2020, 1, 29), "day", "张伟"),
        (date(2020, 1, 29), "day", "王芳"),
    ]
    again = await lead.tap("确认导入")
    assert keys_of(again) == ["duty.upload_already_imported"]
    assert stored(harness) == roster_now
    _kept, [held_row] = kept_and_pending(harness)
    assert held_row.data == b""  # the bytes are dropped once the import is decided
    view = await lead.say("/duty")
    assert "值班领导：王宏武" in texts_of(view) and "张伟" in texts_of(view)


async def test_bad_rows_are_named_by_number_in_the_users_language_and_nothing_is_imported(
    harness: Harness, tmp_path: Path
) -> None:
    lead = await lead_with_staff(harness, language_code="en")
    await lead.say("/duty import")
    rows = [*GOOD_ROWS, ["2020-01-30", "中班", "", "李雷", "", ""]]
    answer = await lead.send_file("roster.xlsx", roster(tmp_path, rows, "roster.xlsx").read_bytes())
    text = texts_of(answer)
    assert keys_of(answer)[0] == "duty.import_rejected"
    assert "1 rows of the roster have problems; nothing was imported" in text
    assert 'Row 7: no shift "中班"' in text and 'Row 7: "李雷" is not a member' in text  # a title row, then the header
    assert [b.value for m in answer for b in m.buttons] == []  # nothing to confirm
    assert stored(harness) == [] and kept_and_pending(harness) == ([], [])


async def test_a_wrong_or_unreadable_file_is_answered_and_another_may_be_sent_at_once(
    harness: Harness, tmp_path: Path
) -> None:
    lead = await lead_with_staff(harness)
    await lead.say("值班 导入")
    wrong = await lead.send_file("值班表.pdf", b"%PDF-1.4")
    assert keys_of(wrong)[:2] == ["duty.upload_refused", "duty.upload_ask"]
    assert "无法导入“值班表.pdf”：不支持 .pdf 文件，请使用 .xlsx 或 .csv。" in texts_of(wrong)
    broken = await lead.send_file("值班表.xlsx", b"PK\x03\x04 not a workbook")
    assert "无法导入“值班表.xlsx”：无法读取文件" in texts_of(broken)
    preview = await lead.send_file("值班表.xlsx", roster(tmp_path, GOOD_ROWS).read_bytes())
    assert "duty.upload_preview" in keys_of(preview)
    cancelled = await lead.tap("取消")
    assert keys_of(cancelled) == ["duty.upload_cancelled"]
    assert keys_of(await lead.tap("确认导入")) == ["duty.upload_already_cancelled"]
    assert stored(harness) == []


async def test_only_admins_leaders_and_the_coordination_leads_may_import(harness: Harness, tmp_path: Path) -> None:
    await lead_with_staff(harness)
    staff = await harness.member("李四", "coordination", "staff")
    other_lead = await harness.member("赵组长", "screening", "group_lead")
    for chat in (staff, other_lead):
        assert keys_of(await chat.say("/duty import")) == ["duty.upload_not_allowed"]
    leader = await harness.member("周书记", "leadership", "leader")
    assert "duty.upload_ask" in keys_of(await leader.say("值班导入"))


async def test_a_confirmation_out_of_time_or_not_ones_own_imports_nothing(harness: Harness, tmp_path: Path) -> None:
    lead = await lead_with_staff(harness)
    await lead.say("值班导入")
    await lead.send_file("值班表.xlsx", roster(tmp_path, GOOD_ROWS).read_bytes())
    [button] = [b for m in lead.messages() for b in m.buttons if b.value.startswith("/duty import confirm")]
    admin = await harness.member("龙管理", "coordination", "admin")
    assert keys_of(await admin.say(button.value, button=True)) == ["duty.upload_unknown"]
    harness.at("23:59")
    assert keys_of(await lead.tap("确认导入")) == ["duty.upload_expired"]
    assert stored(harness) == []


async def test_a_rosters_token_does_not_answer_the_screening_import(harness: Harness, tmp_path: Path) -> None:
    lead = await lead_with_staff(harness)
    await lead.say("值班导入")
    await lead.send_file("值班表.xlsx", roster(tmp_path, GOOD_ROWS).read_bytes())
    [button] = [b for m in lead.messages() for b in m.buttons if b.value.startswith("/duty import confirm")]
    token = button.value.rsplit(" ", 1)[-1]
    assert keys_of(await lead.say(f"/import all {token}")) == ["files.import_unknown"]
    assert keys_of(await lead.say(f"/import cancel {token}")) == ["files.import_unknown"]
    assert keys_of(await lead.tap("确认导入")) == ["duty.import_done"]  # the roster is still there to confirm
    assert len(stored(harness)) == 4
