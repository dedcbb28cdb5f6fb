"""Undeliverable private messages: the @mention fallback in the group chat and the notice to 综合组."""

from __future__ import annotations

import asyncio

from lianfang.bot.db import session_scope
from lianfang.bot.ports import FailureKind, SendError
from lianfang.bot.types import PLATFORM_MEMORY, ChatRef, IncomingMessage, OutgoingMessage, Text
from lianfang.models.outbox import STATUS_FAILED, STATUS_SENT, OutboxMessage, enqueue
from sqlmodel import Session, col, select

from tests.fakes import Chat, Harness, keys_of, texts_of

REPORTERS = (("李娜", "coordination"), ("周强", "screening"), ("陈静", "supplies"))


async def test_refused_reminder_falls_back_to_a_mention_and_coordination_is_told_once(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    reporter = await harness.member("周强", "screening", "reporter")
    screening = harness.group("g-screening", admin)
    await screening.say("/bind group screening")
    screening.catch_up()
    harness.adapter.refuse[reporter.chat_id] = SendError(
        "forbidden: bot can't initiate conversation", permanent=True, kind=FailureKind.REFUSED
    )
    await harness.tick("15:00")
    [fallback] = screening.unread()
    assert keys_of([fallback])[:3] == ["delivery.fallback", "reminder.title", "reminder.text"]
    assert fallback.mentions == (reporter.user_id,)
    assert all(button.private for button in fallback.buttons) and fallback.buttons
    notices = coordination.unread()
    assert "delivery.unreachable" in keys_of(notices) and "周强" in texts_of(notices)
    await harness.tick("15:15")
    assert "delivery.fallback" in keys_of(screening.unread())  # the chaser falls back too
    assert "delivery.unreachable" not in keys_of(coordination.unread())  # but 综合组 is told once a day
    with Session(harness.app.engine) as session:
        failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == STATUS_FAILED)).all()
        assert [row.failure_kind for row in failed] == [FailureKind.REFUSED] * 2


async def test_transient_failures_are_retried_and_nothing_is_lost(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    harness.adapter.refuse[reporter.chat_id] = SendError("network: timeout", permanent=False)
    await harness.tick("15:00")
    assert reporter.unread() == []
    del harness.adapter.refuse[reporter.chat_id]
    harness.advance(seconds=30)
    await harness.app.deliverer.drain()
    assert keys_of(reporter.unread()) == ["reminder.title", "reminder.text"]


async def test_one_reminder_text_goes_to_every_reporter_in_one_batched_send(harness: Harness) -> None:
    reporters = [await harness.member(name, group, "reporter") for name, group in REPORTERS]
    await harness.tick("15:00")
    assert harness.adapter.batches == [tuple(chat.chat_id for chat in reporters)]
    for chat in reporters:
        [reminder] = chat.unread()
        assert keys_of([reminder]) == ["reminder.title", "reminder.text"]
        assert [button.value for button in reminder.buttons] == ["/daily 2020-01-28", "/daily nil 2020-01-28"]
    await harness.tick("15:15")  # chasers share one text too
    assert harness.adapter.batches[-1] == tuple(chat.chat_id for chat in reporters)
    assert all(keys_of(chat.unread()) == ["reminder.chase_title", "reminder.chase"] for chat in reporters)


async def test_a_refused_member_in_a_batch_fails_alone_and_falls_back(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    reporters = [await harness.member(name, group, "reporter") for name, group in REPORTERS]
    screening = harness.group("g-screening", admin)
    await screening.say("/bind group screening")
    screening.catch_up()
    refused = reporters[1]
    harness.adapter.refuse[refused.chat_id] = SendError(
        "forbidden: not in the app's visible range", permanent=True, kind=FailureKind.REFUSED
    )
    await harness.tick("15:00")
    assert len(harness.adapter.batches) == 1 and refused.chat_id in harness.adapter.batches[0]
    assert [len(chat.unread()) for chat in reporters] == [1, 0, 1]
    [fallback] = screening.unread()
    assert keys_of([fallback])[0] == "delivery.fallback" and fallback.mentions == (refused.user_id,)
    assert "delivery.unreachable" in keys_of(coordination.unread())
    with Session(harness.app.engine) as session:
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.chat_id).in_(harness.adapter.batches[0])))
        reminders = [row for row in rows if row.payload["lines"][-1]["key"] == "reminder.text"]
        assert sorted((row.chat_id, row.status) for row in reminders) == sorted(
            (chat.chat_id, STATUS_FAILED if chat is refused else STATUS_SENT) for chat in reporters
        )


