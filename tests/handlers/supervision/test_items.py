"""督办 items: created by a leader, delivered to the lead group, accepted, done, confirmed; bad input answered."""

from __future__ import annotations

from lianfang.models.supervision import SupervisionEvent, SupervisionItem
from sqlmodel import Session, col, select

from tests.fakes import Harness, keys_of, texts_of


async def people(harness: Harness):  # noqa: ANN201
    """Return a leader, the screening group's lead and reporter, and one of its staff."""
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    reporter = await harness.member("赵敏", "screening", "reporter")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    return leader, lead, reporter, staff


def items(harness: Harness) -> list[SupervisionItem]:
    with Session(harness.app.engine) as session:
        return list(session.exec(select(SupervisionItem).order_by(col(SupervisionItem.id))))


def history(harness: Harness, item_id: int) -> list[tuple[str, int | None]]:
    with Session(harness.app.engine) as session:
        query = select(SupervisionEvent).where(SupervisionEvent.item_id == item_id).order_by(col(SupervisionEvent.id))
        return [(event.action, event.member_id) for event in session.exec(query)]


async def test_one_line_item_is_delivered_accepted_done_and_confirmed(harness: Harness) -> None:
    leader, lead, reporter, staff = await people(harness)
    answer = await leader.say("/supervise 排查组 1月30日 完成朝阳新村返长人员全覆盖核查")
    assert keys_of(answer)[0] == "form.started_prefilled"
    assert "form.summary_title" in keys_of(answer)
    rendered = texts_of(answer)
    assert "排查组" in rendered and "01月30日 17:00" in rendered and "领导批示" in rendered
    created = await leader.say("提交")
    assert keys_of(created) == ["supervision.created"]
    assert created[0].lines[0].params["count"] == 2
    for chat in (lead, reporter):
        delivered = chat.unread()
        assert keys_of(delivered)[:2] == ["supervision.delivered_title", "supervision.card_title"]
        assert "完成朝阳新村返长人员全覆盖核查" in texts_of(delivered)
    assert staff.unread() == []

    accepted = await lead.tap("签收")
    assert keys_of(accepted) == ["supervision.did_accept"]
    assert keys_of(leader.unread()) == ["supervision.told_accept"]
    again = await lead.say("/supervise 1 accept", button=True)
    assert keys_of(again) == ["supervision.not_now"]

    await reporter.say("督办 1 进展 已核查 120 户")
    assert "已核查 120 户" in texts_of(leader.unread())
    asked = await reporter.say("/supervise 1 done", button=True)
    assert keys_of(asked)[:2] == ["supervision.step_title", "supervision.ask_done"]
    evidence = await reporter.say("全部核查完毕，共 300 户")
    assert keys_of(evidence)[0] == "supervision.ask_evidence"
    done = await reporter.say("跳过")  # the evidence is optional: one word skips it
    assert keys_of(done) == ["supervision.did_report_done"]
    told = leader.unread()
    assert keys_of(told) == ["supervision.told_report_done"]
    second = await reporter.say("/supervise 1 done 再报一次", button=True)
    assert keys_of(second) == ["supervision.not_now"]

    confirmed = await leader.tap("确认办结")
    assert keys_of(confirmed) == ["supervision.did_confirm"]
    assert "supervision.told_confirm" in keys_of(lead.unread())
    assert "supervision.told_confirm" in keys_of(reporter.unread())
    (item,) = items(harness)
    assert item.state == "done" and item.closed_at is not None
    actions = [action for action, _ in history(harness, item.id or 0)]
    assert actions == ["create", "accept", "progress", "report_done", "confirm"]
    shown = await leader.say("/supervise 1")
    assert "已办结" in texts_of(shown) and "全部核查完毕，共 300 户" in texts_of(shown)


async def test_staff_cannot_create_or_close_and_others_see_no_item(harness: Harness) -> None:
    leader, lead, _reporter, staff = await people(harness)
    publicity = await harness.member("周丽", "publicity", "group_lead")
    assert keys_of(await staff.say("/supervise 排查组 1月30日 内容")) == ["supervision.may_not_create"]
    await leader.say("/supervise 排查组 1月30日 完成核查")
    await leader.say("提交")
    assert keys_of(await publicity.say("/supervise 1")) == ["supervision.unknown"]
    assert keys_of(await publicity.say("/supervise")) == ["supervision.none"]
    assert keys_of(await staff.say("/supervise 1 confirm")) == ["supervision.not_yours"]
    assert keys_of(await lead.say("/supervise 1 confirm")) == ["supervision.not_yours"]
    listing = await staff.say("督办")
    assert keys_of(listing)[:2] == ["supervision.list_title", "supervision.list_line"]
    assert items(harness)[0].state == "pending"


