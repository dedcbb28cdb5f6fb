"""Undeliverable private messages: the @mention fallback in the group chat and the notice to 综合组."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.adapters.base import SendError
from models.outbox import STATUS_FAILED, OutboxMessage
from tests.fakes import Harness, keys_of, texts_of


async def test_refused_reminder_falls_back_to_a_mention_and_coordination_is_told_once(harness: Harness) -> None:
    admin, _, coordination = await harness.bound_org_chats()
    reporter = await harness.member("周强", "screening", "reporter")
    screening = harness.group("g-screening", admin)
    await screening.say("/bind group screening")
    screening.catch_up()
    harness.adapter.refuse[reporter.chat_id] = SendError("forbidden: bot can't initiate conversation", permanent=True)
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
        assert len(failed) == 2 and all(row.error.startswith("forbidden") for row in failed)


async def test_transient_failures_are_retried_and_nothing_is_lost(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    harness.adapter.refuse[reporter.chat_id] = SendError("network: timeout", permanent=False)
    await harness.tick("15:00")
    assert reporter.unread() == []
    del harness.adapter.refuse[reporter.chat_id]
    harness.advance(seconds=30)
    await harness.app.deliverer.drain()
    assert keys_of(reporter.unread()) == ["reminder.title", "reminder.text"]
