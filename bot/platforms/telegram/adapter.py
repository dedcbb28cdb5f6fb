"""Telegram adapter on python-telegram-bot: updates in as ``IncomingMessage``, HTML messages with inline keyboards out.

This module and ``limiter`` are the only ones that import ``telegram``. PTB is used as a typed Bot API client
(``ExtBot`` with the ``PacedRateLimiter``); its Application, ConversationHandler, persistence and JobQueue stay
unused because forms, state and schedules belong to the core.

Failures are raised as ``SendError`` with a typed ``kind``, so the core can react without knowing Telegram:
``FailureKind.REFUSED`` for a 403 (the user blocked the bot or never opened a private chat with it, or the bot was
removed from the group), ``FailureKind.MIGRATED`` with the new chat id when a group became a supergroup. Their reasons
start with one of the ``REASON_*`` prefixes below, for people reading the outbox.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from lianfang.bot.i18n import LANG_EN, LANG_ZH, normalize_language, render, render_lines
from lianfang.bot.inbox import Inbox, InboxStore, MemoryInboxStore
from lianfang.bot.ordering import ChatOrder
from lianfang.bot.platforms.telegram.limiter import PacedRateLimiter
from lianfang.bot.platforms.telegram.polling import Offsets
from lianfang.bot.ports import LRU, Dispatch, FailureKind, SendError, SetupRefused
from lianfang.bot.render import split_text
from lianfang.bot.send_pace import SendPace, SlotStore
from lianfang.bot.typed import route_fold
from lianfang.bot.types import (
    PLATFORM_TELEGRAM,
    Attachment,
    AttachmentTooLarge,
    Button,
    Document,
    Fetch,
    IncomingMessage,
    OutgoingMessage,
    Text,
)
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, InlineKeyboardButtonLimit, MessageLimit, ParseMode, UpdateType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
BOT_PATH = "/bot"
"""PTB appends the token to its base URL: ``{api}/bot`` + token + ``/method``."""
FILE_PATH = "/file/bot"
DEEP_LINK_BASE = "https://t.me/"

MAX_MESSAGE_CHARS = MessageLimit.MAX_TEXT_LENGTH
"""Telegram counts characters after entity parsing, so plain text is split before it is escaped."""
MAX_CALLBACK_DATA_BYTES = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
MAX_DEEP_LINK_CHARS = 64
DEEP_LINK_PAYLOAD = re.compile(rf"^[A-Za-z0-9_-]{{1,{MAX_DEEP_LINK_CHARS}}}$")
DEEP_LINK_SPACE = "_"
COMMAND_PREFIX = "/"
PHOTO_SUFFIX = ".jpg"
PHOTO_MIME = "image/jpeg"
"""Telegram re-encodes a photo (not sent as a file) as JPEG and names it not; it is named after its unique id."""
BOT_MENTION = "@"

ALLOWED_UPDATES = (UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY)
"""Edited messages are not asked for: an edit would re-apply a form answer to whatever question is now open."""
POLL_TIMEOUT_SECONDS = 30
MAX_BACKOFF_SECONDS = 30.0
MAX_CONCURRENT_UPDATES = 8
"""Updates of different chats are handled concurrently (in order within a chat), at most this many at once."""
OVERALL_MESSAGES_PER_SECOND = 30
"""Telegram's overall flood limit for a bot, shared by its instances; tests and benchmarks pace at another rate."""
STOP_GRACE_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 10.0

MAX_TITLE_CHARS = 120
"""The first line of a multi-line message is shown bold when it is a title, not a paragraph."""
SHORT_LABEL_CHARS = 8
"""Buttons go two per row when every label is at most this long, one per row otherwise."""
CHOSEN_MARK = "✓"
MENTION_LABEL = "👤"
TOKEN_PREFIX = "~t:"
TOKEN_DIGEST_BYTES = 12
TOKEN_CACHE_SIZE = 4096
TAPPED_CACHE_SIZE = 4096
PROGRESS_CACHE_SIZE = 1024

TELEGRAM_LANGUAGES = {LANG_ZH: "zh", LANG_EN: "en"}
"""Catalog language → Telegram's two-letter language code for command menus."""
BUTTON_EXPIRED_KEY = "telegram.button_expired"

