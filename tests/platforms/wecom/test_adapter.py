"""WeCom adapter end to end: a real App against the fake API, callbacks in, messages out, refusals rerouted."""

from __future__ import annotations

import pytest
from lianfang.bot.i18n import t
from lianfang.bot.platforms.wecom import WECOM_PATH, create_wecom_chat
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import REASON_FORBIDDEN
from lianfang.bot.platforms.wecom.chats import appchat_chat_id
from lianfang.bot.platforms.wecom.render import MAX_TEXT_BYTES, decode_card_key, utf8_size
from lianfang.bot.ports import SendError
from lianfang.models.checks import CheckResult
from lianfang.models.outbox import STATUS_FAILED, STATUS_SENT, OutboxMessage
from sqlmodel import Session, select

from tests.fake_wecom import MESSAGE_SEND, UPDATE_CARD, USER_NOT_FOUND, FakeWeCom, message_text
from tests.fakes import Harness
from tests.platforms.wecom.support import (
    CLIENT,
    LEADER,
    PAYLOADS,
    REPORTER,
    STAFF,
    ZH,
    join,
    outgoing,
    post,
    say,
    screening_chat,
    web,
)


async def test_join_check_by_digits_reminder_card_and_report_end_to_end(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    chatid = await create_wecom_chat(
        harness.app, name="领导小组", owner=LEADER, members=["WangJun", "LiuMin"], purpose="leadership"
    )
    assert fake_wecom.chats[chatid]["users"] == [LEADER, "WangJun", "LiuMin"]
    leadership = appchat_chat_id(chatid)

    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        [welcome] = fake_wecom.texts(STAFF)
        assert "张伟" in welcome

        await say(http, wecom, STAFF, "排查 3栋2单元501 张三 37.9 咳嗽")
        asked = fake_wecom.texts(STAFF)[-1]
        assert t("check.ask_phone", ZH) in asked
        await say(http, wecom, STAFF, "跳过")
        history = fake_wecom.texts(STAFF)[-1]
        assert "2. 武汉旅居史" in history  # choices degrade to numbered lines
        await say(http, wecom, STAFF, "2")
        assert "3. 转诊发热门诊" in fake_wecom.texts(STAFF)[-1]
        await say(http, wecom, STAFF, "3")
        summary = fake_wecom.texts(STAFF)[-1]
        assert "3栋2单元501" in summary and "1. 提交" in summary
        await say(http, wecom, STAFF, "1")
        with Session(harness.app.engine) as session:
            record = session.exec(select(CheckResult)).one()
            assert (record.address, record.history, record.measure, record.is_alert) == (
                "3栋2单元501",
                "wuhan",
                "referred",
                True,
            )
        [alert] = fake_wecom.chat_sent(chatid)
        assert (
            alert["msgtype"] == "text" and "张*" in alert["text"]["content"] and "张三" not in alert["text"]["content"]
        )

        await join(http, wecom, harness, REPORTER, "screening", "reporter", None, "周强")
        harness.at("15:00")
        await harness.app.tick()
        reminder = fake_wecom.sent(REPORTER)[-1]
        assert reminder["msgtype"] == "template_card"
        card = reminder["template_card"]
        assert card["card_type"] == "button_interaction" and card["main_title"]["title"] == t("reminder.title", ZH)
        buttons = {button["text"]: decode_card_key(button["key"]) for button in card["button_list"]}
        assert buttons == {"填报": ("/daily 2020-01-28", "填报"), "无新情况": ("/daily nil 2020-01-28", "无新情况")}

        nil_key = next(b["key"] for b in card["button_list"] if b["text"] == "无新情况")
        tap = CLIENT.card_tap(REPORTER, nil_key, task_id=card["task_id"], response_code="response-code-1")
        assert (await post(http, wecom, tap)).status_code == 200
        [update] = fake_wecom.calls_to(UPDATE_CARD)
        assert update.body["button"]["replace_name"] == "✓ 无新情况" and update.body["userids"] == [REPORTER]
        assert update.body["response_code"] == "response-code-1"
        answered = fake_wecom.texts(REPORTER)
        assert "已于 15:00 报送" in answered[-1]
        assert (await post(http, wecom, tap)).status_code == 200  # WeCom's retry of the same tap
        assert fake_wecom.texts(REPORTER) == answered

    harness.at("15:30")
    await harness.app.tick()
    report = "\n".join(message_text(body) for body in fake_wecom.chat_sent(chatid)[1:])
    assert t("report.section_figures", ZH) in report and "周强" in report
    assert all(utf8_size(message_text(body)) <= MAX_TEXT_BYTES for body in fake_wecom.chat_sent(chatid))
    with Session(harness.app.engine) as session:
        assert session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == leadership)).all()


