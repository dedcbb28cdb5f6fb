"""Platform-neutral message types shared by the core and every adapter."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

PLATFORM_CONSOLE = "console"
PLATFORM_MEMORY = "memory"
PLATFORM_TELEGRAM = "telegram"
PLATFORM_WECOM = "wecom"

RAW_KEY = "common.raw"
"""Locale key whose template is just ``{text}``: carries text that is data, not wording."""
STEP_TOKEN = re.compile(r"^#(\d+)(?:\.([^:]*))?:(.*)$", re.DOTALL)
"""Choice buttons carry their draft's step and the question's field (``#48213907.measure:home``), so a tap on an
earlier question, or on a question of another form, is recognised; ``#3:home`` (no field) is always stale."""
VALUE_SKIP = "/skip"
VALUE_BACK = "/back"
VALUE_CANCEL = "/cancel"
FORM_CONTROL_VALUES = frozenset({VALUE_SKIP, VALUE_BACK, VALUE_CANCEL})
"""Button values of the form controls; every question's hint line names them too."""
NESTED_TEXT = "$text"
BILINGUAL_KEY = "$bilingual"
"""Pseudo key for organisation data that comes in both languages (group names, report labels)."""
SUBJECT_CHECK = "check"
SUBJECT_VISIT = "visit"
SUBJECT_TARGET = "target"
SUBJECT_OBSERVATION = "observation"
SUBJECT_REFERRAL = "referral"
SUBJECT_KINDS = (SUBJECT_CHECK, SUBJECT_VISIT, SUBJECT_TARGET, SUBJECT_OBSERVATION, SUBJECT_REFERRAL)
Subject = tuple[str, int]
"""A person a message is about: the kind of record (``SUBJECT_*``) and its number."""


@dataclass(frozen=True)
class Text:
    """One line of user-facing text: a locale key and its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def raw(cls, text: str) -> Text:
        """Wrap text that is data (a name, a group label) rather than wording."""
        return cls(RAW_KEY, {"text": text})

    @classmethod
    def bilingual(cls, zh: str, en: str) -> Text:
        """Wrap organisation data given in Chinese and English; the reader's language picks one."""
        return cls(BILINGUAL_KEY, {"zh_CN": zh, "en": en or zh})

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict; nested ``Text`` parameters are kept as such."""
        params = {
            name: {NESTED_TEXT: value.to_json()} if isinstance(value, Text) else value
            for name, value in self.params.items()
        }
        return {"key": self.key, "params": params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Text:
        """Build from the dict made by ``to_json``."""
        params = {
            name: cls.from_json(value[NESTED_TEXT]) if isinstance(value, dict) and NESTED_TEXT in value else value
            for name, value in (data.get("params") or {}).items()
        }
        return cls(data["key"], params)


class TextError(Exception):
    """A refusal that says why in the reader's language: ``key`` and ``params`` make its line."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def text(self) -> Text:
        """Return the reason as a line."""
        return Text(self.key, self.params)


@dataclass(frozen=True)
class Button:
    """A choice shown as a button where the platform has them; ``value`` comes back as typed text."""

    label: Text
    value: str
    private: bool = False
    """The value is a command to open in a private chat with the bot (a deep link where possible)."""

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"label": self.label.to_json(), "value": self.value, "private": self.private}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Button:
        """Build from the dict made by ``to_json``."""
        return cls(Text.from_json(data["label"]), data["value"], bool(data.get("private")))


@dataclass(frozen=True)
class ChatRef:
    """Address of one chat on one platform."""

    platform: str
    chat_id: str


