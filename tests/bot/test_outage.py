"""Outages lose nothing: a platform that cannot be reached holds messages (for up to a day), not fails them.

WeCom and Telegram run as fakes on loopback, on the harness's injected clock: a two-hour outage, then everything
goes out; a permanent refusal fails at once; ``/healthz`` says degraded and back; the outage is logged once a
minute, not once a message; ``lianfang outbox retry`` requeues what failed. WeCom app messages ask for WeCom's
duplicate check, so a message sent again after a crash between its send and its mark is shown once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from lianfang.app.cli import main
from lianfang.app.web import create_web_app
from lianfang.bot.db import session_scope
from lianfang.bot.outbox import Deliverer
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.wecom import create_wecom_chat, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.ports import FailureKind, SendError
from lianfang.bot.types import PLATFORM_MEMORY, PLATFORM_TELEGRAM, PLATFORM_WECOM, ChatRef, OutgoingMessage, Text
from lianfang.models.outbox import (
    REASON_PRIVACY,
    STATUS_FAILED,
    STATUS_PENDING,
    STATUS_SENT,
    OutboxMessage,
    claim_due,
    enqueue,
)
from lianfang.models.outbox import mark_failed as mark_outbox_failed
from sqlmodel import Session, func, select

from tests.fake_telegram import TOKEN, UNAUTHORIZED, FakeTelegram
from tests.fake_wecom import APPCHAT_SEND, MESSAGE_SEND, UNTRUSTED_IP, FakeWeCom
from tests.fakes import Harness, texts_of
from tests.platforms.wecom.support import LEADER, REPORTER, SETTINGS, STAFF, join, web

OUTAGE_LOGGER = "lianfang.bot.outbox"
REPORTERS = ((REPORTER, "周强", "screening"), ("LiNa", "李娜", "coordination"), ("ChenJing", "陈静", "supplies"))
BAD_GATEWAY = 502


DUPLICATE_CHECK_SECONDS = 600


@pytest.fixture
async def served(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[Harness]:
    """A real App serving WeCom through the fake (with WeCom's duplicate check), the fake on the harness's clock."""
    harness = Harness.create(
        database_url,
        wecom_api_base_url=fake_wecom.url,
        wecom_duplicate_check_seconds=DUPLICATE_CHECK_SECONDS,
        **SETTINGS,
    )
    harness.app.add_adapter(wecom_adapter(harness.app))
    fake_wecom.clock = lambda: harness.clock.now.timestamp()
    await harness.app.start()
    yield harness
    await harness.app.stop()
    harness.app.engine.dispose()


@contextlib.asynccontextmanager
async def health(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the instance's HTTP app in process."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app, None))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        yield http


async def healthz(harness: Harness) -> dict[str, Any]:
    """Return the body of ``GET /healthz``, which answers 200 whether degraded or not."""
    async with health(harness) as http:
        answer = await http.get("/healthz")
    assert answer.status_code == 200
    return answer.json()


def statuses(harness: Harness) -> dict[str, int]:
    """Count the outbox messages by status."""
    with Session(harness.app.engine) as session:
        rows = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    return {status: count for status, count in rows}


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Return the WARNING lines that say a platform cannot be reached."""
    return [
        record
        for record in caplog.records
        if record.name == OUTAGE_LOGGER and record.levelno == logging.WARNING and "cannot be reached" in record.message
    ]


def queue(harness: Harness, platform: str, chat_id: str, text: str, *, now: datetime | None = None) -> int:
    """Queue one private message straight into the outbox; return its id."""
    message = OutgoingMessage(ChatRef(platform, chat_id), (Text.raw(text),), "zh_CN")
    with session_scope(harness.app.engine) as session:
        enqueue(
            session=session, platform=platform, chat_id=chat_id, payload=message.to_json(), now=now or harness.clock.now
        )
        return int(session.exec(select(func.max(OutboxMessage.id))).one())


# -- WeCom: a two-hour outage -------------------------------------------------------------------------------


async def test_a_two_hour_wecom_outage_loses_nothing_and_healthz_says_degraded_until_it_ends(
    served: Harness, fake_wecom: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    harness = served
    wecom = harness.app.adapters[PLATFORM_WECOM]
    assert isinstance(wecom, WeComAdapter)
    async with web(harness, wecom) as http:
        for user, name, group in REPORTERS:
            await join(http, wecom, harness, user, group, "reporter", None, name)
    caplog.set_level(logging.WARNING, logger=OUTAGE_LOGGER)
    harness.at("14:59")
    fake_wecom.outage(UNTRUSTED_IP, seconds=2 * 3600)  # the server moved; its new IP is not trusted until 16:59

    await harness.tick("15:00")
    body = await healthz(harness)
    assert body["status"] == "degraded"
    [outage] = body["outages"]
    assert outage["platform"] == PLATFORM_WECOM and "60020" in outage["error"] and outage["held"] == len(REPORTERS)
    assert outage["since"].startswith("2020-01-28T15:00")
    assert len(outage_warnings(caplog)) == 1  # three messages held, one warning

    refused_before = len(fake_wecom.calls_to(MESSAGE_SEND))
    for _ in range(2 * 60 + 5):  # two hours of ticks and drains, a minute apart
        warned = len(outage_warnings(caplog))
        harness.advance(minutes=1)
        await harness.tick()
        assert statuses(harness).get(STATUS_FAILED, 0) == 0
        assert len(outage_warnings(caplog)) - warned <= 1  # at most once a minute, however many messages wait
    tries = len(fake_wecom.calls_to(MESSAGE_SEND)) - refused_before
    assert len(outage_warnings(caplog)) < tries / 2

    for user, _, _ in REPORTERS:
        texts = fake_wecom.texts(user)
        reminders = [text for text in texts if text.startswith("今日工作信息报送提醒")]
        assert len(reminders) == 1, texts  # the 15:00 reminder arrived, once, after the outage
    body = await healthz(harness)
    assert body["status"] == "ok" and body["outages"] == [] and body["outbox_backlog"] == 0
    assert statuses(harness) == {STATUS_SENT: statuses(harness)[STATUS_SENT]}
    assert any("is back after an outage" in record.message for record in caplog.records)


async def test_a_permanent_wecom_refusal_fails_at_once(served: Harness, fake_wecom: FakeWeCom) -> None:
    harness = served
    fake_wecom.fail_user(STAFF)  # 60111: not in the app's visible range; no retry can help
    message_id = queue(harness, PLATFORM_WECOM, STAFF, "测试")
    await harness.app.drain()
    with Session(harness.app.engine) as session:
        row = session.get(OutboxMessage, message_id)
        assert row is not None and row.status == STATUS_FAILED and row.attempts == 1
    assert (await healthz(harness))["status"] == "ok"


# -- Telegram: 5xx and a revoked token ----------------------------------------------------------------------


@pytest.fixture
async def telegram_served(database_url: str, fake: FakeTelegram) -> AsyncIterator[Harness]:
    """A real App serving Telegram through the fake."""
    harness = Harness.create(database_url)
    harness.app.add_adapter(TelegramAdapter(TOKEN, base_url=fake.url))
    yield harness
    harness.app.engine.dispose()


async def test_telegram_5xx_and_a_revoked_token_hold_messages_and_a_bad_request_fails_at_once(
    telegram_served: Harness, fake: FakeTelegram
) -> None:
    harness = telegram_served
    fake.fail("sendMessage", BAD_GATEWAY, "Bad Gateway", times=10_000)
    held = [queue(harness, PLATFORM_TELEGRAM, str(chat), f"消息 {chat}") for chat in (1001, 1002)]
    await harness.app.drain()
    body = await healthz(harness)
    assert body["status"] == "degraded" and body["outages"][0]["held"] == 2
    assert "Bad Gateway" in body["outages"][0]["error"]
    harness.advance(hours=1)
    fake.failures.clear()
    fake.fail("sendMessage", UNAUTHORIZED, "Unauthorized", times=10_000)  # the token was revoked, then renewed
    await harness.app.drain()
    assert statuses(harness) == {STATUS_PENDING: 2}
    assert "InvalidToken" in (await healthz(harness))["outages"][0]["error"]

    fake.failures.clear()
    fake.reject(1003)  # 400: a bad request of ours fails at once
    rejected = queue(harness, PLATFORM_TELEGRAM, "1003", "不存在的聊天")
    harness.advance(hours=1)
    await harness.app.drain()
    assert [params["text"] for params in fake.sent()] == ["消息 1001", "消息 1002"]
    with Session(harness.app.engine) as session:
        assert [session.get(OutboxMessage, message_id).status for message_id in held] == [STATUS_SENT] * 2
        failed = session.get(OutboxMessage, rejected)
        assert failed is not None and failed.status == STATUS_FAILED and failed.attempts == 1
    assert (await healthz(harness))["status"] == "ok"


# -- the age limit and `lianfang outbox retry` --------------------------------------------------------------


async def test_an_outage_holds_a_message_for_a_day_then_it_fails(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    outage = SendError("network: unreachable", permanent=False, kind=FailureKind.OUTAGE)
    harness.adapter.refuse[reporter.chat_id] = outage
    await harness.tick("15:00")
    harness.advance(hours=23, minutes=50)
    await harness.app.drain()
    assert statuses(harness).get(STATUS_PENDING) == 1 and STATUS_FAILED not in statuses(harness)
    harness.advance(minutes=15)
    await harness.app.drain()
    assert statuses(harness).get(STATUS_FAILED) == 1 and STATUS_PENDING not in statuses(harness)
    assert (await healthz(harness))["outages"][0]["held"] == 0


def run_cli(*args: str) -> int:
    """Run ``lianfang`` in process; return its exit code."""
    try:
        return main(list(args))
    except SystemExit as stop:
        return int(stop.code or 0)


async def test_outbox_retry_requeues_failed_messages_but_not_privacy_blocks_unless_named(
    harness: Harness, database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIANFANG_DATABASE_URL", database_url)
    reporter = await harness.member("周强", "screening", "reporter")
    reporter.catch_up()
    now = datetime.now(UTC)
    lost = queue(harness, PLATFORM_MEMORY, reporter.chat_id, "停电期间的提醒", now=now - timedelta(hours=30))
    blocked = queue(harness, PLATFORM_MEMORY, "g-screening", "被隐私保护拦下", now=now - timedelta(hours=1))
    old = queue(harness, PLATFORM_MEMORY, reporter.chat_id, "上个月的消息", now=now - timedelta(days=30))
    with session_scope(harness.app.engine) as session:
        outage, privacy = FailureKind.OUTAGE, FailureKind.PRIVACY
        mark_outbox_failed(session=session, message_id=lost, error="network: unreachable", kind=outage)
        mark_outbox_failed(session=session, message_id=blocked, error=REASON_PRIVACY, kind=privacy)
        mark_outbox_failed(session=session, message_id=old, error="network: unreachable", kind=outage)

    assert run_cli("outbox", "retry", "abc") == 2
    assert run_cli("outbox", "retry", "--since", "yesterday") == 2
    assert run_cli("outbox", "retry", str(lost), "99999") == 2  # a wrong id: nothing is requeued
    assert "no failed message 99999" in capsys.readouterr().err
    assert statuses(harness)[STATUS_FAILED] == 3

    assert run_cli("outbox", "retry") == 0  # the last 48 hours: the lost reminder, not the privacy block
    printed = capsys.readouterr().out
    listed = {line.split("\t")[0] for line in printed.splitlines()}  # a time such as 22:44 holds "4\t" too
    assert str(lost) in listed and "requeued 1 message(s)" in printed
    assert str(blocked) in listed and "privacy guard" in printed and str(old) not in listed
    await harness.app.drain()
    assert "停电期间的提醒" in texts_of(reporter.unread())
    assert statuses(harness)[STATUS_FAILED] == 2 and STATUS_PENDING not in statuses(harness)

    assert run_cli("outbox", "retry", str(blocked)) == 0  # named: it goes again, and meets the guard again
    assert "requeued 1 message(s)" in capsys.readouterr().out
    with Session(harness.app.engine) as session:
        row = session.get(OutboxMessage, blocked)
        assert row is not None and row.status == STATUS_PENDING and row.attempts == 0


# -- WeCom's duplicate check --------------------------------------------------------------------------------


def restarted(harness: Harness) -> Deliverer:
    """Return the deliverer of a process started after a crash: it knows nothing of what the dead one sent."""
    return Deliverer(harness.app.engine, harness.app.adapters, harness.clock)


async def test_a_wecom_message_sent_twice_after_a_crash_is_shown_once(served: Harness, fake_wecom: FakeWeCom) -> None:
    harness = served
    message_id = queue(harness, PLATFORM_WECOM, STAFF, "今日日报已收到")
    with session_scope(harness.app.engine) as session:
        [claimed] = claim_due(
            session=session, platforms=[PLATFORM_WECOM], now=harness.clock.now, lease=timedelta(minutes=5)
        )
    assert claimed.id == message_id
    # The first deliverer sent it and died before marking it; the message goes again once its lease runs out.
    await harness.app.deliverer.deliver([claimed])
    harness.advance(minutes=5, seconds=1)
    await restarted(harness).deliver([claimed])
    calls = fake_wecom.calls_to(MESSAGE_SEND)
    assert len(calls) == 2 and all(call.body["enable_duplicate_check"] == 1 for call in calls)
    assert all(call.body["duplicate_check_interval"] == DUPLICATE_CHECK_SECONDS for call in calls)
    assert fake_wecom.texts(STAFF) == ["今日日报已收到"]  # accepted twice, shown once

    harness.advance(minutes=11)  # past the interval, the same words are a new message
    await restarted(harness).deliver([claimed])
    assert fake_wecom.texts(STAFF) == ["今日日报已收到"] * 2


async def test_by_default_a_crash_resend_is_shown_twice_and_group_chats_never_ask_for_the_check(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)  # the default: off
    harness.app.add_adapter(wecom_adapter(harness.app))
    try:
        chatid = await create_wecom_chat(
            harness.app, name="排查组", owner=LEADER, members=[REPORTER], purpose="group:screening"
        )
        queue(harness, PLATFORM_WECOM, STAFF, "今日日报已收到")
        queue(harness, PLATFORM_WECOM, f"appchat:{chatid}", "本组日报已汇总")
        with session_scope(harness.app.engine) as session:
            claimed = claim_due(
                session=session, platforms=[PLATFORM_WECOM], now=harness.clock.now, lease=timedelta(minutes=5)
            )
        await harness.app.deliverer.deliver(claimed)
        await restarted(harness).deliver(claimed)  # the first process died before marking them sent
        assert fake_wecom.texts(STAFF) == ["今日日报已收到"] * 2
        assert "enable_duplicate_check" not in fake_wecom.calls_to(MESSAGE_SEND)[0].body
        assert all("enable_duplicate_check" not in call.body for call in fake_wecom.calls_to(APPCHAT_SEND))
    finally:
        harness.app.engine.dispose()
