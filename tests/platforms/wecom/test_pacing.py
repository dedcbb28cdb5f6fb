"""WeCom pacing: per-member limits in batches, frequency limits, and the outbox keeping what must wait."""

from __future__ import annotations

import asyncio
from itertools import cycle

import pytest
from lianfang.bot.db import make_engine, upgrade
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import REASON_RATE_LIMITED
from lianfang.bot.ports import SendError
from lianfang.bot.recipient_pace import DatabasePaceLedger
from lianfang.bot.types import PLATFORM_WECOM
from lianfang.models.outbox import STATUS_PENDING, OutboxMessage
from sqlmodel import Session, select

from tests.fake_wecom import FREQUENCY, MESSAGE_SEND, FakeWeCom, message_text
from tests.fakes import Harness
from tests.platforms.wecom.support import LEADER, REPORTER, STAFF, outgoing, paced_adapter, say, web


async def test_a_batch_keeps_each_members_pace_and_splits_at_1000(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    _, wecom = served
    paced = paced_adapter(fake_wecom, per_minute=1)
    try:
        await paced.send(outgoing(STAFF, "一"))
        failures = await paced.send_many([STAFF, REPORTER, LEADER], outgoing(STAFF, "二"))
        assert list(failures) == [STAFF] and failures[STAFF].reason.startswith(REASON_RATE_LIMITED)
        assert not failures[STAFF].permanent and 0 < (failures[STAFF].retry_after or 0) <= 60
        assert fake_wecom.calls_to(MESSAGE_SEND)[-1].body["touser"] == f"{REPORTER}|{LEADER}"
        assert [message_text(body) for body in fake_wecom.sent(STAFF)] == ["一"]

        many = [f"user{n:04d}" for n in range(2500)]
        fake_wecom.fail_user("user1234")
        failures = await paced.send_many(many, outgoing(many[0], "三"))
        assert list(failures) == ["user1234"] and failures["user1234"].permanent
        batches = [call.body["touser"].split("|") for call in fake_wecom.calls_to(MESSAGE_SEND)[2:]]
        assert [len(batch) for batch in batches] == [1000, 1000, 500] and sum(batches, []) == many

        fake_wecom.fail(MESSAGE_SEND, -1)  # WeCom busy: every member of the call is retried later
        failures = await paced.send_many(["a1", "a2"], outgoing("a1", "四"))
        assert sorted(failures) == ["a1", "a2"] and not any(error.permanent for error in failures.values())

        long = outgoing("b1", "长" * 600, "报" * 600)  # two calls' worth: sent one member at a time
        assert await wecom.send_many(["b1", "b2"], long) == {}
        assert [call.body["touser"] for call in fake_wecom.calls_to(MESSAGE_SEND)[-4:]] == ["b1", "b1", "b2", "b2"]
    finally:
        await paced.stop()


async def test_frequency_limits_are_transient_and_members_are_paced(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    fake_wecom.fail(MESSAGE_SEND, FREQUENCY)
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(STAFF, "一"))
    assert caught.value.reason.startswith(REASON_RATE_LIMITED) and not caught.value.permanent
    assert caught.value.retry_after == 60

    paced = paced_adapter(fake_wecom, per_minute=2)
    try:
        await paced.send(outgoing(STAFF, "一"))
        await paced.send(outgoing(STAFF, "二"))
        with pytest.raises(SendError) as caught:
            await paced.send(outgoing(STAFF, "三"))
        assert caught.value.reason.startswith(REASON_RATE_LIMITED) and 0 < (caught.value.retry_after or 0) <= 60
        await paced.send(outgoing(REPORTER, "三"))  # another member is not held up
        long = outgoing(LEADER, "长" * 600, "报" * 600, "告" * 600)  # three parts of 1,800 bytes each
        with pytest.raises(SendError) as caught:
            await paced.send(long)
        assert caught.value.reason.startswith(REASON_RATE_LIMITED) and not caught.value.permanent
    finally:
        await paced.stop()
    assert [message_text(body) for body in fake_wecom.sent(STAFF)] == ["一", "二"]
    assert [message_text(body)[0] for body in fake_wecom.sent(LEADER)] == ["长", "报"]  # the third waits


async def test_outbox_keeps_a_rate_limited_message_for_later(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        fake_wecom.fail(MESSAGE_SEND, FREQUENCY)
        await say(http, wecom, STAFF, "/help")
    with Session(harness.app.engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert row.status == STATUS_PENDING and row.not_before is not None and row.attempts == 0
    harness.advance(seconds=61)
    await harness.app.deliverer.drain()
    assert len(fake_wecom.sent(STAFF)) == 1


async def test_instances_on_one_database_keep_a_member_s_limit_together(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    first, second = (
        paced_adapter(fake_wecom, per_minute=5, paces=DatabasePaceLedger(engine, PLATFORM_WECOM)) for _ in range(2)
    )
    try:
        # ten messages for one member at once, half on each instance: WeCom would drop what passes its limit
        sends = [adapter.send(outgoing(STAFF, f"第{n}条")) for n, adapter in zip(range(10), cycle([first, second]))]
        results = await asyncio.gather(*sends, return_exceptions=True)
        held = [result for result in results if isinstance(result, SendError)]
        assert len(fake_wecom.sent(STAFF)) == 5 and len(held) == 5
        assert all(error.reason.startswith(REASON_RATE_LIMITED) and not error.permanent for error in held)
        # a batch leaves out only the member at the limit
        failures = await second.send_many([STAFF, REPORTER], outgoing(STAFF, "通知"))
        assert list(failures) == [STAFF] and [message_text(body) for body in fake_wecom.sent(REPORTER)] == ["通知"]
    finally:
        for adapter in (first, second):
            await adapter.stop()
        engine.dispose()


async def test_sends_that_fail_give_the_member_s_places_back(database_url: str, fake_wecom: FakeWeCom) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    paced = paced_adapter(fake_wecom, per_minute=2, paces=DatabasePaceLedger(engine, PLATFORM_WECOM))
    try:
        fake_wecom.fail(MESSAGE_SEND, -1, times=3)  # WeCom busy: three tries reach nobody
        for _ in range(3):
            with pytest.raises(SendError):
                await paced.send(outgoing(STAFF, "一"))
        fake_wecom.fail(MESSAGE_SEND, -1)  # a batch that fails gives its places back as well
        assert list(await paced.send_many([STAFF, REPORTER], outgoing(STAFF, "二"))) == [STAFF, REPORTER]
        await paced.send(outgoing(STAFF, "一"))
        assert await paced.send_many([STAFF, REPORTER], outgoing(STAFF, "二")) == {}
        assert [message_text(body) for body in fake_wecom.sent(STAFF)] == ["一", "二"]
    finally:
        await paced.stop()
        engine.dispose()
