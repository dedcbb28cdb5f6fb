"""The WeCom server API: one ``httpx.AsyncClient``, the shared access token, and WeCom's error codes.

Errors never carry a request's URL, which holds the secret or the access token. Failures are mapped to the core's
``SendError``; their reasons start with one of the ``REASON_*`` prefixes below, for people reading the outbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from lianfang.bot.platforms.wecom.chats import PATH_WEBHOOK_SEND, TARGET_USER, USER_ID
from lianfang.bot.platforms.wecom.tokens import TOKEN_LIFETIME_SECONDS, CachedToken, MemoryTokenStore, TokenStore
from lianfang.bot.ports import LRU, FailureKind, SendError, SetupRefused
from lianfang.bot.types import AttachmentTooLarge

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com"
PATH_GETTOKEN = "/cgi-bin/gettoken"
PATH_MESSAGE_SEND = "/cgi-bin/message/send"
PATH_UPDATE_CARD = "/cgi-bin/message/update_template_card"
PATH_APPCHAT_CREATE = "/cgi-bin/appchat/create"
PATH_APPCHAT_SEND = "/cgi-bin/appchat/send"
PATH_MEDIA_UPLOAD = "/cgi-bin/media/upload"
PATH_MEDIA_GET = "/cgi-bin/media/get"
PATH_AGENT_GET = "/cgi-bin/agent/get"
PATH_USER_GET = "/cgi-bin/user/get"
MEDIA_FILE = "file"
DOWNLOAD_CHUNK_BYTES = 64 * 1024
REQUEST_TIMEOUT_SECONDS = 10.0
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
MAX_APPCHAT_MEMBERS = 500
MIN_APPCHAT_MEMBERS = 2
MAX_APPCHAT_NAME_CHARS = 50
NAME_CACHE_SIZE = 4096

ERR_OK = 0
ERR_BUSY = -1
ERR_INVALID_TOKEN = 40014
ERR_TOKEN_EXPIRED = 42001
ERR_FREQUENCY = 45009
ERR_CONCURRENCY = 45033
ERR_INVALID_USER = 40003
ERR_NO_PRIVILEGE = 60011
ERR_USER_NOT_FOUND = 60111
ERR_ALL_INVALID = 81013
ERR_CHAT_NOT_FOUND = 86003
ERR_CHATID_NOT_FOUND = 40050
ERR_ROBOT_KEY = 93000
ERR_BAD_MSGTYPE = 40008
ERR_BAD_CHARACTERS = 40033
ERR_BAD_PARAMETER = 40058
ERR_EMPTY_CONTENT = 44004
ERR_CONTENT_TOO_LONG = 45002
ERR_INVALID_SECRET = 40001
ERR_INVALID_CORP_ID = 40013
ERR_INVALID_AGENT_ID = 40056
ERR_UNTRUSTED_IP = 60020
CREDENTIAL_ERRORS = frozenset({ERR_INVALID_SECRET, ERR_INVALID_CORP_ID, ERR_INVALID_AGENT_ID})
"""The corp id, the app's secret or its agent id is wrong: nothing works until the settings are fixed."""
SETUP_ERRORS = CREDENTIAL_ERRORS | {ERR_UNTRUSTED_IP}
"""Errors an operator must fix (settings, the app's 企业可信IP); logged at WARNING, and fatal at start."""
FROM_IP = re.compile(r"from ip:\s*([0-9A-Fa-f.:]+)")
"""WeCom names the refused caller in a 60020's errmsg: ``not allow to access from your ip, ..., from ip: 1.2.3.4``."""
TOKEN_ERRORS = frozenset({ERR_INVALID_TOKEN, ERR_TOKEN_EXPIRED})
RATE_ERRORS = frozenset({ERR_FREQUENCY, ERR_CONCURRENCY})
UNREACHABLE_USER_ERRORS = frozenset({ERR_INVALID_USER, ERR_NO_PRIVILEGE, ERR_USER_NOT_FOUND, ERR_ALL_INVALID})
"""The member is unknown, outside the app's visible range, or none of the recipients may get the message."""
NOT_ABOUT_THE_CARD = (
    TOKEN_ERRORS | RATE_ERRORS | UNREACHABLE_USER_ERRORS | {ERR_BUSY, ERR_INVALID_SECRET, ERR_UNTRUSTED_IP}
)
"""Refusals of a template card that its text would meet too: the text is not tried instead."""
GONE_CHAT_ERRORS = frozenset({ERR_CHAT_NOT_FOUND, ERR_CHATID_NOT_FOUND, ERR_ROBOT_KEY})
BAD_REQUEST_ERRORS = frozenset(
    {ERR_BAD_MSGTYPE, ERR_BAD_CHARACTERS, ERR_BAD_PARAMETER, ERR_EMPTY_CONTENT, ERR_CONTENT_TOO_LONG}
)
"""Wrong message type, ``\\uXXXX`` in the body, bad parameter, empty or oversized content: a retry cannot help."""
UNREACHABLE_TEXT = "recipient not reachable by the app"
RATE_RETRY_SECONDS = 60.0
"""WeCom's frequency limits are per minute; after a 45009 the next minute is a fresh one."""