async def test_bad_groups_dates_and_huge_notes_are_answered_and_nothing_is_saved(harness: Harness) -> None:
    leader, lead, _reporter, _staff = await people(harness)
    assert keys_of(await leader.say("/supervise 后勤组 1月30日 内容")) == ["supervision.unknown_group"]
    assert keys_of(await leader.say("/supervise 排查组 1月32日 内容")) == ["supervision.error_due_no_such_day"]
    assert keys_of(await leader.say("/supervise 排查组 1月27日 内容")) == ["supervision.error_due_past"]
    assert keys_of(await leader.say("/supervise 排查组 13月5日 内容")) == ["supervision.error_due_no_such_day"]
    assert items(harness) == []
    assert keys_of(await leader.say("督办 新建 排查组"))[:2] == ["form.started_prefilled", "supervision.ask_content"]
    await leader.say("核查")
    answer = await leader.say("后天下午")
    assert keys_of(answer)[0] == "supervision.error_due_format"
    await leader.say("/cancel")
    await leader.say("/supervise 排查组 1月30日 完成核查")
    await leader.say("提交")
    huge = "很" * 100_000
    assert keys_of(await lead.say(f"/supervise 1 进展 {huge}")) == ["common.too_long"]
    await lead.say("/supervise 1 progress", button=True)
    assert keys_of(await lead.say("很" * 1500))[0] == "form.error_too_long"
    assert [action for action, _ in history(harness, 1)] == ["create"]


async def test_the_form_asks_every_field_and_an_assisting_group_sees_the_item(harness: Harness) -> None:
    leader, _lead, _reporter, _staff = await people(harness)
    publicity = await harness.member("周丽", "publicity", "group_lead")
    stability = await harness.member("李强", "stability", "group_lead")
    assert keys_of(await leader.say("督办"))[0] == "supervision.none"
    started = await leader.tap("新建督办")
    assert keys_of(started)[:2] == ["form.started", "supervision.ask_group"]
    await leader.say("2")
    await leader.say("做好返长人员排查宣传")
    await leader.say("明天 18点")
    await leader.tap("上级交办")
    await leader.say("区指挥部〔2020〕3号")
    assert keys_of(await leader.say("跳过"))[0] == "supervision.ask_assist"  # no photo of the instruction
    assert keys_of(await leader.say("宣传组、后勤组"))[0] == "supervision.unknown_group"
    await leader.say("宣传组")
    summary = await leader.tap("紧急")
    assert "01月29日 18:00" in texts_of(summary) and "区指挥部〔2020〕3号" in texts_of(summary)
    assert "配合单位：宣传组" in texts_of(summary)
    assert keys_of(await leader.say("提交")) == ["supervision.created"]
    (item,) = items(harness)
    assert (item.source, item.priority, item.assisting, item.reference) == (
        "superior",
        "urgent",
        ("publicity",),
        "区指挥部〔2020〕3号",
    )
    assert keys_of(await publicity.say("/supervise"))[:2] == ["supervision.list_title", "supervision.list_line"]
    assert keys_of(await publicity.say("/supervise 1"))[0] == "supervision.card_title"
    assert keys_of(await publicity.say("/supervise 1 accept")) == ["supervision.not_yours"]
    assert keys_of(await stability.say("/supervise")) == ["supervision.none"]
    withdrawn = await leader.say("督办 1 撤销 重复交办")
    assert keys_of(withdrawn) == ["supervision.did_withdraw"]
    assert items(harness)[0].state == "withdrawn"
    assert [action for action, _ in history(harness, 1)] == ["create", "withdraw"]


async def test_on_wecom_the_steps_are_typed_as_the_buttons_words(harness: Harness) -> None:
    leader, lead, reporter, _staff = await people(harness)
    await leader.say("/supervise 排查组 1月30日 完成核查")
    await leader.say("提交")
    lead.catch_up()
    assert keys_of(await reporter.say("签收")) == ["supervision.did_accept"]
    asked = await reporter.say("报进展")
    assert keys_of(asked)[:2] == ["supervision.step_title", "supervision.ask_progress"]
    assert keys_of(await reporter.say("已核查 80 户"))[0] == "supervision.ask_evidence"
    assert keys_of(await reporter.say("跳过")) == ["supervision.did_progress"]
    assert keys_of(await lead.say("督办 1 延期 1月27日 来不及")) == ["supervision.error_due_past"]
    assert keys_of(await lead.say("督办 1 延期 1月29日 来不及")) == ["supervision.error_extension_earlier"]
    asked = await lead.say("督办 1 延期 2月1日")
    assert keys_of(asked)[:2] == ["supervision.step_title", "supervision.ask_extension_reason"]
    assert keys_of(await lead.say("名单未下发")) == ["supervision.did_ask_extension"]
    told = texts_of(leader.unread())
    assert "02月01日 17:00" in told and "名单未下发" in told
    assert keys_of(await leader.say("不同意延期")) == ["supervision.did_refuse"]
