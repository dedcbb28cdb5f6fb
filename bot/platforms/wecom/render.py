"""Rendering for WeCom: text within its byte limits, markdown with @mentions in group chats, template cards.

A private message whose buttons are commands goes as a template card (unless cards are ``never``); a tap on a
card's button comes back as the button's value, encoded in the button's key. Where WeCom shows no buttons (group
chats, robots, plain text), each action is written as the words to send.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lianfang.bot.i18n import render, render_lines
from lianfang.bot.platforms.wecom.chats import TARGET_APPCHAT, TARGET_ROBOT, TARGET_USER, mentionable, target_of
from lianfang.bot.render import is_choice, render_plain
from lianfang.bot.types import FORM_CONTROL_VALUES, Button, OutgoingMessage, Text

MAX_TEXT_BYTES = 2048
"""App and group-chat text and markdown are cut by WeCom beyond 2,048 bytes of UTF-8 (a Chinese character is 3)."""
MAX_ROBOT_TEXT_BYTES = 2048
TOUSER_SEPARATOR = "|"
MSG_TEXT = "text"
MSG_FILE = "file"
MSG_MARKDOWN = "markdown"
MSG_TEMPLATE_CARD = "template_card"

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
ESCAPE_LOOKALIKE = re.compile(r"\\(?=[uU])")
"""A typed ``\\u`` (``D:\\upload\\u7ed3``): WeCom refuses any text holding one (errcode 40033)."""
BACKSLASH_SAFE = "＼"
WECOM_ACTION_PRIVATE = "wecom.action_private"
PLATFORM_TEXTS = {
    "delivery.unreachable": "wecom.unreachable",
    "delivery.fallback": "wecom.fallback",
    "delivery.fallback_private": "wecom.fallback_private",
}
"""Lines whose advice differs on WeCom (the app's visible range, not /start), as the WeCom wording's key."""
KEPT_CONTROL_CHARACTERS = "\n\t"


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


@dataclass(frozen=True)
class Part:
    """One API call that delivers (part of) a message; ``fallback`` is sent instead if a card is refused."""

    target: str
    address: str
    payload: dict[str, Any]
    fallback: tuple[Part, ...] = ()
    optional: bool = False
    """A card sent besides the text (``auto``): if WeCom refuses it, the text has said it all."""


class Renderer:
    """Render messages for one WeCom app: its agent id, its card mode and the words members type for commands."""

    def __init__(self, *, agent_id: int, cards: str, words: Callable[[str], str]) -> None:
        if cards not in CARD_MODES:
            raise ValueError(f"cards must be one of {', '.join(CARD_MODES)}")
        self.agent_id = agent_id
        self.cards = cards
        self.words = words
        """What a member types for a command value (``/daily nil`` → ``日报 无``); WeCom users type words."""

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


def platform_text(line: Text) -> Text:
    """Return a line in WeCom's wording where its advice differs there (see PLATFORM_TEXTS)."""
    key = PLATFORM_TEXTS.get(line.key)
    return Text(key, line.params) if key is not None else line


def batchable(parts: Sequence[Part]) -> bool:
    """Tell whether a rendering can go to many members per call: one text or card, plus at most an optional card."""
    required = [part for part in parts if not part.optional]
    return len(required) == 1 and all(len(part.fallback) <= 1 for part in parts)


def addressed(part: Part, users: Sequence[str]) -> Part:
    """Return an app-message part (and its fallback) addressed to several members at once."""
    touser = TOUSER_SEPARATOR.join(users)
    fallback = tuple(addressed(other, users) for other in part.fallback)
    return replace(part, address=touser, payload={**part.payload, "touser": touser}, fallback=fallback)


def card_button(button: Button) -> bool:
    """Tell whether a button can go on a template card: a command to run, not an answer to a form question."""
    return not is_choice(button) and button.value not in FORM_CONTROL_VALUES and not button.private
