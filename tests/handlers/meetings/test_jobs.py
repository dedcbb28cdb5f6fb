"""Recurring meetings from the org file: created and announced on the eve, reminded once, answers at the start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta

import pytest
from lianfang.bot.types import OutgoingMessage
from lianfang.handlers.meetings import meeting_times
from lianfang.handlers.meetings.jobs import MEETING_JOBS
from lianfang.handlers.meetings.settings import MeetingRules, RecurringMeeting
from lianfang.models.meetings import Meeting
from sqlmodel import Session, select

from tests.fakes import TEST_DAY, Harness, keys_of, texts_of
from tests.org import load_test_org

DAILY = RecurringMeeting(
    key="daily",
    title="联防联控工作例会",
    time=time(8, 30),
    place="街道三楼会议室",
    organiser="龙雅俐",
    attendees=["领导", "screening", "没有这个人"],
)


def ours(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """Keep the meeting messages."""
    return [m for m in messages if m.lines[0].key.startswith("meeting.")]


@pytest.fixture
async def daily(database_url: str) -> AsyncIterator[Harness]:
    """Return an instance with a daily 08:30 member-unit meeting."""
    org = load_test_org()
    harness = Harness.create(database_url, org=org.model_copy(update={"meetings": MeetingRules(recurring=[DAILY])}))
    await harness.app.start()
    yield harness
    await harness.app.stop()
    harness.app.engine.dispose()


def test_the_times_come_from_the_org_file() -> None:
    org = load_test_org().model_copy(update={"meetings": MeetingRules(recurring=[DAILY])})
    assert [t.strftime("%H:%M") for t in meeting_times(org)] == ["08:00", "08:30", "18:00"]
    by_job = {job.name: [t.strftime("%H:%M") for t in job.times(org)] for job in MEETING_JOBS}
    assert by_job == {
        "meetings-create-recurring": ["18:00"],
        "meetings-remind-eve": ["18:00"],
        "meetings-remind-before": ["08:00"],
        "meetings-send-answers": ["08:30"],
    }


async def test_a_daily_meeting_is_announced_on_the_eve_and_its_answers_go_to_the_organiser(daily: Harness) -> None:
    admin, _leadership, _coordination = await daily.bound_org_chats()
    leader = await daily.member("王宏武", "coordination", "leader")
    zhang = await daily.member("张伟", "screening", "staff", "chaoyang")
    await daily.tick("09:00")  # today's 08:30 meeting has begun: it is not created late
    assert ours(zhang.unread()) == []
    await daily.tick("18:00")
    invitation = ours(zhang.unread())
    assert keys_of(invitation) == ["meeting.invitation"] and "时间：2020-01-29 08:30–09:30" in texts_of(invitation)
    assert ours(leader.unread()) != [] and ours(admin.unread()) == []  # 龙雅俐 organises; she is not on the list
    await daily.tick("18:30")
    assert ours(zhang.unread()) == []  # the invitation was the eve reminder; none again
    await zhang.tap("请假")
    await zhang.say("入户排查")
    zhang.catch_up()
    daily.at("08:00", TEST_DAY + timedelta(days=1))
    await daily.tick()
    assert keys_of(ours(leader.unread())) == ["meeting.before_reminder"] and ours(zhang.unread()) == []
    await daily.tick("08:30")
    answers = texts_of(ours(admin.unread()))
    assert "参加：-\n请假：张伟（入户排查）\n未回复：王宏武" in answers
    with Session(daily.app.engine) as session:
        assert [(m.series, m.day) for m in session.exec(select(Meeting))] == [("daily", TEST_DAY + timedelta(days=1))]
