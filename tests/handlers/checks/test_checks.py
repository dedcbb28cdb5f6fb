"""Check results (排查登记): step by step, one line, buttons, alerts and masking."""

from __future__ import annotations

from lianfang.models.checks import CheckResult
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of


async def test_check_step_by_step_with_typed_answers(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await staff.say("/check")) == ["form.started", "check.ask_address", "form.hint_cancel"]
    assert keys_of(await staff.say("朝阳新村7栋302"))[0] == "check.ask_person"
    assert keys_of(await staff.say("李四"))[0] == "check.ask_phone"
    assert keys_of(await staff.say("13812345678"))[0] == "check.ask_temperature"
    assert keys_of(await staff.say("36.5"))[0] == "check.ask_symptoms"
    assert keys_of(await staff.say("无"))[0] == "check.ask_history"
    assert keys_of(await staff.say("1"))[0] == "check.ask_measure"
    summary = await staff.say("居家观察")
    assert keys_of(summary)[0] == "form.summary_title"
    assert "李四" in texts_of(summary) and "13812345678" in texts_of(summary)  # the private summary is in full
    saved = await staff.say("提交")
    assert keys_of(saved) == ["check.saved", "observation.started"]  # home observation starts a follow-up
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.community, record.address, record.person, record.temperature) == (
            "dongfeng",
            "朝阳新村7栋302",
            "李四",
            36.5,
        )
        assert (record.symptoms, record.history, record.measure, record.is_alert) == ("无", "none", "home", False)


