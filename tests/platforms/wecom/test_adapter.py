"""WeCom adapter: the official crypto vectors, recorded callbacks, and a real App end to end against the fake API.

Callbacks are encrypted as WeCom encrypts them (wechatpy's WeChatCrypto with the app's token and AES key) and
posted to the real Starlette app over an ASGI transport; the adapter calls the fake WeCom API on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from lianfang.app.serve import serve
from lianfang.app.web import create_web_app
from lianfang.bot.db import make_engine, session_scope
from lianfang.bot.i18n import t
from lianfang.bot.platforms.wecom import WECOM_PATH, bind_wecom_chat, create_wecom_chat, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import (
    PATH_MESSAGE_SEND,
    REASON_CHAT_GONE,
    REASON_FORBIDDEN,
    REASON_RATE_LIMITED,
    ApiError,
    ApiUnreachable,
)
from lianfang.bot.platforms.wecom.callback import BadCallback, BadSignature
from lianfang.bot.platforms.wecom.chats import appchat_chat_id, appchat_id, robot_chat_id, robot_key
from lianfang.bot.platforms.wecom.render import (
    CARDS_NEVER,
    MAX_TEXT_BYTES,
    decode_card_key,
    encode_card_key,
    split_bytes,
    utf8_size,
)
from lianfang.bot.platforms.wecom.setup import create_app_chat
from lianfang.bot.ports import SendError
from lianfang.bot.types import PLATFORM_WECOM, Button, ChatRef, OutgoingMessage, Text
from lianfang.models.cards import CardUse
from lianfang.models.checks import CheckResult
from lianfang.models.events import ProcessedEvent
from lianfang.models.members import ChatBinding, Identity, Member
from lianfang.models.outbox import STATUS_FAILED, STATUS_PENDING, STATUS_SENT, OutboxMessage
from lianfang.models.tokens import PlatformToken, load_token
from sqlalchemy import func
from sqlmodel import Session, select

from tests.fake_wecom import (
    AES_KEY,
    AGENT_ID,
    CALLBACK_TOKEN,
    CORP_ID,
    FREQUENCY,
    GETTOKEN,
    INVALID_TOKEN,
    MESSAGE_SEND,
    SECRET,
    UPDATE_CARD,
    USER_NOT_FOUND,
    FakeWeCom,
    WeComClient,
    message_text,
)
from tests.fakes import Harness
from tests.paths import PAYLOADS as PAYLOADS_ROOT
from tests.paths import ROOT

PAYLOADS = PAYLOADS_ROOT / "wecom"
ZH = "zh_CN"
STAFF = "ZhangWei"
REPORTER = "ZhouQiang"
LEADER = "LongYali"
SETTINGS: dict[str, Any] = {
    "wecom_corp_id": CORP_ID,
    "wecom_agent_id": AGENT_ID,
    "wecom_secret": SECRET,
    "wecom_token": CALLBACK_TOKEN,
    "wecom_aes_key": AES_KEY,
    "wecom_cards": "always",
}
"""Cards alone, as a WeCom client shows them; ``auto`` (the default, for WeChat users) has tests of its own."""
CLIENT = WeComClient()


def vector(name: str) -> dict[str, str]:
    """Read a recorded vector file as its fields."""
    root = ElementTree.parse(PAYLOADS / name).getroot()
    return {child.tag: (child.text or "").strip() for child in root}


def official_adapter(values: dict[str, str], base_url: str = "http://127.0.0.1:9") -> WeComAdapter:
    """Build an adapter with the settings of WeCom's crypto sample."""
    return WeComAdapter(
        corp_id=values["CorpID"],
        agent_id=int(values.get("AgentID") or 1),
        secret="sample-secret-not-used",
        token=values["Token"],
        aes_key=values["EncodingAESKey"],
        base_url=base_url,
    )


