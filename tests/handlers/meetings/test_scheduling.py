"""A meeting scheduled by form: who may, the invitations with 参加/请假, reminders, check-in, minutes, the record."""

from __future__ import annotations

from lianfang.bot.types import OutgoingMessage
from lianfang.models.meetings import Meeting, MeetingAttendee, MeetingDecision
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of


def ours(messages: list[OutgoingMessage]) -> list[OutgoingMessage]:
    """Keep the meeting messages (the daily loop writes too)."""
    return [m for m in messages if m.lines[0].key.startswith("meeting.")]


async def schedule(organiser: Chat, start: str = "明天 8点30", attendees: str = "王宏武、张伟、王芳") -> list:
    """Fill the form for a member-unit meeting and submit it; return the last answer."""
    await organiser.say("/meeting new")
    await organiser.say("成员单位例会")
    await organiser.say("疫情防控工作例会")
    await organiser.say(start)
    await organiser.say("60")
    await organiser.say("街道三楼会议室")
    await organiser.say(attendees)
    await organiser.say("1. 通报昨日疫情\n2. 物资调配")
    return await organiser.say("提交")


async def test_a_meeting_from_the_form_to_the_record(harness: Harness) -> None:
    admin, _leadership, coordination = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    zhang = await harness.member("张伟", "screening", "staff", "chaoyang")
    wang = await harness.member("王芳", "screening", "staff", "dongfeng")
    screening = harness.group("g-screening", admin)
    await screening.say("/bind group screening")
    screening.catch_up()

    done = await schedule(admin)
    assert keys_of(done) == ["meeting.scheduled"] and "已通知 3 人" in texts_of(done)
    invitation = ours(zhang.unread())
    assert keys_of(invitation) == ["meeting.invitation", "meeting.agenda"]
    assert "时间：2020-01-29 08:30–09:30" in texts_of(invitation) and "组织：龙雅俐" in texts_of(invitation)
    assert keys_of(await leader.tap("参加")) == ["meeting.attending"]
    assert keys_of(await leader.tap("参加")) == ["meeting.attending"]  # a double tap changes nothing
    await wang.tap("请假")
    assert keys_of(await wang.say("在东风社区卡点值守")) == ["meeting.excused"]
    assert "王芳 请假" in texts_of(ours(admin.unread()))

    await harness.tick("18:00")
    assert keys_of(ours(leader.unread())) == ["meeting.eve_reminder"]
    assert keys_of(ours(zhang.unread())) == ["meeting.eve_reminder"]
    assert ours(wang.unread()) == []  # excused: no reminders
    harness.at("08:00", harness.clock().date().replace(day=29))
    await harness.tick()
    assert keys_of(ours(leader.unread())) == ["meeting.before_reminder"] and ours(wang.unread()) == []
    assert keys_of(await leader.say("签到")) == ["meeting.checkin_closed"]  # opens at 08:15
    harness.at("08:20")
    assert keys_of(await leader.say("签到")) == ["meeting.checked_in"]
    assert keys_of(await leader.say("签到")) == ["meeting.checkin_already"]
    await harness.tick("08:30")
    answers = texts_of(ours(admin.unread()))
    assert "参加：王宏武\n请假：王芳（在东风社区卡点值守）\n未回复：张伟" in answers
    await harness.tick("08:35")
    assert ours(admin.unread()) == []  # the answer list goes once
    assert keys_of(await wang.tap("参加")) == ["meeting.answer_closed"]

    harness.at("09:40")
    await admin.say("/meeting minutes 1")
    await admin.say("保障组：明天前调配口罩 2000 只\n排查组加强返乡人员排查")
    saved = await admin.say("提交")
    assert keys_of(saved) == ["meeting.minutes_saved"]
    record = texts_of(ours(zhang.unread()))
    assert "出席：王宏武\n请假：王芳（在东风社区卡点值守）\n缺席：张伟" in record
    assert "1. 明天前调配口罩 2000 只（负责：保障组；待督办）" in record
    assert "2. 排查组加强返乡人员排查（负责：未指定；待督办）" in record
    in_group = texts_of(ours(screening.unread()))
    assert "缺席：张伟" in in_group and "卡点值守" not in in_group  # reasons stay private
    assert "缺席：张伟" in texts_of(ours(coordination.unread()))
    card = texts_of(await zhang.say("/meeting 1"))
    assert "决定事项：" in card and "缺席：张伟" in card
    with Session(harness.app.engine) as session:
        decisions = session.exec(select(MeetingDecision)).all()
        assert [(d.owner_group, d.status) for d in decisions] == [("supplies", "to_supervise"), ("", "to_supervise")]


