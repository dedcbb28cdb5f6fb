"""The report files through the platforms: uploaded with sendDocument (Telegram) and media/upload (WeCom)."""

from __future__ import annotations

import io

from docx import Document as read_docx
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from PIL import Image

from tests.fake_telegram import FakeTelegram
from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.handlers.screening.test_files_platforms import LEAD, WECOM_LEAD, join, settle, telegram, wecom
from tests.platforms.wecom.support import CLIENT, post, web
from tests.platforms.wecom.support import join as wecom_join

__all__ = ["telegram", "wecom"]  # the fixtures, shared with the screening files' platform tests
NAMES = [f"五里牌街道疫情防控工作日报20200127.{suffix}" for suffix in ("docx", "xlsx", "png")]


async def test_telegram_uploads_the_three_files(telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, LEAD, "coordination", "admin", None, "龙雅俐")
    await settle(fake, adapter, fake.say(LEAD, "/report file 2020-01-27"))
    await fake.wait_for(lambda: len(fake.uploads) == 3)
    assert [upload.file_name for upload in fake.uploads] == NAMES
    assert all(upload.chat_id == str(LEAD) for upload in fake.uploads)
    docx, _, png = fake.uploads
    assert read_docx(io.BytesIO(docx.data)).paragraphs[1].text == "第1期　2020-01-27"
    assert Image.open(io.BytesIO(png.data)).width == 1080
    assert "2020-01-27 日报文件" in fake.sent(LEAD)[-1]["text"]


async def test_wecom_uploads_the_three_files(wecom: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom) -> None:
    harness, adapter = wecom
    async with web(harness, adapter) as http:
        await wecom_join(http, adapter, harness, WECOM_LEAD, "coordination", "admin", None, "龙雅俐")
        await post(http, adapter, CLIENT.text(WECOM_LEAD, "报告文件 2020-01-27"))
    assert [name for name, _ in fake_wecom.files_sent(WECOM_LEAD)] == NAMES
    assert "2020-01-27 日报文件" in fake_wecom.texts(WECOM_LEAD)[-2]  # each caption, then its file
