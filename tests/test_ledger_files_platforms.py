"""Files in chat through the platforms: the fake Bot API (getFile, download, sendDocument) and the fake WeCom API."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.adapters.telegram import TelegramAdapter
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fakes import Harness
from tests.screening_files import id_number, write_xlsx
from tests.test_ledger_files import GOOD_ROWS, HEADER, ledger

LEAD = 5120337881
STAFF = 6021447312
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def telegram(database_url: str, fake: FakeTelegram) -> AsyncIterator[tuple[Harness, TelegramAdapter]]:
    """A real App with the bundled org, polling the fake Bot API."""
    harness = Harness.create(database_url)
    adapter = TelegramAdapter(TOKEN, base_url=fake.url)
    harness.app.add_adapter(adapter)
    await harness.app.start()
    task = asyncio.create_task(adapter.poll(timeout=5))
    yield harness, adapter
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await harness.app.stop()
    harness.app.engine.dispose()


async def settle(fake: FakeTelegram, adapter: TelegramAdapter, update_id: int) -> None:
    """Wait until the poller has taken an update and the adapter has handled it."""
    await fake.wait_for(lambda: fake.confirmed > update_id)
    await adapter.join()


async def join(harness: Harness, fake: FakeTelegram, adapter: TelegramAdapter, chat_id: int, *invite: str) -> None:
    """Join a Telegram user as a member."""
    code = harness.invite(*invite)
    await settle(fake, adapter, fake.say(chat_id, f"/join {code}"))


async def test_telegram_document_is_downloaded_checked_and_imported(
    telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram, tmp_path: Path
) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, STAFF, "screening", "staff", "dongfeng", "王芳")
    await join(harness, fake, adapter, LEAD, "screening", "group_lead", None, "刘组长")
    data = write_xlsx(tmp_path / "名单.xlsx", HEADER, GOOD_ROWS).read_bytes()
    await settle(fake, adapter, fake.send_document(LEAD, "五里牌名单.xlsx", data, mime_type=XLSX_TYPE))
    assert [call.params["file_id"] for call in fake.calls_to("getFile")] == list(fake.files)
    assert fake.downloads == ["documents/file_1.bin"]
    asked = fake.sent(LEAD)[-1]
    assert "已检查《五里牌名单.xlsx》" in asked["text"] and "全部 2 行合格" in asked["text"]
    await settle(fake, adapter, fake.tap(LEAD, "导入"))
    assert "导入完成" in fake.sent(LEAD)[-1]["text"]
    assert [t.name for t in ledger(harness)] == ["李四", "王五"]
    assert "1" in fake.sent(STAFF)[-1]["text"]  # 王芳 is told of her new target


async def test_telegram_refuses_a_file_over_the_limit_before_downloading(
    telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, LEAD, "screening", "group_lead", None, "刘组长")
    await settle(fake, adapter, fake.send_document(LEAD, "名单.xlsx", b"PK", size=15 * 1024 * 1024))
    assert "文件太大" in fake.sent(LEAD)[-1]["text"]
    assert fake.calls_to("getFile") == [] and fake.downloads == []


async def test_telegram_export_ledger_uploads_a_valid_xlsx(
    telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram, tmp_path: Path
) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, LEAD, "coordination", "admin", None, "龙雅俐")
    data = write_xlsx(tmp_path / "名单.xlsx", HEADER, [[1, "李四", id_number(), "", "东风小区3栋201", ""]]).read_bytes()
    await settle(fake, adapter, fake.send_document(LEAD, "名单.xlsx", data))
    await settle(fake, adapter, fake.tap(LEAD, "导入"))
    await settle(fake, adapter, fake.say(LEAD, "/export ledger"))
    assert "排查台账已导出：1 人" in fake.sent(LEAD)[-1]["text"]
    [upload] = fake.uploads
    assert upload.chat_id == str(LEAD) and upload.file_name == "排查台账-20200128.xlsx"
    book = load_workbook(io.BytesIO(upload.data))
    assert book["东风社区"]["B2"].value == "李四"
