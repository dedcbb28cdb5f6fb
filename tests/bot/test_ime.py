"""Input as Chinese phones type it: IME spaces and widths, aliases glued to their argument, button labels typed."""

from __future__ import annotations

import pytest
from lianfang.models.members import Member
from lianfang.models.reports import DailyReport
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.alerts.test_alerts import only_alert, raise_fever_alert

WIDE = str.maketrans({chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)})
"""ASCII to the full-width forms a Chinese IME types in its full-width mode."""

STRANGER = "stranger"
REPORTER = "reporter"
STAFF = "staff"
LEADER = "leader"

# (who speaks, what they type, the first key of the answer, the params that prove the argument arrived)
# ``{code}`` is an invite code for the stranger's group; ``{wide}`` is the same code in full width.
IME_VARIANTS = [
    (STRANGER, "加入\u3000{code}", "join.welcome", {}),
    (STRANGER, "加入{code}", "join.welcome", {}),
    (STRANGER, "加入：{code}", "join.welcome", {}),
    (STRANGER, "加入:{code}", "join.welcome", {}),
    (STRANGER, "加入 ： {code}", "join.welcome", {}),
    (STRANGER, "加入\u00a0{code}", "join.welcome", {}),
    (STRANGER, "加入\u2002{code}", "join.welcome", {}),
    (STRANGER, "加入\u200b{code}", "join.welcome", {}),
    (STRANGER, "加入\n{code}", "join.welcome", {}),
    (STRANGER, "加入 {wide}", "join.welcome", {}),
    (STRANGER, "加入{wide}", "join.welcome", {}),
    (STRANGER, "加入\u3000{wide}", "join.welcome", {}),
    (STRANGER, "加入：{wide}", "join.welcome", {}),
    (STRANGER, "／join {code}", "join.welcome", {}),
    (STRANGER, "／ｊｏｉｎ\u3000{wide}", "join.welcome", {}),
    (STRANGER, "/join\u3000{code}", "join.welcome", {}),
    (STRANGER, "/join\u00a0{code}", "join.welcome", {}),
    (STRANGER, "/JOIN {code}", "join.welcome", {}),
    (STRANGER, "/join@lianfang_bot {wide}", "join.welcome", {}),
    (REPORTER, "日报\u3000无", "daily.submitted", {}),
    (REPORTER, "日报无", "daily.submitted", {}),
    (REPORTER, "日报：无", "daily.submitted", {}),
    (REPORTER, "日报:没有", "daily.submitted", {}),
    (REPORTER, "日报 无新情况", "daily.submitted", {}),
    (REPORTER, "日报\u00a0nil", "daily.submitted", {}),
    (REPORTER, "填报\u3000无", "daily.submitted", {}),
    (REPORTER, "／daily\u3000nil", "daily.submitted", {}),
    (REPORTER, "/daily ｎｉｌ", "daily.submitted", {}),
    (STAFF, "排查\u30003栋2单元501 张三 37.9 咳嗽", "form.started_prefilled", {"count": 4}),
    (STAFF, "排查3栋2单元501 张三 ３７．９", "form.started_prefilled", {"count": 3}),
    (STAFF, "排查：3栋501\u3000张三\u300037.9", "form.started_prefilled", {"count": 3}),
    (STAFF, "登记\u30005栋101 王五", "form.started_prefilled", {"count": 2}),
    (STAFF, "／check\u30003栋501 张三", "form.started_prefilled", {"count": 2}),
    (STAFF, "排查任务", "screening.tasks_none", {}),
    (STAFF, "排查任务\u3000", "screening.tasks_none", {}),
    (STAFF, "物资\u3000口罩 2000 只", "form.started_prefilled", {"count": 3}),
    (STAFF, "物资口罩 2000 只", "form.started_prefilled", {"count": 3}),
    (STAFF, "物资：口罩\u3000２０００\u3000只", "form.started_prefilled", {"count": 3}),
    (STAFF, "／supply 口罩 2000", "form.started_prefilled", {"count": 2}),
    (LEADER, "确认\u300012", "alert.unknown", {"number": 12}),
    (LEADER, "确认12", "alert.unknown", {"number": 12}),
    (LEADER, "确认：12", "alert.unknown", {"number": 12}),
    (LEADER, "确认１２", "alert.unknown", {"number": 12}),
    (LEADER, "确认 ＃１２", "alert.unknown", {"number": 12}),
    (LEADER, "确认#12", "alert.unknown", {"number": 12}),
    (LEADER, "／ack\u300012", "alert.unknown", {"number": 12}),
    (LEADER, "语言\u3000English", "lang.set", {}),
    (LEADER, "帮助\u3000", "help.title", {}),
]


async def speaker(harness: Harness, who: str) -> Chat:
    """Return the chat of a stranger, or of a member in the role the variant needs."""
    if who == STRANGER:
        return harness.private("新成员")
    if who == REPORTER:
        return await harness.member("周强", "screening", "reporter")
    if who == STAFF:
        return await harness.member("张伟", "screening", "staff", "chaoyang")
    return await harness.member("王宏武", "coordination", "leader")


