"""The context a command, form or scheduled job works in: one transaction, one moment, one speaker."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, tzinfo
from functools import cache
from typing import TYPE_CHECKING, Any

from lianfang.bot.config import Settings
from lianfang.bot.db import Transaction
from lianfang.bot.exports import Exports
from lianfang.bot.menu import Menu
from lianfang.bot.report_parts import ReportParts
from lianfang.bot.types import Button, ChatRef, Document, IncomingMessage, OutgoingMessage, Subject, Text
from lianfang.models.files import store_file
from lianfang.models.members import Member, member_community, member_record
from lianfang.models.outbox import Claimed, enqueue, requeue_refused
from sqlalchemy import Connection
from sqlmodel import Session

if TYPE_CHECKING:
    from lianfang.bot.forms import FormRunner
    from lianfang.bot.org import Org

LineLike = Text | str


def as_text(line: LineLike) -> Text:
    """Accept a locale key or a Text."""
    return Text(line) if isinstance(line, str) else line


@dataclass
class Context:
    """Everything a handler needs; messages it sends are queued in the outbox of the same transaction."""

    work: Transaction
    """The transaction: its connection for Core statements, and an ORM session opened on first use (``session``)."""
    settings: Settings
    org: Org
    now: datetime
    tz: tzinfo
    lang: str
    msg: IncomingMessage | None = None
    member_id: int | None = None
    """The speaker's member id; ``member`` loads the record on first use (most form steps never need it)."""
    runner: FormRunner | None = None
    sent: list[OutgoingMessage] = field(default_factory=list)
    claim_until: datetime | None = None
    """Set while answering a message: what is queued for ``claim_platforms`` is claimed until then, to be sent by
    this instance right after the commit (see ``models.outbox.enqueue``); the rest waits for a drain."""
    claim_platforms: Container[str] = ()
    claimed: list[Claimed] = field(default_factory=list)
    refused: bool = False
    """Set by ``refuse``: the message (a tapped button) did nothing, so its button must not show as chosen."""
    menu: Menu = field(default_factory=Menu)
    """The menus of every feature, for the greetings and /help."""
    report_parts: ReportParts = field(default_factory=ReportParts)
    """What every feature adds to the merged daily report."""
    exports: Exports = field(default_factory=Exports)
    """The files every feature lets members export in chat (``/export``)."""
    _member: Member | None = field(default=None, repr=False)

    @property
    def session(self) -> Session:
        """Return the ORM session of this context's transaction (opened now if no code used it yet)."""
        return self.work.session

    @property
    def connection(self) -> Connection:
        """Return the connection of this context's transaction, for Core statements."""
        return self.work.connection

    @property
    def member(self) -> Member | None:
        """Return the speaker's member record, loaded in this transaction on first use."""
        if self._member is None and self.member_id is not None:
            self._member = member_record(session=self.session, member_id=self.member_id)
        return self._member

    @property
    def community(self) -> str | None:
        """Return the speaker's community key, if they have one.

        Read alone on the connection, unless an ORM session is open: then from the record it holds, which may have
        changes not yet flushed.
        """
        if self.member_id is None:
            return None
        if self._member is not None or self.work.has_session:
            member = self.member
            return member.community if member is not None else None
        return member_community(connection=self.connection, member_id=self.member_id)

    def as_member(self, member_id: int) -> MemberContext:
        """Return this context for a speaker known to be a member; it queues into the same lists as this one."""
        values = {name: getattr(self, name) for name in _field_names()}
        values.update(member_id=member_id, _member=self._member if self.member_id == member_id else None)
        return MemberContext(**values)

    def joined(self, member: Member) -> MemberContext:
        """Return this context for a stranger who just became this (stored) member."""
        if member.id is None:
            raise ValueError("a member who is not stored yet cannot speak")
        member_ctx = self.as_member(member.id)
        member_ctx._member = member
        return member_ctx

    def refuse(self, *lines: LineLike, buttons: tuple[Button, ...] | list[Button] = ()) -> None:
        """Answer a tap that does nothing (a stale card), and mark it so its button is not shown as chosen."""
        self.refused = True
        self.reply(*lines, buttons=buttons)

    def lease_for(self, platform: str) -> datetime | None:
        """Return until when a message queued now for ``platform`` is claimed by this instance, or None: it waits
        for a drain."""
        return self.claim_until if platform in self.claim_platforms else None

    def resend_refused(self, chat: ChatRef, *, since: datetime) -> int:
        """Queue again the messages the chat's platform refused since a moment (the person now opened the chat).

        Return how many. Where this instance sends the replies itself, they go with the reply, ahead of it.
        """
        resent = requeue_refused(
            session=self.session,
            platform=chat.platform,
            chat_id=chat.chat_id,
            since=since,
            lease_until=self.lease_for(chat.platform),
        )
        if self.lease_for(chat.platform) is not None:
            self.claimed.extend(resent)
        return len(resent)

    @property
    def today(self) -> date:
        """Return the local date of ``now``."""
        return self.now.astimezone(self.tz).date()

    @property
    def chat(self) -> ChatRef:
        """Return the chat the current message came from."""
        if self.msg is None:
            raise RuntimeError("no incoming message in this context")
        return ChatRef(self.msg.platform, self.msg.chat_id)

    def reply(
        self,
        *lines: LineLike,
        buttons: tuple[Button, ...] | list[Button] = (),
        document: Document | None = None,
        subjects: tuple[Subject, ...] | list[Subject] = (),
        **params: Any,
    ) -> None:
        """Answer in the current chat; ``params`` apply when a single key is given."""
        texts = [as_text(line) for line in lines]
        if params and len(texts) == 1:
            texts = [Text(texts[0].key, {**texts[0].params, **params})]
        private = self.msg is not None and self.msg.is_private
        self.send(self.chat, texts, self.lang, buttons=buttons, document=document, subjects=subjects, private=private)

    def send(
        self,
        chat: ChatRef,
        lines: list[Text] | tuple[Text, ...],
        lang: str,
        *,
        buttons: tuple[Button, ...] | list[Button] = (),
        mentions: tuple[str, ...] | list[str] = (),
        document: Document | None = None,
        shareable: bool = False,
        subjects: tuple[Subject, ...] | list[Subject] = (),
        private: bool = False,
    ) -> None:
        """Queue a message for any chat in the outbox; a document's bytes go to a table of their own.

        ``shareable`` marks a private message free of personal data (see ``OutgoingMessage.shareable``);
        ``subjects`` names the persons it is about, ``private`` a one-to-one chat (see ``OutgoingMessage``).
        """
        if document is not None and document.file_id is None:
            assert document.data is not None
            file_id = store_file(
                session=self.session,
                now=self.now,
                file_name=document.file_name,
                mime_type=document.mime_type,
                data=document.data,
            )
            document = replace(document, file_id=file_id)
        message = OutgoingMessage(
            chat, tuple(lines), lang, tuple(buttons), tuple(mentions), document, shareable, tuple(subjects), private
        )
        claimed = enqueue(
            connection=self.connection,
            platform=chat.platform,
            chat_id=chat.chat_id,
            payload=message.to_json(),
            now=self.now,
            lease_until=self.lease_for(chat.platform),
            decoded=message,
        )
        self.sent.append(message)
        if claimed is not None:
            self.claimed.append(claimed)


@cache
def _field_names() -> tuple[str, ...]:
    """Return the names of a context's fields: ``as_member`` copies them for every message."""
    return tuple(each.name for each in fields(Context))


@dataclass
class MemberContext(Context):
    """The context of a speaker who is a member: what a members' command, and a form, is given.

    The dispatcher makes one whenever the speaker is a member, so such code never checks for a stranger.
    """

    member_id: int = field(kw_only=True)

    @property
    def member(self) -> Member:
        """Return the speaker's member record, loaded in this transaction on first use."""
        if self._member is None:
            found = member_record(session=self.session, member_id=self.member_id)
            if found is None:
                raise LookupError(f"member {self.member_id} is gone")
            self._member = found
        return self._member

    def start_form(
        self,
        name: str,
        *,
        prefill: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        lead: Text | None = None,
    ) -> None:
        """Start a form for the speaker in this chat (see ``FormRunner.start``)."""
        if self.runner is None:
            raise RuntimeError("no form runner in this context")
        self.runner.start(self, name, prefill=prefill, defaults=defaults, context=context, lead=lead)