def signature(*parts: str) -> str:
    """Compute a WeCom msg_signature the documented way: SHA-1 of the sorted, concatenated parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@pytest.fixture
async def served(database_url: str, fake_wecom: FakeWeCom) -> AsyncIterator[tuple[Harness, WeComAdapter]]:
    """A real App with the bundled org, serving WeCom through the fake, its token cached in the database."""
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    yield harness, wecom
    await harness.app.stop()
    harness.app.engine.dispose()


@contextlib.asynccontextmanager
async def web(
    harness: Harness, wecom: WeComAdapter, wall_clock: Callable[[], float] = time.time
) -> AsyncIterator[httpx.AsyncClient]:
    """Talk to the instance's Starlette app in process; ``wall_clock`` is the server's real time."""
    transport = httpx.ASGITransport(app=create_web_app(harness.app, wecom, wall_clock=wall_clock))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as http:
        yield http


async def post(http: httpx.AsyncClient, wecom: WeComAdapter, plaintext: str) -> httpx.Response:
    """Post one encrypted callback and wait until the adapter has handled it."""
    params, body = CLIENT.encrypt(plaintext)
    answer = await http.post(WECOM_PATH, params=params, content=body)
    await wecom.join()
    return answer


async def say(http: httpx.AsyncClient, wecom: WeComAdapter, user: str, text: str) -> httpx.Response:
    """A member types a text message to the app."""
    answer = await post(http, wecom, CLIENT.text(user, text))
    assert answer.status_code == 200 and answer.text == ""
    return answer


async def join(
    http: httpx.AsyncClient,
    wecom: WeComAdapter,
    harness: Harness,
    user: str,
    group: str,
    role: str,
    community: str | None,
    name: str,
) -> None:
    """Invite a member and have them join from WeCom."""
    code = harness.invite(group, role, community, name)
    await say(http, wecom, user, f"/join {code}")


def counts(harness: Harness) -> dict[str, int]:
    """Count the rows a handled message would add."""
    with Session(harness.app.engine) as session:
        return {
            table.__name__: session.exec(select(func.count()).select_from(table)).one()
            for table in (Member, Identity, ProcessedEvent, OutboxMessage, CheckResult)
        }


async def screening_chat(harness: Harness) -> str:
    """Create the 排查组 group chat of the app, with the reporter in it, bound to the group; return its chatid."""
    return await create_wecom_chat(
        harness.app, name="排查组", owner=LEADER, members=[REPORTER], purpose="group:screening"
    )


def paced_adapter(fake: FakeWeCom, *, per_minute: int) -> WeComAdapter:
    """Build an adapter on the fake that lets ``per_minute`` messages a minute reach one member."""
    return WeComAdapter(
        corp_id=CORP_ID,
        agent_id=AGENT_ID,
        secret=SECRET,
        token=CALLBACK_TOKEN,
        aes_key=AES_KEY,
        base_url=fake.url,
        member_limits=((60.0, per_minute),),
    )


def outgoing(
    chat_id: str, *texts: str, buttons: tuple[Button, ...] = (), mentions: tuple[str, ...] = ()
) -> OutgoingMessage:
    """Build a Chinese message for a WeCom chat."""
    return OutgoingMessage(ChatRef(PLATFORM_WECOM, chat_id), tuple(Text.raw(x) for x in texts), ZH, buttons, mentions)


# -- the official vectors -----------------------------------------------------------------------------------


def test_the_official_url_verification_vector_decrypts_to_the_documented_plaintext() -> None:
    values = vector("official_url_verification.xml")
    adapter = official_adapter(values)
    echo = adapter.verify_url(values["msg_signature"], values["timestamp"], values["nonce"], values["echostr"])
    assert echo == values["plaintext"] == "1616140317555161061"
    with pytest.raises(BadSignature):
        adapter.verify_url("0" * 40, values["timestamp"], values["nonce"], values["echostr"])
    with pytest.raises(BadSignature):  # the timestamp is signed too
        adapter.verify_url(values["msg_signature"], "1409659590", values["nonce"], values["echostr"])
    # a "+" that arrived as a space (an unencoded query string) still decrypts
    spaced = values["echostr"].replace("+", " ")
    assert adapter.verify_url(values["msg_signature"], values["timestamp"], values["nonce"], spaced) == echo


def test_the_official_message_vector_decrypts_to_hello() -> None:
    values = vector("official_message_vector.xml")
    body = (PAYLOADS / "official_message_body.xml").read_bytes()
    adapter = official_adapter(values)
    fields = adapter.open_callback(body, values["msg_signature"], values["timestamp"], values["nonce"])
    assert fields["Content"] == "hello"
    for name in ("FromUserName", "CreateTime", "MsgType", "MsgId", "AgentID"):
        assert fields[name] == values[name], name
    assert fields["ToUserName"] == values["CorpID"]
    incoming = adapter.normalize(fields)
    assert incoming is not None
    assert (incoming.platform, incoming.chat_id, incoming.user_id, incoming.text) == (
        "wecom",
        "mycreate",
        "mycreate",
        "hello",
    )
    assert incoming.is_private and not incoming.is_button and incoming.event_id == "4561255354251345929"
    with pytest.raises(BadSignature):
        adapter.open_callback(body, "1" * 40, values["timestamp"], values["nonce"])
    with pytest.raises(BadSignature):
        adapter.open_callback(body, values["msg_signature"], values["timestamp"], "1372623148")


async def test_the_official_vectors_over_http(database_url: str) -> None:
    """WeCom's sample app behind the real web app: the echo, then "hello" from a stranger answered privately."""
    url = vector("official_url_verification.xml")
    message = vector("official_message_vector.xml")
    fake = FakeWeCom(corp_id=message["CorpID"], agent_id=int(message["AgentID"]))
    await fake.start()
    harness = Harness.create(
        database_url,
        wecom_api_base_url=fake.url,
        wecom_corp_id=message["CorpID"],
        wecom_agent_id=int(message["AgentID"]),
        wecom_secret=SECRET,
        wecom_token=message["Token"],
        wecom_aes_key=message["EncodingAESKey"],
    )
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    try:
        signed_at = float(message["timestamp"])  # the vectors were signed in 2014; the server's clock is set then
        async with web(harness, wecom, lambda: signed_at) as http:
            params = {key: url[key] for key in ("msg_signature", "timestamp", "nonce", "echostr")}
            answer = await http.get(WECOM_PATH, params=params)
            assert answer.status_code == 200 and answer.text == "1616140317555161061"
            assert answer.headers["content-type"].startswith("text/plain")
            assert (await http.get(WECOM_PATH, params={**params, "nonce": "1"})).status_code == 403
            assert (await http.get(WECOM_PATH)).status_code == 403

            query = {key: message[key] for key in ("msg_signature", "timestamp", "nonce")}
            body = (PAYLOADS / "official_message_body.xml").read_bytes()
            answer = await http.post(WECOM_PATH, params=query, content=body)
            assert answer.status_code == 200 and answer.text == ""
            await wecom.join()
        [reply] = fake.sent("mycreate")
        assert reply["msgtype"] == "text" and reply["agentid"] == 218
        assert reply["text"]["content"] == t("common.stranger", ZH)
    finally:
        await harness.app.stop()
        harness.app.engine.dispose()
        await fake.stop()


