"""Files in chat through the platforms: the fake Bot API (getFile, download, sendDocument) and the fake WeCom API."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom import wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.models.files import PendingImport
from openpyxl import load_workbook
from sqlmodel import Session, select

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.handlers.screening.test_files import GOOD_ROWS, HEADER, ledger
from tests.platforms.wecom.support import CLIENT, post, web
from tests.platforms.wecom.support import SETTINGS as WECOM_SETTINGS
from tests.platforms.wecom.support import join as wecom_join
from tests.screening_files import id_number, write_xlsx

LEAD = 5120337881
STAFF = 6021447312
WECOM_LEAD = "LongYali"
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
    summary, asked = fake.sent(LEAD)[-2:]
    assert "已检查《五里牌名单.xlsx》" in summary["text"] and "全部 2 行合格" in asked["text"]
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


# -- WeCom ------------------------------------------------------------------------------------------------


@pytest.fixture
async def wecom(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[tuple[Harness, WeComAdapter]]:
    """A real App with the bundled org, serving WeCom through the fake."""
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **WECOM_SETTINGS)
    adapter = wecom_adapter(harness.app)
    harness.app.add_adapter(adapter)
    await harness.app.start()
    yield harness, adapter
    await harness.app.stop()
    harness.app.engine.dispose()


async def test_wecom_file_is_fetched_with_media_get_imported_and_the_ledger_sent_back(
    wecom: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    harness, adapter = wecom
    async with web(harness, adapter) as http:
        await wecom_join(http, adapter, harness, WECOM_LEAD, "coordination", "admin", None, "龙雅俐")
        data = write_xlsx(tmp_path / "名单.xlsx", HEADER, GOOD_ROWS).read_bytes()
        media_id = fake_wecom.add_media("五里牌名单.xlsx", data)
        await post(http, adapter, CLIENT.file(WECOM_LEAD, media_id, "五里牌名单.xlsx", len(data)))
        assert fake_wecom.downloads == [media_id]
        assert "已检查《五里牌名单.xlsx》" in fake_wecom.texts(WECOM_LEAD)[-2]
        assert "全部 2 行合格" in fake_wecom.texts(WECOM_LEAD)[-1]
        card = fake_wecom.sent(WECOM_LEAD)[-1]["template_card"]
        key = next(b["key"] for b in card["button_list"] if b["text"] == "导入")
        tap = CLIENT.card_tap(WECOM_LEAD, key, task_id=card["task_id"], response_code="response-code-1")
        await post(http, adapter, tap)
        assert "导入完成" in fake_wecom.texts(WECOM_LEAD)[-1] and len(ledger(harness)) == 2
        await post(http, adapter, CLIENT.text(WECOM_LEAD, f"/import all {_token(harness)}"))  # typed again
        assert "已经导入过了" in fake_wecom.texts(WECOM_LEAD)[-1] and len(ledger(harness)) == 2
        await post(http, adapter, CLIENT.text(WECOM_LEAD, "导出台账"))
    assert "排查台账已导出：2 人" in fake_wecom.texts(WECOM_LEAD)[-2]  # the text, then the file
    [(name, sent)] = fake_wecom.files_sent(WECOM_LEAD)
    assert name == "排查台账-20200128.xlsx"
    assert fake_wecom.calls_to("media/upload")[-1].params["type"] == "file"
    assert {"东风社区", "朝阳社区"} <= set(load_workbook(io.BytesIO(sent)).sheetnames)


async def test_wecom_file_from_a_stranger_is_not_downloaded(
    wecom: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, adapter = wecom
    media_id = fake_wecom.add_media("名单.xlsx", b"PK\x03\x04")
    async with web(harness, adapter) as http:
        await post(http, adapter, CLIENT.file("Stranger", media_id, "名单.xlsx", 4))
    assert fake_wecom.downloads == [] and ledger(harness) == []
    assert "邀请码" in fake_wecom.texts("Stranger")[-1]


def _token(harness: Harness) -> str:
    with Session(harness.app.engine) as session:
        return session.exec(select(PendingImport.token)).one()
