"""WeCom callbacks: the official crypto vectors, and recorded callbacks normalized."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from lianfang.bot.platforms.wecom.callback import BadSignature

from tests.fake_wecom import AES_KEY, AGENT_ID, CORP_ID
from tests.platforms.wecom.support import PAYLOADS, official_adapter, vector


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
def test_recorded_callbacks_are_normalized(name: str, expected: tuple[str, bool, str | None] | None) -> None:
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
    elif name == "image.xml":  # an image is named after its media id
        assert incoming.attachment is not None and incoming.attachment.file_name.endswith(".jpg")
        assert incoming.attachment.photo and incoming.attachment.data is None
    else:
        assert incoming.attachment is None
    if event_id is not None:
        assert incoming.event_id == event_id
    else:  # events carry no MsgId: member, time and key make the delivery id, within the table's 128 characters
        assert incoming.event_id and incoming.event_id.startswith("ev:") and len(incoming.event_id) <= 128
        assert adapter.normalize(fields) == incoming
        assert adapter.normalize({**fields, "CreateTime": "1"}) != incoming
