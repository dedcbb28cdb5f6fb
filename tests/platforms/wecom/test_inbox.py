"""WeCom callbacks are kept before they are answered: the answer never waits for handling, and a crash loses none."""

from __future__ import annotations

import asyncio

import pytest
from lianfang.bot.i18n import t
from lianfang.bot.platforms.wecom import WECOM_PATH, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import MAX_CONCURRENT_CALLBACKS, WeComAdapter
from lianfang.models.inbox import InboxEvent
from sqlalchemy import func
from sqlmodel import Session, select

from tests.fake_wecom import FakeWeCom
from tests.fakes import Harness
from tests.platforms.wecom.support import CLIENT, SETTINGS, STAFF, ZH, join, served_wecom, web

ANSWER_SECONDS = 5
"""WeCom sends a callback again when it is not answered within 5 s."""


def kept(harness: Harness) -> int:
    """Count the callbacks kept and not yet handled."""
    with Session(harness.app.engine) as session:
        return session.exec(select(func.count()).select_from(InboxEvent)).one()


async def test_callbacks_are_answered_while_handling_is_stuck_and_all_handled_after_in_order(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        stuck, handle = asyncio.Event(), wecom.inbox.handle

        async def slow(payload: dict[str, str]) -> None:
            await stuck.wait()  # the database or the platform is slow: handling cannot keep up
            await handle(payload)

        wecom.inbox.handle = slow
        answers = []
        texts = ["/check", "3栋2单元501", "/cancel", *["/help"] * MAX_CONCURRENT_CALLBACKS]
        for text in texts:
            params, body = CLIENT.encrypt(CLIENT.text(STAFF, text))
            answers.append(await asyncio.wait_for(http.post(WECOM_PATH, params=params, content=body), ANSWER_SECONDS))
        assert [answer.status_code for answer in answers] == [200] * len(texts)
        assert kept(harness) == len(texts) and len(fake_wecom.texts(STAFF)) == 1  # answered and kept, none handled
        stuck.set()
        await wecom.join()
    replies = fake_wecom.texts(STAFF)[1:]
    expected = ["请输入详细地址", "请输入被排查人姓名", "已取消", *[t("help.title", ZH)] * MAX_CONCURRENT_CALLBACKS]
    assert len(replies) == len(texts) and all(part in reply for part, reply in zip(expected, replies, strict=True))
    assert kept(harness) == 0


async def test_a_callback_answered_before_a_crash_is_handled_by_the_next_instance(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    harness, wecom = await served_wecom(database_url, fake_wecom)
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        await wecom.inbox.stop()  # the process dies after answering the next callback, before handling it
        params, body = CLIENT.encrypt(CLIENT.text(STAFF, "/help"))
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
    assert kept(harness) == 1 and len(fake_wecom.texts(STAFF)) == 1
    harness.app.engine.dispose()

    restarted = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)
    restarted.clock.now = harness.clock.now
    if not database_url.startswith("sqlite"):
        restarted.advance(seconds=restarted.app.settings.inbox_lease_seconds)  # another instance may hold it
    wecom = wecom_adapter(restarted.app)
    restarted.app.add_adapter(wecom)
    await restarted.app.start()
    await fake_wecom.wait_for(lambda: len(fake_wecom.texts(STAFF)) == 2)
    await wecom.join()
    assert t("help.title", ZH) in fake_wecom.texts(STAFF)[1]
    assert kept(restarted) == 0
    await restarted.app.stop()
    restarted.app.engine.dispose()


async def test_a_callback_that_cannot_be_kept_is_refused_so_wecom_sends_it_again(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        plaintext = CLIENT.text(STAFF, "/help", msg_id=7050000000000004242)
        params, body = CLIENT.encrypt(plaintext)

        async def database_down(*_args: object) -> None:
            raise ConnectionError("database unreachable")

        with monkeypatch.context() as patch:
            patch.setattr(wecom.inbox.store, "accept", database_down)
            assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 503
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200  # WeCom's retry
        await wecom.join()
    assert len(fake_wecom.texts(STAFF)) == 2 and t("help.title", ZH) in fake_wecom.texts(STAFF)[1]