REASON_FORBIDDEN = "forbidden"
REASON_CHAT_GONE = "chat_not_found"
REASON_BAD_REQUEST = "bad_request"
REASON_RATE_LIMITED = "rate_limited"
REASON_NETWORK = "network"
REASON_TOKEN = "token"
REASON_ERROR = "wecom_error"


class ApiError(Exception):
    """A WeCom API answer with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class ApiUnreachable(Exception):
    """The API could not be reached or gave no readable answer."""


def setup_hint(error: ApiError, agent_id: int) -> str | None:
    """Say what an operator must fix for a setup error (wrong secret, untrusted IP), or None for other errors."""
    if error.errcode == ERR_UNTRUSTED_IP:
        found = FROM_IP.search(error.errmsg)
        address = found.group(1) if found else "this server's public IP"
        return (
            f"WeCom refuses API calls from {address} (60020): add {address} to the app's 企业可信IP "
            f"(管理后台 → 应用管理 → the app {agent_id} → 企业可信IP), then start lianfang again"
        )
    if error.errcode == ERR_INVALID_AGENT_ID:
        return f"WeCom does not know LIANFANG_WECOM_AGENT_ID={agent_id} ({error.errcode}): check the app's AgentId"
    if error.errcode in CREDENTIAL_ERRORS:
        return (
            f"WeCom refused LIANFANG_WECOM_CORP_ID / LIANFANG_WECOM_SECRET ({error.errcode} {error.errmsg}): "
            "check the corp id (我的企业) and the app's Secret (应用管理 → the app)"
        )
    return None


# -- the token cache ----------------------------------------------------------------------------------------


class WeComApi:
    """Call the WeCom server API for one self-built app, with its access token cached and shared."""

    def __init__(
        self,
        *,
        corp_id: str,
        agent_id: int,
        secret: str,
        base_url: str = DEFAULT_API_BASE_URL,
        tokens: TokenStore | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.tokens: TokenStore = tokens if tokens is not None else MemoryTokenStore()
        self.token_key = f"{corp_id}:{agent_id}"
        self._names = LRU(NAME_CACHE_SIZE)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._token: CachedToken | None = None
        self._token_lock = asyncio.Lock()

    def open(self) -> httpx.AsyncClient:
        """Return the HTTP client, made on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=REQUEST_TIMEOUT_SECONDS, transport=self._transport
            )
        return self._client

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def check_setup(self) -> None:
        """Get a token and read the app (``agent/get``): a wrong secret or an untrusted IP raises SetupRefused.

        ``gettoken`` checks the corp id and secret; ``agent/get`` the agent id and the server's IP, which WeCom
        checks on every other call. An unreachable or busy API is only logged: sending retries it later.
        """
        try:
            token = await self.access_token()
            params = {"access_token": token, "agentid": str(self.agent_id)}
            answer = await self.request("GET", PATH_AGENT_GET, params)
            if errcode(answer) != ERR_OK:
                raise ApiError(errcode(answer), str(answer.get("errmsg", "")))
        except ApiError as error:
            hint = setup_hint(error, self.agent_id)
            if hint is None:
                logger.warning("wecom: start-up check failed (%s); sending will retry", error.errcode)
                return
            logger.error("wecom: %s", hint)
            raise SetupRefused(hint) from None
        except ApiUnreachable as error:
            logger.warning("wecom: API not reachable at start (%s); sending will retry", error)
            return
        logger.info("wecom: app %s ready", self.agent_id)

    async def member_name(self, user: str) -> str:
        """Return a member's name from the address book (``user/get``), or "" when the app may not read it.

        Apps without address-book access get an error, or the UserID in place of the name; both mean "". The
        answer is kept for the life of the process, so a member costs one call.
        """
        if user in self._names:
            return str(self._names.recall(user))
        name = ""
        try:
            answer = await self.call(PATH_USER_GET, {"userid": user}, method="GET")
            found = str(answer.get("name") or "").strip()
            name = "" if found.casefold() == user.casefold() else found
        except ApiError as error:
            logger.info("wecom: no name from user/get (%s)", error.errcode)
        except ApiUnreachable:
            return ""  # try again next time
        self._names.remember(user, name)
        return name

    async def create_app_chat(self, name: str, owner: str, members: Sequence[str]) -> str:
        """Create a group chat of the app with these members (the owner included) and return its chatid.

        WeCom allows this only to self-built apps whose visible range is the root department; 2 to 500 members.
        """
        userlist = list(dict.fromkeys([owner, *members]))
        if not MIN_APPCHAT_MEMBERS <= len(userlist) <= MAX_APPCHAT_MEMBERS:
            raise ValueError(f"a group chat needs {MIN_APPCHAT_MEMBERS} to {MAX_APPCHAT_MEMBERS} members")
        bad = [user for user in userlist if not USER_ID.match(user)]
        if bad:
            raise ValueError(f"not WeCom UserIDs: {', '.join(bad)}")
        payload = {"name": name[:MAX_APPCHAT_NAME_CHARS], "owner": owner, "userlist": userlist}
        answer = await self.post(PATH_APPCHAT_CREATE, payload)
        chatid = str(answer.get("chatid") or "")
        if not chatid:
            raise ApiUnreachable("appchat/create answered without a chatid")
        logger.info("wecom: group chat created with %d members", len(userlist))
        return chatid

    async def upload_media(self, kind: str, filename: str, content: bytes) -> str:
        """Upload a temporary file (``image``, ``voice``, ``video`` or ``file``, kept 3 days); return its media_id."""
        files = {"media": (filename, content, "application/octet-stream")}
        answer = await self.call(PATH_MEDIA_UPLOAD, {"type": kind}, files=files)
        return str(answer.get("media_id") or "")

    async def download_media(self, media_id: str, limit: int) -> bytes:
        """Download a temporary file (``media/get``), refusing more than ``limit`` bytes; a refused token is renewed."""
        token = await self.access_token()
        data = await self._download(media_id, token, limit)
        if isinstance(data, int) and data in TOKEN_ERRORS:
            data = await self._download(media_id, await self.access_token(stale=token), limit)
        if isinstance(data, int):
            raise ApiError(data, "media/get")
        return data

    async def _download(self, media_id: str, token: str, limit: int) -> bytes | int:
        """Stream one file; return its bytes, or the errcode when WeCom answered with JSON instead."""
        params = {"access_token": token, "media_id": media_id}
        try:
            async with self.open().stream("GET", PATH_MEDIA_GET, params=params) as response:
                if response.status_code != httpx.codes.OK:
                    raise ApiUnreachable(f"HTTP {response.status_code} on {PATH_MEDIA_GET}")
                if response.headers.get("content-type", "").startswith(("application/json", "text/plain")):
                    return errcode(json.loads(await response.aread() or b"{}"))
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > limit:
                    raise AttachmentTooLarge(media_id)
                data = bytearray()
                async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK_BYTES):
                    data += chunk
                    if len(data) > limit:
                        raise AttachmentTooLarge(media_id)
                return bytes(data)
        except httpx.HTTPError as error:
            raise ApiUnreachable(f"{type(error).__name__} on {PATH_MEDIA_GET}") from None

    async def access_token(self, *, stale: str | None = None) -> str:
        """Return a usable access token: this process's, the shared cache's, or a new one from ``gettoken``.

        ``stale`` is a token WeCom just refused; it is never returned again. Another instance may already have
        replaced it in the shared cache, in which case that one is used without calling ``gettoken``.
        """
        async with self._token_lock:
            now = datetime.now(UTC)
            mine = self._token
            if mine is not None and mine.token != stale and mine.fresh(now):
                return mine.token
            shared = await quiet_store("load", self.tokens.load(self.token_key))
            if isinstance(shared, CachedToken) and shared.token != stale and shared.fresh(now):
                self._token = shared
                return shared.token
            if stale is not None:
                await quiet_store("discard", self.tokens.discard(self.token_key, stale))
            fetched = await self._fetch_token(now)
            await quiet_store("save", self.tokens.save(self.token_key, fetched))
            self._token = fetched
            return fetched.token

    async def _fetch_token(self, now: datetime) -> CachedToken:
        params = {"corpid": self.corp_id, "corpsecret": self._secret}
        answer = await self.request("GET", PATH_GETTOKEN, params)
        code = errcode(answer)
        token = answer.get("access_token")
        if code != ERR_OK or not isinstance(token, str) or not token:
            raise ApiError(code if code != ERR_OK else ERR_BUSY, f"gettoken: {answer.get('errmsg', 'no token')}")
        lifetime = answer.get("expires_in")
        seconds = lifetime if isinstance(lifetime, int) and lifetime > 0 else TOKEN_LIFETIME_SECONDS
        logger.info("wecom: new access token, valid for %ss", seconds)
        return CachedToken(token, now + timedelta(seconds=seconds))

    async def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Call an API method with the access token; a refused token is refreshed and the call made once more."""
        return await self.call(path, {}, payload=payload)

    async def call(
        self,
        path: str,
        params: dict[str, str],
        *,
        payload: dict[str, Any] | None = None,
        files: Any = None,
        method: str = "POST",
    ) -> dict[str, Any]:
        token = await self.access_token()
        answer = await self.request(method, path, {**params, "access_token": token}, payload=payload, files=files)
        if errcode(answer) in TOKEN_ERRORS:
            logger.info("wecom: access token refused (%s); refreshing it once", errcode(answer))
            token = await self.access_token(stale=token)
            answer = await self.request(method, path, {**params, "access_token": token}, payload=payload, files=files)
        code = errcode(answer)
        if code != ERR_OK:
            raise ApiError(code, str(answer.get("errmsg", "")))
        return answer

    async def robot(self, key: str, payload: dict[str, Any]) -> None:
        answer = await self.request("POST", PATH_WEBHOOK_SEND, {"key": key}, payload=payload)
        code = errcode(answer)
        if code != ERR_OK:
            raise ApiError(code, str(answer.get("errmsg", "")))

    async def request(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        *,
        payload: dict[str, Any] | None = None,
        files: Any = None,
    ) -> dict[str, Any]:
        """Make one HTTP call and return its JSON; errors never carry the URL, which holds secrets."""
        content = None
        headers = {}
        if payload is not None:
            # WeCom refuses \uXXXX escapes (errcode 40033), so the body is real UTF-8.
            content = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = JSON_CONTENT_TYPE
        try:
            response = await self.open().request(
                method, path, params=params, content=content, files=files, headers=headers
            )
        except httpx.HTTPError as error:
            raise ApiUnreachable(f"{type(error).__name__} on {path}") from None
        if response.status_code != httpx.codes.OK:
            raise ApiUnreachable(f"HTTP {response.status_code} on {path}")
        try:
            answer = response.json()
        except ValueError:
            raise ApiUnreachable(f"no JSON from {path}") from None
        if not isinstance(answer, dict):
            raise ApiUnreachable(f"unexpected answer from {path}")
        return answer


async def quiet_store(what: str, call: Any) -> Any:
    """Run a call to a shared store (tokens, card taps); a database hiccup must not stop sending."""
    try:
        return await call
    except Exception as error:
        logger.warning("wecom: token cache %s failed: %s", what, type(error).__name__)
        return None


def errcode(answer: Mapping[str, Any]) -> int:
    code = answer.get("errcode", ERR_OK)
    try:
        return int(code)
    except (TypeError, ValueError):
        return ERR_BUSY


def log_level(error: ApiError | ApiUnreachable) -> int:
    """Log setup errors (wrong secret, untrusted IP) at WARNING: an operator must act; others at INFO."""
    return logging.WARNING if isinstance(error, ApiError) and error.errcode in SETUP_ERRORS else logging.INFO


def send_error(target: str, error: ApiError | ApiUnreachable) -> SendError:
    """Map a failed call to the core's SendError; the reason starts with a ``REASON_*`` prefix."""
    if isinstance(error, ApiUnreachable):  # no answer, HTTP 5xx, or not JSON
        return SendError(f"{REASON_NETWORK}: {error}", permanent=False, kind=FailureKind.OUTAGE)
    code, text = error.errcode, f"{error.errcode} {error.errmsg}".strip()
    if code in RATE_ERRORS:
        return SendError(f"{REASON_RATE_LIMITED}: {text}", permanent=False, retry_after=RATE_RETRY_SECONDS)
    if code in TOKEN_ERRORS:  # refused even after a refresh
        return SendError(f"{REASON_TOKEN}: {text}", permanent=False, kind=FailureKind.OUTAGE)
    if target == TARGET_USER and code in UNREACHABLE_USER_ERRORS:
        return SendError(f"{REASON_FORBIDDEN}: {text}", permanent=True, kind=FailureKind.REFUSED)
    if code in GONE_CHAT_ERRORS:
        return SendError(f"{REASON_CHAT_GONE}: {text}", permanent=True)
    if code in BAD_REQUEST_ERRORS:
        return SendError(f"{REASON_BAD_REQUEST}: {text}", permanent=True)
    # -1 (busy), a bad secret (40001), an IP not on the allow-list (60020), any other gettoken failure and anything
    # new: an outage, held until it is fixed, so fixing the configuration loses nothing
    return SendError(f"{REASON_ERROR}: {text}", permanent=False, kind=FailureKind.OUTAGE)