# -- recorded callbacks -------------------------------------------------------------------------------------

CARD_KEY = "lf1_WyIvZGFpbHkgbmlsIiwi5peg5paw5oOF5Ya1Il0"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("text.xml", ("排查 3栋2单元501 张三 37.9 咳嗽", False, "7050000000000000101")),
        ("image.xml", ("", False, "7050000000000000102")),
        ("voice.xml", ("", False, "7050000000000000103")),
        ("location.xml", ("", False, "7050000000000000104")),
        ("file.xml", ("", False, "7050000000000000105")),
        ("event_subscribe.xml", ("/start", False, None)),
        ("event_click.xml", ("/check", True, None)),
        ("event_template_card.xml", ("/daily nil", True, None)),
        ("event_enter_agent.xml", None),
        ("event_location.xml", None),
        ("event_unsubscribe.xml", None),
        ("text_other_agent.xml", None),
    ],
)
def test_recorded_callbacks_are_normalised(name: str, expected: tuple[str, bool, str | None] | None) -> None:
    adapter = official_adapter({"CorpID": CORP_ID, "AgentID": str(AGENT_ID), "Token": "t", "EncodingAESKey": AES_KEY})
    fields = {child.tag: (child.text or "").strip() for child in ElementTree.parse(PAYLOADS / name).getroot()}
    incoming = adapter.normalize(fields)
    if expected is None:
        assert incoming is None
        return
    assert incoming is not None
    text, is_button, event_id = expected
    assert (incoming.text, incoming.is_button, incoming.is_private) == (text, is_button, True)
    assert incoming.chat_id == incoming.user_id == fields["FromUserName"]
    if name == "file.xml":
        assert incoming.attachment is not None and incoming.attachment.size == 10842
        assert incoming.attachment.file_name == "五里牌街道返长人员排查名单0128.xlsx"
        assert incoming.attachment.data is None  # fetched only when the core asks
    else:
        assert incoming.attachment is None
    if event_id is not None:
        assert incoming.event_id == event_id
    else:  # events carry no MsgId: member, time and key make the delivery id, within the table's 128 characters
        assert incoming.event_id and incoming.event_id.startswith("ev:") and len(incoming.event_id) <= 128
        assert adapter.normalize(fields) == incoming
        assert adapter.normalize({**fields, "CreateTime": "1"}) != incoming