async def test_a_transient_batch_failure_retries_every_recipient_once(harness: Harness) -> None:
    reporters = [await harness.member(name, group, "reporter") for name, group in REPORTERS]
    for chat in reporters:
        harness.adapter.refuse[chat.chat_id] = SendError("network: timeout", permanent=False)
    await harness.tick("15:00")
    assert all(chat.unread() == [] for chat in reporters)
    harness.adapter.refuse.clear()
    harness.advance(seconds=30)
    await harness.app.deliverer.drain()
    assert [keys_of(chat.unread()) for chat in reporters] == [["reminder.title", "reminder.text"]] * len(reporters)
    assert len(harness.adapter.batches) == 2
    await harness.app.deliverer.drain()
    assert all(chat.unread() == [] for chat in reporters)  # nobody gets it twice


async def test_a_chat_with_several_queued_messages_gets_them_one_by_one_in_order(harness: Harness) -> None:
    payload = OutgoingMessage(ChatRef(PLATFORM_MEMORY, "x"), (Text.raw("同一条"),), "zh_CN").to_json()
    second = OutgoingMessage(ChatRef(PLATFORM_MEMORY, "x"), (Text.raw("另一条"),), "zh_CN").to_json()
    with session_scope(harness.app.engine) as session:
        for chat_id, body in (("a", payload), ("b", payload), ("a", second), ("a", payload), ("c", payload)):
            enqueue(session=session, platform=PLATFORM_MEMORY, chat_id=chat_id, payload=body, now=harness.clock.now)
    assert await harness.app.deliverer.drain() == 5
    assert harness.adapter.batches == [("b", "c")]
    texts = [(m.chat.chat_id, m.lines[0].params["text"]) for m in harness.adapter.delivered]
    assert [text for chat, text in texts if chat == "a"] == ["同一条", "另一条", "同一条"]
    assert sorted(chat for chat, _ in texts) == ["a", "a", "a", "b", "c"]


async def alert_an_admin_who_blocked_the_bot(harness: Harness, admin: Chat) -> None:
    """Have the admin block the bot, then a field worker record a fever case: the admin's full copy is refused."""
    harness.adapter.refuse[admin.chat_id] = SendError(
        "forbidden: bot was blocked by the user", permanent=True, kind=FailureKind.REFUSED
    )
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 38.2 咳嗽")
    await staff.say("13812345678")
    await staff.tap("无")
    await staff.tap("居家观察")
    await staff.tap("提交")


