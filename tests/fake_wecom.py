"""A fake WeCom server API on loopback, and a WeCom client side that encrypts callbacks as WeCom does.

The fake issues access tokens (the same one while it is valid, as WeCom does), records what the app sends,
and answers with WeCom's shapes: ``{"errcode": 0, "errmsg": "ok", ...}`` or a non-zero errcode. Errors can be
injected per method (``fail``), per member (``fail_user``), for the current token (``expire_token``), and for
every call until a moment (``outage``: an errcode such as 60020 or 40001, or an HTTP status such as 502). App
messages sent with ``enable_duplicate_check`` are accepted but not shown again to a member who got the same
content within ``duplicate_check_interval`` seconds, as WeCom does.
It is strict where the real API is picky: a JSON body with ``\\uXXXX`` escapes is refused with 40033, and
text beyond 2,048 bytes with 45002 (the real API cuts it silently, which a test should catch all the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from email.parser import BytesParser
from email.policy import default
from itertools import count
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from wechatpy.enterprise.crypto import WeChatCrypto

from tests.loopback import start_loopback, stop_loopback

CORP_ID = "ww5f0c3a9e2b7d41c8"
AGENT_ID = 1000002
SECRET = "fake-app-secret-S3cr3tForT3stsOnly-2020"
CALLBACK_TOKEN = "LianfangCallbackToken2020"
AES_KEY = "bGlhbmZhbmctd2Vjb20tdGVzdC1hZXMta2V5LTIwMjA"
"""43 characters: base64 of a 32-byte key without its trailing ``=``, as WeCom's EncodingAESKey is."""
TOKEN_LIFETIME = 7200

OK = 0
INVALID_SECRET = 40001
INVALID_TOKEN = 40014
TOKEN_EXPIRED = 42001
MISSING_TOKEN = 41001
FREQUENCY = 45009
USER_NOT_FOUND = 60111
ALL_INVALID = 81013
ESCAPED_CHARACTERS = 40033
TOO_LONG = 45002
BAD_AGENT = 40056
BAD_MSGTYPE = 40008
CHAT_NOT_FOUND = 86003
ROBOT_KEY_INVALID = 93000
BAD_PARAMETER = 40058
INVALID_MEDIA = 40007
NO_PRIVILEGE = 60011
UNTRUSTED_IP = 60020
BUSY = -1
HTTP_ERRORS = (500, 600)
"""An ``outage`` answer in this range is an HTTP status (a 5xx), not an errcode."""
DEFAULT_DUPLICATE_CHECK_SECONDS = 1800
DUPLICATE_CHECK_FIELDS = ("touser", "enable_duplicate_check", "duplicate_check_interval")
"""What is not the content of an app message when WeCom compares it with earlier ones."""
ERRMSG = {
    OK: "ok",
    INVALID_SECRET: "invalid credential",
    INVALID_TOKEN: "invalid access_token",
    TOKEN_EXPIRED: "access_token expired",
    MISSING_TOKEN: "access_token missing",
    FREQUENCY: "api freq out of limit",
    USER_NOT_FOUND: "invalid userid",
    ALL_INVALID: "all touser invalid",
    ESCAPED_CHARACTERS: "invalid charset. please check your request, \\uxxxx is not allowed",
    TOO_LONG: "message size out of limit",
    BAD_AGENT: "invalid agentid",
    BAD_MSGTYPE: "invalid message type",
    CHAT_NOT_FOUND: "chat not found",
    ROBOT_KEY_INVALID: "invalid webhook url",
    BAD_PARAMETER: "invalid parameter",
    INVALID_MEDIA: "invalid media_id",
    NO_PRIVILEGE: "no privilege to access/modify contact/party/agent",
    UNTRUSTED_IP: "not allow to access from your ip",
    BUSY: "system busy",
}
UNTRUSTED_IP_ERRMSG = (
    "not allow to access from your ip, hint: [1580000000000000000000001], from ip: {ip}, "
    "more info at https://open.work.weixin.qq.com/devtool/query?e=60020"
)
APP_NAME = "联防"
MAX_TEXT_BYTES = 2048
MAX_MARKDOWN_BYTES = 2048
ROBOT_PER_MINUTE = 20