async def test_bad_input_is_answered_and_nothing_is_half_saved(harness: Harness) -> None:
    admin, _leadership, _coordination = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    lead = await harness.member("董晓波", "screening", "group_lead")
    assert keys_of(await staff.say("/meeting new")) == ["meeting.not_allowed"]
    await admin.say("/meeting new")
    await admin.say("成员单位例会")
    await admin.say("例会")
    assert keys_of(await admin.say("今天 7点30"))[0] == "meeting.error_past"
    assert keys_of(await admin.say("下周找个时间"))[0] == "meeting.error_start"
    assert keys_of(await admin.say("2020-02-30 8点"))[0] == "meeting.error_start"
    await admin.say("今天 10:00")
    await admin.say("30")
    await admin.say("会议室")
    assert keys_of(await admin.say("李雷"))[0] == "meeting.error_unknown_attendee"
    await admin.say("/cancel")
    with Session(harness.app.engine) as session:
        assert session.exec(select(Meeting)).all() == []

    # A group lead schedules their own group's meeting; skipping the list invites the whole group.
    await lead.say("/meeting new")
    kinds = await lead.say("排查组")
    assert keys_of(kinds)[0] != "form.error_choice"
    await lead.say("排查组例会")
    await lead.say("今天 16:00")
    await lead.say("30")
    await lead.say("https://meeting.example/abc")
    await lead.say("/skip")
    await lead.say("/skip")
    assert keys_of(await lead.say("提交")) == ["meeting.invitation", "meeting.scheduled"]  # the lead is in the group
    assert keys_of(ours(staff.unread())) == ["meeting.invitation"]
    assert keys_of(await admin.say("/meeting 1")) == ["meeting.card", "meeting.roll_before"]  # 综合组 may look
    outsider = await harness.member("谭芳", "publicity", "group_lead")
    assert keys_of(await outsider.say("/meeting 1")) == ["meeting.not_found"]
    assert keys_of(await outsider.say("/meeting attend 1")) == ["meeting.not_invited"]
    assert keys_of(await outsider.say("/meeting excuse 99999999999")) == ["meeting.not_invited"]
    assert keys_of(await staff.say("/meeting minutes 1")) == ["meeting.not_found"]
    assert keys_of(await lead.say("/meeting minutes 1")) == ["meeting.minutes_too_early"]
    assert keys_of(await staff.say("/meeting 开会")) == ["meeting.usage"]
    listing = await staff.say("例会")
    assert keys_of(listing) == ["meeting.list_title", "meeting.list_line"]
    with Session(harness.app.engine) as session:
        invited = session.exec(select(MeetingAttendee)).all()
        assert len(invited) == 2  # the screening group: 张伟 and 董晓波


async def test_the_organiser_ticks_names(harness: Harness) -> None:
    admin, _leadership, _coordination = await harness.bound_org_chats()
    zhang = await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await schedule(admin, "今天 10点", "张伟、王芳"))[-1] == "meeting.scheduled"
    harness.at("09:00")
    assert keys_of(await admin.say("/meeting tick 1 张伟")) == ["meeting.tick_early"]
    harness.at("09:50")
    card = await admin.say("/meeting 1")
    assert [b.label.params["name"] for b in card[-1].buttons] == ["张伟", "王芳"]
    assert keys_of(await admin.tap("✔ 张伟 已到")) == ["meeting.ticked"]
    assert keys_of(await admin.say("/meeting 代签 1 李明")) == ["meeting.tick_unknown"]
    assert keys_of(await zhang.say("/meeting tick 1 王芳")) == ["meeting.not_found"]
    assert keys_of(await zhang.say("签到")) == ["meeting.checkin_already"]
    with Session(harness.app.engine) as session:
        ticked = [
            a.checked_in_at is not None for a in session.exec(select(MeetingAttendee).order_by(MeetingAttendee.id))
        ]
        assert ticked == [True, False]