def test_card_keys_carry_value_and_label() -> None:
    assert decode_card_key(CARD_KEY) == ("/daily nil", "无新情况")
    key = encode_card_key("/supply 口罩 2000 只 急", "紧急")
    assert decode_card_key(key) == ("/supply 口罩 2000 只 急", "紧急")
    assert all(ch.isalnum() or ch in "_-" for ch in key)
    for foreign in ("/check", "lf1_", "lf1_!!!", "lf1_WyJhIl0", ""):
        assert decode_card_key(foreign) is None


# -- end to end ---------------------------------------------------------------------------------------------


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


async def test_a_forged_callback_is_refused_and_changes_nothing(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    before = counts(harness)
    forger = WeComClient(token="AnotherAppsToken")
    params, body = forger.encrypt(CLIENT.text(STAFF, "/help"))
    genuine_params, genuine_body = CLIENT.encrypt(CLIENT.text(STAFF, "/help"))
    async with web(harness, wecom) as http:
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 403
        assert (
            await http.post(WECOM_PATH, params={**genuine_params, "timestamp": "1"}, content=genuine_body)
        ).status_code == 403
        assert (await http.post(WECOM_PATH, content=genuine_body)).status_code == 403
        for junk in (b"", b"{}", b"<xml>", b"\xff\xfe", b"<xml><Encrypt></Encrypt></xml>", b"[" * 50_000):
            assert (await http.post(WECOM_PATH, params=genuine_params, content=junk)).status_code == 403
        assert (await http.post(WECOM_PATH, params=genuine_params, content=b" " * 100_000)).status_code == 413
        echo = CLIENT.echo("12345")
        assert (await http.get(WECOM_PATH, params={**echo, "msg_signature": "0" * 40})).status_code == 403
        assert (await http.get(WECOM_PATH, params=echo)).text == "12345"
        await wecom.join()
    assert counts(harness) == before
    assert fake_wecom.calls == []


async def test_a_signed_but_unreadable_callback_is_a_400(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    before = counts(harness)
    other_corp = WeComClient(corp_id="wwAnotherCorp0000000")  # same token and key, another corp's payload
    params, body = other_corp.encrypt(CLIENT.text(STAFF, "/help"))
    timestamp, nonce, garbage = "1580194800", "42", "bm90IGEgdmFsaWQgY2lwaGVydGV4dA"
    forged_ok = {
        "msg_signature": signature(CALLBACK_TOKEN, timestamp, nonce, garbage),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    async with web(harness, wecom) as http:
        assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 400
        junk = f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>".encode()
        assert (await http.post(WECOM_PATH, params=forged_ok, content=junk)).status_code == 400
        await wecom.join()
    assert counts(harness) == before
    with pytest.raises(BadCallback):
        wecom.open_callback(junk, forged_ok["msg_signature"], timestamp, nonce)


# -- tokens -------------------------------------------------------------------------------------------------


async def test_an_expired_token_is_refreshed_once_and_the_message_still_goes(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        await say(http, wecom, STAFF, "/help")
        assert fake_wecom.token_requests == 1
        first = fake_wecom.calls_to(MESSAGE_SEND)[0].params["access_token"]

        fake_wecom.expire_token()  # WeCom answers 42001 to the cached token
        await say(http, wecom, STAFF, "/help")
        assert fake_wecom.token_requests == 2
        sends = fake_wecom.calls_to(MESSAGE_SEND)
        assert [call.params["access_token"] == first for call in sends] == [True, True, False]
        assert len(fake_wecom.sent(STAFF)) == 2

        fake_wecom.fail(MESSAGE_SEND, INVALID_TOKEN)  # 40014 once: the token is checked again, the call retried
        await say(http, wecom, STAFF, "/help")
        assert len(fake_wecom.sent(STAFF)) == 3 and fake_wecom.token_requests == 3

    with Session(harness.app.engine) as session:
        cached = load_token(session=session, platform=PLATFORM_WECOM, key=f"{CORP_ID}:{AGENT_ID}")
        assert cached is not None and cached.token == sends[-1].params["access_token"]
        assert cached.expires_at > datetime.now(UTC) + timedelta(hours=1)


async def test_the_token_is_shared_through_the_database_and_renewed_before_it_expires(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    token = await wecom.access_token()
    other = wecom_adapter(harness.app)  # a second instance on the same database
    try:
        assert await other.access_token() == token
        assert fake_wecom.token_requests == 1
        with session_scope(harness.app.engine) as session:
            row = session.exec(select(PlatformToken)).one()
            row.expires_at = datetime.now(UTC) + timedelta(minutes=2)  # inside the refresh margin
            session.add(row)
        third = wecom_adapter(harness.app)
        await third.access_token()
        await third.stop()
        assert fake_wecom.token_requests == 2
    finally:
        await other.stop()


async def test_a_wrong_secret_keeps_messages_for_later(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    fake_wecom.secret = "rotated-by-an-admin"
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(STAFF, "测试"))
    assert not caught.value.permanent and "40001" in caught.value.reason
    assert SECRET not in caught.value.reason


# -- sending ------------------------------------------------------------------------------------------------


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


async def test_a_batch_keeps_each_members_pace_and_splits_at_1000(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    _, wecom = served
    paced = paced_adapter(fake_wecom, per_minute=1)
    try:
        await paced.send(outgoing(STAFF, "一"))
        failures = await paced.send_many([STAFF, REPORTER, LEADER], outgoing(STAFF, "二"))
        assert list(failures) == [STAFF] and failures[STAFF].reason.startswith(REASON_RATE_LIMITED)
        assert not failures[STAFF].permanent and 0 < (failures[STAFF].retry_after or 0) <= 60
        assert fake_wecom.calls_to(MESSAGE_SEND)[-1].body["touser"] == f"{REPORTER}|{LEADER}"
        assert [message_text(body) for body in fake_wecom.sent(STAFF)] == ["一"]

        many = [f"user{n:04d}" for n in range(2500)]
        fake_wecom.fail_user("user1234")
        failures = await paced.send_many(many, outgoing(many[0], "三"))
        assert list(failures) == ["user1234"] and failures["user1234"].permanent
        batches = [call.body["touser"].split("|") for call in fake_wecom.calls_to(MESSAGE_SEND)[2:]]
        assert [len(batch) for batch in batches] == [1000, 1000, 500] and sum(batches, []) == many

        fake_wecom.fail(MESSAGE_SEND, -1)  # WeCom busy: every member of the call is retried later
        failures = await paced.send_many(["a1", "a2"], outgoing("a1", "四"))
        assert sorted(failures) == ["a1", "a2"] and not any(error.permanent for error in failures.values())

        long = outgoing("b1", "长" * 600, "报" * 600)  # two calls' worth: sent one member at a time
        assert await wecom.send_many(["b1", "b2"], long) == {}
        assert [call.body["touser"] for call in fake_wecom.calls_to(MESSAGE_SEND)[-4:]] == ["b1", "b1", "b2", "b2"]
    finally:
        await paced.stop()


async def test_frequency_limits_are_transient_and_members_are_paced(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    fake_wecom.fail(MESSAGE_SEND, FREQUENCY)
    with pytest.raises(SendError) as caught:
        await wecom.send(outgoing(STAFF, "一"))
    assert caught.value.reason.startswith(REASON_RATE_LIMITED) and not caught.value.permanent
    assert caught.value.retry_after == 60

    paced = paced_adapter(fake_wecom, per_minute=2)
    try:
        await paced.send(outgoing(STAFF, "一"))
        await paced.send(outgoing(STAFF, "二"))
        with pytest.raises(SendError) as caught:
            await paced.send(outgoing(STAFF, "三"))
        assert caught.value.reason.startswith(REASON_RATE_LIMITED) and 0 < (caught.value.retry_after or 0) <= 60
        await paced.send(outgoing(REPORTER, "三"))  # another member is not held up
        long = outgoing(LEADER, "长" * 600, "报" * 600, "告" * 600)  # three parts of 1,800 bytes each
        with pytest.raises(SendError) as caught:
            await paced.send(long)
        assert caught.value.reason.startswith(REASON_RATE_LIMITED) and not caught.value.permanent
    finally:
        await paced.stop()
    assert [message_text(body) for body in fake_wecom.sent(STAFF)] == ["一", "二"]
    assert [message_text(body)[0] for body in fake_wecom.sent(LEADER)] == ["长", "报"]  # the third waits


async def test_outbox_keeps_a_rate_limited_message_for_later(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    async with web(harness, wecom) as http:
        fake_wecom.fail(MESSAGE_SEND, FREQUENCY)
        await say(http, wecom, STAFF, "/help")
    with Session(harness.app.engine) as session:
        row = session.exec(select(OutboxMessage)).one()
        assert row.status == STATUS_PENDING and row.not_before is not None and row.attempts == 0
    harness.advance(seconds=61)
    await harness.app.deliverer.drain()
    assert len(fake_wecom.sent(STAFF)) == 1


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


async def test_create_chat_and_media_upload(database_url: str, fake_wecom: FakeWeCom) -> None:
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, **SETTINGS)
    try:
        chatid = await create_app_chat(harness.app.settings, "综合组", LEADER, ["WangJun"])
        assert fake_wecom.chats[chatid] == {"name": "综合组", "owner": LEADER, "users": [LEADER, "WangJun"]}
        with pytest.raises(ValueError, match="members"):
            await create_app_chat(harness.app.settings, "一人群", LEADER, [])
        with pytest.raises(ValueError, match="group:coordination"):
            await create_wecom_chat(harness.app, name="x", owner=LEADER, members=["WangJun"], purpose="group:nope")
        assert len(fake_wecom.chats) == 1  # the purpose is checked before the chat is created
        with pytest.raises(ValueError, match="appchat:"):
            bind_wecom_chat(harness.app, chat_id=LEADER, purpose="leadership")

        adapter = wecom_adapter(harness.app)
        media_id = await adapter.upload_media("file", "日报.txt", "今日无新情况".encode())
        await adapter.stop()
        assert fake_wecom.media[media_id] == ("日报.txt", "今日无新情况".encode())
    finally:
        harness.app.engine.dispose()


# -- offline, logging and serve() ---------------------------------------------------------------------------


async def test_the_real_api_is_unreachable_from_tests() -> None:
    adapter = WeComAdapter(corp_id=CORP_ID, agent_id=AGENT_ID, secret=SECRET, token=CALLBACK_TOKEN, aes_key=AES_KEY)
    with pytest.raises(ApiUnreachable) as caught:
        await adapter.access_token()
    await adapter.stop()
    assert SECRET not in str(caught.value)


async def test_secrets_are_never_logged(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom, caplog: pytest.LogCaptureFixture
) -> None:
    harness, wecom = served
    caplog.set_level(logging.DEBUG)
    async with web(harness, wecom) as http:
        await join(http, wecom, harness, STAFF, "screening", "staff", "chaoyang", "张伟")
        fake_wecom.expire_token()
        await say(http, wecom, STAFF, "/help")
        forger = WeComClient(token="AnotherAppsToken")
        params, body = forger.encrypt(CLIENT.text(STAFF, "/help"))
        await http.post(WECOM_PATH, params=params, content=body)
    tokens = {call.params["access_token"] for call in fake_wecom.calls if "access_token" in call.params}
    assert tokens
    secrets = {SECRET, AES_KEY, CALLBACK_TOKEN, *tokens}
    # httpx logs request URLs at INFO (serve() raises its level); uvicorn's access log here is the fake server's
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore", "uvicorn"))]
    assert logged and not [line for line in logged if any(secret in line for secret in secrets)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_answers_wecom_callbacks_over_http(database_url: str, fake_wecom: FakeWeCom) -> None:
    port = _free_port()
    harness = Harness.create(database_url, wecom_api_base_url=fake_wecom.url, http_port=port, **SETTINGS)
    task = asyncio.create_task(serve(harness.app))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
            answer = await http.get(WECOM_PATH, params=CLIENT.echo("verified-2020"))
            assert answer.status_code == 200 and answer.text == "verified-2020"
            params, body = CLIENT.encrypt(CLIENT.text(STAFF, "/start"))
            assert (await http.post(WECOM_PATH, params=params, content=body)).status_code == 200
            await fake_wecom.wait_for(lambda: bool(fake_wecom.sent(STAFF)))
        assert "/join" in fake_wecom.texts(STAFF)[0]
        assert logging.getLogger("httpx").level >= logging.WARNING
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        harness.app.engine.dispose()


# -- setup that cannot silently fail (issue 12: 4, 9, 10, 11, 12, 14) ----------------------------------------


CLI_SECONDS = 60.0
ROBOT_KEY = "693a91f6-7e2b-4bc4-97a0-0ec2f1a5b6c7"


async def lianfang(database_url: str, fake: FakeWeCom, cwd: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """Run the real ``lianfang`` command against the fake WeCom API; return its exit code, stdout and stderr."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LIANFANG_")}
    environment.update({f"LIANFANG_{name.upper()}": str(value) for name, value in SETTINGS.items()})
    environment.update(
        PYTHONPATH=str(ROOT),
        LIANFANG_DATABASE_URL=database_url,
        LIANFANG_WECOM_API_BASE_URL=fake.url,
        LIANFANG_HTTP_PORT="0",
    )
    environment.update(env)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lianfang.app.cli", *args, env=environment, cwd=cwd, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), CLI_SECONDS)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def bound_chats(database_url: str) -> dict[str, str]:
    """Return the WeCom chats bound so far, chat id to kind."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return {row.chat_id: row.kind for row in session.exec(select(ChatBinding)).all()}
    finally:
        engine.dispose()


async def test_run_exits_2_on_a_wrong_secret_and_names_the_ip_to_trust(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, "run", LIANFANG_WECOM_SECRET="wrong-secret-2020")
    assert code == 2, err
    assert "LIANFANG_WECOM_SECRET" in err and "40001" in err and "Traceback" not in err
    assert "ERROR lianfang.bot.platforms.wecom" in err  # logged at WARNING or above, whatever the log level

    fake_wecom.trusted_ips = {"203.0.113.7"}  # the app trusts another server
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, "--log-level", "WARNING", "run")
    assert code == 2, err
    assert "add 127.0.0.1 to the app's 企业可信IP" in err and "Traceback" not in err
    assert not fake_wecom.calls_to(MESSAGE_SEND)


async def test_bind_robot_takes_the_webhook_url_and_binds_only_after_a_test_message(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    fake_wecom.add_robot(ROBOT_KEY)
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"
    bind = ("wecom", "bind-robot", "--bind", "group:screening", "--key")

    for wrong in ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "https://example.com/hook?key=" + ROBOT_KEY):
        with pytest.raises(ValueError, match="webhook"):
            robot_key(wrong)
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "appchat:wrFakeChat000001")
    assert (code, out) == (2, "") and "bind-chat" in err and "Traceback" not in err
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "0ec2f1a5-gone-robot-key")
    assert code == 2 and "93000" in err and "nothing bound" in err
    assert bound_chats(database_url) == {}

    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, url)
    assert code == 0 and out.startswith("OK"), err
    [test] = fake_wecom.robot_sent(ROBOT_KEY)
    assert test["text"]["content"] == "联防机器人测试消息：本群已绑定为 group:screening。"
    assert bound_chats(database_url) == {robot_chat_id(ROBOT_KEY): "group"}


async def test_bind_chat_binds_an_app_chat_created_without_bind(
    database_url: str, fake_wecom: FakeWeCom, tmp_path: Path
) -> None:
    create = ("wecom", "create-chat", "--name", "领导小组", "--members", f"{LEADER},WangJun")
    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *create)
    assert code == 0, err
    chatid = out.strip()
    assert bound_chats(database_url) == {}

    bind = ("wecom", "bind-chat", "--bind", "leadership")
    code, _, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, "wrNoSuchChat")
    assert code == 2 and "86003" in err and bound_chats(database_url) == {}
    with pytest.raises(ValueError, match="bind-robot"):
        appchat_id(f"webhook:{ROBOT_KEY}")

    code, out, err = await lianfang(database_url, fake_wecom, tmp_path, *bind, chatid)
    assert code == 0, err
    assert "本群已绑定为 leadership" in message_text(fake_wecom.chat_sent(chatid)[-1])
    assert bound_chats(database_url) == {appchat_chat_id(chatid): "leadership"}


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


async def test_a_member_invited_without_a_name_is_named_from_the_address_book(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    fake_wecom.names[REPORTER] = "周强"
    async with web(harness, wecom) as http:
        await say(http, wecom, REPORTER, f"/join {harness.invite('screening', 'reporter')}")
        fake_wecom.reads_names = False  # an app without address-book access: the UserID stays the name
        await say(http, wecom, "wx_zhouq", f"/join {harness.invite('screening', 'reporter')}")
    with Session(harness.app.engine) as session:
        names = {
            identity.user_id: session.get(Member, identity.member_id).name
            for identity in session.exec(select(Identity))
        }
    assert names == {REPORTER: "周强", "wx_zhouq": "wx_zhouq"}
    assert "周强" in fake_wecom.texts(REPORTER)[0]


async def test_a_member_the_address_book_does_not_name_is_asked_for_their_name(
    served: tuple[Harness, WeComAdapter], fake_wecom: FakeWeCom
) -> None:
    harness, wecom = served
    fake_wecom.reads_names = False  # an app without address-book access learns only the UserID
    async with web(harness, wecom) as http:
        await say(http, wecom, "wx_zhouq", f"加入 {harness.invite('screening', 'reporter')}")
        joined = fake_wecom.texts("wx_zhouq")
        assert "wx_zhouq" not in "".join(joined) and "请发送您的真实姓名" in joined[-1]
        await say(http, wecom, "wx_zhouq", "周强")
    assert "已记录您的姓名：周强" in fake_wecom.texts("wx_zhouq")[-1]
    with Session(harness.app.engine) as session:
        identity = session.exec(select(Identity).where(Identity.user_id == "wx_zhouq")).one()
        member = session.get(Member, identity.member_id)
        assert member is not None and (member.name, member.name_pending) == ("周强", False)
