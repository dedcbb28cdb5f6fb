"""WeCom (企业微信) adapter: encrypted app callbacks in as ``IncomingMessage``, app, group-chat and robot messages out.

This is the only module that imports ``wechatpy``, and only for the callback crypto (signature check, AES). The
WeCom server API is called directly through one ``httpx.AsyncClient``, so no call blocks the event loop. wechatpy
1.8 predates template cards, so decrypted callbacks are read as the flat XML they are.

Chats are addressed by the ``chat_id`` of a ``ChatRef``:

- a member's UserID (``zhangsan``): a private app message (``message/send``);
- ``appchat:<chatid>``: a group chat created by the app (``appchat/create`` / ``appchat/send``);
- ``webhook:<key>``: a group robot (``webhook/send``). The key lets anyone post to the group; keep it private.

UserIDs are letters, digits, ``-``, ``_`` and ``.``, so the prefixes cannot clash with them.

Incoming messages, in the least surprising way for the core:

- text → its text; a tap on a template-card button or an app-menu item (``click``) → the button's value with
  ``is_button=True``, exactly what typing it would give;
- ``subscribe`` (a member starts following the app) → ``/start``, so a newcomer is told how to join;
- image, voice, video, location, link or file → an empty text. The core answers "no text received" outside a
  form, and re-asks the open question inside one; silence would leave a field worker wondering;
- ``enter_agent`` (opening the app), ``unsubscribe``, periodic location reports and other events → ignored.

Failure reasons raised as ``SendError`` start with one of the ``REASON_*`` prefixes below. ``forbidden`` means
the member is not in the app's visible range, left the company, or has no licence, so retrying cannot help and
the core posts the message in the member's group chat instead.

Per-recipient pacing: WeCom silently drops app messages beyond 30 per minute (and 1,000 per hour) for one member,
so this adapter sends at most 25 per minute and 900 per hour to one member, 20 per minute to one group chat, and
20 per minute to one group robot (its documented limit); beyond that ``send`` raises a transient ``SendError``
with ``retry_after`` and the outbox sends the rest later. The counts live in the process: with several instances
on one database each keeps its own.

Batched sends: ``send_many`` (used by the outbox when one payload is queued to several chats, as the daily
reminders are) reaches up to 1,000 members with one ``message/send``, ``touser`` joined with ``|``. Each member
is still paced, and a member WeCom lists in ``invaliduser`` fails alone.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import re
import time
import unicodedata
import uuid
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from lianfang.bot.i18n import render, render_lines
from lianfang.bot.ports import LRU, SEND_OUTAGE, SEND_REFUSED, Dispatch, SendError, SetupRefused
from lianfang.bot.render import is_choice, render_plain
from lianfang.bot.types import (
    FORM_CONTROL_VALUES,
    PLATFORM_WECOM,
    Attachment,
    AttachmentTooLarge,
    Button,
    ChatRef,
    Document,
    Fetch,
    IncomingMessage,
    OutgoingMessage,
    Text,
)
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

if TYPE_CHECKING:
    from lianfang.bot.config import Settings

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com"
PATH_GETTOKEN = "/cgi-bin/gettoken"
PATH_MESSAGE_SEND = "/cgi-bin/message/send"
PATH_UPDATE_CARD = "/cgi-bin/message/update_template_card"
PATH_APPCHAT_CREATE = "/cgi-bin/appchat/create"
PATH_APPCHAT_SEND = "/cgi-bin/appchat/send"
PATH_WEBHOOK_SEND = "/cgi-bin/webhook/send"
PATH_MEDIA_UPLOAD = "/cgi-bin/media/upload"
PATH_MEDIA_GET = "/cgi-bin/media/get"
PATH_AGENT_GET = "/cgi-bin/agent/get"
PATH_USER_GET = "/cgi-bin/user/get"
MEDIA_FILE = "file"
DOWNLOAD_CHUNK_BYTES = 64 * 1024
REQUEST_TIMEOUT_SECONDS = 10.0
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

APPCHAT_PREFIX = "appchat:"
WEBHOOK_PREFIX = "webhook:"
TARGET_USER = "user"
TARGET_APPCHAT = "appchat"
TARGET_ROBOT = "robot"
USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
"""A WeCom UserID (``@`` admitted for the odd legacy account); anything else is never @mentioned."""

MAX_TEXT_BYTES = 2048
"""App and group-chat text and markdown are cut by WeCom beyond 2,048 bytes of UTF-8 (a Chinese character is 3)."""
MAX_ROBOT_TEXT_BYTES = 2048
MAX_APPCHAT_MEMBERS = 500
MAX_MESSAGE_USERS = 1000
"""One app message (``message/send``) reaches up to 1,000 members, their UserIDs joined with ``|`` in ``touser``."""
TOUSER_SEPARATOR = "|"
MIN_APPCHAT_MEMBERS = 2
MAX_APPCHAT_NAME_CHARS = 50

TOKEN_LIFETIME_SECONDS = 7200
TOKEN_REFRESH_MARGIN = timedelta(minutes=5)
"""A cached token is replaced this long before it expires, so no call races its expiry."""

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
ERR_INVALID_SECRET = 40001
ERR_UNTRUSTED_IP = 60020
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
NO_DUPLICATE_CHECK = 0
"""With a number of seconds instead, app messages ask WeCom to drop a copy of one it took that recently
(``enable_duplicate_check``, at most 4 h): a message sent again after a crash between its send and its mark is then
shown once, but so is the same answer to the same words typed twice. Group chats and robots take no such parameter."""
"""WeCom's frequency limits are per minute; after a 45009 the next minute is a fresh one."""

REASON_FORBIDDEN = "forbidden"
REASON_CHAT_GONE = "chat_not_found"
REASON_BAD_REQUEST = "bad_request"
REASON_RATE_LIMITED = "rate_limited"
REASON_NETWORK = "network"
REASON_TOKEN = "token"
REASON_ERROR = "wecom_error"

MEMBER_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 25), (3600.0, 900))
"""(window seconds, messages) per member; WeCom drops what exceeds 30 a minute or 1,000 an hour."""
APPCHAT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
ROBOT_LIMITS: tuple[tuple[float, int], ...] = ((60.0, 20),)
"""A group robot may post 20 messages a minute."""