async def test_one_line_check_asks_only_for_the_rest_and_raises_a_masked_alert(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    first = await staff.say("/check 3栋2单元501 张三 37.9 咳嗽")
    assert keys_of(first)[:2] == ["form.started_prefilled", "check.ask_phone"]
    await staff.say("/skip")
    await staff.tap("武汉旅居史")
    await staff.tap("转诊发热门诊")
    saved = await staff.tap("提交")
    assert keys_of(saved) == ["check.saved", "check.saved_alert", "referral.opened"]
    alert = texts_of(leadership.unread())
    assert "张*" in alert and "张三" not in alert
    assert "3栋***" in alert and "2单元" not in alert and "37.9" in alert and "咳嗽" in alert
    assert keys_of(coordination.unread())[0] == "alert.title"
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert record.is_alert and record.is_referral and record.history == "wuhan"


async def test_one_line_check_joins_address_pieces_and_keeps_latin_names(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    first = await staff.say("/check 3栋 2单元 501 张三 37,9 13812345678 咳嗽")
    assert keys_of(first)[:2] == ["form.started_prefilled", "check.ask_history"]  # the phone is not asked again
    await staff.tap("无")
    summary = texts_of(await staff.tap("居家观察"))
    assert "3栋2单元501" in summary and "张三" in summary and "37.9" in summary and "13812345678" in summary
    await staff.say("提交")
    await staff.say("/check Zhang San 5栋 101 36.6 无")
    await staff.say("/skip")
    await staff.tap("无")
    await staff.tap("居家观察")
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        records = session.exec(select(CheckResult).order_by(CheckResult.id)).all()
        assert [(r.address, r.person, r.phone, r.temperature, r.symptoms) for r in records] == [
            ("3栋2单元501", "张三", "13812345678", 37.9, "咳嗽"),
            ("5栋101", "Zhang San", None, 36.6, "无"),
        ]


async def test_check_with_free_text_reads_it_and_still_asks_the_optional_questions(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    answer = await staff.say("/check 3栋2单元501张三 体温37.9 有点咳 1月20号从武汉回来的 已居家观察")
    assert keys_of(answer)[:2] == ["freetext.understood", "check.ask_phone"]  # the guided command asks the phone
    summary = await staff.say("/skip")
    assert keys_of(summary)[0] == "form.summary_title"
    shown = texts_of(summary)
    assert "3栋2单元501" in shown and "张三" in shown and "37.9" in shown and "咳嗽" in shown
    assert "武汉旅居史" in shown and "居家观察" in shown


async def test_the_shortcut_gets_history_and_measure_from_the_parser(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    answer = await staff.say("/check 3栋 张三 36.5 无 武汉回来 居家观察")
    assert keys_of(answer)[:2] == ["freetext.understood", "check.ask_phone"]
    await staff.say("/skip")
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.address, record.person, record.history, record.measure) == ("3栋", "张三", "wuhan", "home")


async def test_symptom_alone_alerts_and_phone_is_masked_in_groups(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 5栋101 王五 36.8 乏力")
    await staff.say("13912345678")
    await staff.say("无")
    answer = await staff.say("居家")
    assert keys_of(answer)[0] == "form.summary_title"
    saved = await staff.say("1")
    assert keys_of(saved) == ["check.saved", "check.saved_alert", "check.advice_referral", "observation.started"]
    alert = texts_of(leadership.unread())
    assert "139****5678" in alert and "13912345678" not in alert and "王*" in alert


async def test_temperature_out_of_range_is_reasked(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋 张三")
    await staff.say("/skip")
    for bad in ("25", "45", "abc", "37..5"):
        answer = await staff.say(bad)
        assert keys_of(answer)[0] in {"check.error_temperature", "check.error_temperature_range"}
        assert keys_of(answer)[1] == "check.ask_temperature"
    assert keys_of(await staff.say("３７.２℃"))[0] == "check.ask_symptoms"


async def test_back_and_skip_and_cancel(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")
    assert keys_of(await staff.say("/back"))[0] == "form.nothing_to_go_back"
    await staff.say("3栋")
    assert keys_of(await staff.say("/skip"))[0] == "form.cannot_skip"
    assert keys_of(await staff.say("返回"))[0] == "check.ask_address"
    await staff.say("4栋")
    await staff.say("张三")
    assert keys_of(await staff.say("跳过"))[0] == "check.ask_temperature"
    assert keys_of(await staff.say("/cancel")) == ["form.cancelled"]
    assert keys_of(await staff.say("36.6")) == ["common.not_understood"]
    with Session(harness.app.engine) as session:
        assert session.exec(select(CheckResult)).all() == []


async def test_staff_without_community_is_asked_for_it(harness: Harness) -> None:
    staff = await harness.member("赵六", "screening", "staff")
    answer = await staff.say("/check")
    assert keys_of(answer)[1] == "check.ask_community"
    assert [b.value.split(":", 1)[1] for b in answer[-1].buttons] == ["chaoyang", "dongfeng", "xinhua"]
    assert keys_of(await staff.say("东风社区"))[0] == "check.ask_address"


async def test_old_button_tap_does_not_answer_a_later_question(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋 张三 36.5 无")
    await staff.say("/skip")
    history = staff.messages()[-1]
    await staff.say(history.buttons[0].value, button=True)  # answers the history question
    answer = await staff.say(history.buttons[0].value, button=True)  # the same tap again
    assert keys_of(answer)[0] == "form.stale_button"
    assert keys_of(answer)[1] == "check.ask_measure"


async def test_a_button_of_an_earlier_form_does_not_answer_another_question(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋 张三 36.5 无")
    history = await staff.say("/skip")
    assert keys_of(history)[0] == "check.ask_history"
    wuhan = history[-1].buttons[1].value
    await staff.say("/cancel")
    await staff.say("/check")
    assert keys_of(await staff.say("4栋"))[0] == "check.ask_person"
    answer = await staff.say(wuhan, button=True)  # the old 武汉旅居史 button, tapped at the name question
    assert keys_of(answer)[:2] == ["form.stale_button", "check.ask_person"]
    assert keys_of(await staff.say("李四"))[0] == "check.ask_phone"
    await staff.say("/skip")
    await staff.say("/skip")
    await staff.say("无")
    assert keys_of(await staff.say(wuhan, button=True))[:2] == ["form.stale_button", "check.ask_history"]
    await staff.tap("无")
    summary = texts_of(await staff.tap("居家观察"))
    assert "李四" in summary and "wuhan" not in summary and "武汉" not in summary
    await staff.say("提交")
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert (record.address, record.person, record.history) == ("4栋", "李四", "none")


async def test_a_button_of_an_earlier_form_does_not_answer_the_same_question_again(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋 张三 36.5 无")
    wuhan = (await staff.say("/skip"))[-1].buttons[1].value
    await staff.say("/cancel")
    await staff.say("/check 4栋 李四 36.5 无")
    assert keys_of(await staff.say("/skip"))[0] == "check.ask_history"  # the same question at the same point
    assert keys_of(await staff.say(wuhan, button=True))[:2] == ["form.stale_button", "check.ask_history"]


async def test_check_in_a_group_opens_privately(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    group = harness.group("g-screening", staff)
    answer = await group.say("/check 3栋 张三")
    assert keys_of(answer) == ["common.private_only"]


async def test_alert_in_full_only_privately_to_authorised_overseers(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    screening_lead = await harness.member("董晓波", "screening", "group_lead")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 38.2 发热")
    await staff.say("13812345678")
    await staff.say("无")
    await staff.say("转诊")
    await staff.say("提交")
    full = texts_of(leader.unread())
    assert "张三" in full and "3栋2单元501" in full and "13812345678" in full
    masked = texts_of(leadership.unread())
    assert "张三" not in masked and "13812345678" not in masked and "138****5678" in masked
    assert screening_lead.unread() == []  # a group lead outside 综合组 is not an overseer