async def test_a_non_text_message_gets_the_empty_answer(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        image = (PAYLOADS / "image.xml").read_text(encoding="utf-8")
        assert (await post(http, wecom, image)).status_code == 200
        enter = (PAYLOADS / "event_enter_agent.xml").read_text(encoding="utf-8")
        assert (await post(http, wecom, enter)).status_code == 200
    assert fake_wecom.texts(STAFF)[-1] == t("common.empty", ZH)
    assert len(fake_wecom.texts(STAFF)) == 2  # opening the app is not answered


async def test_a_retried_callback_is_processed_once(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    plaintext = CLIENT.text(STAFF, "/help", msg_id=7050000000000009999)
    params, body = CLIENT.encrypt(plaintext)
    async with web(harness, wecom) as http:
        for _ in range(3):  # WeCom retries a callback it did not get an answer to within 5 s
            assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
        await wecom.join()
        await post(http, wecom, plaintext)  # the same MsgId encrypted afresh
    assert len(fake_wecom.sent(STAFF)) == 1


async def test_a_member_outside_the_visible_range_is_forbidden_and_rerouted(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    chatid = await screening_chat(harness)
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, REPORTER, "screening", "reporter", None, "周强")
    fake_wecom.fail_user(REPORTER, USER_NOT_FOUND)
    harness.at("15:00")
    await harness.app.tick()
    with Session(harness.app.engine) as session:
        failed = session.exec(select(OutboxMessage).where(OutboxMessage.status == STATUS_FAILED)).one()
        assert failed.chat_id == REPORTER and failed.error and failed.error.startswith(REASON_FORBIDDEN)
    fallback = fake_wecom.chat_sent(chatid)[-1]
    assert fallback["msgtype"] == "markdown"
    content = fallback["markdown"]["content"]
    assert content.endswith(f"<@{REPORTER}>") and "周强" in content and "/daily" not in content
    # WeCom's wording: a WeCom app never reads group messages, and 60111 is the app's visible range, not /start
    assert "· 无新情况：请私聊“联防”应用发送：日报 无" in content and "可见范围" in content and "/start" not in content


async def test_1500_reminders_are_batched_and_a_refused_member_falls_back_alone(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    chatid = await screening_chat(harness)
    reporters = {"coordination": "LiNa", "screening": REPORTER, "supplies": "ChenJing", "publicity": "LiuYang"}
    async with web(harness, wecom) as http:
        for group, user in reporters.items():
            await join(http, wecom, harness, user, group, "reporter", None, user)
    fake_wecom.fail_user(REPORTER, USER_NOT_FOUND)  # outside the app's visible range
    before = len(fake_wecom.calls_to(MESSAGE_SEND))
    harness.at("15:00")
    await harness.app.tick()
    [call] = fake_wecom.calls_to(MESSAGE_SEND)[before:]
    assert call.body["msgtype"] == "template_card"
    assert call.body["touser"].split("|") == list(reporters.values())
    for user in reporters.values():
        reminders = [body for body in fake_wecom.sent(user) if body["msgtype"] == "template_card"]
        assert len(reminders) == (0 if user == REPORTER else 1), user
    fallback = fake_wecom.chat_sent(chatid)[-1]["markdown"]["content"]
    assert fallback.endswith(f"<@{REPORTER}>") and t("reminder.title", ZH) in fallback
    with Session(harness.app.engine) as session:
        rows = session.exec(select(OutboxMessage)).all()
        reminders = {row.chat_id: row for row in rows if row.payload["lines"][0]["key"] == "reminder.title"}
        assert {user: row.status for user, row in reminders.items()} == {
            user: STATUS_FAILED if user == REPORTER else STATUS_SENT for user in reporters.values()
        }
        assert (reminders[REPORTER].error or "").startswith(REASON_FORBIDDEN)

    harness.advance(minutes=1)
    await harness.app.tick()  # the ledger and the outbox: nobody gets it twice
    await harness.app.deliverer.drain()
    assert len(fake_wecom.calls_to(MESSAGE_SEND)) == before + 1


async def test_long_messages_are_split_by_bytes_and_a_retry_sends_only_the_rest(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    _, wecom = served
    lines = [f"第{i}行：排查登记三栋二单元五零一，体温正常，无咳嗽乏力等症状。" for i in range(120)]
    message = outgoing(STAFF, *lines)
    fake_wecom.fail(MESSAGE_SEND, -1, after=2)
    with pytest.raises(SendError) as caught:
        await wecom.send(message)
    assert not caught.value.permanent
    await wecom.send(message)
    parts = [body["text"]["content"] for body in fake_wecom.sent(STAFF)]
    assert len(parts) >= 4 and all(utf8_size(part) <= MAX_TEXT_BYTES for part in parts)
    assert "\n".join(parts) == "\n".join(lines)  # nothing lost, nothing repeated
