"""Test doubles and builders: a chat harness over the in-memory adapter, with an injectable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count

from lianfang.app.platforms import Settings
from lianfang.bot.db import session_scope
from lianfang.bot.i18n import render, render_lines
from lianfang.bot.org import Org
from lianfang.bot.platforms.memory.adapter import MemoryAdapter
from lianfang.bot.render import render_plain
from lianfang.bot.runtime import App, ManualClock
from lianfang.bot.types import PLATFORM_MEMORY, Attachment, AttachmentTooLarge, IncomingMessage, OutgoingMessage
from lianfang.handlers.membership.joining import new_invite

from tests.org import load_test_org

TEST_DAY = date(2020, 1, 28)
HARNESSES: dict[str, list[Harness]] = {}
"""Harnesses created per database URL, for the privacy scan that ends every test (see conftest)."""


@dataclass
class Chat:
    """One user's view of one chat: say things, read what the bot said here."""

    harness: Harness
    user_id: str
    chat_id: str
    is_private: bool = True
    name: str = ""
    language_code: str | None = "zh-CN"
    read: int = 0
    fetched: int = 0
    """How many times the bot downloaded the last file sent."""

    async def say(self, text: str, *, button: bool = False, event_id: str | None = None) -> list[OutgoingMessage]:
        """Send a message; return the messages the bot delivered to this chat in answer."""
        return await self._send(text, button=button, event_id=event_id)

    async def _send(
        self, text: str, *, button: bool = False, event_id: str | None = None, attachment: Attachment | None = None
    ) -> list[OutgoingMessage]:
        self.catch_up()
        if not self.is_private:
            self.harness.groups.add(self.chat_id)
        await self.harness.app.handle(
            IncomingMessage(
                platform=PLATFORM_MEMORY,
                chat_id=self.chat_id,
                user_id=self.user_id,
                text=text,
                is_private=self.is_private,
                display_name=self.name,
                language_code=self.language_code,
                is_button=button,
                event_id=event_id,
                attachment=attachment,
            )
        )
        return self.unread()

    async def send_file(
        self, file_name: str, data: bytes, *, size: int | None = None, event_id: str | None = None
    ) -> list[OutgoingMessage]:
        """Send a file (announced with ``size``, default its length); return the answers delivered here."""
        self.fetched = 0

        async def fetch(limit: int) -> bytes:
            self.fetched += 1
            if len(data) > limit:
                raise AttachmentTooLarge(file_name)
            return data

        attachment = Attachment(file_name, len(data) if size is None else size, fetch=fetch)
        return await self._send("", event_id=event_id, attachment=attachment)

    async def tap(self, label: str) -> list[OutgoingMessage]:
        """Tap the button with this (rendered) label on the latest message that has it."""
        for message in reversed(self.messages()):
            for button in message.buttons:
                if render(button.label, message.lang) == label:
                    return await self.say(button.value, button=True)
        raise AssertionError(f"no button {label!r} in chat {self.chat_id}")

    def messages(self) -> list[OutgoingMessage]:
        """Return everything delivered to this chat so far."""
        return [m for m in self.harness.adapter.delivered if m.chat.chat_id == self.chat_id]

    def unread(self) -> list[OutgoingMessage]:
        """Return messages not yet read, and mark them read."""
        messages = self.messages()
        new = messages[self.read :]
        self.read = len(messages)
        return new

    def catch_up(self) -> None:
        """Mark everything delivered so far as read."""
        self.read = len(self.messages())

    def pop(self) -> OutgoingMessage:
        """Return the oldest unread message; fail if there is none."""
        messages = self.messages()
        assert self.read < len(messages), f"no unread message in {self.chat_id}"
        self.read += 1
        return messages[self.read - 1]

    def keys(self, messages: list[OutgoingMessage] | None = None) -> list[str]:
        """Return the locale keys of the given (default: unread) messages' lines."""
        return [line.key for m in (self.unread() if messages is None else messages) for line in m.lines]

    def text(self, messages: list[OutgoingMessage]) -> str:
        """Render messages as the user reads them."""
        return "\n".join(render_plain(m) for m in messages)