REASON_BAD_REQUEST = "bad_request"
REASON_FORBIDDEN = "forbidden"
REASON_MIGRATED = "migrated"
REASON_RATE_LIMITED = "rate_limited"
REASON_NETWORK = "network"
REASON_ERROR = "telegram_error"
FORBIDDEN_PREFIX = "Forbidden: "
"""Telegram starts a 403's description with this (PTB already strips "Bad Request: " from 400s)."""


def api_url(base_url: str) -> str:
    """Return PTB's ``base_url`` for a Bot API server address (``https://api.telegram.org`` → ``.../bot``)."""
    base = base_url.rstrip("/")
    return base if base.endswith(BOT_PATH) else base + BOT_PATH


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked us to wait, whichever type PTB uses for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def send_error(error: TelegramError) -> SendError:
    """Map a Bot API error to the core's SendError; the reason starts with a ``REASON_*`` prefix."""
    if isinstance(error, RetryAfter):
        seconds = retry_seconds(error)
        return SendError(f"{REASON_RATE_LIMITED}: retry after {seconds:g}s", permanent=False, retry_after=seconds)
    if isinstance(error, Forbidden):
        reason = f"{REASON_FORBIDDEN}: {error.message.removeprefix(FORBIDDEN_PREFIX)}"
        return SendError(reason, permanent=True, kind=FailureKind.REFUSED)
    if isinstance(error, ChatMigrated):
        # Permanent for this row: the core rebinds the chat and queues the message again for the new id.
        new_chat_id = str(error.new_chat_id)
        reason = f"{REASON_MIGRATED}: new chat id {new_chat_id}"
        return SendError(reason, permanent=True, kind=FailureKind.MIGRATED, new_chat_id=new_chat_id)
    if isinstance(error, BadRequest):  # before NetworkError: BadRequest subclasses it
        return SendError(f"{REASON_BAD_REQUEST}: {error.message}", permanent=True)
    if isinstance(error, NetworkError):  # includes TimedOut, and every 5xx answer (PTB raises NetworkError for them)
        return SendError(f"{REASON_NETWORK}: {error.message}", permanent=False, kind=FailureKind.OUTAGE)
    # InvalidToken (401/404), Conflict and anything new: an outage, held until it is fixed, so fixing the
    # configuration loses nothing
    reason = f"{REASON_ERROR}: {type(error).__name__}: {error.message}"
    return SendError(reason, permanent=False, kind=FailureKind.OUTAGE)


def chat_id_param(chat_id: str) -> int | str:
    """Return a chat id as the Bot API expects it: an integer, or an ``@channelname``."""
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