@dataclass(frozen=True)
class Document:
    """A file sent with a message; its bytes live in a table of their own, the outbox payload names the row."""

    file_name: str
    size: int
    mime_type: str
    file_id: int | None = None
    """The row holding the bytes, once stored."""
    data: bytes | None = field(default=None, repr=False, compare=False)
    text: str = field(default="", repr=False, compare=False)
    """The words the file shows a reader, for the privacy guard, when a group chat is to get it (a report)."""

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict without the bytes."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_name": self.file_name,
            "size": self.size,
            "mime_type": self.mime_type,
        }
        if self.text:
            data["text"] = self.text
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        """Build from the dict made by ``to_json``; the bytes are loaded separately."""
        return cls(
            data["file_name"], int(data["size"]), data["mime_type"], data.get("file_id"), text=data.get("text", "")
        )


@dataclass(frozen=True)
class OutgoingMessage:
    """A message for one chat, in the recipient's language, rendered by the adapter."""

    chat: ChatRef
    lines: tuple[Text, ...]
    lang: str
    buttons: tuple[Button, ...] = ()
    mentions: tuple[str, ...] = ()
    """Platform user ids to @mention (group chats)."""
    document: Document | None = None
    """A file sent after the lines."""
    shareable: bool = False
    """Holds no personal data, so if the recipient cannot be messaged privately it may be shown in their group
    chat (reminders, chasers). Anything else only gets a notice there."""
    subjects: tuple[Subject, ...] = ()
    """The persons the message is about; the privacy guard checks a group message against their records."""
    private: bool = False
    """Bound for a one-to-one chat with a member; anything else is treated as a group chat and guarded."""

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict for the outbox."""
        data: dict[str, Any] = {
            "lines": [line.to_json() for line in self.lines],
            "lang": self.lang,
            "buttons": [button.to_json() for button in self.buttons],
            "mentions": list(self.mentions),
        }
        if self.document is not None:
            data["document"] = self.document.to_json()
        if self.shareable:
            data["shareable"] = True
        if self.subjects:
            data["subjects"] = [[kind, number] for kind, number in self.subjects]
        if self.private:
            data["private"] = True
        return data

    @classmethod
    def from_json(cls, chat: ChatRef, data: dict[str, Any]) -> OutgoingMessage:
        """Build from the outbox dict made by ``to_json``."""
        return cls(
            chat=chat,
            lines=tuple(Text.from_json(line) for line in data["lines"]),
            lang=data["lang"],
            buttons=tuple(Button.from_json(button) for button in data.get("buttons", [])),
            mentions=tuple(data.get("mentions", [])),
            document=Document.from_json(data["document"]) if data.get("document") else None,
            shareable=bool(data.get("shareable")),
            subjects=tuple((str(kind), int(number)) for kind, number in data.get("subjects", [])),
            private=bool(data.get("private")),
        )


class AttachmentTooLarge(Exception):
    """An attachment turned out larger than the limit while it was downloaded."""


Fetch = Callable[[int], Awaitable[bytes]]
"""Download an attachment's bytes, raising AttachmentTooLarge past the given number of bytes."""
FETCH_TOO_LARGE = "too_large"
FETCH_FAILED = "failed"


@dataclass(frozen=True)
class Attachment:
    """A file a user sent; the adapter binds ``fetch`` to the platform's file reference."""

    file_name: str
    size: int | None = None
    """As the platform announced it, when it did."""
    mime_type: str | None = None
    fetch: Fetch | None = field(default=None, repr=False, compare=False)
    data: bytes | None = field(default=None, repr=False, compare=False)
    """The bytes, once the core chose to download them."""
    error: str | None = None
    """Why the download did not give the bytes (``FETCH_*``)."""
    photo: bool = False
    """A photo (not a file): it answers a form's question that takes one, and is otherwise no file for the file
    command; its caption, if any, is the message's text."""


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a user said or tapped, normalized by an adapter."""

    platform: str
    chat_id: str
    user_id: str
    text: str
    is_private: bool = True
    display_name: str = ""
    language_code: str | None = None
    is_button: bool = False
    """True when the text came from tapping a button rather than typing."""
    event_id: str | None = None
    """Platform delivery id (update_id, MsgId), for deduplication."""
    attachment: Attachment | None = None
    """A file sent with (or as) the message."""