def keys_of(messages: list[OutgoingMessage]) -> list[str]:
    """Return the locale keys of all lines of some messages."""
    return [line.key for m in messages for line in m.lines]


def texts_of(messages: list[OutgoingMessage]) -> str:
    """Render messages in their language, lines only."""
    return "\n".join(render_lines(m.lines, m.lang) for m in messages)


@dataclass
class Harness:
    """A running App on a memory adapter, an org, and a settable clock."""

    app: App
    adapter: MemoryAdapter
    clock: ManualClock
    org: Org
    ids: count = field(default_factory=lambda: count(1))
    groups: set[str] = field(default_factory=set)
    """Chats used as group chats, whose every message the privacy scan reads (see conftest)."""

    @classmethod
    def create(cls, database_url: str, *, org: Org | None = None, day: date = TEST_DAY, **settings: object) -> Harness:
        """Build an instance on a database URL (schema upgraded), at 08:00 on ``day``."""
        from lianfang.app.cli import build_app

        org = org or load_test_org()
        config = Settings(_env_file=None, database_url=database_url, **settings)
        clock = ManualClock(datetime(2000, 1, 1))
        app = build_app(config, org, clock=clock)
        clock.now = datetime.combine(day, time(8, 0), tzinfo=app.tz)
        adapter = MemoryAdapter()
        app.add_adapter(adapter)
        harness = cls(app, adapter, clock, org)
        HARNESSES.setdefault(database_url, []).append(harness)
        return harness

    def group_chat_ids(self) -> set[str]:
        """Return the chats this harness used as group chats."""
        return set(self.groups)

    def at(self, hhmm: str, day: date | None = None) -> None:
        """Set the clock to a local time, on the current day unless given."""
        hour, minute = (int(part) for part in hhmm.split(":"))
        self.clock.now = datetime.combine(day or self.clock.now.date(), time(hour, minute), tzinfo=self.app.tz)

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.clock.now += timedelta(**delta)

    async def tick(self, hhmm: str | None = None) -> list[OutgoingMessage]:
        """Run the scheduler tick (optionally at a time)."""
        if hhmm:
            self.at(hhmm)
        return await self.app.tick()

    def invite(self, group: str, role: str, community: str | None = None, name: str | None = None) -> str:
        """Create an invite code."""
        with session_scope(self.app.engine) as session:
            ctx = self.app.dispatcher.context(session, self.clock())
            return new_invite(
                ctx, group_key=group, role=role, community=community, name=name, ttl=timedelta(hours=72)
            ).code

    def private(self, name: str = "", language_code: str | None = "zh-CN") -> Chat:
        """Return a private chat with a new platform user."""
        user = f"u{next(self.ids)}"
        return Chat(self, user_id=user, chat_id=user, name=name, language_code=language_code)

    async def member(
        self, name: str, group: str, role: str, community: str | None = None, language_code: str = "zh-CN"
    ) -> Chat:
        """Invite and join a member; return their private chat with the welcome read."""
        chat = self.private(name, language_code)
        code = self.invite(group, role, community, name)
        await chat.say(f"/join {code}")
        chat.catch_up()
        return chat

    def group(self, chat_id: str, speaker: Chat) -> Chat:
        """Return the view of a group chat, speaking as ``speaker``'s user."""
        self.groups.add(chat_id)
        return Chat(self, user_id=speaker.user_id, chat_id=chat_id, is_private=False, name=speaker.name)

    def chat(self, chat_id: str) -> list[OutgoingMessage]:
        """Return everything delivered to a chat."""
        return [m for m in self.adapter.delivered if m.chat.chat_id == chat_id]

    async def bound_org_chats(self) -> tuple[Chat, Chat, Chat]:
        """Create an admin and bind the leadership and 综合组 chats; return (admin, leadership, coordination)."""
        admin = await self.member("龙雅俐", "coordination", "admin")
        leadership = self.group("g-leaders", admin)
        coordination = self.group("g-coordination", admin)
        await leadership.say("/bind leadership")
        await coordination.say("/bind group coordination")
        leadership.catch_up()
        coordination.catch_up()
        return admin, leadership, coordination
