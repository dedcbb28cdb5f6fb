"""Evidence: a photo or file with 报进展 and 报办结, and a 督查 problem's photo; private only, skipped in one word."""

from __future__ import annotations

from datetime import date

from lianfang.bot.i18n import render
from lianfang.models.supervision import SupervisionEvent, SupervisionItem
from sqlmodel import Session, col, select

from tests.fakes import Harness, keys_of, texts_of

PHOTO = b"\xff\xd8\xff\xe0 a photo of the checkpoint"


def documents(messages: list) -> list:  # noqa: ANN001
    """Return the documents among messages."""
    return [message.document for message in messages if message.document is not None]


def labels(messages: list) -> list[str]:  # noqa: ANN001
    """Return the rendered labels of the buttons on messages."""
    return [render(button.label, message.lang) for message in messages for button in message.buttons]


def evidence_ids(harness: Harness) -> list[tuple[str, int | None]]:
    with Session(harness.app.engine) as session:
        query = select(SupervisionEvent).where(col(SupervisionEvent.action).in_(("progress", "report_done")))
        return [(event.action, event.evidence_id) for event in session.exec(query.order_by(col(SupervisionEvent.id)))]


async def assigned(harness: Harness):  # noqa: ANN201
    """Return a leader, the lead of 排查组 who accepted the leader's item 1, and the bound oversight chats."""
    _admin, leadership, _coordination = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    await leader.say("/supervise 排查组 1月29日 完成朝阳新村返长人员全覆盖核查")
    assert keys_of(await leader.say("提交")) == ["supervision.created"]
    await lead.tap("签收")
    leader.catch_up()
    return leader, lead, leadership


async def test_progress_evidence_goes_to_the_creator_privately_and_is_kept_on_the_history(harness: Harness) -> None:
    leader, lead, leadership = await assigned(harness)
    assert keys_of(await lead.tap("报进展"))[:2] == ["supervision.step_title", "supervision.ask_progress"]
    asked = await lead.say("已核查 3 个小区")
    assert keys_of(asked)[0] == "supervision.ask_evidence"
    done = await lead.send_file("核查现场.jpg", PHOTO)
    assert keys_of(done)[0] == "supervision.did_progress"
    told = leader.unread()
    assert keys_of(told) == ["supervision.told_progress", "supervision.evidence_attached", "supervision.evidence_title"]
    [photo] = documents(told)
    assert photo.file_name == "核查现场.jpg" and photo.data == PHOTO
    [(action, file_id)] = evidence_ids(harness)
    assert action == "progress" and file_id is not None

    shown = await leader.say("/supervise 1")
    assert "↳ 📎 佐证：核查现场.jpg" in texts_of(shown)
    assert keys_of(shown)[-1] == "supervision.evidence_title" and documents(shown)[0].data == PHOTO
    assert documents(leadership.messages()) == [] and "核查现场" not in texts_of(leadership.messages())


async def test_skipping_the_evidence_is_one_word_and_the_confirmer_gets_the_evidence_with_the_card(
    harness: Harness,
) -> None:
    leader, lead, _leadership = await assigned(harness)
    await lead.tap("报办结")
    await lead.say("已全部核查完毕")
    assert keys_of(await lead.say("跳过"))[0] == "supervision.did_report_done"
    told = leader.unread()
    assert keys_of(told) == ["supervision.told_report_done"] and documents(told) == []
    assert "确认办结" in labels(told)
    await leader.say("督办 1 退回 缺东风小区")
    lead.catch_up()

    await lead.tap("报办结")
    await lead.say("东风小区已补查")
    await lead.send_file("台账.pdf", b"%PDF-1.4 ledger")
    told = leader.unread()
    assert keys_of(told) == [
        "supervision.told_report_done",
        "supervision.evidence_attached",
        "supervision.evidence_title",
    ]
    assert "确认办结" in labels(told)
    assert [d.file_name for d in documents(told)] == ["台账.pdf"]
    assert keys_of(await leader.tap("确认办结")) == ["supervision.did_confirm"]
    assert [action for action, _ in evidence_ids(harness)] == ["report_done", "report_done"]
    assert [file_id is None for _, file_id in evidence_ids(harness)] == [True, False]


async def test_a_typed_note_records_the_step_at_once_without_asking_for_evidence(harness: Harness) -> None:
    _leader, lead, _leadership = await assigned(harness)
    assert keys_of(await lead.say("督办 1 进展 已核查一半"))[0] == "supervision.did_progress"
    assert evidence_ids(harness) == [("progress", None)]


async def test_a_problem_photo_goes_with_its_rectification_item_never_to_a_group(harness: Harness) -> None:
    _admin, leadership, _coordination = await harness.bound_org_chats()
    inspector = await harness.member("杨寿军", "supervision", "group_lead")
    lead = await harness.member("刘洋", "screening", "group_lead")
    await inspector.say("/inspect")
    for answer in ("排查组", "例行检查", "今天"):
        await inspector.say(answer)
    asked = await inspector.say("1. 卡点夜间无人值守 1月29日\n2. 消毒记录不全 1月30日")
    assert keys_of(asked)[0] == "supervision.ask_problem_photo" and asked[0].lines[0].params["number"] == 1
    again = await inspector.send_file("卡点.jpg", PHOTO)
    assert keys_of(again)[0] == "supervision.ask_problem_photo" and again[0].lines[0].params["number"] == 2
    summary = await inspector.say("跳过")
    assert "问题 1 照片：📎 卡点.jpg" in texts_of(summary)
    assert keys_of(await inspector.say("提交")) == ["supervision.inspection_saved"]
    delivered = lead.unread()
    assert "supervision.card_photo" in keys_of(delivered) and "supervision.photo_title" in keys_of(delivered)
    [photo] = documents(delivered)
    assert photo.file_name == "卡点.jpg" and photo.data == PHOTO
    with Session(harness.app.engine) as session:
        items = list(session.exec(select(SupervisionItem).order_by(col(SupervisionItem.id))))
        assert [item.attachment_id is not None for item in items] == [True, False]

    harness.at("18:00", date(2020, 1, 29))
    await harness.tick()  # item 1 is overdue: red, to the oversight chats, masked and without the photo
    assert "supervision.chase_red" in keys_of(leadership.messages())
    assert documents(leadership.messages()) == [] and "卡点.jpg" not in texts_of(leadership.messages())
