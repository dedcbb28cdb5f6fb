"""Two instances of one bot on one database send through the fake Bot API within one shared limit per second."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter

from lianfang.bot.db import session_scope
from lianfang.bot.outbox import LEASE, Deliverer
from lianfang.bot.platforms.telegram.adapter import TelegramAdapter
from lianfang.bot.platforms.telegram.run import bot_id
from lianfang.bot.ports import Outcome
from lianfang.bot.send_pace import DatabaseSlots
from lianfang.bot.types import PLATFORM_TELEGRAM, ChatRef, IncomingMessage, Text
from lianfang.models.outbox import STATUS_SENT, OutboxMessage, claim_due
from sqlmodel import Session, select

from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fakes import Harness

LIMIT = 4
PER_INSTANCE = 8
FIRST_CHAT = 5_300_000_000
ZH = "zh_CN"


async def ignore(_msg: IncomingMessage) -> Outcome:
    """Dispatch nothing: these adapters only send."""
    return Outcome()


async def start_instance(harness: Harness, fake: FakeTelegram) -> tuple[TelegramAdapter, Deliverer]:
    """Start what one ``lianfang run`` process delivers with: its own adapter and drain, on the shared database."""
    engine = harness.app.engine
    slots = DatabaseSlots(engine, PLATFORM_TELEGRAM, bot_id(TOKEN))
    telegram = TelegramAdapter(TOKEN, base_url=fake.url, overall_rate=LIMIT, slots=slots)
    await telegram.start(ignore)
    return telegram, Deliverer(engine, {PLATFORM_TELEGRAM: telegram}, clock=harness.clock)


async def test_two_instances_together_keep_to_the_limit_and_deliver_every_message_once(
    database_url: str, fake: FakeTelegram
) -> None:
    harness = Harness.create(database_url)
    texts = [f"通知 {n}" for n in range(2 * PER_INSTANCE)]
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        for n, text in enumerate(texts):
            ctx.send(ChatRef(PLATFORM_TELEGRAM, str(FIRST_CHAT + n)), [Text.raw(text)], ZH)
    instances = [await start_instance(harness, fake) for _ in range(2)]
    shares = []
    for _ in instances:  # each instance has messages of its own to send, as two busy processes would
        with session_scope(harness.app.engine) as session:
            shares.append(
                claim_due(
                    session=session, platforms=[PLATFORM_TELEGRAM], now=harness.clock(), lease=LEASE, limit=PER_INSTANCE
                )
            )
    wall_offset = time.time() - time.monotonic()  # the fake notes arrivals on the monotonic clock

    delivered = await asyncio.gather(*(d.deliver(share) for (_, d), share in zip(instances, shares, strict=True)))
    for telegram, deliverer in instances:
        await deliverer.flush()
        await telegram.stop()

    assert delivered == [PER_INSTANCE, PER_INSTANCE]
    assert sorted(params["text"] for params in fake.sent()) == sorted(texts)
    per_second = Counter(math.floor(arrived + wall_offset) for arrived in fake.delivered_at)
    assert max(per_second.values()) <= LIMIT, per_second
    assert len(per_second) >= math.ceil(len(texts) / LIMIT)
    with Session(harness.app.engine) as session:
        assert {row.status for row in session.exec(select(OutboxMessage))} == {STATUS_SENT}