async def test_a_refused_private_message_with_personal_data_is_only_announced_in_the_group(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    await alert_an_admin_who_blocked_the_bot(harness, admin)
    posted = coordination.unread()
    keys = keys_of(posted)
    assert "alert.title" in keys and "delivery.fallback_private" in keys and "delivery.fallback" not in keys
    notice = next(m for m in posted if m.lines[0].key == "delivery.fallback_private")
    assert notice.mentions == (admin.user_id,) and notice.buttons == ()
    text = texts_of(posted)
    assert "张三" not in text and "13812345678" not in text  # the admin's full copy stayed out of the group


async def test_start_sends_again_what_could_not_reach_the_member(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    await alert_an_admin_who_blocked_the_bot(harness, admin)
    assert admin.unread() == []
    coordination.catch_up()

    del harness.adapter.refuse[admin.chat_id]  # the admin unblocks the bot, as the group notice asked
    harness.advance(hours=1)
    answer = await admin.say("/start")
    assert keys_of(answer)[0] == "alert.title" and "张三" in texts_of(answer[:1])  # the full alert, privately
    assert keys_of([answer[-1]])[:2] == ["start.welcome_back", "start.resent"]
    assert answer[-1].lines[1].params == {"count": 1}
    assert keys_of(await admin.say("/start"))[:2] == ["start.welcome_back", "help.title"]  # sent once only
    assert coordination.unread() == []


async def test_start_leaves_day_old_refusals_alone(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        ctx.send(ChatRef(PLATFORM_MEMORY, admin.chat_id), [Text("common.empty")], "zh_CN")
    harness.adapter.refuse[admin.chat_id] = SendError(
        "forbidden: bot was blocked by the user", permanent=True, kind=FailureKind.REFUSED
    )
    await harness.app.drain()
    del harness.adapter.refuse[admin.chat_id]
    harness.advance(hours=25)
    assert keys_of(await admin.say("/start"))[:2] == ["start.welcome_back", "help.title"]


async def test_a_reply_does_not_wait_behind_a_slow_drain(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    sending, release = asyncio.Event(), asyncio.Event()
    send = harness.adapter.send

    async def slow_for_the_reporter(message: OutgoingMessage) -> None:
        if message.chat.chat_id == reporter.chat_id:
            sending.set()
            await release.wait()  # a platform that takes its time over the 15:00 reminders
        await send(message)

    harness.adapter.send = slow_for_the_reporter  # type: ignore[method-assign]
    ticking = asyncio.create_task(harness.tick("15:00"))
    await asyncio.wait_for(sending.wait(), 5)
    answer = await asyncio.wait_for(staff.say("/help"), 5)
    assert keys_of(answer)[:1] == ["help.title"]  # answered while the reminders still go out
    assert not ticking.done() and reporter.unread() == []
    release.set()
    await ticking
    assert keys_of(reporter.unread()) == ["reminder.title", "reminder.text"]


async def test_a_reply_left_unsent_by_a_dying_instance_goes_after_its_lease(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    message = IncomingMessage(PLATFORM_MEMORY, staff.chat_id, staff.user_id, "/help", is_private=True)
    handled = harness.app.dispatcher.handle(message, harness.clock())  # committed; the process dies before sending
    assert len(handled.claimed) == 1
    await harness.app.drain()
    assert staff.unread() == []  # another drain leaves it alone while the lease runs
    harness.advance(seconds=harness.app.settings.outbox_lease_seconds)
    await harness.app.drain()
    assert keys_of(staff.unread())[:1] == ["help.title"]
    await harness.app.drain()
    assert staff.unread() == []  # once


async def test_a_send_that_outlasts_its_lease_is_not_sent_again_by_the_same_instance(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    sending, release = asyncio.Event(), asyncio.Event()
    send, before = harness.adapter.send, len(harness.adapter.delivered)

    async def slow_platform(message: OutgoingMessage) -> None:
        sending.set()
        await release.wait()  # the platform answers only after the reply's lease has run out
        await send(message)

    harness.adapter.send = slow_platform  # type: ignore[method-assign]
    answering = asyncio.create_task(staff.say("/help"))
    await asyncio.wait_for(sending.wait(), 5)
    harness.advance(seconds=harness.app.settings.outbox_lease_seconds + 1)
    assert await asyncio.wait_for(harness.app.drain(), 5) == 0  # the reply is in hand: the drain leaves it
    release.set()
    assert keys_of(await answering)[:1] == ["help.title"]
    assert await harness.app.drain() == 0
    assert [keys_of([sent])[0] for sent in harness.adapter.delivered[before:]] == ["help.title"]  # once


async def test_after_a_crash_a_restarted_instance_sends_what_was_left_claimed(database_url: str) -> None:
    harness = Harness.create(database_url)
    await harness.app.start()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    message = IncomingMessage(PLATFORM_MEMORY, staff.chat_id, staff.user_id, "/help", is_private=True)
    await harness.app.deliverer.flush()  # the welcome delivered before is marked sent (by the runtime's next commit)
    harness.app.dispatcher.handle(message, harness.clock())  # committed and claimed; the process dies here
    harness.app.engine.dispose()

    restarted = Harness.create(database_url)
    restarted.clock.now = harness.clock.now
    await restarted.app.start()
    delivered = [keys_of([sent])[0] for sent in restarted.adapter.delivered]
    if database_url.startswith("sqlite"):
        assert delivered == ["help.title"]  # alone on its database, the new process knows the claim is dead
    else:
        assert delivered == []  # another live instance may hold it: it waits out the lease
        restarted.advance(seconds=restarted.app.settings.outbox_lease_seconds)
        await restarted.app.drain()
        assert [keys_of([sent])[0] for sent in restarted.adapter.delivered] == ["help.title"]
    restarted.app.engine.dispose()
