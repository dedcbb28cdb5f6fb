"""The files in chat: after the merged report at 15:30, again as 更新版 after a 补报, and on ``/report file``."""

from __future__ import annotations

import io

from docx import Document as read_docx
from lianfang.bot.types import Document, OutgoingMessage
from lianfang.handlers.report_files.settings import AUDIENCE_COORDINATION, AUDIENCE_LEADERSHIP, ReportSettings
from openpyxl import load_workbook

from tests.fakes import Chat, Harness, keys_of
from tests.org import load_test_org

PHONE = "13812345678"
FILE_KEYS = ["report_files.caption"] * 3
UPDATED_KEYS = ["report_files.caption_updated"] * 3


async def reporters(harness: Harness) -> dict[str, Chat]:
    """Join the 综合组 and 执纪督查组 reporters."""
    return {
        "coordination": await harness.member("李娜", "coordination", "reporter"),
        "supervision": await harness.member("孙悦", "supervision", "reporter"),
    }


def heads(messages: list[OutgoingMessage]) -> list[str]:
    """Return each message's first line's key."""
    return [message.lines[0].key for message in messages]


def documents(messages: list[OutgoingMessage]) -> list[Document]:
    """Return the documents the messages carried, in order."""
    return [message.document for message in messages if message.document is not None]


def docx_text(document: Document) -> str:
    """Return every paragraph and table cell of a .docx."""
    assert document.data is not None
    doc = read_docx(io.BytesIO(document.data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def xlsx_text(document: Document) -> str:
    """Return every cell of an .xlsx."""
    assert document.data is not None
    book = load_workbook(io.BytesIO(document.data))
    return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)


async def file_late_report(chat: Chat, problems: str) -> None:
    """File 执纪督查组's report: what was found (the count of inspections comes prefilled from /inspect)."""
    await chat.tap("填报")
    await chat.say(problems)
    await chat.say("提交")


async def test_files_follow_the_report_to_coordination_then_again_after_a_late_report(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    chats = await reporters(harness)
    await harness.tick("15:00")
    harness.at("15:10")
    await chats["coordination"].tap("无新情况")
    await harness.tick("15:15")
    await harness.tick("15:25")
    coordination.catch_up()
    await harness.tick("15:30")
    [report] = leadership.unread()
    assert report.document is None  # the leadership chat gets the text only, by default
    sent = coordination.unread()
    assert heads(sent) == ["report.title", *FILE_KEYS]
    docx, xlsx, png = documents(sent)
    assert docx.file_name == "五里牌街道疫情防控工作日报20200128.docx"
    assert (xlsx.file_name, png.file_name) == (docx.file_name[:-4] + "xlsx", docx.file_name[:-4] + "png")
    assert png.mime_type == "image/png" and png.data is not None and png.data.startswith(b"\x89PNG")
    text = docx_text(docx)
    assert "第1期　2020-01-28" in text and "【综合组】报送人：李娜" in text and "【执纪督查组】未报送" in text
    assert await harness.tick("15:31") == []

    harness.at("16:10")
    await file_late_report(chats["supervision"], f"发现一户未登记，户主电话{PHONE}")
    assert heads(coordination.unread()) == ["report.addendum_title"]
    await harness.tick()
    updated = coordination.unread()
    assert keys_of(updated) == UPDATED_KEYS
    docx, xlsx, _ = documents(updated)
    assert docx.file_name.endswith("（更新版）.docx")
    text = docx_text(docx)
    assert "第1期　2020-01-28（更新版）" in text and "补报" in text
    assert "发现一户未登记" in text and PHONE not in text  # masked, as in the chat report
    assert "执纪督查组" in load_workbook(io.BytesIO(xlsx.data or b"")).sheetnames
    assert PHONE not in xlsx_text(xlsx)
    assert await harness.tick() == []
    assert heads(leadership.unread()) == ["report.addendum_title"]  # and no files


async def test_files_to_leadership_when_the_org_file_says(database_url: str) -> None:
    org = load_test_org()
    settings = ReportSettings(files_to=[AUDIENCE_COORDINATION, AUDIENCE_LEADERSHIP])
    harness = Harness.create(database_url, org=org.model_copy(update={"report": settings}))
    await harness.app.start()
    try:
        _, leadership, coordination = await harness.bound_org_chats()
        await harness.tick("15:30")
        assert heads(leadership.unread()) == ["report.title", *FILE_KEYS]
        assert heads(coordination.unread())[-4:] == ["report.title", *FILE_KEYS]
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_files_wait_for_a_coordination_chat(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    await harness.tick("15:30")
    admin.catch_up()  # the report itself, privately: no chat is bound
    coordination = harness.group("g-coordination", admin)
    await coordination.say("/bind group coordination")
    coordination.catch_up()
    harness.at("15:40")
    await harness.tick()
    assert heads(coordination.unread()) == FILE_KEYS
    assert await harness.tick() == []


async def test_report_file_on_demand_for_overseers_only(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    answer = await admin.say("/report file")
    assert keys_of(answer) == FILE_KEYS
    assert "预览" in docx_text(documents(answer)[0])  # before 15:30 today's report may still change
    assert keys_of(await admin.say("报告文件 2020-01-27")) == FILE_KEYS
    assert "2020-01-27" in docx_text(documents(admin.messages())[-3])
    assert keys_of(await coordination.say("/report file 1-27")) == FILE_KEYS
    assert keys_of(await admin.say("/report file 2020-02-30")) == ["report.bad_date"]
    assert keys_of(await admin.say("/report file 2020-01-29")) == ["report.future_date"]
    assert keys_of(await admin.say("/report")) == keys_of(await admin.say("/report preview"))  # /report untouched
    staff = await harness.member("周强", "screening", "staff")
    assert keys_of(await staff.say("/report file")) == ["common.not_allowed"]
