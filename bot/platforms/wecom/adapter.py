"""WeCom (企业微信) adapter: encrypted app callbacks in as ``IncomingMessage``, app, group-chat and robot messages out.

The adapter composes the package's parts: ``callback`` (signature, decryption, normalizing), ``render`` (text,
markdown, template cards), ``pacing`` (per-recipient limits), ``api`` (the server API and its token) and ``chats``
(how a chat is addressed). The WeCom server API is called through one ``httpx.AsyncClient``, so no call blocks the
event loop.

A ``forbidden`` failure means the member is not in the app's visible range, left the company, or has no licence,
so retrying cannot help and the core posts the message in the member's group chat instead.

Batched sends: ``send_many`` (used by the outbox when one payload is queued to several chats, as the daily
reminders are) reaches up to 1,000 members with one ``message/send``, ``touser`` joined with ``|``. Each member
is still paced, and a member WeCom lists in ``invaliduser`` fails alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
from lianfang.bot.inbox import Inbox, InboxStore, MemoryInboxStore
from lianfang.bot.ordering import ChatOrder
from lianfang.bot.platforms.wecom.api import (
    DEFAULT_API_BASE_URL,
    ERR_ALL_INVALID,
    ERR_BAD_MSGTYPE,
    MEDIA_FILE,
    NOT_ABOUT_THE_CARD,
    PATH_APPCHAT_SEND,
    PATH_MESSAGE_SEND,
    PATH_UPDATE_CARD,
    UNREACHABLE_TEXT,
    ApiError,
    ApiUnreachable,
    WeComApi,
    log_level,
    quiet_store,
    send_error,
)
from lianfang.bot.platforms.wecom.callback import EVENT_TEMPLATE_CARD, Callbacks
from lianfang.bot.platforms.wecom.chats import TARGET_APPCHAT, TARGET_ROBOT, TARGET_USER, target_of
from lianfang.bot.platforms.wecom.pacing import (
    APPCHAT_LIMITS,
    MEMBER_LIMITS,
    ROBOT_LIMITS,
    Pacer,
    paced,
)
from lianfang.bot.platforms.wecom.render import (
    CARDS_ALWAYS,
    CARDS_NEVER,
    MSG_FILE,
    TOUSER_SEPARATOR,
    Part,
    Renderer,
    addressed,
    batchable,
    card_button,
    decode_card_key,
)
from lianfang.bot.platforms.wecom.settings import WeComSettings
from lianfang.bot.platforms.wecom.tokens import TokenStore
from lianfang.bot.ports import LRU, Dispatch, SendError
from lianfang.bot.recipient_pace import MemoryPaceLedger, PaceLedger
from lianfang.bot.types import PLATFORM_WECOM, ChatRef, Document, IncomingMessage, OutgoingMessage

logger = logging.getLogger(__name__)

MAX_APPCHAT_MEMBERS = 500
MAX_MESSAGE_USERS = 1000
"""One app message (``message/send``) reaches up to 1,000 members, their UserIDs joined with ``|`` in ``touser``."""
NO_DUPLICATE_CHECK = 0
"""With a number of seconds instead, app messages ask WeCom to drop a copy of one it took that recently
(``enable_duplicate_check``, at most 4 h): a message sent again after a crash between its send and its mark is then
shown once, but so is the same answer to the same words typed twice. Group chats and robots take no such parameter."""
CARD_TRUST = timedelta(days=7)
"""In ``auto``, a card tap this recent shows the member's client displays cards; older, the text goes too."""
CARD_DONE_MARK = "✓"
MAX_CONCURRENT_CALLBACKS = 8
STOP_GRACE_SECONDS = 10.0
PROGRESS_CACHE_SIZE = 1024


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


