"""The WeCom API client: the shared access token, a wrong secret, offline tests, secrets kept out of logs, names."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.platforms.wecom import WECOM_PATH, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.api import ApiUnreachable
from lianfang.bot.ports import SendError
from lianfang.bot.types import PLATFORM_WECOM
from lianfang.models.members import Identity, Member
from lianfang.models.tokens import PlatformToken, load_token
from sqlmodel import Session, select

from tests.fake_wecom import (
    AES_KEY,
    AGENT_ID,
    CALLBACK_TOKEN,
    CORP_ID,
    INVALID_TOKEN,
    MESSAGE_SEND,
    SECRET,
    FakeWeCom,
    WeComClient,
)
from tests.fakes import Harness
from tests.platforms.wecom.support import CLIENT, REPORTER, STAFF, join, outgoing, say, web


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
