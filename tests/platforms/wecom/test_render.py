"""WeCom rendering: byte limits, card keys, cards and their text, mentions, and text WeCom refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.platforms.wecom import bind_wecom_chat, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import PATH_MESSAGE_SEND, REASON_CHAT_GONE, ApiError
from lianfang.bot.platforms.wecom.chats import appchat_chat_id, robot_chat_id
from lianfang.bot.platforms.wecom.render import CARDS_NEVER, decode_card_key, encode_card_key, split_bytes, utf8_size
from lianfang.bot.ports import SendError
from lianfang.bot.types import Button, Text
from lianfang.models.cards import CardUse
from sqlmodel import select

from tests.fake_wecom import (
    AES_KEY,
    AGENT_ID,
    CALLBACK_TOKEN,
    CORP_ID,
    FREQUENCY,
    GETTOKEN,
    MESSAGE_SEND,
    SECRET,
    FakeWeCom,
    message_text,
)
from tests.fakes import Harness
from tests.platforms.wecom.support import (
    CARD_KEY,
    CLIENT,
    REPORTER,
    SETTINGS,
    STAFF,
    join,
    outgoing,
    post,
    screening_chat,
    web,
)


def test_card_keys_carry_value_and_label() -> None:
    assert decode_card_key(CARD_KEY) == ("/daily nil", "无新情况")
    key = encode_card_key("/supply 口罩 2000 只 急", "紧急")
    assert decode_card_key(key) == ("/supply 口罩 2000 只 急", "紧急")
    assert all(ch.isalnum() or ch in "_-" for ch in key)
    for foreign in ("/check", "lf1_", "lf1_!!!", "lf1_WyJhIl0", ""):
        assert decode_card_key(foreign) is None


def test_split_bytes_never_cuts_a_character() -> None:
    text = "体温37.9℃😷" * 300 + "\n\nend"
    for limit in (4, 7, 100, 2048):
        chunks = split_bytes(text, limit)
        assert all(utf8_size(chunk) <= limit for chunk in chunks)
        assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    assert split_bytes("", 2048) == [""]
    assert split_bytes("一\n二", 6) == ["一", "二"]
    assert split_bytes("一\n二", 7) == ["一\n二"]


async def test_cards_only_for_command_buttons_and_plain_text_when_a_card_is_refused(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    _, wecom = served
    choice = outgoing(
        STAFF, "已采取什么措施？", buttons=(Button(Text.raw("居家观察"), "#3:home"), Button(Text.raw("跳过"), "/skip"))
    )
    [part] = wecom.render(choice)
    assert part.payload["msgtype"] == "text" and "1. 居家观察" in part.payload["text"]["content"]
    long = outgoing(STAFF, "标题", "很长的说明" * 40, buttons=(Button(Text.raw("填报"), "/daily"),))
    assert wecom.render(long)[0].payload["msgtype"] == "text"

    reminder = outgoing(STAFF, "周强，您好！", "请报送。", buttons=(Button(Text.raw("填报"), "/daily"),))
    fake_wecom.fail(MESSAGE_SEND, 40058)  # this app cannot send the card: the text goes instead
    await wecom.send(reminder)
    [sent] = fake_wecom.sent(STAFF)
    assert sent["msgtype"] == "text" and sent["text"]["content"].endswith(
        "· 填报：发送 日报"
    )  # the words WeCom users type

    plain = WeComAdapter(
        corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET, token=CALLBACK_TOKEN, aes_key=AES_KEY, cards=CARDS_NEVER
    )
    assert plain.render(reminder)[0].payload["msgtype"] == "text"


async def test_group_robots_get_text_with_mentions(served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom) -> None:
    harness, wecom = served
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    fake_wecom.add_robot(key)
    bind_wecom_chat(harness.app, chat_id=robot_chat_id(key), purpose="group:coordination")
    await wecom.send(outgoing(robot_chat_id(key), "请周强报送。", mentions=(REPORTER, "not an id!")))
    [posted] = fake_wecom.robot_sent(key)
    assert posted == {"msgtype": "text", "text": {"content": "请周强报送。", "mentioned_list": [REPORTER]}}
    assert not any(call.method == GETTOKEN for call in fake_wecom.calls)  # robots need no access token
    fake_wecom.fail("webhook/send", FREQUENCY)
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(robot_chat_id(key), "二"))
    assert not caught.value.permanent and caught.value.retry_after
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(robot_chat_id("removed-robot"), "三"))
    assert caught.value.permanent and caught.value.reason.startswith(REASON_CHAT_GONE)
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(appchat_chat_id("wrNoSuchChat"), "四"))
    assert caught.value.permanent and caught.value.reason.startswith(REASON_CHAT_GONE)


async def test_markdown_mentions_in_app_group_chats_cannot_be_forged_by_data(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    _, wecom = served
    [part] = wecom.render(outgoing(appchat_chat_id("wrChat"), "地址<@boss>3栋", mentions=(REPORTER,)))
    content = part.payload["markdown"]["content"]
    assert content == f"地址＜@boss>3栋\n<@{REPORTER}>"


async def test_a_typed_backslash_u_reaches_wecom_instead_of_failing_with_40033(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    path = "D:\\upload\\u7ed3果"
    raw = {"touser": STAFF, "msgtype": "text", "agentid": AGENT_ID, "text": {"content": path}, "safe": 0}
    with pytest.raises(ApiError) as caught:  # what WeCom answers to the text as typed
        await wecom._api(PATH_MESSAGE_SEND, raw)
    assert caught.value.errcode == 40033 and not fake_wecom.sent(STAFF)

    await wecom.send(outgoing(STAFF, "发热病人资料", f"存在问题及备注：{path}"))
    [sent] = fake_wecom.texts(STAFF)
    assert "D:＼upload＼u7ed3果" in sent
    chatid = await screening_chat(harness)
    key = "robot-key-for-backslash"
    fake_wecom.add_robot(key)
    await wecom.send(outgoing(appchat_chat_id(chatid), path, mentions=(STAFF,)))
    await wecom.send(outgoing(robot_chat_id(key), path))
    assert "＼u7ed3果" in message_text(fake_wecom.chat_sent(chatid)[-1])
    assert "＼u7ed3果" in message_text(fake_wecom.robot_sent(key)[-1])


async def test_cards_auto_adds_the_text_until_the_member_taps_a_card_and_after_7_days_without(
    database_url: str, fake_wecom: FakeWeCom
) -> None:
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **{**SETTINGS, "wecom_cards": "auto"})
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    try:
        async with web(harness, wecom) as http:
            await join(http, wecom, harness, REPORTER, "screening", "reporter", None, "周强")
            harness.at("15:00")
            await harness.app.tick()
            text, card = fake_wecom.sent(REPORTER)[-2:]  # a WeChat user (微工作台) sees the text alone
            assert (text["msgtype"], card["msgtype"]) == ("text", "template_card")
            assert "· 无新情况：发送 日报 无" in text["text"]["content"] and "/daily" not in text["text"]["content"]
            nil_key = next(b["key"] for b in card["template_card"]["button_list"] if b["text"] == "无新情况")
            tap = CLIENT.card_tap(REPORTER, nil_key, task_id=card["template_card"]["task_id"], response_code="r-1")
            await post(http, wecom, tap)

        harness.at("15:00", harness.clock.now.date() + timedelta(days=1))
        before = len(fake_wecom.sent(REPORTER))
        await harness.app.tick()
        assert [body["msgtype"] for body in fake_wecom.sent(REPORTER)[before:]] == ["template_card"]

        with session_scope(harness.app.engine) as session:  # no tap for 8 days: the text goes again
            for use in session.exec(select(CardUse)).all():
                use.tapped_at = datetime.now(UTC) - timedelta(days=8)
                session.add(use)
        harness.at("15:00", harness.clock.now.date() + timedelta(days=1))
        before = len(fake_wecom.sent(REPORTER))
        await harness.app.tick()
        assert [body["msgtype"] for body in fake_wecom.sent(REPORTER)[before:]] == ["text", "template_card"]
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()