class WeComAdapter:
    """Serve one WeCom self-built app: check and decrypt callbacks, normalize them, render and send messages."""

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
        inbox: InboxStore | None = None,
        paces: PaceLedger | None = None,
    ) -> None:
        self.api = WeComApi(
            corp_id=corp_id, agent_id=agent_id, secret=secret, base_url=base_url, tokens=tokens, transport=transport
        )
        self.callbacks = Callbacks(
            token=token, aes_key=aes_key, corp_id=corp_id, agent_id=agent_id, download=self.api.download_media
        )
        self.renderer = Renderer(agent_id=agent_id, cards=cards, words=words if words is not None else str)
        self.agent_id = agent_id
        self.tokens = self.api.tokens
        self.cards = cards
        self.card_uses: CardStore = card_uses if card_uses is not None else MemoryCardStore()
        self._duplicate_check = (
            {"enable_duplicate_check": 1, "duplicate_check_interval": duplicate_check_seconds}
            if duplicate_check_seconds
            else {}
        )
        self.dispatch: Dispatch | None = None
        # ``paces``: where sends are counted, the database for instances sharing the app; unset, in this process
        ledger = paces if paces is not None else MemoryPaceLedger()
        self._pacers = {
            TARGET_USER: Pacer(TARGET_USER, member_limits, ledger),
            TARGET_APPCHAT: Pacer(TARGET_APPCHAT, appchat_limits, ledger),
            TARGET_ROBOT: Pacer(TARGET_ROBOT, robot_limits, ledger),
        }
        self._progress = LRU(PROGRESS_CACHE_SIZE)
        self._order = ChatOrder(max_concurrent_callbacks, platform=self.platform)
        self.inbox = Inbox(inbox or MemoryInboxStore(), self._order, self.handle, "a WeCom callback")
        """Keeps each callback before it is answered, so the answer never waits and a crash loses none."""

    @classmethod
    def from_settings(
        cls, settings: WeComSettings, *, tokens: TokenStore | None = None, **options: Any
    ) -> WeComAdapter:
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
        self.api.open()
        self.inbox.start()

    async def stop(self) -> None:
        """Let callbacks in progress finish (for a while), then close the HTTP client; the rest stay kept."""
        await self.inbox.stop()
        await self._order.stop(STOP_GRACE_SECONDS)
        await self.api.close()

    async def join(self) -> None:
        """Wait until every callback handed to ``feed`` has been handled (tests)."""
        await self.inbox.join()

    async def check_setup(self) -> None:
        """Check the credentials and this server's address with WeCom; SetupRefused says what to fix."""
        await self.api.check_setup()

    # -- callbacks ------------------------------------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """Check a URL-verification request and return the decrypted ``echostr`` to answer with."""
        return self.callbacks.verify_url(signature, timestamp, nonce, echostr)

    def open_callback(self, body: bytes, signature: str, timestamp: str, nonce: str) -> dict[str, str]:
        """Check a message callback's signature, decrypt it and return its fields."""
        return self.callbacks.open(body, signature, timestamp, nonce)

    def normalize(self, fields: Mapping[str, str]) -> IncomingMessage | None:
        """Turn callback fields into an IncomingMessage, or None for what the core does not handle."""
        return self.callbacks.normalize(fields)

    async def feed(self, fields: Mapping[str, str]) -> bool:
        """Keep one decrypted callback and handle it in the background, after the earlier ones of the same member.

        Returns once it is kept (False: it was kept already, WeCom sent it again); raises if it could not be kept,
        so that WeCom, answered with an error, sends it again.
        """
        key = fields.get("FromUserName") or f"anonymous:{id(fields)}"
        return await self.inbox.put(self.callbacks.delivery_id(fields), key, dict(fields))

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
            await quiet_store("card use", self.card_uses.record(incoming.user_id, datetime.now(UTC)))
        elif not incoming.is_button and incoming.text:
            incoming = replace(incoming, display_name=await self.api.member_name(incoming.user_id))
        outcome = await self.dispatch(incoming)
        if card_tap and outcome.taken and fields.get("ResponseCode"):
            await self._close_card(fields)  # a refused tap (a stale card) is not shown as chosen

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
            await self.api.post(PATH_UPDATE_CARD, payload)
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
        parts = self.renderer.render(message, with_text=with_text) if message.lines else []
        progress_key = (message.chat.chat_id, _digest(message))
        done = self._progress.get(progress_key, 0)
        pacer = self._pacers[target]
        total = len(parts) + (message.document is not None)
        # The whole message is waited for when it fits in the window, so its parts arrive together.
        wanted = total - done
        for index in range(done, total):
            at = time.time()
            waits = await pacer.reserve([address], 1, at, room=wanted if index == done else 1)
            if waits:
                self._remember(progress_key, index)
                raise paced(target, waits[address])
            calls = 0
            try:
                if index < len(parts):
                    calls = await self._deliver(parts[index])
                else:
                    assert message.document is not None
                    calls = await self._send_file(target, address, message.document)
            except (ApiError, ApiUnreachable) as error:
                self._remember(progress_key, index)
                failure = send_error(target, error)
                logger.log(log_level(error), "wecom: %s message not sent: %s", target, failure.reason)
                raise failure from None
            finally:
                await pacer.settle([address], 1, calls, at)
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
                parts = self.renderer.render(first, with_text=with_text)
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
        at = time.time()
        waits = await pacer.reserve(users, len(parts), at)
        failures = {user: paced(TARGET_USER, wait) for user, wait in waits.items()}
        ready = [user for user in users if user not in waits]
        for start in range(0, len(ready), MAX_MESSAGE_USERS):
            batch = ready[start : start + MAX_MESSAGE_USERS]
            calls, refused = 0, set[str]()
            try:
                for part in parts:
                    sent, lost = await self._app_message(addressed(part, batch))
                    calls, refused = calls + sent, refused | lost
            except (ApiError, ApiUnreachable) as error:
                failure = send_error(TARGET_USER, error)
                logger.log(log_level(error), "wecom: message to %d members not sent: %s", len(batch), failure.reason)
                failures.update(dict.fromkeys(batch, failure))
                await pacer.settle(batch, len(parts), 0, at)
                continue
            unreachable = [user for user in batch if user.lower() in refused]
            for user in unreachable:
                failures[user] = send_error(TARGET_USER, ApiError(ERR_ALL_INVALID, UNREACHABLE_TEXT))
            await pacer.settle(unreachable, len(parts), 0, at)
            await pacer.settle([user for user in batch if user not in unreachable], len(parts), calls, at)
        return failures

    async def _card_readers(self, users: Sequence[str], message: OutgoingMessage) -> set[str]:
        """Return the members who get cards alone: everyone (``always``), nobody (``never``), recent tappers."""
        if self.cards == CARDS_ALWAYS or not users or not any(card_button(b) for b in message.buttons):
            return set(users)  # no card in this message, so no text to add
        if self.cards == CARDS_NEVER:
            return set()
        found = await quiet_store("card use", self.card_uses.recent(users, datetime.now(UTC) - CARD_TRUST))
        return found if isinstance(found, set) else set()

    async def _send_file(self, target: str, address: str, document: Document) -> int:
        """Upload a document (``media/upload``) and send it as a ``file`` message; return the messages sent."""
        if document.data is None or target == TARGET_ROBOT:
            raise ApiError(ERR_BAD_MSGTYPE, "no file for this chat")
        media_id = await self.api.upload_media(MEDIA_FILE, document.file_name, document.data)
        payload: dict[str, Any] = {"msgtype": MSG_FILE, MSG_FILE: {"media_id": media_id}, "safe": 0}
        if target == TARGET_APPCHAT:
            await self.api.post(PATH_APPCHAT_SEND, {"chatid": address, **payload})
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
            await self.api.robot(part.address, part.payload)
            return 1
        if part.target == TARGET_APPCHAT:
            await self.api.post(PATH_APPCHAT_SEND, part.payload)
            return 1
        calls, refused = await self._app_message(part)
        if part.address.lower() in refused:
            # Accepted, but not for this member: outside the visible range, or without a licence.
            raise ApiError(ERR_ALL_INVALID, UNREACHABLE_TEXT)
        return calls

    async def _app_message(self, part: Part) -> tuple[int, set[str]]:
        """Send an app message; return how many messages each member got, and whom WeCom refused (lower case)."""
        try:
            answer = await self.api.post(PATH_MESSAGE_SEND, {**part.payload, **self._duplicate_check})
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
        """Render a message as the API calls that deliver it, each within WeCom's byte limits."""
        return self.renderer.render(message, with_text=with_text)

    # -- the API, for setup commands and tests ----------------------------------------------------------------

    async def access_token(self, *, stale: str | None = None) -> str:
        """Return a usable access token (see ``WeComApi.access_token``)."""
        return await self.api.access_token(stale=stale)

    async def _api(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self.api.post(path, payload)

    async def upload_media(self, kind: str, filename: str, content: bytes) -> str:
        """Upload a temporary file; return its media_id."""
        return await self.api.upload_media(kind, filename, content)

    async def create_app_chat(self, name: str, owner: str, members: Sequence[str]) -> str:
        """Create a group chat of the app with these members (the owner included) and return its chatid."""
        return await self.api.create_app_chat(name, owner, members)


def _digest(message: OutgoingMessage) -> bytes:
    return hashlib.sha256(json.dumps(message.to_json(), sort_keys=True, ensure_ascii=False).encode()).digest()