ENCRYPT_FIELD = "Encrypt"
MSG_TEXT = "text"
MSG_EVENT = "event"
MSG_FILE = "file"
MSG_MARKDOWN = "markdown"
MSG_TEMPLATE_CARD = "template_card"
EVENT_TEMPLATE_CARD = "template_card_event"
EVENT_CLICK = "click"
EVENT_SUBSCRIBE = "subscribe"
START_COMMAND = "/start"
NON_TEXT_TEXT = ""
"""What an image, voice, video, location, link or file message becomes: the core answers ``common.empty``."""
EVENT_ID_PREFIX = "ev:"
EVENT_DIGEST_BYTES = 16

CARD_TYPE = "button_interaction"
CARD_KEY_PREFIX = "lf1_"
"""Template-card button keys carry the button's value and label, base64url-encoded after this prefix."""
CARD_MAX_KEY_BYTES = 1024
CARD_MAX_BUTTONS = 6
CARD_MAX_TITLE_CHARS = 26
CARD_MAX_TEXT_CHARS = 112
CARD_MAX_LABEL_CHARS = 10
"""WeCom's advised lengths for the title, the text and button labels; longer messages go as plain text."""
CARD_TASK_PREFIX = "lf"
CARD_DONE_MARK = "✓"
MARKDOWN_MENTION = "<@{user}>"
MAX_MENTIONS = 20
"""At most 67 bytes each: 20 mentions leave room for text in a 2,048-byte message."""
MARKDOWN_TAG_OPEN = "<"
MARKDOWN_TAG_SAFE = "＜"
"""In markdown a ``<`` starts a tag (``<@userid>``, ``<font>``); data in the text must not become one."""

CARDS_AUTO = "auto"
CARDS_ALWAYS = "always"
CARDS_NEVER = "never"
CARD_MODES = (CARDS_AUTO, CARDS_ALWAYS, CARDS_NEVER)
"""``LIANFANG_WECOM_CARDS``: WeChat users (微工作台) see no template cards, though WeCom answers ok to them. In
``auto`` a member who tapped no card lately gets the text as well, with the words to type."""
CARD_TRUST = timedelta(days=7)
"""In ``auto``, a card tap this recent shows the member's client displays cards; older, the text goes too."""
ESCAPE_LOOKALIKE = re.compile(r"\\(?=[uU])")
"""A typed ``\\u`` (``D:\\upload\\u7ed3``): WeCom refuses any text holding one (errcode 40033)."""
BACKSLASH_SAFE = "＼"
ROBOT_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
"""A group robot's webhook key (a UUID in practice)."""
ROBOT_KEY_PARAM = "key"
NAME_CACHE_SIZE = 4096
WECOM_ACTION_PRIVATE = "wecom.action_private"
PLATFORM_TEXTS = {
    "delivery.unreachable": "wecom.unreachable",
    "delivery.fallback": "wecom.fallback",
    "delivery.fallback_private": "wecom.fallback_private",
}
"""Lines whose advice differs on WeCom (the app's visible range, not /start), as the WeCom wording's key."""

MAX_CONCURRENT_CALLBACKS = 8
STOP_GRACE_SECONDS = 10.0
PROGRESS_CACHE_SIZE = 1024
KEPT_CONTROL_CHARACTERS = "\n\t"


# -- errors -------------------------------------------------------------------------------------------------


class CallbackError(Exception):
    """A callback request that is not a genuine, readable WeCom callback."""


class BadSignature(CallbackError):
    """The request's signature does not match: it did not come from WeCom (or not for this app)."""


class BadCallback(CallbackError):
    """The request is signed but cannot be decrypted or read."""


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


@dataclass(frozen=True)
class CachedToken:
    """An access token and the moment it expires (aware, UTC)."""

    token: str
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        """Tell whether the token can still be used for a while."""
        return self.expires_at - TOKEN_REFRESH_MARGIN > now


class CardStore(Protocol):
    """When members last tapped a template card (the database in production): proof their client shows cards."""

    async def recent(self, users: Sequence[str], since: datetime) -> set[str]:
        """Return the members among ``users`` who tapped a card at or after ``since``."""

    async def record(self, user: str, at: datetime) -> None:
        """Note that a member tapped a card."""


class MemoryCardStore:
    """Keep card taps in this process only (one-off commands, tests)."""

    def __init__(self) -> None:
        self.taps: dict[str, datetime] = {}

    async def recent(self, users: Sequence[str], since: datetime) -> set[str]:
        """Return the members who tapped a card since then."""
        return {user for user in users if user in self.taps and self.taps[user] >= since}

    async def record(self, user: str, at: datetime) -> None:
        """Note a tap."""
        self.taps[user] = at


class TokenStore(Protocol):
    """Where access tokens are kept between calls and shared between instances (the database in production)."""

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token of an app, if any."""

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache an app's token."""

    async def discard(self, key: str, token: str) -> None:
        """Forget a token WeCom refused (unless it was replaced meanwhile)."""


class MemoryTokenStore:
    """Keep tokens in this process only (one-off commands, tests)."""

    def __init__(self) -> None:
        self.tokens: dict[str, CachedToken] = {}

    async def load(self, key: str) -> CachedToken | None:
        """Return the cached token, if any."""
        return self.tokens.get(key)

    async def save(self, key: str, token: CachedToken) -> None:
        """Cache a token."""
        self.tokens[key] = token

    async def discard(self, key: str, token: str) -> None:
        """Forget a refused token."""
        if key in self.tokens and self.tokens[key].token == token:
            del self.tokens[key]


# -- rendering helpers --------------------------------------------------------------------------------------


def utf8_size(text: str) -> int:
    """Return the size of text in UTF-8 bytes, as WeCom counts it."""
    return len(text.encode("utf-8"))


