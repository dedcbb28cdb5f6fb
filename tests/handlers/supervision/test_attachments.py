"""A 督办 item's 批示 as a photo or file: sent at the form's question, kept, delivered with the item, shown again."""

from __future__ import annotations

from lianfang.models.files import KeptFile
from lianfang.models.supervision import SupervisionItem
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of

PHOTO = b"\xff\xd8\xff\xe0 a photo of the instruction"


def kept(harness: Harness) -> list[KeptFile]:
    with Session(harness.app.engine) as session:
        return list(session.exec(select(KeptFile)))


def attachment_ids(harness: Harness) -> list[int | None]:
    with Session(harness.app.engine) as session:
        return [item.attachment_id for item in session.exec(select(SupervisionItem))]


async def open_at_the_attachment(harness: Harness):  # noqa: ANN201
    """Return a leader whose new item's form asks for the 批示, and the screening group's lead."""
    leader = await harness.member("王宏武", "coordination", "leader")
    lead = await harness.member("刘洋", "screening", "group_lead")
    await leader.say("/supervise new")
    for answer in ("排查组", "完成朝阳新村返长人员全覆盖核查", "1月30日", "领导批示"):
        await leader.say(answer)
    asked = await leader.say("区指挥部〔2020〕3号")
    assert keys_of(asked)[0] == "supervision.ask_attachment"
    return leader, lead


async def test_a_photo_of_the_instruction_goes_with_the_item(harness: Harness) -> None:
    leader, lead = await open_at_the_attachment(harness)
    typed = await leader.say("见附件")
    assert keys_of(typed)[:2] == ["form.file_expected", "supervision.ask_attachment"]
    answer = await leader.send_file("批示.jpg", PHOTO)
    assert leader.fetched == 1
    assert keys_of(answer)[0] == "supervision.ask_assist"
    await leader.say("跳过")
    summary = await leader.say("一般")
    assert "批示件：📎 批示.jpg" in texts_of(summary)
    assert keys_of(await leader.say("提交")) == ["supervision.created"]
    delivered = lead.unread()
    assert "supervision.card_attachment" in keys_of(delivered)
    [document] = [message.document for message in delivered if message.document is not None]
    assert document.file_name == "批示.jpg" and document.data == PHOTO
    [file] = kept(harness)
    assert attachment_ids(harness) == [file.id] and file.data == PHOTO and file.size == len(PHOTO)
    shown = await lead.say("/supervise 1")
    assert keys_of(shown)[-1] == "supervision.attachment_title" and shown[-1].document is not None


async def test_the_instruction_may_be_skipped_and_a_file_elsewhere_still_goes_to_the_file_command(
    harness: Harness,
) -> None:
    leader, lead = await open_at_the_attachment(harness)
    await leader.say("跳过")
    await leader.say("跳过")
    await leader.say("一般")
    assert keys_of(await leader.say("提交")) == ["supervision.created"]
    assert attachment_ids(harness) == [None]
    assert all(message.document is None for message in lead.unread())
    answer = await leader.send_file("批示.jpg", PHOTO)
    assert keys_of(answer) == ["screening.error_file_type"] and leader.fetched == 0
    assert kept(harness) == []


async def test_a_file_too_large_is_refused_and_the_question_stays(harness: Harness) -> None:
    leader, _lead = await open_at_the_attachment(harness)
    limit = harness.app.settings.max_import_bytes
    answer = await leader.send_file("批示.pdf", b"x" * 10, size=limit + 1)
    assert keys_of(answer)[:2] == ["form.file_too_large", "supervision.ask_attachment"]
    assert leader.fetched == 0 and kept(harness) == []
    answer = await leader.send_file("批示.pdf", b"%PDF-1.4")
    assert keys_of(answer)[0] == "supervision.ask_assist"


async def test_a_one_line_item_asks_no_attachment_but_one_can_be_added_at_the_summary(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    answer = await leader.say("/supervise 排查组 1月30日 完成核查")
    assert "form.summary_title" in keys_of(answer)
    lines = [line for line in answer[-1].lines if line.key == "form.summary_line"]
    number = next(i for i, line in enumerate(lines, 1) if line.params["label"].key == "supervision.label_attachment")
    assert keys_of(await leader.say(f"修改 {number}"))[0] == "supervision.ask_attachment"
    assert "form.summary_title" in keys_of(await leader.send_file("批示.png", PHOTO))
    assert keys_of(await leader.say("提交")) == ["supervision.created_unreached"]  # nobody in 排查组 yet
    assert attachment_ids(harness) == [kept(harness)[0].id]