@dataclass(frozen=True)
class Rendered:
    """One sendMessage call: HTML text and an optional inline keyboard."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


class TelegramAdapter:
    """Serve one Telegram bot: normalize updates, render and send messages, answer button taps.

    Button values longer than Telegram's 64-byte ``callback_data`` are sent as a short token and kept in an
    in-process LRU map. The trade-off: no database round trip per button and no table to clean, but a tap on
    such a button after a restart (or on another instance) cannot be resolved; the user is told the button
    expired and answers by typing. The values the core produces (``#12:home``, ``/daily nil``) fit in 64 bytes,
    so this is a safety net for long labels in org data, not the common path.
    """

    platform = PLATFORM_TELEGRAM

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        rate_limit: bool = True,
        overall_rate: int = OVERALL_MESSAGES_PER_SECOND,
        slots: SlotStore | None = None,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        inbox: InboxStore | None = None,
    ) -> None:
        # ``slots``: where the pace is counted, the database for instances sharing a bot; unset, in this process.
        # 429s surface (no retries in PTB); the outbox retries them
        limiter = PacedRateLimiter(SendPace(overall_rate, slots)) if rate_limit else None
        self.bot = ExtBot(
            token,
            base_url=api_url(base_url),
            base_file_url=api_url(base_url).removesuffix(BOT_PATH) + FILE_PATH,
            request=HTTPXRequest(
                read_timeout=REQUEST_TIMEOUT_SECONDS,
                write_timeout=REQUEST_TIMEOUT_SECONDS,
                connect_timeout=REQUEST_TIMEOUT_SECONDS,
            ),
            get_updates_request=HTTPXRequest(connection_pool_size=1, connect_timeout=REQUEST_TIMEOUT_SECONDS),
            rate_limiter=limiter,
        )
        self.dispatch: Dispatch | None = None
        self.username: str | None = None
        self._tokens = LRU(TOKEN_CACHE_SIZE)
        self._tapped = LRU(TAPPED_CACHE_SIZE)
        self._progress = LRU(PROGRESS_CACHE_SIZE)
        self._order = ChatOrder(max_concurrent_updates, platform=self.platform)
        self._offsets = Offsets()
        self.inbox = Inbox(inbox or MemoryInboxStore(), self._order, self._handle_kept, "a Telegram update")
        """Keeps each webhook update before Telegram is answered, so a crash loses none (polling needs none)."""

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def start(self, dispatch: Dispatch) -> None:
        """Check the token (getMe), learn the bot's username and remember where updates go."""
        try:
            await self.bot.initialize()
        except InvalidToken:
            logger.error("telegram: getMe refused the bot token (401 Unauthorized)")
            raise SetupRefused("Telegram refused LIANFANG_TELEGRAM_TOKEN (401 Unauthorized): check the token") from None
        self.username = self.bot.username
        self.dispatch = dispatch
        self.inbox.start()
        logger.info("telegram bot @%s ready", self.username)

    async def stop(self) -> None:
        """Let updates in progress finish (briefly), confirm the handled ones, then close the HTTP clients.

        Updates cut short stay unconfirmed (polling) or kept in the inbox (webhook), and are handled after the
        next start.
        """
        await self.inbox.stop()
        cut = await self._order.stop(STOP_GRACE_SECONDS)
        if cut:
            logger.warning("telegram: %d update(s) still in progress at stop; cancelled", cut)
        if self._offsets.unconfirmed:  # spares the next start updates it would only recognise and skip
            offset = self._offsets.poll_offset()
            await self._quietly(self.bot.get_updates(offset=offset, timeout=0, limit=1), "getUpdates (confirm)")
        await self.bot.shutdown()

    async def join(self) -> None:
        """Wait until every update received so far has been handled."""
        await self.inbox.join()
        await self._order.join()

    # -- receiving ------------------------------------------------------------------------------------------

    async def poll(self, *, timeout: int = POLL_TIMEOUT_SECONDS) -> None:
        """Remove any webhook, then long-poll getUpdates and handle what arrives, until cancelled.

        The offset passes an update only once it has been handled (see ``polling``): a kill loses nothing.
        """
        await self._retrying(lambda: self.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
        failures = 0
        logger.info("telegram: polling for updates")
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=self._offsets.poll_offset(), timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
                )
            except InvalidToken:
                raise
            except RetryAfter as error:
                await asyncio.sleep(retry_seconds(error))
                continue
            except Exception as error:  # network trouble, a 409 while a webhook is set, an unparsable batch
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 2.0**failures)
                logger.warning("telegram: getUpdates failed (%s); retrying in %.0fs", type(error).__name__, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update in updates:
                if self._offsets.take(update.update_id):
                    await self._order.submit(
                        self._order_key(update), partial(self._handle_polled, update), f"update {update.update_id}"
                    )
            if self._offsets.busy:
                await self._offsets.settled()

    async def _handle_polled(self, update: Update) -> None:
        """Handle a polled update, then let the offset pass it; a cancelled one stays for the next start."""
        try:
            await self.handle_update(update)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._offsets.done(update.update_id)  # an update that fails would fail again: it is not kept
            raise
        self._offsets.done(update.update_id)

    async def set_webhook(self, url: str, secret: str) -> None:
        """Ask Telegram to POST updates to ``url`` with the secret in ``X-Telegram-Bot-Api-Secret-Token``."""
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
        logger.info("telegram: webhook set")

    def parse(self, data: Any) -> Update:
        """Build an Update from webhook JSON; raise ValueError when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            raise ValueError("not a Telegram update")
        try:
            return Update.de_json(data, self.bot)
        except Exception as error:  # PTB raises assorted errors on malformed objects
            raise ValueError(f"malformed update: {type(error).__name__}") from error

    async def feed(self, update: Update) -> None:
        """Handle one update in the background, after the earlier updates of the same chat."""
        what = f"update {update.update_id}"
        await self._order.submit(self._order_key(update), lambda: self.handle_update(update), what)

    async def keep(self, update: Update) -> bool:
        """Keep a webhook update in the inbox, then handle it in the background, after the earlier ones of its chat.

        Returns once it is kept (False: it was kept already, Telegram sent it again); raises if it could not be
        kept, so that Telegram, answered with an error, sends it again.
        """
        return await self.inbox.put(str(update.update_id), self._order_key(update), update.to_dict())

    async def _handle_kept(self, payload: dict[str, Any]) -> None:
        await self.handle_update(Update.de_json(payload, self.bot))

    @staticmethod
    def _order_key(update: Update) -> str:
        chat = update.effective_chat
        return str(chat.id) if chat is not None else f"update:{update.update_id}"

    async def handle_update(self, update: Update) -> None:
        """Handle one update now: answer a button tap, then pass a message on to the core."""
        if self.dispatch is None:
            raise RuntimeError("the Telegram adapter was not started")
        query = update.callback_query
        if query is not None and not await self._acknowledge(query):
            return
        incoming = self.normalize(update)
        if incoming is None:
            logger.debug("telegram: update %s ignored", update.update_id)
            return
        outcome = await self.dispatch(incoming)
        if query is not None and outcome.taken:
            await self._show_choice(query)

    def normalize(self, update: Update) -> IncomingMessage | None:
        """Turn an update into an IncomingMessage, or None for anything the core does not handle.

        Handled: text messages, captions, documents and photos (as an attachment) and button taps. Ignored: edited
        messages (re-applying an edit would answer whatever question is open now), channel posts, membership
        changes, service messages, stickers and other media without a caption, messages from bots, and
        commands for another bot.
        """
        if update.callback_query is not None:
            return self._normalize_tap(update.update_id, update.callback_query)
        message = update.message
        if message is None or message.from_user is None or message.from_user.is_bot:
            return None
        attachment = self._attachment(message)
        text = message.text if message.text is not None else message.caption
        if message.document is not None:
            text = ""  # the file is the message; a caption is not a command or an answer
        elif (attachment is None and not text) or (text and self._for_another_bot(text)):
            return None
        user = message.from_user
        return IncomingMessage(
            platform=self.platform,
            chat_id=str(message.chat.id),
            user_id=str(user.id),
            text=text or "",
            is_private=message.chat.type == ChatType.PRIVATE,
            display_name=user.full_name,
            language_code=user.language_code,
            is_button=False,
            event_id=str(update.update_id),
            attachment=attachment,
        )

    def _attachment(self, message: Message) -> Attachment | None:
        """Describe a document or photo sent in a message; its bytes are fetched only if the core asks.

        A photo's caption stays the message's text (a reading typed under a thermometer's photo is an answer); the
        photo itself answers only a form's question that takes a file.
        """
        document = message.document
        if document is None and message.photo:
            largest = message.photo[-1]  # Telegram lists a photo's sizes smallest first
            return Attachment(
                file_name=largest.file_unique_id + PHOTO_SUFFIX,
                size=largest.file_size,
                mime_type=PHOTO_MIME,
                fetch=self._fetcher(largest.file_id),
                photo=True,
            )
        if document is None:
            return None
        return Attachment(
            file_name=document.file_name or document.file_unique_id,
            size=document.file_size,
            mime_type=document.mime_type,
            fetch=self._fetcher(document.file_id),
        )

    def _fetcher(self, file_id: str) -> Fetch:
        """Return a download of one file: getFile, then the file path (bots may download up to 20 MB)."""

        async def fetch(limit: int) -> bytes:
            file = await self.bot.get_file(file_id)
            if file.file_size is not None and file.file_size > limit:
                raise AttachmentTooLarge(file_id)
            data = bytes(await file.download_as_bytearray())
            if len(data) > limit:
                raise AttachmentTooLarge(file_id)
            return data

        return fetch

    def _normalize_tap(self, update_id: int, query: CallbackQuery) -> IncomingMessage | None:
        message = query.message
        value = self.resolve(query.data) if query.data else None
        if message is None or value is None or query.from_user.is_bot:
            return None  # a tap on an inline-mode message, a game button, or an expired token
        return IncomingMessage(
            platform=self.platform,
            chat_id=str(message.chat.id),
            user_id=str(query.from_user.id),
            text=value,
            is_private=message.chat.type == ChatType.PRIVATE,
            display_name=query.from_user.full_name,
            language_code=query.from_user.language_code,
            is_button=True,
            event_id=str(update_id),
        )

    def _for_another_bot(self, text: str) -> bool:
        """Tell whether a command is addressed to a different bot (``/help@otherbot``, ``／help＠otherbot``)."""
        head = next(iter(route_fold(text).split(maxsplit=1)), "")
        if not head.startswith(COMMAND_PREFIX):
            return False
        _, at, name = head.partition(BOT_MENTION)
        return bool(at) and self.username is not None and name.casefold() != self.username.casefold()

    async def _acknowledge(self, query: CallbackQuery) -> bool:
        """Answer a tap; False: go no further.

        Each person's first tap on a message counts and later ones are only answered, so a double tap does
        nothing twice. Once the core has taken the tap, ``handle_update`` marks the choice on the message.
        """
        message = query.message
        key = (message.chat.id, message.message_id, query.from_user.id) if message is not None else query.id
        if self._tapped.recall(key) is not None:
            await self._quietly(query.answer(), "answerCallbackQuery")  # a double tap: the first one counts
            return False
        if query.data and self.resolve(query.data) is None:
            lang = normalize_language(query.from_user.language_code)
            notice = render(Text(BUTTON_EXPIRED_KEY), lang)
            await self._quietly(query.answer(notice, show_alert=True), "answerCallbackQuery")
            return False
        self._tapped.remember(key, True)
        await self._quietly(query.answer(), "answerCallbackQuery")
        return True

    async def _show_choice(self, query: CallbackQuery) -> None:
        """Replace the keyboard of a tapped private message by a line saying what was chosen.

        Group keyboards stay in place because they are for everyone in the group; a refused tap (a stale card)
        is not shown as chosen.
        """
        message, data = query.message, query.data or ""
        if not isinstance(message, Message) or message.chat.type != ChatType.PRIVATE:
            return
        label = next(
            (
                button.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for button in row
                if button.callback_data == data
            ),
            None,
        )
        if label and message.text and len(message.text) + len(label) + 3 <= MAX_MESSAGE_CHARS:
            text = f"{message.text_html}\n{CHOSEN_MARK} {html.escape(label)}"
            if await self._quietly(
                self.bot.edit_message_text(
                    text,
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                "editMessageText",
            ):
                return  # editing the text without reply_markup also removes the keyboard
        await self._quietly(
            self.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id),
            "editMessageReplyMarkup",
        )

    # -- sending --------------------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> None:
        """Send one message (several when it is long); raise SendError when Telegram refuses it.

        If a later part of a split message fails, the parts already sent are remembered (in process) so the
        outbox's retry does not repeat them.
        """
        parts = self.render(message) if message.lines else []
        total = len(parts) + (message.document is not None)
        key = None
        if total > 1:  # only a message in several parts can have been sent in part
            digest = hashlib.sha256(json.dumps(message.to_json(), sort_keys=True).encode()).digest()
            key = (message.chat.chat_id, digest)
        done = (self._progress.recall(key) or 0) if key else 0
        for index in range(done, total):
            try:
                if index < len(parts):
                    await self.bot.send_message(
                        chat_id=chat_id_param(message.chat.chat_id),
                        text=parts[index].text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=parts[index].keyboard,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                else:
                    assert message.document is not None
                    await self._send_document(message.chat.chat_id, message.document)
            except TelegramError as error:
                if index:
                    self._progress.remember(key, index)
                failure = send_error(error)
                logger.info("telegram: message not sent: %s", failure.reason)
                raise failure from error
        if key:
            self._progress.pop(key, None)

    async def _send_document(self, chat_id: str, document: Document) -> None:
        """Upload a document (sendDocument, multipart); the message's lines went before it."""
        if document.data is None:
            raise SendError("document without its bytes", permanent=True)
        await self.bot.send_document(
            chat_id=chat_id_param(chat_id),
            document=InputFile(document.data, filename=document.file_name),
            disable_content_type_detection=True,
        )

    def render(self, message: OutgoingMessage) -> list[Rendered]:
        """Render a message as HTML parts of at most 4,096 characters; the buttons go on the last part.

        The whole rendered text is escaped, not only the interpolated values: Telegram's limit applies after
        entity parsing, so the plain text is split first and each part escaped after (escaping first could cut
        an ``&amp;`` in two), and a stray ``<`` in a catalog template cannot break a message either.
        """
        plain = render_lines(message.lines, message.lang)
        mentions = [user for user in message.mentions if user.isdigit()]
        reserve = (len(mentions) * (len(MENTION_LABEL) + 1)) if mentions else 0
        chunks = split_text(plain, MAX_MESSAGE_CHARS - reserve)
        parts = [html.escape(chunk, quote=False) for chunk in chunks]
        first, newline, rest = parts[0].partition("\n")
        if "\n" in plain and first.strip() and len(first) <= MAX_TITLE_CHARS:
            parts[0] = f"<b>{first}</b>{newline}{rest}"
        if mentions:
            links = " ".join(f'<a href="tg://user?id={user}">{MENTION_LABEL}</a>' for user in mentions)
            parts[-1] = f"{parts[-1]}\n{links}" if parts[-1] else links
        keyboard = self.keyboard(message.buttons, message.lang)
        return [Rendered(text, keyboard if index == len(parts) - 1 else None) for index, text in enumerate(parts)]

    def keyboard(self, buttons: Sequence[Button], lang: str) -> InlineKeyboardMarkup | None:
        """Lay buttons out as an inline keyboard: two per row when every label is short."""
        if not buttons:
            return None
        labels = [render(button.label, lang) for button in buttons]
        width = 2 if all(len(label) <= SHORT_LABEL_CHARS for label in labels) else 1
        keys = [self._key(button, label) for button, label in zip(buttons, labels, strict=True)]
        return InlineKeyboardMarkup([keys[i : i + width] for i in range(0, len(keys), width)])

    def _key(self, button: Button, label: str) -> InlineKeyboardButton:
        if button.private and self.username:
            return InlineKeyboardButton(label, url=self.deep_link(button.value))
        return InlineKeyboardButton(label, callback_data=self.callback_data(button.value))

    def deep_link(self, value: str) -> str:
        """Return a ``t.me`` link that opens a private chat and sends ``/start <payload>`` for a command.

        The payload is the command without its slash, spaces as ``_`` (the core turns ``/start join_CODE``
        back into ``/join CODE``). Arguments Telegram cannot carry (Chinese text, over 64 characters) are
        dropped and only the command is kept; the user is then asked for them step by step.
        """
        payload = value.strip().removeprefix(COMMAND_PREFIX).strip().replace(" ", DEEP_LINK_SPACE)
        if not DEEP_LINK_PAYLOAD.match(payload):
            payload = payload.split(DEEP_LINK_SPACE, 1)[0]
        link = f"{DEEP_LINK_BASE}{self.username}"
        return f"{link}?start={payload}" if DEEP_LINK_PAYLOAD.match(payload) else link

    def callback_data(self, value: str) -> str:
        """Return the callback_data for a button value: the value itself, or a short token when it is too long."""
        if len(value.encode()) <= MAX_CALLBACK_DATA_BYTES and not value.startswith(TOKEN_PREFIX):
            return value
        digest = hashlib.blake2b(value.encode(), digest_size=TOKEN_DIGEST_BYTES).digest()
        token = TOKEN_PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._tokens.remember(token, value)
        return token

    def resolve(self, data: str) -> str | None:
        """Return the button value behind callback_data, or None for a token this process no longer knows."""
        if not data.startswith(TOKEN_PREFIX):
            return data
        return self._tokens.recall(data)

    # -- command menus --------------------------------------------------------------------------------------

    async def set_commands(
        self, private: Sequence[str], groups: Sequence[str], labels: Mapping[str, Text], *, default_lang: str
    ) -> None:
        """Set the command menus: all commands in private chats, a few in groups, per language and a default."""
        scopes = ((BotCommandScopeAllPrivateChats(), private), (BotCommandScopeAllGroupChats(), groups))
        for scope, names in scopes:
            targets: list[tuple[str, str | None]] = [(lang, code) for lang, code in TELEGRAM_LANGUAGES.items()]
            targets.append((default_lang, None))
            for lang, code in targets:
                commands = [BotCommand(name, render(labels[name], lang)) for name in names]
                await self._quietly(
                    self.bot.set_my_commands(commands, scope=scope, language_code=code), "setMyCommands"
                )

    # -- helpers --------------------------------------------------------------------------------------------

    @staticmethod
    async def _quietly(call: Any, what: str) -> bool:
        """Await a call whose failure must not stop anything (UI feedback); return whether it worked."""
        try:
            await call
        except TelegramError as error:
            logger.warning("telegram: %s failed: %s", what, error.message)
            return False
        return True

    @staticmethod
    async def _retrying(call: Any, what: str) -> None:
        """Call until it works, backing off on errors other than a bad token."""
        failures = 0
        while True:
            try:
                await call()
                return
            except InvalidToken:
                raise
            except TelegramError as error:
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, 2.0**failures)
                logger.warning("telegram: %s failed (%s); retrying in %.0fs", what, type(error).__name__, delay)
                await asyncio.sleep(delay)