def split_bytes(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most ``limit`` UTF-8 bytes, on line boundaries where possible.

    A line longer than the limit is cut between characters, never inside one.
    """
    if limit < 4:
        raise ValueError("limit must hold at least one character")
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        line_size = utf8_size(line)
        while line_size > limit:
            if current:
                chunks.append("\n".join(current))
                current, size = [], 0
            head, line = _cut(line, limit)
            chunks.append(head)
            line_size = utf8_size(line)
        added = line_size + (1 if current else 0)
        if current and size + added > limit:
            chunks.append("\n".join(current))
            current, size, added = [], 0, line_size
        current.append(line)
        size += added
    if current or not chunks:
        chunks.append("\n".join(current))
    return chunks


def _cut(line: str, limit: int) -> tuple[str, str]:
    """Split a line after as many characters as fit in ``limit`` bytes."""
    size = 0
    for index, char in enumerate(line):
        size += utf8_size(char)
        if size > limit:
            return line[:index], line[index:]
    return line, ""


def clean_outgoing(text: str) -> str:
    """Make text WeCom accepts: it refuses ``\\u`` anywhere in a body (errcode 40033), escaped or typed.

    Control characters (JSON escapes them as ``\\uXXXX``) are dropped; a typed backslash before ``u`` becomes a
    full-width one, so ``D:\\upload\\u7ed3果`` still reads as the path it is.
    """
    kept = "".join(
        char for char in text if char in KEPT_CONTROL_CHARACTERS or unicodedata.category(char) not in ("Cc", "Cs")
    )
    return ESCAPE_LOOKALIKE.sub(BACKSLASH_SAFE, kept)


def encode_card_key(value: str, label: str) -> str:
    """Encode a button's value and label as a template-card button key."""
    data = json.dumps([value, label], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return CARD_KEY_PREFIX + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_card_key(key: str) -> tuple[str, str] | None:
    """Return the (value, label) of a key made by ``encode_card_key``, or None for any other key."""
    if not key.startswith(CARD_KEY_PREFIX):
        return None
    payload = key.removeprefix(CARD_KEY_PREFIX)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error):
        return None
    if not (isinstance(data, list) and len(data) == 2 and all(isinstance(item, str) for item in data)):
        return None
    return data[0], data[1]


def appchat_chat_id(chatid: str) -> str:
    """Return the ``ChatRef.chat_id`` of a group chat created by the app."""
    return APPCHAT_PREFIX + chatid


def robot_chat_id(key: str) -> str:
    """Return the ``ChatRef.chat_id`` of a group robot, from the ``key`` of its webhook URL."""
    return WEBHOOK_PREFIX + key


def robot_key(text: str) -> str:
    """Return a group robot's key from its webhook URL as WeCom shows it, or from the key alone.

    ValueError says why anything else (``appchat:...``, a URL without ``key=``) is not a robot.
    """
    text = text.strip()
    if text.startswith(WEBHOOK_PREFIX):
        text = text.removeprefix(WEBHOOK_PREFIX)
    if "://" in text:
        url = httpx.URL(text)
        if not url.path.endswith(PATH_WEBHOOK_SEND):
            raise ValueError(f"not a group robot's webhook address (its path ends in {PATH_WEBHOOK_SEND})")
        text = url.params.get(ROBOT_KEY_PARAM, "")
    if not ROBOT_KEY.match(text):
        raise ValueError(
            "give the robot's webhook address as WeCom shows it (…/cgi-bin/webhook/send?key=…) or its key; "
            "a group chat of the app is bound with `lianfang wecom bind-chat`"
        )
    return text


def appchat_id(text: str) -> str:
    """Return the chatid of a group chat of the app, given as ``appchat:<chatid>`` or the chatid alone."""
    chatid = text.strip().removeprefix(APPCHAT_PREFIX)
    if not chatid or not USER_ID.match(chatid) or chatid.startswith(WEBHOOK_PREFIX) or "://" in chatid:
        raise ValueError(
            "give the chat id `lianfang wecom create-chat` printed; a group robot is bound with "
            "`lianfang wecom bind-robot`"
        )
    return chatid


def target_of(chat_id: str) -> tuple[str, str]:
    """Return (kind, address) of a chat id: a member's UserID, an app group chat or a group robot."""
    if chat_id.startswith(APPCHAT_PREFIX):
        return TARGET_APPCHAT, chat_id.removeprefix(APPCHAT_PREFIX)
    if chat_id.startswith(WEBHOOK_PREFIX):
        return TARGET_ROBOT, chat_id.removeprefix(WEBHOOK_PREFIX)
    return TARGET_USER, chat_id


def encrypted_field(body: bytes) -> str | None:
    """Return the ``<Encrypt>`` text of a callback body, or None when the body is not such XML."""
    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError):
        return None
    found = root.find(ENCRYPT_FIELD)
    return found.text.strip() if found is not None and found.text else None


def parse_callback_xml(text: str) -> dict[str, str]:
    """Read a decrypted callback: a flat ``<xml>`` whose children are the fields."""
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, ValueError) as error:
        raise BadCallback("decrypted payload is not XML") from error
    return {child.tag: (child.text or "").strip() for child in root}


@dataclass(frozen=True)
class Part:
    """One API call that delivers (part of) a message; ``fallback`` is sent instead if a card is refused."""

    target: str
    address: str
    payload: dict[str, Any]
    fallback: tuple[Part, ...] = ()
    optional: bool = False
    """A card sent besides the text (``auto``): if WeCom refuses it, the text has said it all."""


class _Pacer:
    """Count recent sends per recipient against sliding-window limits."""

    def __init__(self, limits: Sequence[tuple[float, int]]) -> None:
        self.limits = tuple(limits)
        self.horizon = max(window for window, _ in self.limits)
        self.sent: dict[str, deque[float]] = {}

    def delay(self, key: str, count: int, now: float) -> float:
        """Return how many seconds to wait before ``count`` more messages may go (0: now)."""
        times = self.sent.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.horizon:
            times.popleft()
        if not times:
            del self.sent[key]
            return 0.0
        wait = 0.0
        for window, limit in self.limits:
            recent = [moment for moment in times if moment > now - window]
            excess = len(recent) + min(count, limit) - limit
            if excess > 0:
                wait = max(wait, recent[excess - 1] + window - now)
        return wait

    def record(self, key: str, now: float) -> None:
        """Count one message sent now."""
        self.sent.setdefault(key, deque()).append(now)


# -- the adapter --------------------------------------------------------------------------------------------


