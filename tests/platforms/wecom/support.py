"""Support for the WeCom tests: constants, the encrypted client, the web app in process, helpers."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from xml.etree import ElementTree

import httpx
from lianfang.app.web import create_web_app
from lianfang.bot.platforms.wecom import WECOM_PATH, create_wecom_chat, wecom_adapter
from lianfang.bot.platforms.wecom.adapter import WeComAdapter
from lianfang.bot.recipient_pace import PaceLedger
from lianfang.bot.types import PLATFORM_WECOM, Button, ChatRef, OutgoingMessage, Text
from lianfang.models.checks import CheckResult
from lianfang.models.events import ProcessedEvent
from lianfang.models.members import Identity, Member
from lianfang.models.outbox import OutboxMessage
from sqlalchemy import func
from sqlmodel import Session, select

from tests.fake_wecom import AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, SECRET, FakeWeCom, WeComClient
from tests.fakes import Harness
from tests.paths import PAYLOADS as PAYLOADS_ROOT

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
CARD_KEY = "lf1_WyIvZGFpbHkgbmlsIiwi5peg5paw5oOF5Ya1Il0"
"""A recorded template-card button key: ``/daily nil`` labelled 无新情况."""


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


async def served_wecom(database_url: str, fake: FakeWeCom) -> tuple[Harness, WeComAdapter]:
    """Start a real App with the bundled org, serving WeCom through the fake, its token cached in the database."""
    harness = Harness.create(database_url, wecom_api_base_url=fake.url, **SETTINGS)
    wecom = wecom_adapter(harness.app)
    harness.app.add_adapter(wecom)
    await harness.app.start()
    return harness, wecom


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


def paced_adapter(fake: FakeWeCom, *, per_minute: int, paces: PaceLedger | None = None) -> WeComAdapter:
    """Build an adapter on the fake that lets ``per_minute`` messages a minute reach one member (counted in
    ``paces``, or in the adapter)."""
    return WeComAdapter(
        corp_id=CORP_ID,
        agent_id=AGENT_ID,
        secret=SECRET,
        token=CALLBACK_TOKEN,
        aes_key=AES_KEY,
        base_url=fake.url,
        member_limits=((60.0, per_minute),),
        paces=paces,
    )


def outgoing(
    chat_id: str, *texts: str, buttons: tuple[Button, ...] = (), mentions: tuple[str, ...] = ()
) -> OutgoingMessage:
    """Build a Chinese message for a WeCom chat."""
    return OutgoingMessage(ChatRef(PLATFORM_WECOM, chat_id), tuple(Text.raw(x) for x in texts), ZH, buttons, mentions)
