"""Checks typed as free text in a private chat: one message, "我理解为：…", one tap on 提交."""

from __future__ import annotations

from lianfang.models.checks import CheckResult
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of

DOORWAY = "朝阳新村3栋2单元501张三 体温37.9 有点咳 1月20号从武汉回来的 已居家观察"


async def test_one_message_and_one_tap_store_a_complete_check(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    understood = await staff.say(DOORWAY)
    keys = keys_of(understood)
    assert keys[:2] == ["freetext.understood", "form.summary_title"] and keys[-1] == "form.confirm_prompt"
    shown = texts_of(understood)
    assert shown.startswith("我理解为：") and "张三" in shown and "37.9" in shown and "咳嗽" in shown
    assert "朝阳社区" in shown  # the compound names the community, not the worker's own
    assert "电话：（未填）" in shown  # not asked: the practised path asks only what is required
    saved = await staff.tap("提交")
    assert keys_of(saved)[:2] == ["check.saved", "check.saved_alert"]
    assert "张三" not in texts_of(leadership.unread())  # the alert in the group is masked
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.community, record.address, record.person, record.phone) == (
            "chaoyang",
            "朝阳新村3栋2单元501",
            "张三",
            None,
        )
        assert (record.temperature, record.symptoms, record.history, record.measure) == (37.9, "咳嗽", "wuhan", "home")


async def test_only_the_missing_required_fields_are_asked(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    first = await staff.say("3-2-501 李四 36.5 无症状")
    assert keys_of(first)[:2] == ["freetext.understood", "check.ask_history"]  # no phone question
    assert keys_of(await staff.tap("无"))[0] == "check.ask_measure"
    summary = await staff.tap("居家观察")
    assert keys_of(summary)[0] == "form.summary_title"
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        expected = ("chaoyang", "3-2-501", "李四", "无")
        assert (record.community, record.address, record.person, record.symptoms) == expected


async def test_a_field_is_corrected_with_edit_and_its_number(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    summary = await staff.say("东风小区5栋101 王强 13812345678 体温36.6 无症状 无外出 居家观察")
    assert keys_of(summary)[1] == "form.summary_title"
    asked = await staff.say("修改 3")  # community, address, then the name
    assert keys_of(asked)[0] == "check.ask_person"
    assert keys_of(await staff.say("王小强"))[0] == "form.summary_title"
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.community, record.person, record.phone, record.history) == (
            "dongfeng",
            "王小强",
            "13812345678",
            "none",
        )


async def test_two_people_take_the_first_and_say_so(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    answer = await staff.say("新华小区5栋101 王建军 36.5 妻子刘芳 36.7 均无症状 都没出门 居家观察")
    assert keys_of(answer)[0] == "freetext.understood_first_person"
    shown = texts_of(answer)
    assert "王建军" in shown and "36.5" in shown and "刘芳" not in shown


async def test_chatter_and_a_lone_name_get_todays_answer(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    for text in ("收到👍", "好的", "明天上午9点开会", "张三"):
        assert keys_of(await staff.say(text)) == ["common.not_understood"], text


async def test_strangers_and_groups_are_not_read(harness: Harness) -> None:
    stranger = harness.private("路人")
    assert keys_of(await stranger.say(DOORWAY)) == ["common.stranger"]
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    group = harness.group("g-chatter", staff)
    assert await group.say(DOORWAY) == []
    with Session(harness.app.engine) as session:
        assert session.exec(select(CheckResult)).all() == []


async def test_a_message_in_an_open_form_answers_its_question(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")
    answer = await staff.say("3栋2单元501 张三 37.9")  # the address question takes it as typed
    assert keys_of(answer)[0] == "check.ask_person"