@pytest.mark.parametrize(("who", "typed", "key", "params"), IME_VARIANTS)
async def test_ime_variants_reach_their_command_with_the_argument(
    harness: Harness, who: str, typed: str, key: str, params: dict[str, int]
) -> None:
    chat = await speaker(harness, who)
    code = harness.invite("screening", "staff", "chaoyang", "新成员")
    answer = await chat.say(typed.format(code=code, wide=code.translate(WIDE)))
    first = answer[0].lines[0]
    assert first.key == key, texts_of(answer)
    assert {name: first.params[name] for name in params} == params


def test_the_table_covers_at_least_forty_variants() -> None:
    assert len(IME_VARIANTS) >= 40


async def test_a_glued_alias_is_not_a_command_in_a_group_or_inside_a_form(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    group = harness.group("g-screening", staff)
    assert await group.say("确认收到了，我去看看") == []  # chatter in a group stays chatter
    await staff.say("/check")
    answer = await staff.say("返回武汉的租户家")  # an address, not 返回 (back)
    assert keys_of(answer)[0] == "check.ask_person"
    assert keys_of(await staff.say("/cancel")) == ["form.cancelled"]


async def test_an_answer_keeps_chinese_punctuation_but_gets_ascii_digits_and_letters(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("排查")
    await staff.say("朝阳新村７栋（东）３０２，Ｂ座")
    await staff.say("李四")
    assert keys_of(await staff.say("１３８\u3000１２３４\u3000５６７８"))[0] == "check.ask_temperature"
    assert keys_of(await staff.say("３６．５"))[0] == "check.ask_symptoms"
    await staff.say("无")
    await staff.say("１")
    summary = texts_of(await staff.say("居家观察"))
    assert "朝阳新村7栋（东）302，B座" in summary and "13812345678" in summary and "36.5" in summary


async def test_a_new_member_joins_with_a_full_width_code_and_no_space(harness: Harness) -> None:
    chat = harness.private("新成员")
    code = harness.invite("screening", "staff", "chaoyang", "新成员")
    assert keys_of(await chat.say(f"加入{code.translate(WIDE)}"))[0] == "join.welcome"
    with Session(harness.app.engine) as session:
        assert session.exec(select(Member).where(Member.name == "新成员")).one().role == "staff"


# -- button labels typed as words ---------------------------------------------------------------------------


async def test_typing_a_reminder_button_label_does_what_the_button_does(harness: Harness) -> None:
    reporter = await harness.member("周强", "screening", "reporter")
    english = await harness.member("Li Na", "coordination", "reporter", language_code="en")
    await harness.tick("15:00")
    reporter.catch_up()
    english.catch_up()
    answer = await reporter.say("无新情况")
    assert keys_of(answer) == ["daily.submitted"]
    assert keys_of(await english.say("Nothing new")) == ["daily.submitted"]
    with Session(harness.app.engine) as session:
        reports = session.exec(select(DailyReport)).all()
        assert sorted((report.group_key, report.is_nil) for report in reports) == [
            ("coordination", True),
            ("screening", True),
        ]


async def test_typing_the_acknowledge_label_acknowledges_the_alert_just_shown(harness: Harness) -> None:
    await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    await raise_fever_alert(harness)
    shown = leader.unread()
    assert [button.value for message in shown for button in message.buttons] == [f"/ack {only_alert(harness).id}"]
    assert keys_of(await leader.say("确认收到")) == ["alert.acked"]
    assert only_alert(harness).acked_by is not None


async def test_typing_the_acknowledge_label_with_no_alert_shown_explains_the_number(harness: Harness) -> None:
    leader = await harness.member("王宏武", "coordination", "leader")
    assert keys_of(await leader.say("确认收到")) == ["alert.ack_usage"]


async def test_typing_a_form_control_label_works_like_its_button(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 36.5 无")
    await staff.say("跳过")
    await staff.say("无")
    summary = await staff.say("居家观察")
    assert keys_of(summary)[0] == "form.summary_title"
    assert keys_of(await staff.say("返回上一项"))[0] == "check.ask_measure"  # the summary's 返回上一项 button
    assert keys_of(await staff.say("Back"))[0] == "check.ask_history"


async def test_typed_choice_labels_ignore_width_spaces_and_emoji(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 36.5 无")
    await staff.say("/skip")
    assert keys_of(await staff.say("无\u3000"))[0] == "check.ask_measure"
    assert keys_of(await staff.say("居家 观察"))[0] == "form.summary_title"


async def test_submit_typed_at_an_optional_question_submits_instead_of_becoming_the_note(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    reporter = await harness.member("周强", "screening", "reporter")
    started = await reporter.say("/daily")  # the figures come prefilled from the records
    assert "存在问题及备注" in texts_of(started)
    saved = await reporter.say("提交")
    assert keys_of(saved)[0] == "daily.submitted"
    with Session(harness.app.engine) as session:
        report = session.exec(select(DailyReport)).one()
        assert report.data["notes"] is None and not report.is_nil
    await harness.tick("15:30")
    posted = texts_of(leadership.unread())
    assert "存在问题及备注：未填" in posted and "提交" not in posted


async def test_submit_typed_while_a_required_question_is_open_says_which(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")
    answer = await staff.say("提交")
    assert keys_of(answer)[:2] == ["form.submit_incomplete", "check.ask_address"]
    assert "还不能提交" in texts_of(answer)
    assert keys_of(await staff.say("朝阳新村7栋302"))[0] == "check.ask_person"  # 提交 was not taken as the address