class WeComAdapter:
    """Serve one WeCom self-built app: check and decrypt callbacks, normalise them, render and send messages."""

    platform = PLATFORM_WECOM

    def __init__(
        self,
        *,
        corp_id: str,
        agent_id: int,
        secret: str,
        token: str,
        aes_key: str,
        base_url: str = DEFAULT_API_BASE_URL,
        tokens: TokenStore | None = None,
        cards: str = CARDS_ALWAYS,
        card_uses: CardStore | None = None,
        words: Callable[[str], str] | None = None,
        member_limits: Sequence[tuple[float, int]] = MEMBER_LIMITS,
        appchat_limits: Sequence[tuple[float, int]] = APPCHAT_LIMITS,
        robot_limits: Sequence[tuple[float, int]] = ROBOT_LIMITS,
        max_concurrent_callbacks: int = MAX_CONCURRENT_CALLBACKS,
        transport: httpx.AsyncBaseTransport | None = None,
        duplicate_check_seconds: int = NO_DUPLICATE_CHECK,
    ) -> None:
        if len(aes_key) != 43:
            raise ValueError("the WeCom EncodingAESKey must be 43 characters")
        try:
            self.crypto = WeChatCrypto(token, aes_key, corp_id)
        except (AssertionError, ValueError, binascii.Error):
            raise ValueError("the WeCom EncodingAESKey is not valid base64 for a 32-byte key") from None
        self.corp_id = corp_id
        self.agent_id = agent_id
        self._secret = secret
        self.base_url = base_url.rstrip("/")
        self.tokens: TokenStore = tokens if tokens is not None else MemoryTokenStore()
        self.token_key = f"{corp_id}:{agent_id}"
        if cards not in CARD_MODES:
            raise ValueError(f"cards must be one of {', '.join(CARD_MODES)}")
        self.cards = cards
        self.card_uses: CardStore = card_uses if card_uses is not None else MemoryCardStore()
        self.words: Callable[[str], str] = words if words is not None else str
        """What a member types for a command value (``/daily nil`` → ``日报 无``); WeCom users type words."""
        self._names = LRU(NAME_CACHE_SIZE)
        self._duplicate_check = (
            {"enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_seconds}
            if duplicate_check_seconds
            else {}
        )
        self.dispatch: Dispatch | None = None
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._token: CachedToken | None = None
        self._token_lock = asyncio.Lock()
        self._pacers = {
            TARGET_USER: _Pacer(member_limits),
            TARGET_APPCHAT: _Pacer(appchat_limits),
            TARGET_ROBOT: _Pacer(robot_limits),
        }
        self._progress = LRU(PROGRESS_CACHE_SIZE)
        self._slots = asyncio.Semaphore(max_concurrent_callbacks)
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(cls, settings: Settings, *, tokens: TokenStore | None = None, **options: Any) -> WeComAdapter:
        """Build the adapter from the ``LIANFANG_WECOM_*`` settings; ValueError names what is missing."""
        missing = [
            f"LIANFANG_{name.upper()}"
            for name in ("wecom_corp_id", "wecom_agent_id", "wecom_secret", "wecom_token", "wecom_aes_key")
            if getattr(settings, name) in (None, "")
        ]
        if missing:
            raise ValueError(f"WeCom needs {', '.join(missing)}")
        assert settings.wecom_corp_id is not None and settings.wecom_agent_id is not None
        assert settings.wecom_secret is not None and settings.wecom_token is not None
        assert settings.wecom_aes_key is not None
        return cls(
            corp_id=settings.wecom_corp_id,
            agent_id=settings.wecom_agent_id,
            secret=settings.wecom_secret.get_secret_value(),
            token=settings.wecom_token.get_secret_value(),
            aes_key=settings.wecom_aes_key.get_secret_value(),
            base_url=settings.wecom_api_base_url,
            tokens=tokens,
            duplicate_check_seconds=settings.wecom_duplicate_check_seconds,
            **{"cards": settings.wecom_cards, **options},
        )

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def start(self, dispatch: Dispatch) -> None:
        """Remember where callbacks go; WeCom pushes them to the web app, so nothing is polled."""
        self.dispatch = dispatch
        self._http()

    async def stop(self) -> None:
        """Let callbacks in progress finish (for a while), then close the HTTP client."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_SECONDS)
            for task in pending:
                task.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def join(self) -> None:
        """Wait until every callback handed to ``feed`` has been handled (tests)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url, timeout=REQUEST_TIMEOUT_SECONDS, transport=self._transport
            )
        return self._client

    async def check_setup(self) -> None:
        """Get a token and read the app (``agent/get``): a wrong secret or an untrusted IP raises SetupRefused.

        ``gettoken`` checks the corp id and secret; ``agent/get`` the agent id and the server's IP, which WeCom
        checks on every other call. An unreachable or busy API is only logged: sending retries it later.
        """
        try:
            token = await self.access_token()
            params = {"access_token": token, "agentid": str(self.agent_id)}
            answer = await self._request("GET", PATH_AGENT_GET, params)
            if _errcode(answer) != ERR_OK:
                raise ApiError(_errcode(answer), str(answer.get("errmsg", "")))
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
            answer = await self._call(PATH_USER_GET, {"userid": user}, method="GET")
            found = str(answer.get("name") or "").strip()
            name = "" if found.casefold() == user.casefold() else found
        except ApiError as error:
            logger.info("wecom: no name from user/get (%s)", error.errcode)
        except ApiUnreachable:
            return ""  # try again next time
        self._names.remember(user, name)
        return name

    # -- callbacks ------------------------------------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Check a URL-verification request and return the decrypted ``echostr`` to answer with."""
        # A base64 "+" arrives as a space when a sender forgets to URL-encode it.
        echostr = echostr.replace(" ", "+")
        try:
            return str(self.crypto.check_signature(signature, timestamp, nonce, echostr))
        except InvalidSignatureException:
            raise BadSignature("signature mismatch") from None
        except Exception as error:  # wechatpy raises assorted errors on a bad ciphertext
            raise BadCallback(f"echostr cannot be decrypted: {type(error).__name__}") from None

    def open_callback(self, body: bytes, signature: str, timestamp: str, nonce: str) -> dict[str, str]:
        """Check a message callback's signature, decrypt it and return its fields.

        A body without a readable ``<Encrypt>`` cannot be verified, so it is refused like a bad signature.
        """
        encrypted = encrypted_field(body)
        if encrypted is None or not signature:
            raise BadSignature("no signed payload")
        try:
            plain = self.crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise BadSignature("signature mismatch") from None
        except Exception as error:  # bad base64 or padding, or a payload for another corp
            raise BadCallback(f"callback cannot be decrypted: {type(error).__name__}") from None
        return parse_callback_xml(str(plain))

    async def feed(self, fields: Mapping[str, str]) -> None:
        """Handle one decrypted callback in the background, after the earlier ones of the same member."""
        await self._slots.acquire()
        key = fields.get("FromUserName") or f"anonymous:{id(fields)}"
        previous = self._tails.get(key)
        task = asyncio.create_task(self._handle_in_order(key, dict(fields), previous))
        self._tails[key] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle_in_order(self, key: str, fields: dict[str, str], previous: asyncio.Task[None] | None) -> None:
        try:
            if previous is not None:
                await asyncio.wait([previous])
            await self.handle(fields)
        except Exception:
            logger.exception("wecom: error while handling a %s callback", fields.get("MsgType", "?"))
        finally:
            self._slots.release()
            if self._tails.get(key) is asyncio.current_task():
                del self._tails[key]

    async def handle(self, fields: Mapping[str, str]) -> None:
        """Handle one decrypted callback now: grey out a tapped card, then pass the message to the core."""
        if self.dispatch is None:
            raise RuntimeError("the WeCom adapter was not started")
        incoming = self.normalize(fields)
        if incoming is None:
            logger.debug("wecom: %s/%s callback ignored", fields.get("MsgType"), fields.get("Event"))
            return
        card_tap = fields.get("Event", "").lower() == EVENT_TEMPLATE_CARD
        if card_tap:
            await self._quiet_store("card use", self.card_uses.record(incoming.user_id, datetime.now(UTC)))
        elif not incoming.is_button and incoming.text:
            incoming = replace(incoming, display_name=await self.member_name(incoming.user_id))
        outcome = await self.dispatch(incoming)
        if card_tap and outcome.taken and fields.get("ResponseCode"):
            await self._close_card(fields)  # a refused tap (a stale card) is not shown as chosen

    def normalize(self, fields: Mapping[str, str]) -> IncomingMessage | None:
        """Turn callback fields into an IncomingMessage, or None for what the core does not handle."""
        user = fields.get("FromUserName", "")
        agent = fields.get("AgentID", "")
        if not user or (agent and agent != str(self.agent_id)):
            return None  # another app's callback on a shared URL
        kind = fields.get("MsgType", "").lower()
        if kind == MSG_EVENT:
            return self._normalize_event(user, fields)
        if not kind:
            return None
        text = fields.get("Content", "") if kind == MSG_TEXT else NON_TEXT_TEXT
        event_id = fields.get("MsgId") or self._event_id(user, fields)
        attachment = self._attachment(fields) if kind == MSG_FILE else None
        return self._incoming(user, text, event_id, is_button=False, attachment=attachment)

    def _attachment(self, fields: Mapping[str, str]) -> Attachment | None:
        """Describe a file a member sent; its bytes are fetched through ``media/get`` only if the core asks."""
        media_id = fields.get("MediaId", "")
        if not media_id:
            return None
        size = fields.get("FileSize", "")
        return Attachment(
            file_name=fields.get("FileName") or fields.get("Title") or media_id,
            size=int(size) if size.isdigit() else None,
            fetch=self._media_fetcher(media_id),
        )

    def _media_fetcher(self, media_id: str) -> Fetch:
        async def fetch(limit: int) -> bytes:
            return await self.download_media(media_id, limit)

        return fetch

    def _normalize_event(self, user: str, fields: Mapping[str, str]) -> IncomingMessage | None:
        event = fields.get("Event", "").lower()
        key = fields.get("EventKey", "")
        if event in (EVENT_TEMPLATE_CARD, EVENT_CLICK) and key:
            decoded = decode_card_key(key)
            value = decoded[0] if decoded is not None else key
            return self._incoming(user, value, self._event_id(user, fields), is_button=True)
        if event == EVENT_SUBSCRIBE:
            return self._incoming(user, START_COMMAND, self._event_id(user, fields), is_button=False)
        return None

    def _incoming(
        self, user: str, text: str, event_id: str, *, is_button: bool, attachment: Attachment | None = None
    ) -> IncomingMessage:
        return IncomingMessage(
            platform=self.platform,
            chat_id=user,
            user_id=user,
            text=text,
            is_private=True,
            is_button=is_button,
            event_id=event_id,
            attachment=attachment,
        )

    @staticmethod
    def _event_id(user: str, fields: Mapping[str, str]) -> str:
        """Derive a delivery id for an event (events carry no MsgId): member, time, event, key and card."""
        parts = [user, fields.get("CreateTime", ""), fields.get("Event", ""), fields.get("EventKey", "")]
        parts.append(fields.get("TaskId", ""))
        digest = hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=EVENT_DIGEST_BYTES).hexdigest()
        return EVENT_ID_PREFIX + digest

    async def _close_card(self, fields: Mapping[str, str]) -> None:
        """Turn a tapped card's buttons into one grey "✓ label" so a second tap is not offered."""
        decoded = decode_card_key(fields.get("EventKey", ""))
        label = decoded[1] if decoded is not None else ""
        payload = {
            "userids": [fields["FromUserName"]],
            "agentid": self.agent_id,
            "response_code": fields["ResponseCode"],
            "button": {"replace_name": f"{CARD_DONE_MARK} {label}".strip()},
        }
        try:
            await self._api(PATH_UPDATE_CARD, payload)
        except (ApiError, ApiUnreachable) as error:
            logger.info("wecom: tapped card not updated: %s", error)

    # -- sending --------------------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message (several calls when it is long); raise SendError when WeCom refuses it.

        If a later part of a split message fails or has to wait for the recipient's pace, the parts already
        sent are remembered (in process) so the outbox's retry does not repeat them.
        """
        target, address = target_of(message.chat.chat_id)
        with_text = target == TARGET_USER and address not in await self._card_readers([address], message)
        parts = self.render(message, with_text=with_text) if message.lines else []
        progress_key = (message.chat.chat_id, _digest(message))
        done = self._progress.get(progress_key, 0)
        pacer = self._pacers[target]
        total = len(parts) + (message.document is not None)
        # The whole message is waited for when it fits in the window, so its parts arrive together.
        wanted = total - done
        for index in range(done, total):
            wait = pacer.delay(address, wanted if index == done else 1, time.monotonic())
            if wait > 0:
                self._remember(progress_key, index)
                raise paced(target, wait)
            try:
                if index < len(parts):
                    calls = await self._deliver(parts[index])
                else:
                    assert message.document is not None
                    calls = await self._send_file(target, address, message.document)
            except (ApiError, ApiUnreachable) as error:
                self._remember(progress_key, index)
                failure = send_error(target, error)
                logger.log(_level(error), "wecom: %s message not sent: %s", target, failure.reason)
                raise failure from None
            for _ in range(calls):
                pacer.record(address, time.monotonic())
        self._progress.pop(progress_key, None)

    async def send_many(self, chat_ids: Sequence[str], message: OutgoingMessage) -> dict[str, SendError]:
        """Send one message to several chats; return the chats it failed for, each with its reason.

        Members get it in one ``message/send`` per 1,000 of them when it takes one call (a card, or text within
        2,048 bytes); a longer message, and group chats, go one by one. Per-member pacing still holds: a member
        at the limit is left out of the call and gets a transient failure with ``retry_after``. A member WeCom
        refuses (``invaliduser``) fails for good alone; a failed call fails, and is retried, for all of its members.
        """
        users = [chat_id for chat_id in chat_ids if target_of(chat_id)[0] == TARGET_USER]
        if message.document is not None:
            users = []  # a file goes member by member (below), after its upload
        readers = await self._card_readers(users, message)
        together: dict[str, list[Part]] = {}
        for with_text in (False, True):
            chosen = [user for user in users if (user not in readers) == with_text]
            if chosen:
                first = replace(message, chat=ChatRef(message.chat.platform, chosen[0]))
                parts = self.render(first, with_text=with_text)
                if batchable(parts):
                    together.update(dict.fromkeys(chosen, parts))
        failures: dict[str, SendError] = {}
        for chat_id in chat_ids:
            if chat_id not in together:
                try:
                    await self.send(replace(message, chat=ChatRef(message.chat.platform, chat_id)))
                except SendError as error:
                    failures[chat_id] = error
        for parts in {id(parts): parts for parts in together.values()}.values():
            batch_users = [user for user, chosen in together.items() if chosen is parts]
            failures.update(await self._send_batched(batch_users, parts))
        return failures

    async def _send_batched(self, users: Sequence[str], parts: Sequence[Part]) -> dict[str, SendError]:
        """Send the same parts to members, 1,000 per call, each within their pace; return whom it failed for."""
        pacer = self._pacers[TARGET_USER]
        failures: dict[str, SendError] = {}
        ready: list[str] = []
        for user in users:
            wait = pacer.delay(user, len(parts), time.monotonic())
            if wait > 0:
                failures[user] = paced(TARGET_USER, wait)
            else:
                ready.append(user)
        for start in range(0, len(ready), MAX_MESSAGE_USERS):
            batch = ready[start : start + MAX_MESSAGE_USERS]
            calls, refused = 0, set()
            try:
                for part in parts:
                    sent, lost = await self._app_message(addressed(part, batch))
                    calls, refused = calls + sent, refused | lost
            except (ApiError, ApiUnreachable) as error:
                failure = send_error(TARGET_USER, error)
                logger.log(_level(error), "wecom: message to %d members not sent: %s", len(batch), failure.reason)
                failures.update(dict.fromkeys(batch, failure))
                continue
            now = time.monotonic()
            for user in batch:
                if user.lower() in refused:
                    failures[user] = send_error(TARGET_USER, ApiError(ERR_ALL_INVALID, UNREACHABLE_TEXT))
                    continue
                for _ in range(calls):
                    pacer.record(user, now)
        return failures

    async def _card_readers(self, users: Sequence[str], message: OutgoingMessage) -> set[str]:
        """Return the members who get cards alone: everyone (``always``), nobody (``never``), recent tappers."""
        if self.cards == CARDS_ALWAYS or not users or not any(card_button(b) for b in message.buttons):
            return set(users)  # no card in this message, so no text to add
        if self.cards == CARDS_NEVER:
            return set()
        found = await self._quiet_store("card use", self.card_uses.recent(users, datetime.now(UTC) - CARD_TRUST))
        return found if isinstance(found, set) else set()

    async def _send_file(self, target: str, address: str, document: Document) -> int:
        """Upload a document (``media/upload``) and send it as a ``file`` message; return the messages sent."""
        if document.data is None or target == TARGET_ROBOT:
            raise ApiError(ERR_BAD_MSGTYPE, "no file for this chat")
        media_id = await self.upload_media(MEDIA_FILE, document.file_name, document.data)
        payload: dict[str, Any] = {"msgtype": MSG_FILE, MSG_FILE: {"media_id": media_id}, "safe": 0}
        if target == TARGET_APPCHAT:
            await self._api(PATH_APPCHAT_SEND, {"chatid": address, **payload})
            return 1
        part = Part(TARGET_USER, address, {"touser": address, "agentid": self.agent_id, **payload})
        calls, refused = await self._app_message(part)
        if address.lower() in refused:
            raise ApiError(ERR_ALL_INVALID, UNREACHABLE_TEXT)
        return calls

    def _remember(self, key: tuple[str, bytes], done: int) -> None:
        if done:
            self._progress.remember(key, done)

    async def _deliver(self, part: Part) -> int:
        """Make the call of one part; return how many messages reached the chat (a refused card sends its text)."""
        if part.target == TARGET_ROBOT:
            await self._robot(part.address, part.payload)
            return 1
        if part.target == TARGET_APPCHAT:
            await self._api(PATH_APPCHAT_SEND, part.payload)
            return 1
        calls, refused = await self._app_message(part)
        if part.address.lower() in refused:
            # Accepted, but not for this member: outside the visible range, or without a licence.
            raise ApiError(ERR_ALL_INVALID, UNREACHABLE_TEXT)
        return calls

    async def _app_message(self, part: Part) -> tuple[int, set[str]]:
        """Send an app message; return how many messages each member got, and whom WeCom refused (lower case)."""
        try:
            answer = await self._api(PATH_MESSAGE_SEND, {**part.payload, **self._duplicate_check})
        except ApiError as error:
            transient = error.errcode in NOT_ABOUT_THE_CARD
            if part.optional and not transient:
                logger.warning("wecom: template card refused (%s); the text was sent", error.errcode)
                return 0, set()
            if not part.fallback or transient:
                raise
            logger.warning("wecom: template card refused (%s); sending plain text", error.errcode)
            results = [await self._app_message(fallback) for fallback in part.fallback]
            return sum(calls for calls, _ in results), set().union(*(refused for _, refused in results))
        refused = {
            user.lower()
            for name in ("invaliduser", "unlicenseduser")
            for user in str(answer.get(name) or "").split(TOUSER_SEPARATOR)
            if user
        }
        return 1, refused

    def render(self, message: OutgoingMessage, *, with_text: bool = False) -> list[Part]:
        """Render a message as the API calls that deliver it, each within WeCom's byte limits.

        A private message whose buttons are commands goes as a template card (unless cards are ``never``), with
        its text as the fallback should WeCom refuse the card; ``with_text`` sends the text first as well, for a
        member whose client may not show cards.
        """
        message = replace(message, lines=tuple(platform_text(line) for line in message.lines))
        target, address = target_of(message.chat.chat_id)
        if target == TARGET_ROBOT:
            return self._render_robot(message, address)
        if target == TARGET_APPCHAT:
            return self._render_appchat(message, address)
        text_parts = [
            Part(TARGET_USER, address, self._app_text(address, chunk))
            for chunk in split_bytes(clean_outgoing(self._plain(message, private=True)), MAX_TEXT_BYTES)
        ]
        card = self._card(message, address) if self.cards != CARDS_NEVER else None
        if card is None:
            return text_parts
        if with_text:
            return [*text_parts, Part(TARGET_USER, address, card, optional=True)]
        return [Part(TARGET_USER, address, card, fallback=tuple(text_parts))]

    def _plain(self, message: OutgoingMessage, *, private: bool) -> str:
        """Render as text, each action as the words to send; in a group, to send to the app (it never reads groups)."""
        key = "render.action" if private else WECOM_ACTION_PRIVATE

        def action(button: Button) -> Text:
            return Text(key, {"label": button.label, "command": self.words(button.value)})

        return render_plain(message, action=action)

    def _app_text(self, user: str, content: str) -> dict[str, Any]:
        return {"touser": user, "msgtype": MSG_TEXT, "agentid": self.agent_id, "text": {"content": content}, "safe": 0}

    def _render_appchat(self, message: OutgoingMessage, chatid: str) -> list[Part]:
        text = clean_outgoing(self._plain(message, private=False))
        mentions = mentionable(message.mentions)[:MAX_MENTIONS]
        if not mentions:
            return [
                Part(TARGET_APPCHAT, chatid, {"chatid": chatid, "msgtype": MSG_TEXT, "text": {"content": c}, "safe": 0})
                for c in split_bytes(text, MAX_TEXT_BYTES)
            ]
        # Group chats of the app @mention only in markdown, with WeCom's <@userid> syntax.
        line = " ".join(MARKDOWN_MENTION.format(user=user) for user in mentions)
        body = text.replace(MARKDOWN_TAG_OPEN, MARKDOWN_TAG_SAFE)
        chunks = split_bytes(body, MAX_TEXT_BYTES - utf8_size(line) - 1)
        chunks[-1] = f"{chunks[-1]}\n{line}" if chunks[-1] else line
        return [
            Part(TARGET_APPCHAT, chatid, {"chatid": chatid, "msgtype": MSG_MARKDOWN, "markdown": {"content": chunk}})
            for chunk in chunks
        ]

    def _render_robot(self, message: OutgoingMessage, key: str) -> list[Part]:
        chunks = split_bytes(clean_outgoing(self._plain(message, private=False)), MAX_ROBOT_TEXT_BYTES)
        mentions = mentionable(message.mentions)
        parts = []
        for index, chunk in enumerate(chunks):
            text: dict[str, Any] = {"content": chunk}
            if mentions and index == len(chunks) - 1:
                text["mentioned_list"] = mentions
            parts.append(Part(TARGET_ROBOT, key, {"msgtype": MSG_TEXT, MSG_TEXT: text}))
        return parts

    def _card(self, message: OutgoingMessage, user: str) -> dict[str, Any] | None:
        """Return a button card for a private message whose buttons are commands (a reminder), if it fits."""
        buttons = [button for button in message.buttons if card_button(button)]
        if not buttons or len(buttons) != len(message.buttons) or len(buttons) > CARD_MAX_BUTTONS:
            return None
        lines = clean_outgoing(render_lines(message.lines, message.lang)).split("\n")
        title, text = lines[0].strip(), "\n".join(lines[1:]).strip()
        labels = [clean_outgoing(render(button.label, message.lang)) for button in buttons]
        keys = [encode_card_key(button.value, label) for button, label in zip(buttons, labels, strict=True)]
        if (
            not title
            or len(title) > CARD_MAX_TITLE_CHARS
            or len(text) > CARD_MAX_TEXT_CHARS
            or any(not label or len(label) > CARD_MAX_LABEL_CHARS for label in labels)
            or any(utf8_size(key) > CARD_MAX_KEY_BYTES for key in keys)
        ):
            return None
        card: dict[str, Any] = {
            "card_type": CARD_TYPE,
            "main_title": {"title": title},
            "task_id": f"{CARD_TASK_PREFIX}{uuid.uuid4().hex}",
            "button_list": [{"text": label, "key": key} for label, key in zip(labels, keys, strict=True)],
        }
        if text:
            card["sub_title_text"] = text
        return {"touser": user, "msgtype": MSG_TEMPLATE_CARD, "agentid": self.agent_id, "template_card": card}

    # -- other API calls ------------------------------------------------------------------------------------

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
        answer = await self._api(PATH_APPCHAT_CREATE, payload)
        chatid = str(answer.get("chatid") or "")
        if not chatid:
            raise ApiUnreachable("appchat/create answered without a chatid")
        logger.info("wecom: group chat created with %d members", len(userlist))
        return chatid

    async def upload_media(self, kind: str, filename: str, content: bytes) -> str:
        """Upload a temporary file (``image``, ``voice``, ``video`` or ``file``, kept 3 days); return its media_id."""
        files = {"media": (filename, content, "application/octet-stream")}
        answer = await self._call(PATH_MEDIA_UPLOAD, {"type": kind}, files=files)
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
            async with self._http().stream("GET", PATH_MEDIA_GET, params=params) as response:
                if response.status_code != httpx.codes.OK:
                    raise ApiUnreachable(f"HTTP {response.status_code} on {PATH_MEDIA_GET}")
                if response.headers.get("content-type", "").startswith(("application/json", "text/plain")):
                    return _errcode(json.loads(await response.aread() or b"{}"))
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

    # -- access token and transport -------------------------------------------------------------------------

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
            shared = await self._quiet_store("load", self.tokens.load(self.token_key))
            if isinstance(shared, CachedToken) and shared.token != stale and shared.fresh(now):
                self._token = shared
                return shared.token
            if stale is not None:
                await self._quiet_store("discard", self.tokens.discard(self.token_key, stale))
            fetched = await self._fetch_token(now)
            await self._quiet_store("save", self.tokens.save(self.token_key, fetched))
            self._token = fetched
            return fetched.token

    async def _fetch_token(self, now: datetime) -> CachedToken:
        params = {"corpid": self.corp_id, "corpsecret": self._secret}
        answer = await self._request("GET", PATH_GETTOKEN, params)
        code = _errcode(answer)
        token = answer.get("access_token")
        if code != ERR_OK or not isinstance(token, str) or not token:
            raise ApiError(code if code != ERR_OK else ERR_BUSY, f"gettoken: {answer.get('errmsg', 'no token')}")
        lifetime = answer.get("expires_in")
        seconds = lifetime if isinstance(lifetime, int) and lifetime > 0 else TOKEN_LIFETIME_SECONDS
        logger.info("wecom: new access token, valid for %ss", seconds)
        return CachedToken(token, now + timedelta(seconds=seconds))

    @staticmethod
    async def _quiet_store(what: str, call: Any) -> Any:
        """Run a token-cache call; a database hiccup must not stop sending (the token still works in process)."""
        try:
            return await call
        except Exception as error:
            logger.warning("wecom: token cache %s failed: %s", what, type(error).__name__)
            return None

    async def _api(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Call an API method with the access token; a refused token is refreshed and the call made once more."""
        return await self._call(path, {}, payload=payload)

    async def _call(
        self,
        path: str,
        params: dict[str, str],
        *,
        payload: dict[str, Any] | None = None,
        files: Any = None,
        method: str = "POST",
    ) -> dict[str, Any]:
        token = await self.access_token()
        answer = await self._request(method, path, {**params, "access_token": token}, payload=payload, files=files)
        if _errcode(answer) in TOKEN_ERRORS:
            logger.info("wecom: access token refused (%s); refreshing it once", _errcode(answer))
            token = await self.access_token(stale=token)
            answer = await self._request(method, path, {**params, "access_token": token}, payload=payload, files=files)
        code = _errcode(answer)
        if code != ERR_OK:
            raise ApiError(code, str(answer.get("errmsg", "")))
        return answer

    async def _robot(self, key: str, payload: dict[str, Any]) -> None:
        answer = await self._request("POST", PATH_WEBHOOK_SEND, {"key": key}, payload=payload)
        code = _errcode(answer)
        if code != ERR_OK:
            raise ApiError(code, str(answer.get("errmsg", "")))

    async def _request(
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
            response = await self._http().request(
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


def _errcode(answer: Mapping[str, Any]) -> int:
    code = answer.get("errcode", ERR_OK)
    try:
        return int(code)
    except (TypeError, ValueError):
        return ERR_BUSY


def _level(error: ApiError | ApiUnreachable) -> int:
    """Log setup errors (wrong secret, untrusted IP) at WARNING: an operator must act; others at INFO."""
    return logging.WARNING if isinstance(error, ApiError) and error.errcode in SETUP_ERRORS else logging.INFO


def platform_text(line: Text) -> Text:
    """Return a line in WeCom's wording where its advice differs there (see PLATFORM_TEXTS)."""
    key = PLATFORM_TEXTS.get(line.key)
    return Text(key, line.params) if key is not None else line


def batchable(parts: Sequence[Part]) -> bool:
    """Tell whether a rendering can go to many members per call: one text or card, plus at most an optional card."""
    required = [part for part in parts if not part.optional]
    return len(required) == 1 and all(len(part.fallback) <= 1 for part in parts)


def _digest(message: OutgoingMessage) -> bytes:
    return hashlib.sha256(json.dumps(message.to_json(), sort_keys=True, ensure_ascii=False).encode()).digest()


def addressed(part: Part, users: Sequence[str]) -> Part:
    """Return an app-message part (and its fallback) addressed to several members at once."""
    touser = TOUSER_SEPARATOR.join(users)
    fallback = tuple(addressed(other, users) for other in part.fallback)
    return replace(part, address=touser, payload={**part.payload, "touser": touser}, fallback=fallback)


def paced(target: str, wait: float) -> SendError:
    """Return the transient failure of a message held back to keep under a recipient's limit."""
    return SendError(
        f"{REASON_RATE_LIMITED}: pacing {target} messages, retry after {wait:.0f}s", permanent=False, retry_after=wait
    )


def card_button(button: Button) -> bool:
    """Tell whether a button can go on a template card: a command to run, not an answer to a form question."""
    return not is_choice(button) and button.value not in FORM_CONTROL_VALUES and not button.private


def mentionable(users: Iterable[str]) -> list[str]:
    """Return the UserIDs that can be @mentioned, each once."""
    return list(dict.fromkeys(user for user in users if USER_ID.match(user)))


def send_error(target: str, error: ApiError | ApiUnreachable) -> SendError:
    """Map a failed call to the core's SendError; the reason starts with a ``REASON_*`` prefix."""
    if isinstance(error, ApiUnreachable):  # no answer, HTTP 5xx, or not JSON
        return SendError(f"{REASON_NETWORK}: {error}", permanent=False, kind=SEND_OUTAGE)
    code, text = error.errcode, f"{error.errcode} {error.errmsg}".strip()
    if code in RATE_ERRORS:
        return SendError(f"{REASON_RATE_LIMITED}: {text}", permanent=False, retry_after=RATE_RETRY_SECONDS)
    if code in TOKEN_ERRORS:  # refused even after a refresh
        return SendError(f"{REASON_TOKEN}: {text}", permanent=False, kind=SEND_OUTAGE)
    if target == TARGET_USER and code in UNREACHABLE_USER_ERRORS:
        return SendError(f"{REASON_FORBIDDEN}: {text}", permanent=True, kind=SEND_REFUSED)
    if code in GONE_CHAT_ERRORS:
        return SendError(f"{REASON_CHAT_GONE}: {text}", permanent=True)
    if code in BAD_REQUEST_ERRORS:
        return SendError(f"{REASON_BAD_REQUEST}: {text}", permanent=True)
    # -1 (busy), a bad secret (40001), an IP not on the allow-list (60020), any other gettoken failure and anything
    # new: an outage, held until it is fixed, so fixing the configuration loses nothing
    return SendError(f"{REASON_ERROR}: {text}", permanent=False, kind=SEND_OUTAGE)


async def create_app_chat(
    settings: Settings, name: str, owner: str, members: Sequence[str], *, tokens: TokenStore | None = None
) -> str:
    """Create a WeCom group chat of the configured app and return its chatid (``lianfang wecom create-chat``)."""
    adapter = WeComAdapter.from_settings(settings, tokens=tokens)
    try:
        return await adapter.create_app_chat(name, owner, members)
    finally:
        await adapter.stop()
