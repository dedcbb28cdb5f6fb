"""The WeCom callback endpoint over HTTP: the official vectors, forged and unreadable callbacks, serve()."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import httpx
import pytest
from lianfang.app.serve import serve
from lianfang.bot.i18n import t
from lianfang.bot.platforms.wecom import WECOM_PATH, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.platforms.wecom.callback import BadCallback

from tests.fake_wecom import CALLBACK_TOKEN, SECRET, FakeWeCom, WeComClient
from tests.fakes import Harness
from tests.platforms.wecom.support import CLIENT, PAYLOADS, SETTINGS, STAFF, ZH, counts, signature, vector, web


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
