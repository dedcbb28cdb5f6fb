"""The Telegram webhook over an ASGI transport: its secret and input checks, and recorded payloads."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from lianfang.app.web import create_web_app
from lianfang.bot.platforms.telegram import SECRET_HEADER
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fakes import Harness
from tests.paths import PAYLOADS as PAYLOADS_ROOT

PAYLOADS = PAYLOADS_ROOT / "telegram"
SECRET = "Webhook_secret-2020"
WEBHOOK_URL = "https://bot.example.org/telegram"
STAFF = 5120337881


@pytest.fixture
async def webhook(database_url: str, fake: FakeTelegram) -> AsyncIterator[tuple[Harness, TelegramAdapter]]:
    """A real App in webhook mode, its Telegram adapter pointed at the fake."""
    harness = Harness.create(
        database_url,
        telegram_token=TOKEN,
        telegram_api_base_url=fake.url,
        telegram_webhook_url=WEBHOOK_URL,
        telegram_webhook_secret=SECRET,
    )
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    harness.app.add_adapter(telegram)
    await harness.app.start()
    yield harness, telegram
    await harness.app.stop()
    harness.app.engine.dispose()


def client(harness: Harness, telegram: TelegramAdapter | None) -> httpx.AsyncClient:
    """Return an HTTP client talking to the web app in process."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app, telegram))
    return httpx.AsyncClient(transport=transport, base_url="http://bot.test")


def update(text: str, update_id: int = 870200001) -> dict[str, Any]:
    """Return a private text message update from the staff member."""
    person = {"id": STAFF, "is_bot": False, "first_name": "伟", "last_name": "张", "language_code": "zh-hans"}
    chat = {"id": STAFF, "type": "private", "first_name": "伟", "last_name": "张"}
    return {
        "update_id": update_id,
        "message": {"message_id": 7, "from": person, "chat": chat, "date": 1580194800, "text": text},
    }


async def test_webhook_refuses_a_missing_or_wrong_secret(
    webhook: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, telegram = webhook
    async with client(harness, telegram) as http:
        assert (await http.post("/telegram", json=update("/help"))).status_code == 403
        wrong = {SECRET_HEADER: SECRET + "x"}
        assert (await http.post("/telegram", json=update("/help"), headers=wrong)).status_code == 403
        assert (await http.post("/telegram", content=b"{", headers=wrong)).status_code == 403  # secret first
    await telegram.join()
    assert fake.sent() == []


async def test_webhook_with_the_secret_is_processed(
    webhook: tuple[Harness, TelegramAdapter], fake: FakeTelegram
) -> None:
    harness, telegram = webhook
    async with client(harness, telegram) as http:
        answer = await http.post("/telegram", json=update("/help"), headers={SECRET_HEADER: SECRET})
        assert answer.status_code == 200
        await telegram.join()
        [reply] = fake.sent(STAFF)
        assert reply["parse_mode"] == "HTML"
        again = await http.post("/telegram", json=update("/help"), headers={SECRET_HEADER: SECRET})
        assert again.status_code == 200
        await telegram.join()
    assert len(fake.sent(STAFF)) == 1  # Telegram's redelivery of the same update_id is recognised


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b"{}",
        b'{"update_id": "1"}',
        b'{"update_id": 1, "message": 5}',
        b"[" * 100_000,
    ],
    ids=["truncated", "not-utf8", "array", "string", "empty", "id-not-int", "bad-message", "deep"],
)
async def test_webhook_bad_input_is_a_400_never_a_500(
    webhook: tuple[Harness, TelegramAdapter], fake: FakeTelegram, body: bytes
) -> None:
    harness, telegram = webhook
    async with client(harness, telegram) as http:
        answer = await http.post("/telegram", content=body, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 400
    await telegram.join()
    assert fake.sent() == []


async def test_webhook_refuses_huge_bodies(webhook: tuple[Harness, TelegramAdapter]) -> None:
    harness, telegram = webhook
    async with client(harness, telegram) as http:
        answer = await http.post("/telegram", content=b" " * 2_000_000, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 413


async def test_every_recorded_payload_is_accepted(
    webhook: tuple[Harness, TelegramAdapter], fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    harness, telegram = webhook
    async with client(harness, telegram) as http:
        for path in sorted(PAYLOADS.glob("*.json")):
            payload = json.loads(path.read_text(encoding="utf-8"))
            answer = await http.post("/telegram", json=payload, headers={SECRET_HEADER: SECRET})
            assert answer.status_code == 200, path.name
    await telegram.join()
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]
    # a stranger's text, a group /report, a button tap and a caption each got an answer; the rest were ignored
    assert {params["chat_id"] for params in fake.sent()} == {str(STAFF), "-1001744325510"}


async def test_without_a_configured_secret_every_webhook_call_is_refused(database_url: str, fake: FakeTelegram) -> None:
    harness = Harness.create(database_url, telegram_token=TOKEN, telegram_api_base_url=fake.url)
    telegram = TelegramAdapter(TOKEN, base_url=fake.url)
    harness.app.add_adapter(telegram)
    await harness.app.start()
    try:
        async with client(harness, telegram) as http:
            answer = await http.post("/telegram", json=update("/help"), headers={SECRET_HEADER: ""})
            assert answer.status_code == 403
        async with client(harness, None) as http:
            assert (await http.post("/telegram", json=update("/help"))).status_code == 404
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()
