"""WeCom callbacks: the signature check and decryption, and the flat XML read as an ``IncomingMessage``.

wechatpy is used only for the callback crypto (signature check, AES); 1.8 predates template cards, so decrypted
callbacks are read as the flat XML they are. Incoming messages, in the least surprising way for the core:

- text → its text; a tap on a template-card button or an app-menu item (``click``) → the button's value with
  ``is_button=True``, exactly what typing it would give;
- ``subscribe`` (a member starts following the app) → ``/start``, so a newcomer is told how to join;
- image, voice, video, location, link or file → an empty text. The core answers "no text received" outside a
  form, and re-asks the open question inside one; silence would leave a field worker wondering;
- ``enter_agent`` (opening the app), ``unsubscribe``, periodic location reports and other events → ignored.
"""

from __future__ import annotations

import binascii
import hashlib
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Mapping

from lianfang.bot.platforms.wecom.render import MSG_FILE, MSG_TEXT, decode_card_key
from lianfang.bot.types import PLATFORM_WECOM, Attachment, Fetch, IncomingMessage
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

AES_KEY_CHARS = 43
ENCRYPT_FIELD = "Encrypt"
MSG_EVENT = "event"
MSG_IMAGE = "image"
PHOTO_SUFFIX = ".jpg"
"""An image message carries no file name: it is named after its media id (WeCom sends images as JPEG)."""
EVENT_TEMPLATE_CARD = "template_card_event"
EVENT_CLICK = "click"
EVENT_SUBSCRIBE = "subscribe"
START_COMMAND = "/start"
NON_TEXT_TEXT = ""
"""What a voice, video, location, link, image or file message becomes; the last two carry an attachment."""
EVENT_ID_PREFIX = "ev:"
EVENT_DIGEST_BYTES = 16

Download = Callable[[str, int], Awaitable[bytes]]
"""Fetch a temporary file by its media id, refusing more than the given number of bytes."""


class CallbackError(Exception):
    """A callback request that is not a genuine, readable WeCom callback."""


class BadSignature(CallbackError):
    """The request's signature does not match: it did not come from WeCom (or not for this app)."""


class BadCallback(CallbackError):
    """The request is signed but cannot be decrypted or read."""


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


class Callbacks:
    """Check, decrypt and read the callbacks of one WeCom app."""

    platform = PLATFORM_WECOM

    def __init__(self, *, token: str, aes_key: str, corp_id: str, agent_id: int, download: Download) -> None:
        if len(aes_key) != AES_KEY_CHARS:
            raise ValueError("the WeCom EncodingAESKey must be 43 characters")
        try:
            self.crypto = WeChatCrypto(token, aes_key, corp_id)
        except (AssertionError, ValueError, binascii.Error):
            raise ValueError("the WeCom EncodingAESKey is not valid base64 for a 32-byte key") from None
        self.agent_id = agent_id
        self.download = download

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

    def open(self, body: bytes, signature: str, timestamp: str, nonce: str) -> dict[str, str]:
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
        attachment = self._attachment(fields, photo=kind == MSG_IMAGE) if kind in (MSG_FILE, MSG_IMAGE) else None
        return self._incoming(user, text, self.delivery_id(fields), is_button=False, attachment=attachment)

    def delivery_id(self, fields: Mapping[str, str]) -> str:
        """Return a delivery's id: its MsgId, or for an event (events carry none) a digest of what identifies it."""
        return fields.get("MsgId") or self._event_id(fields.get("FromUserName", ""), fields)

    def _attachment(self, fields: Mapping[str, str], *, photo: bool = False) -> Attachment | None:
        """Describe a file or image a member sent; its bytes are fetched through ``media/get`` only if the core
        asks (a form's question that takes a file, or the file command)."""
        media_id = fields.get("MediaId", "")
        if not media_id:
            return None
        size = fields.get("FileSize", "")
        return Attachment(
            file_name=media_id + PHOTO_SUFFIX if photo else fields.get("FileName") or fields.get("Title") or media_id,
            size=int(size) if size.isdigit() else None,
            fetch=self._media_fetcher(media_id),
            photo=photo,
        )

    def _media_fetcher(self, media_id: str) -> Fetch:
        async def fetch(limit: int) -> bytes:
            return await self.download(media_id, limit)

        return fetch

    def _normalize_event(self, user: str, fields: Mapping[str, str]) -> IncomingMessage | None:
        event = fields.get("Event", "").lower()
        key = fields.get("EventKey", "")
        if event in (EVENT_TEMPLATE_CARD, EVENT_CLICK) and key:
            decoded = decode_card_key(key)
            value = decoded[0] if decoded is not None else key
            return self._incoming(user, value, self.delivery_id(fields), is_button=True)
        if event == EVENT_SUBSCRIBE:
            return self._incoming(user, START_COMMAND, self.delivery_id(fields), is_button=False)
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
