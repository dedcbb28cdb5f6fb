"""The duty steps: eve and before-shift reminders, a missed check-in reported and escalated, each exactly once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lianfang.bot.types import OutgoingMessage
from lianfang.handlers.duty import duty_times
from lianfang.handlers.duty.jobs import DUTY_JOBS
from lianfang.models.send_ledger import SendLedger
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import import_file, roster


def ours(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """Keep the duty messages (the daily loop also writes to the 综合组 chat)."""
    return [m for m in messages if m.lines[0].key.startswith("duty.")]


async def on_duty_day(harness: Harness, tmp_path: Path) -> tuple[Chat, Chat, Chat, Chat, Chat]:
    """Bind the 综合组 and 执纪督查组 chats; put 张伟 on the 28th's and 29th's day shifts, 王芳 on the 28th's night."""
    admin, _leadership, coordination = await harness.bound_org_chats()
    supervision = harness.group("g-supervision", admin)
    await supervision.say("/bind group supervision")
    supervision.catch_up()
    leader = await harness.member("王宏武", "coordination", "leader")
    await harness.member("邓勇", "supplies", "leader")
    day = await harness.member("张伟", "screening", "staff", "chaoyang")
    night = await harness.member("王芳", "screening", "staff", "dongfeng")
    path = roster(
        tmp_path,
        [
            ["2020-01-28", "白班", "王宏武", "张伟", "13812345678", ""],
            ["2020-01-28", "夜班", "", "王芳", "13912345678", ""],
            ["2020-01-29", "白班", "邓勇", "张伟", "", ""],
        ],
    )
    harness.at("07:00")
    assert not import_file(harness, path).problems
    return coordination, supervision, leader, day, night


async def test_the_day_times_come_from_the_org_file(harness: Harness) -> None:
    times = [t.strftime("%H:%M") for t in duty_times(harness.org)]
    assert times == ["07:30", "08:15", "08:30", "17:30", "18:00", "18:15", "18:30"]


async def test_each_duty_job_is_triggered_only_at_its_own_times(harness: Harness) -> None:
    by_job = {job.name: [t.strftime("%H:%M") for t in job.times(harness.org)] for job in DUTY_JOBS}
    assert by_job == {
        "duty-remind-eve": ["18:00"],
        "duty-remind-before": ["07:30", "17:30"],
        "duty-report-missed": ["08:15", "18:15"],
        "duty-escalate-missed": ["08:30", "18:30"],
        "duty-ask-handover": ["07:30", "17:30"],
    }


async def test_reminder_checkin_then_a_missed_night_shift_is_reported_then_escalated_once(
    harness: Harness, tmp_path: Path
) -> None:
    coordination, supervision, leader, day, night = await on_duty_day(harness, tmp_path)

    await harness.tick("07:30")
    reminder = ours(day.unread())
    assert keys_of(reminder) == ["duty.before_reminder"]
    assert [b.value for b in reminder[0].buttons][0].startswith("/onduty ")
    assert keys_of(await day.tap("到岗")) == ["duty.checked_in"]
    await harness.tick("08:15")
    await harness.tick("08:30")
    assert ours(coordination.unread()) == [] and ours(supervision.unread()) == [] and ours(day.unread()) == []

    await harness.tick("17:30")
    assert keys_of(ours(night.unread())) == ["duty.before_reminder"]
    assert keys_of(ours(day.unread())) == ["duty.handover_ask"]  # the day shift ends at 18:00
    await harness.tick("18:00")  # the eve reminder of the 29th's day shift
    eve = ours(day.unread())
    assert keys_of(eve) == ["duty.eve_reminder"] and "值班领导：邓勇" in texts_of(eve)
    await harness.tick("18:15")
    alert = ours(coordination.unread())
    assert keys_of(alert) == ["duty.missed_alert"]
    assert "【值班未到岗】2020-01-28 夜班（18:00–08:00）：王芳 到 18:15 仍未到岗签到" in texts_of(alert)
    assert "13912345678" not in texts_of(alert)
    private = ours(leader.unread())
    assert keys_of(private) == ["duty.missed_alert", "duty.missed_phone"] and "联系电话：13912345678" in texts_of(
        private
    )
    assert keys_of(ours(night.unread())) == ["duty.missed_you"]
    assert ours(supervision.unread()) == []
    await harness.tick("18:20")
    assert ours(coordination.unread()) == [] and ours(leader.unread()) == []

    await harness.tick("18:30")
    escalated = ours(supervision.unread())
    assert keys_of(escalated) == ["duty.escalated"] and "开班 30 分钟后仍未到岗" in texts_of(escalated)
    for again in ("18:31", "19:00"):
        await harness.tick(again)
    assert ours(supervision.unread()) == [] and ours(coordination.unread()) == [] and ours(night.unread()) == []
    with Session(harness.app.engine) as session:
        steps = sorted(
            row.key.split(":")[2] for row in session.exec(select(SendLedger).where(SendLedger.kind == "duty"))
        )
    assert steps == ["before", "before", "escalate", "eve", "handover", "missed"]


async def test_nothing_is_sent_for_a_shift_of_a_past_day(harness: Harness, tmp_path: Path) -> None:
    coordination, supervision, _leader, day, night = await on_duty_day(harness, tmp_path)
    harness.at("09:00", date(2020, 1, 30))
    await harness.tick()
    assert ours(coordination.unread()) == [] and ours(supervision.unread()) == []
    assert ours(day.unread()) == [] and ours(night.unread()) == []
