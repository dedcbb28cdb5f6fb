"""A meeting's decision becomes a 督办 item in one tap: owner group, due date; once only, by the organiser only."""

from __future__ import annotations

from lianfang.models.meetings import MeetingDecision
from lianfang.models.supervision import SupervisionItem
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.meetings.test_scheduling import schedule


async def test_a_decision_becomes_a_supervised_item_once(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    await harness.member("王宏武", "coordination", "leader")
    await harness.member("张伟", "screening", "staff", "chaoyang")
    await harness.member("王芳", "screening", "staff", "dongfeng")
    supplies = await harness.member("陈静", "supplies", "reporter")
    staff = await harness.member("赵磊", "stability", "staff")
    await schedule(admin)
    harness.at("09:40", harness.clock().date().replace(day=29))
    await admin.say("/meeting minutes 1")
    await admin.say("保障组：明天前调配口罩 2000 只\n排查组加强返乡人员排查")
    saved = await admin.say("提交")
    assert [b.label.params["position"] for b in saved[-1].buttons] == [1, 2]
    # One tap on 转督办 第1条: the owner group comes from the decision, only the due date is asked.
    asked = await admin.tap("转督办 第1条")
    assert keys_of(asked)[:2] == ["meeting.supervise_lead", "meeting.ask_due"]
    assert keys_of(await admin.say("1月1日"))[0] == "supervision.error_due_past"  # 2020-01-01 is gone
    await admin.say("1月30日")
    done = await admin.say("提交")
    assert keys_of(done) == ["meeting.supervised"]
    assert "已转为第 1 号督办事项：牵头 保障组，2020-01-30 17:00 前办结，已发给 1 人" in texts_of(done)
    delivered = supplies.unread()
    assert "明天前调配口罩 2000 只" in texts_of(delivered)
    # Twice is refused, by button or typed; strangers and unknown decisions are refused too.
    assert keys_of(await admin.say("/meeting supervise 1 1")) == ["meeting.decision_already"]
    assert keys_of(await admin.say("/meeting supervise 1 9")) == ["meeting.decision_unknown"]
    assert keys_of(await staff.say("/meeting supervise 1 2")) == ["meeting.not_found"]
    assert keys_of(await admin.say("例会 督办 1 2 不存在组 1月31日")) == ["meeting.unknown_group"]
    # Typed in one line: group and date given, straight to the summary.
    summary = await admin.say("例会 督办 1 2 排查组 1月31日")
    assert "1月31日" not in texts_of(summary) and "2020-01-31 17:00" in texts_of(summary)
    assert keys_of(await admin.say("提交")) == ["meeting.supervised"]
    card = texts_of(await admin.say("/meeting 1"))
    assert "1. 明天前调配口罩 2000 只（负责：保障组；已转督办）" in card
    with Session(harness.app.engine) as session:
        items = session.exec(select(SupervisionItem).order_by(SupervisionItem.id)).all()  # type: ignore[arg-type]
        assert [(i.lead_group, i.source, i.reference) for i in items] == [
            ("supplies", "meeting", "第1号例会纪要第1条"),
            ("screening", "meeting", "第1号例会纪要第2条"),
        ]
        assert {d.status for d in session.exec(select(MeetingDecision))} == {"supervised"}
    # The minutes can no longer be rewritten: that would drop decisions that are now items.
    assert keys_of(await admin.say("/meeting minutes 1")) == ["meeting.minutes_locked"]


async def test_a_group_lead_hands_their_group_meetings_decisions_to_their_own_group_only(harness: Harness) -> None:
    lead = await harness.member("董晓波", "screening", "group_lead")
    await harness.member("周强", "screening", "reporter")
    await lead.say("/meeting new")
    for answer in ("排查组", "排查组例会", "今天 16:00", "30", "会议室", "/skip", "/skip", "提交"):
        await lead.say(answer)
    harness.at("16:40")
    await lead.say("/meeting minutes 1")
    await lead.say("保障组：送口罩\n本组加强排查")
    await lead.say("提交")
    assert keys_of(await lead.say("/meeting supervise 1 1 保障组 明天")) == ["meeting.supervise_own_group"]
    asked = await lead.tap("转督办 第1条")  # 保障组 is not theirs to task: only 排查组 is offered
    assert [b.value.rsplit(":", 1)[-1] for b in asked[-1].buttons] == ["screening"]
    await lead.tap("排查组")
    await lead.say("明天")
    done = keys_of(await lead.say("提交"))  # the lead is also one of 排查组's handlers: the item reaches him too
    assert done[0] == "supervision.delivered_title" and done[-1] == "meeting.supervised"
