"""Receiving without loss: polling confirms an update only once handled; the webhook keeps it before answering."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
from lianfang.app.web import create_web_app
from lianfang.bot.inbox import DatabaseInboxStore, MemoryInboxStore
from lianfang.bot.platforms.telegram import SECRET_HEADER
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.ports import Outcome
from lianfang.bot.types import PLATFORM_TELEGRAM, IncomingMessage
from lianfang.models.inbox import Stored

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fakes import Harness

SECRET = "Webhook_secret-2020"
WEBHOOK_URL = "https://bot.example.org/telegram"
STAFF = 5120337881
STRANGER = 6120337882
JOIN_HINT = "/join"
"""A stranger saying /start is told how to join."""


class Held:
    """A dispatch that takes each message, and finishes handling it only once released."""

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []
        self.release = asyncio.Event()

    async def __call__(self, msg: IncomingMessage) -> Outcome:
        self.received.append(msg)
        await self.release.wait()
        return Outcome()


class FailsOnce(MemoryInboxStore):
    """An inbox whose first keep fails, as a database that is briefly unreachable does."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def accept(self, event_id: str, chat_key: str, payload: dict[str, Any]) -> Stored | None:
        """Fail the first time, keep afterwards."""
        if not self.failed:
            self.failed = True
            raise ConnectionError("database unreachable")
        return await super().accept(event_id, chat_key, payload)


def private_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """Return a private text message update as Telegram posts it."""
    person = {"id": chat_id, "is_bot": False, "first_name": "伟", "language_code": "zh-hans"}
    chat = {"id": chat_id, "type": "private", "first_name": "伟"}
    message = {"message_id": 7, "from": person, "chat": chat, "date": 1580194800, "text": text}
    return {"update_id": update_id, "message": message}


def web(harness: Harness, telegram: TelegramAdapter) -> httpx.AsyncClient:
    """Return an HTTP client talking to the web app in process."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app, telegram))
    return httpx.AsyncClient(transport=transport, base_url="http://bot.test")


def webhook_harness(database_url: str, fake: FakeTelegram) -> Harness:
    """Return an App in webhook mode, Telegram pointed at the fake."""
    return Harness.create(
        database_url,
        telegram_token=TOKEN,
        telegram_api_base_url=fake.url,
        telegram_webhook_url=WEBHOOK_URL,
        telegram_webhook_secret=SECRET,
    )


async def test_polling_confirms_an_update_only_once_it_is_handled(fake: FakeTelegram) -> None:
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    held = Held()
    await telegram.start(held)
    poller = asyncio.create_task(telegram.poll(timeout=1))
    try:
        update_id = fake.say(STAFF, "/help")
        await fake.wait_for(lambda: len(held.received) == 1)
        # it polls again while the update is handled, offering that update's id: Telegram keeps it
        await fake.wait_for(lambda: any(call.params.get("offset") == update_id for call in fake.calls_to("getUpdates")))
        assert fake.confirmed <= update_id and fake.updates
        held.release.set()
        await fake.wait_for(lambda: fake.confirmed > update_id)
        await telegram.join()
        assert len(held.received) == 1  # sent again by getUpdates while in hand, handled once
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        await telegram.stop()


async def test_an_update_that_cannot_be_kept_is_answered_503_and_handled_when_sent_again(
    database_url: str, fake: FakeTelegram
) -> None:
    harness = webhook_harness(database_url, fake)
    telegram = TelegramAdapter(TOKEN, base_url=fake.url, inbox=FailsOnce())
    harness.app.add_adapter(telegram)
    await harness.app.start()
    update = private_update(880000001, STRANGER, "/start")
    try:
        async with web(harness, telegram) as http:
            first = await http.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
            assert first.status_code == 503  # Telegram sends it again
            await telegram.join()
            assert fake.sent(STRANGER) == []
            again = await http.post("/telegram", json=update, headers={SECRET_HEADER: SECRET})
            assert again.status_code == 200
            await telegram.join()
        [reply] = fake.sent(STRANGER)
        assert JOIN_HINT in reply["text"]
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()


async def test_an_update_answered_200_by_a_process_that_died_is_handled_by_the_next(
    database_url: str, fake: FakeTelegram
) -> None:
    harness = webhook_harness(database_url, fake)
    store = DatabaseInboxStore.of(harness.app, PLATFORM_TELEGRAM)
    dying = TelegramAdapter(TOKEN, base_url=fake.url, inbox=store)
    # never started: it keeps and answers, and dies before handling anything
    async with web(harness, dying) as http:
        answer = await http.post(
            "/telegram", json=private_update(880000002, STRANGER, "/start"), headers={SECRET_HEADER: SECRET}
        )
    assert answer.status_code == 200 and fake.sent(STRANGER) == []

    # another PostgreSQL instance waits out the dead one's claim
    harness.advance(seconds=harness.app.settings.inbox_lease_seconds + 1)
    restarted = TelegramAdapter(TOKEN, base_url=fake.url, inbox=DatabaseInboxStore.of(harness.app, PLATFORM_TELEGRAM))
    harness.app.add_adapter(restarted)
    await harness.app.start()
    try:
        await fake.wait_for(lambda: bool(fake.sent(STRANGER)))
        await restarted.join()
        [reply] = fake.sent(STRANGER)
        assert JOIN_HINT in reply["text"]
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()