DUPLICATE_ANSWER = "_duplicate"
"""Internal: the members a message was not shown to, passed from the handler to the answer and never sent."""
GETTOKEN = "gettoken"
MESSAGE_SEND = "message/send"
UPDATE_CARD = "message/update_template_card"
APPCHAT_CREATE = "appchat/create"
APPCHAT_SEND = "appchat/send"
WEBHOOK_SEND = "webhook/send"
MEDIA_UPLOAD = "media/upload"
MEDIA_GET = "media/get"
AGENT_GET = "agent/get"
USER_GET = "user/get"


@dataclass(frozen=True)
class Call:
    """One request the app made: the method, its query parameters (secrets included) and its JSON body."""

    method: str
    params: dict[str, str]
    body: dict[str, Any]
    refused: tuple[str, ...] = ()
    """Members an accepted app message did not reach (its answer's ``invaliduser``)."""
    duplicate: tuple[str, ...] = ()
    """Members an accepted app message was not shown to: they got the same content within the check interval."""


@dataclass
class FakeWeCom:
    """The fake API: start it, point the adapter's base URL at ``url``, then read what was sent."""

    corp_id: str = CORP_ID
    secret: str = SECRET
    agent_id: int = AGENT_ID
    calls: list[Call] = field(default_factory=list)
    delivered: list[Call] = field(default_factory=list)
    """Calls that succeeded (errcode 0), oldest first."""
    token_requests: int = 0
    tokens: dict[str, float] = field(default_factory=dict)
    """Valid tokens and when they expire (monotonic seconds)."""
    expired: set[str] = field(default_factory=set)
    failures: dict[str, deque[int | None]] = field(default_factory=dict)
    user_failures: dict[str, int] = field(default_factory=dict)
    chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    robots: set[str] = field(default_factory=set)
    robot_times: dict[str, deque[float]] = field(default_factory=dict)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """Temporary files by media_id: uploaded by the app, or sent by members (``add_media``)."""
    downloads: list[str] = field(default_factory=list)
    trusted_ips: set[str] | None = None
    """The app's 企业可信IP; when set, every call but ``gettoken`` from another address is refused with 60020."""
    names: dict[str, str] = field(default_factory=dict)
    """Members' names in the address book, by UserID (``user/get``)."""
    reads_names: bool = True
    """Whether the app may read the address book; without it ``user/get`` answers 60011."""

    clock: Callable[[], float] = time.monotonic
    """Seconds, for outages and the duplicate check (a test may move it)."""
    outage_until: float = 0.0
    outage_answer: int = OK
    """While ``clock()`` is before ``outage_until``, every call gets this errcode, or this HTTP status if a 5xx."""
    shown: dict[tuple[str, str], float] = field(default_factory=dict)
    """When each member was last shown each content (for the duplicate check)."""
    url: str = ""
    _ids: Iterator[int] = field(default_factory=lambda: count(1))
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    # -- server ---------------------------------------------------------------------------------------------

    def asgi(self) -> Starlette:
        """Return the Starlette app answering ``/cgi-bin/...``."""
        return Starlette(routes=[Route("/cgi-bin/{method:path}", self._endpoint, methods=["GET", "POST"])])

    async def start(self) -> None:
        """Serve on 127.0.0.1 with a random port, in this event loop."""
        self._server, self._task, self.url = await start_loopback(self.asgi())

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None and self._task is not None:
            await stop_loopback(self._server, self._task)

    async def _endpoint(self, request: Request) -> Response:
        method = request.path_params["method"]
        params = dict(request.query_params)
        if method == MEDIA_GET:
            return self._media_get(Call(method, params, {}))
        raw = await request.body()
        body: dict[str, Any] = {}
        if method == MEDIA_UPLOAD:
            body = _multipart_file(request.headers.get("content-type", ""), raw, "media")
        elif raw:
            if b"\\u" in raw:
                return self._answer(Call(method, params, {}), ESCAPED_CHARACTERS)
            body = json.loads(raw)
        call = Call(method, params, body)
        self.calls.append(call)
        if self.clock() < self.outage_until:
            if HTTP_ERRORS[0] <= self.outage_answer < HTTP_ERRORS[1]:
                return JSONResponse({"error": "unavailable"}, status_code=self.outage_answer)
            return self._answer(call, self.outage_answer)
        if method == GETTOKEN:
            return self._gettoken(call)
        caller = request.client.host if request.client is not None else ""
        if self.trusted_ips is not None and caller not in self.trusted_ips:
            return JSONResponse({"errcode": UNTRUSTED_IP, "errmsg": UNTRUSTED_IP_ERRMSG.format(ip=caller)})
        if method == WEBHOOK_SEND:
            return self._webhook(call)
        refused = self._check_token(params.get("access_token"))
        if refused:
            return self._answer(call, refused)
        queued = self.failures.get(method)
        if queued:
            injected = queued.popleft()
            if injected is not None:
                return self._answer(call, injected)
        handler = getattr(self, "_api_" + method.replace("/", "_"), None)
        if handler is None:
            return self._answer(call, BAD_PARAMETER)
        result = handler(call)
        if isinstance(result, int):
            return self._answer(call, result)
        return self._answer(call, OK, result)

    def _answer(self, call: Call, errcode: int, extra: dict[str, Any] | None = None) -> JSONResponse:
        extra = dict(extra or {})
        duplicate = tuple(extra.pop(DUPLICATE_ANSWER, ()))  # WeCom answers ok and says nothing of them
        if errcode == OK:
            refused = tuple(user for user in str(extra.get("invaliduser") or "").split("|") if user)
            self.delivered.append(replace(call, refused=refused, duplicate=duplicate))
        return JSONResponse({"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error"), **extra})

    def _check_token(self, token: str | None) -> int:
        if not token:
            return MISSING_TOKEN
        if token in self.expired:
            return TOKEN_EXPIRED
        expires = self.tokens.get(token)
        if expires is None:
            return INVALID_TOKEN
        if expires <= time.monotonic():
            return TOKEN_EXPIRED
        return OK

    # -- API methods ----------------------------------------------------------------------------------------

    def _gettoken(self, call: Call) -> JSONResponse:
        self.token_requests += 1
        if call.params.get("corpid") != self.corp_id or call.params.get("corpsecret") != self.secret:
            return JSONResponse({"errcode": INVALID_SECRET, "errmsg": ERRMSG[INVALID_SECRET]})
        queued = self.failures.get(GETTOKEN)
        if queued:
            injected = queued.popleft()
            if injected is not None:
                return JSONResponse({"errcode": injected, "errmsg": ERRMSG.get(injected, "error")})
        now = time.monotonic()
        live = [(token, expires) for token, expires in self.tokens.items() if expires > now]
        if live:  # WeCom answers with the same token while it is valid
            token, expires = live[-1]
        else:
            token, expires = f"fake-access-token-{next(self._ids)}", now + TOKEN_LIFETIME
            self.tokens[token] = expires
        return JSONResponse({"errcode": OK, "errmsg": "ok", "access_token": token, "expires_in": round(expires - now)})

    def _api_message_send(self, call: Call) -> dict[str, Any] | int:
        body = call.body
        if body.get("agentid") != self.agent_id:
            return BAD_AGENT
        kind = body.get("msgtype")
        if kind not in ("text", "markdown", "template_card", "file"):
            return BAD_MSGTYPE
        if kind == "file" and (body.get("file") or {}).get("media_id") not in self.media:
            return INVALID_MEDIA
        if kind in ("text", "markdown") and _size(body[kind]["content"]) > MAX_TEXT_BYTES:
            return TOO_LONG
        users = str(body.get("touser", "")).split("|")
        failing = [self.user_failures[user] for user in users if user in self.user_failures]
        if failing and len(failing) == len(users):
            return failing[0]
        # Members it cannot reach are listed in invaliduser; the others get the message.
        refused = "|".join(user for user in users if user in self.user_failures)
        answer: dict[str, Any] = {"invaliduser": refused, "msgid": f"msg-{next(self._ids)}"}
        if kind == "template_card":
            card = body["template_card"]
            if not card.get("task_id") or not card.get("button_list"):
                return BAD_PARAMETER
            answer["response_code"] = f"response-{next(self._ids)}"
        answer[DUPLICATE_ANSWER] = self._duplicates(body, [user for user in users if user not in self.user_failures])
        return answer

    def _api_agent_get(self, call: Call) -> dict[str, Any] | int:
        if call.params.get("agentid") != str(self.agent_id):
            return BAD_AGENT
        return {"agentid": self.agent_id, "name": APP_NAME}

    def _api_user_get(self, call: Call) -> dict[str, Any] | int:
        if not self.reads_names:
            return NO_PRIVILEGE
        user = call.params.get("userid", "")
        if user not in self.names:
            return USER_NOT_FOUND
        return {"userid": user, "name": self.names[user]}

    def _duplicates(self, body: dict[str, Any], users: list[str]) -> list[str]:
        """Record what each member is shown; return the members who got this content too recently to see it again."""
        content = json.dumps({k: v for k, v in body.items() if k not in DUPLICATE_CHECK_FIELDS}, sort_keys=True)
        interval = float(body.get("duplicate_check_interval") or DEFAULT_DUPLICATE_CHECK_SECONDS)
        now = self.clock()
        duplicate = []
        for user in users:
            last = self.shown.get((user, content))
            if body.get("enable_duplicate_check") == 1 and last is not None and now - last < interval:
                duplicate.append(user)
            else:
                self.shown[user, content] = now
        return duplicate

    def _api_message_update_template_card(self, call: Call) -> dict[str, Any] | int:
        return {} if call.body.get("response_code") else BAD_PARAMETER

    def _api_appchat_create(self, call: Call) -> dict[str, Any] | int:
        userlist = list(call.body.get("userlist") or [])
        if not 2 <= len(userlist) <= 500:
            return BAD_PARAMETER
        chatid = call.body.get("chatid") or f"wrFakeChat{next(self._ids):06d}"
        self.chats[chatid] = {"name": call.body.get("name", ""), "owner": call.body.get("owner"), "users": userlist}
        return {"chatid": chatid}

    def _api_appchat_send(self, call: Call) -> dict[str, Any] | int:
        if call.body.get("chatid") not in self.chats:
            return CHAT_NOT_FOUND
        kind = call.body.get("msgtype")
        if kind not in ("text", "markdown"):
            return BAD_MSGTYPE
        if _size(call.body[kind]["content"]) > MAX_TEXT_BYTES:
            return TOO_LONG
        return {}

    def _api_media_upload(self, call: Call) -> dict[str, Any] | int:
        if call.params.get("type") not in ("image", "voice", "video", "file") or "content" not in call.body:
            return BAD_PARAMETER
        media_id = f"media-{next(self._ids)}"
        self.media[media_id] = (str(call.body["filename"]), bytes(call.body["content"]))
        return {"type": call.params["type"], "media_id": media_id, "created_at": str(int(time.time()))}

    def _media_get(self, call: Call) -> Response:
        """Serve a temporary file as WeCom does: the bytes with a Content-Disposition, or a JSON error."""
        self.calls.append(call)
        refused = self._check_token(call.params.get("access_token"))
        if refused:
            return self._answer(call, refused)
        stored = self.media.get(call.params.get("media_id", ""))
        if stored is None:
            return self._answer(call, INVALID_MEDIA)
        self.downloads.append(call.params["media_id"])
        name, data = stored
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})

    def add_media(self, file_name: str, data: bytes) -> str:
        """Keep a file a member sends to the app; return its media_id."""
        media_id = f"member-media-{next(self._ids)}"
        self.media[media_id] = (file_name, data)
        return media_id

    def files_sent(self, user: str) -> list[tuple[str, bytes]]:
        """Return the (file name, bytes) of the file messages delivered to a member."""
        return [
            self.media[call.body["file"]["media_id"]]
            for call in self.delivered
            if call.method == MESSAGE_SEND and call.body.get("msgtype") == "file" and call.body.get("touser") == user
        ]

    def _webhook(self, call: Call) -> JSONResponse:
        key = call.params.get("key", "")
        if key not in self.robots:
            return self._answer(call, ROBOT_KEY_INVALID)
        queued = self.failures.get(WEBHOOK_SEND)
        if queued:
            injected = queued.popleft()
            if injected is not None:
                return self._answer(call, injected)
        now = time.monotonic()
        times = self.robot_times.setdefault(key, deque())
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= ROBOT_PER_MINUTE:
            return self._answer(call, FREQUENCY)
        times.append(now)
        kind = call.body.get("msgtype")
        if kind not in ("text", "markdown"):
            return self._answer(call, BAD_MSGTYPE)
        return self._answer(call, OK)

    # -- driving and reading --------------------------------------------------------------------------------

    def fail(self, method: str, errcode: int, *, times: int = 1, after: int = 0) -> None:
        """Answer ``times`` calls of a method with an errcode, once ``after`` more calls were answered normally."""
        queue = self.failures.setdefault(method, deque())
        queue.extend([None] * after)
        queue.extend([errcode] * times)

    def outage(self, answer: int, seconds: float) -> None:
        """Answer every call with an errcode (60020, 40001, -1) or an HTTP status (5xx) for ``seconds``."""
        self.outage_answer = answer
        self.outage_until = self.clock() + seconds

    def fail_user(self, user: str, errcode: int = USER_NOT_FOUND) -> None:
        """Refuse every app message to a member with an errcode (default: not in the app's visible range)."""
        self.user_failures[user] = errcode

    def expire_token(self) -> None:
        """Expire every token issued so far: the next call with one is answered 42001."""
        self.expired.update(self.tokens)
        self.tokens.clear()

    def add_robot(self, key: str) -> None:
        """Create a group robot whose webhook key is ``key``."""
        self.robots.add(key)

    def calls_to(self, method: str) -> list[Call]:
        """Return the calls of one method, oldest first."""
        return [call for call in self.calls if call.method == method]

    def sent(self, user: str | None = None) -> list[dict[str, Any]]:
        """Return the bodies of the app messages that went through, to one member or all."""
        return [
            call.body
            for call in self.delivered
            if call.method == MESSAGE_SEND
            and (
                user is None
                or (
                    user in str(call.body.get("touser")).split("|")
                    and user not in call.refused
                    and user not in call.duplicate
                )
            )
        ]

    def texts(self, user: str) -> list[str]:
        """Return what a member read, one string per message (a card's title and text)."""
        return [message_text(body) for body in self.sent(user)]

    def chat_sent(self, chatid: str) -> list[dict[str, Any]]:
        """Return the bodies of the messages that went to an app group chat."""
        return [c.body for c in self.delivered if c.method == APPCHAT_SEND and c.body.get("chatid") == chatid]

    def robot_sent(self, key: str) -> list[dict[str, Any]]:
        """Return the bodies of the messages a group robot posted."""
        return [c.body for c in self.delivered if c.method == WEBHOOK_SEND and c.params.get("key") == key]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until a condition holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.01)


