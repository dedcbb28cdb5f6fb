"""Leave (请假): asked, approved by the group's lead by button; bad dates and overlaps refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import import_file, roster


async def test_leave_is_asked_and_approved_once_by_the_lead(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    lead = await harness.member("董晓波", "screening", "group_lead")
    other = await harness.member("谭芳", "publicity", "group_lead")
    assert keys_of(await reporter.say("/leave 明天")) == ["leave.usage"]
    assert keys_of(await reporter.say("/leave 2020-01-30 2020-01-29 发热")) == ["leave.error_span"]
    assert keys_of(await reporter.say("/leave 2020-01-01 2020-01-02 发热")) == ["leave.error_past"]
    assert keys_of(await reporter.say("请假 2020-01-29 2020-01-30 发热就医")) == ["leave.asked"]
    request = lead.unread()
    assert keys_of(request) == ["leave.request"] and "周强 请假 2020-01-29 至 2020-01-30，事由：发热就医" in texts_of(
        request
    )
    assert keys_of(await reporter.say("/leave 1月30日 1月31日 复查")) == ["leave.error_overlap"]
    assert keys_of(await other.say("/leave approve 1")) == ["leave.unknown"]  # not their group
    approved = await lead.tap("批准")
    # No other reporter: the lead stands in, is named to both and told himself; the reason stays out of the notice.
    assert keys_of(approved) == ["leave.approved_done", "leave.stand_in_named", "leave.stand_in_notice"]
    assert "由 董晓波 代报" in texts_of(approved) and "发热" not in texts_of(approved[-1:])
    assert keys_of(await lead.tap("批准")) == ["leave.decided"]
    told = texts_of(reporter.unread())
    assert "已由 董晓波 批准" in told and "由 董晓波 代报" in told
    # A lead's leave goes to 综合组's leads.
    coordinator = await harness.member("龙雅俐", "coordination", "group_lead")
    assert keys_of(await lead.say("/leave 2020-01-29 2020-01-29 开会")) == ["leave.asked"]
    assert keys_of(coordinator.unread()) == ["leave.request"]
    assert keys_of(await coordinator.tap("不批准")) == ["leave.refused_done"]
    assert keys_of(lead.unread())[-1] == "leave.refused"


async def test_while_on_leave_duty_reminders_and_invitations_go_to_the_stand_in(
    harness: Harness, tmp_path: Path
) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    zhou = await harness.member("周强", "screening", "reporter")
    li = await harness.member("李娜", "screening", "reporter")
    lead = await harness.member("董晓波", "screening", "group_lead")
    assert import_file(harness, roster(tmp_path, [["2020-01-29", "白班", "", "周强", "", ""]])).written
    await zhou.say("/leave 2020-01-29 2020-01-29 发热就医")
    await lead.tap("批准")
    zhou.catch_up()
    await admin.say("/meeting new")
    for answer in ("成员单位例会", "例会", "明天 10点", "30", "会议室", "周强", "/skip", "提交"):
        await admin.say(answer)
    assert keys_of(li.unread()) == ["leave.stand_in_notice", "meeting.invitation"] and zhou.unread() == []
    harness.at("18:00")
    await harness.tick()
    harness.at("07:30", harness.clock().date() + timedelta(days=1))
    await harness.tick()
    assert [k for k in keys_of(li.unread()) if k.startswith("duty.")] == ["duty.eve_reminder", "duty.before_reminder"]
    assert [m for m in zhou.unread() if m.lines[0].key.startswith(("duty.", "meeting."))] == []
