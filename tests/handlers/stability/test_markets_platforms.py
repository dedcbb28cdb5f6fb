"""A market inspection's photo through the platforms: a Telegram photo (getFile) and a WeCom image (media/get)."""

from __future__ import annotations

from lianfang.bot.i18n import t
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.models.files import KeptFile
from lianfang.models.markets import MarketInspection
from sqlmodel import Session, select

from tests.fake_telegram import FakeTelegram
from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.handlers.screening.test_files_platforms import join, settle, telegram, wecom
from tests.platforms.wecom.support import CLIENT, post, web
from tests.platforms.wecom.support import join as wecom_join

__all__ = ["telegram", "wecom"]  # the fixtures

INSPECTOR = 5120337881
WECOM_INSPECTOR = "ZhaoMin"
PHOTO = b"\xff\xd8\xff\xe0 the stall"
ANSWERS = ("市场检查 朝阳菜市场", "环境卫生", "垃圾未及时清运", "无问题")


def photos(harness: Harness) -> list[tuple[str, bytes]]:
    """Return the name and bytes of each inspection's photo."""
    with Session(harness.app.engine) as session:
        rows = session.exec(select(KeptFile).join(MarketInspection, MarketInspection.photo_id == KeptFile.id))
        return [(row.file_name, row.data) for row in rows]


async def test_a_telegram_photo_answers_the_photo_question(
    telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, INSPECTOR, "supplies", "staff", None, "赵敏")
    for answer in ANSWERS:
        await settle(fake, adapter, fake.say(INSPECTOR, answer))
    assert "现场照片" in fake.sent(INSPECTOR)[-1]["text"]
    await settle(fake, adapter, fake.send_photo(INSPECTOR, PHOTO, caption="摊位"))
    assert fake.downloads == ["photos/file_1.jpg"]  # the largest size, not the thumbnail
    assert "📎 AQAD0001.jpg" in fake.sent(INSPECTOR)[-1]["text"]
    await settle(fake, adapter, fake.say(INSPECTOR, "提交"))
    assert "现场照片已存档" in fake.sent(INSPECTOR)[-1]["text"]
    assert photos(harness) == [("AQAD0001.jpg", PHOTO)]
    await settle(fake, adapter, fake.send_photo(INSPECTOR, PHOTO))  # no form open: not a list to import
    assert len(fake.downloads) == 1 and fake.sent(INSPECTOR)[-1]["text"] == t("common.empty", "zh_CN")


async def test_a_telegram_photo_outside_a_form_is_not_downloaded_and_its_caption_still_answers(
    telegram: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, adapter = telegram
    await join(harness, fake, adapter, INSPECTOR, "supplies", "staff", None, "赵敏")
    for answer in ANSWERS[:2]:
        await settle(fake, adapter, fake.say(INSPECTOR, answer))
    await settle(fake, adapter, fake.send_photo(INSPECTOR, PHOTO, caption="垃圾未及时清运"))
    assert fake.calls_to("getFile") == []  # the findings question takes text: the caption answers it
    assert "处理结果是？" in fake.sent(INSPECTOR)[-1]["text"]
    assert photos(harness) == []


async def test_a_wecom_image_answers_the_photo_question(
    wecom: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, adapter = wecom
    async with web(harness, adapter) as http:
        await wecom_join(http, adapter, harness, WECOM_INSPECTOR, "supplies", "staff", None, "赵敏")
        for answer in ANSWERS:
            await post(http, adapter, CLIENT.text(WECOM_INSPECTOR, answer))
        media_id = fake_wecom.add_media("image.jpg", PHOTO)
        await post(http, adapter, CLIENT.image(WECOM_INSPECTOR, media_id))
        assert fake_wecom.downloads == [media_id]
        await post(http, adapter, CLIENT.text(WECOM_INSPECTOR, "提交"))
    assert "现场照片已存档" in fake_wecom.texts(WECOM_INSPECTOR)[-1]
    assert photos(harness) == [(f"{media_id}.jpg", PHOTO)]