def message_text(body: dict[str, Any]) -> str:
    """Return the readable text of a sent message body."""
    kind = str(body.get("msgtype"))
    if kind == "template_card":
        card = body["template_card"]
        return "\n".join(part for part in (card["main_title"]["title"], card.get("sub_title_text", "")) if part)
    if kind == "file":
        return f"[file {body['file']['media_id']}]"
    return str(body[kind]["content"])


def _multipart_file(content_type: str, raw: bytes, name: str) -> dict[str, Any]:
    """Return the filename and content of one file field of a multipart/form-data body (or nothing)."""
    document = BytesParser(policy=default).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    for part in document.iter_parts() if document.is_multipart() else ():
        if part.get_param("name", header="content-disposition") == name:
            return {"filename": part.get_filename(), "content": part.get_payload(decode=True)}
    return {}


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[FakeWeCom]:
    """Run a fake WeCom API server for the duration of a block."""
    fake = FakeWeCom()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


# -- the WeCom client side: callbacks as WeCom posts them ---------------------------------------------------


@dataclass
class WeComClient:
    """Build encrypted callbacks for an app, as WeCom's servers do."""

    token: str = CALLBACK_TOKEN
    aes_key: str = AES_KEY
    corp_id: str = CORP_ID
    agent_id: int = AGENT_ID
    _msg_ids: Iterator[int] = field(default_factory=lambda: count(7_050_000_000_000_000_001))
    _nonces: Iterator[int] = field(default_factory=lambda: count(1_372_600_000))

    @property
    def crypto(self) -> WeChatCrypto:
        """Return the crypto of the app's callback settings."""
        return WeChatCrypto(self.token, self.aes_key, self.corp_id)

    def encrypt(self, plaintext: str, *, timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
        """Return the query parameters and the body of a POST carrying ``plaintext``."""
        timestamp = timestamp or str(int(time.time()))
        nonce = str(next(self._nonces))
        envelope = self.crypto.encrypt_message(plaintext, nonce, timestamp)
        fields = _flat(envelope)
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID></xml>"
        )
        params = {"msg_signature": fields["MsgSignature"], "timestamp": timestamp, "nonce": nonce}
        return params, body.encode("utf-8")

    def echo(self, plaintext: str, *, timestamp: str | None = None) -> dict[str, str]:
        """Return the query parameters of a URL-verification GET whose echostr decrypts to ``plaintext``."""
        params, body = self.encrypt(plaintext, timestamp=timestamp)
        encrypted = _flat(body.decode())["Encrypt"]
        return {**params, "echostr": encrypted}

    def text(self, user: str, content: str, *, msg_id: int | None = None, create_time: int | None = None) -> str:
        """Return the plaintext XML of a text message from a member."""
        return self._xml(
            user,
            create_time,
            MsgType="text",
            Content=content,
            MsgId=str(msg_id if msg_id is not None else next(self._msg_ids)),
        )

    def file(self, user: str, media_id: str, file_name: str, size: int, *, msg_id: int | None = None) -> str:
        """Return the plaintext XML of a file a member sends to the app."""
        return self._xml(
            user,
            None,
            MsgType="file",
            MediaId=media_id,
            FileName=file_name,
            FileSize=str(size),
            MsgId=str(msg_id if msg_id is not None else next(self._msg_ids)),
        )

    def image(self, user: str, media_id: str, *, msg_id: int | None = None) -> str:
        """Return the plaintext XML of a photo a member sends to the app."""
        return self._xml(
            user,
            None,
            MsgType="image",
            PicUrl=f"https://wework.qpic.cn/wwpic/{media_id}/0",
            MediaId=media_id,
            MsgId=str(msg_id if msg_id is not None else next(self._msg_ids)),
        )

    def card_tap(self, user: str, key: str, *, task_id: str, response_code: str, create_time: int | None = None) -> str:
        """Return the plaintext XML of a tap on a template-card button."""
        return self._xml(
            user,
            create_time,
            MsgType="event",
            Event="template_card_event",
            EventKey=key,
            TaskId=task_id,
            CardType="button_interaction",
            ResponseCode=response_code,
        )

    def _xml(self, user: str, create_time: int | None, **fields: str) -> str:
        items = {
            "ToUserName": self.corp_id,
            "FromUserName": user,
            "CreateTime": str(create_time if create_time is not None else int(time.time())),
            **fields,
            "AgentID": str(self.agent_id),
        }
        inner = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in items.items())
        return f"<xml>{inner}</xml>"


def _flat(document: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(document)}
