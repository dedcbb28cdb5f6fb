"""The outbox: every outgoing message is a row written with the change that caused it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from lianfang.models.base import Prepared, table_of, to_db_time
from lianfang.models.sealed import SealedJson
from sqlalchemy import BindParameter, Column, Connection, Enum, Index, bindparam, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel, col, select

STATUS_PENDING = "pending"
STATUS_SENDING = "sending"
STATUS_SENT = "sent"
STATUS_FAILED = "failed"
REASON_PRIVACY = "privacy"
"""Failure reason of a message the privacy guard kept from a group chat (see ``bot.privacy``)."""
FAILURE_KIND_LENGTH = 16
"""Room for a ``FailureKind`` value in the outbox table."""


class FailureKind(StrEnum):
    """Why a message was not delivered: the typed fact the core acts on (``SendError.kind``, ``failure_kind``)."""

    FAILED = "failed"
    """Anything not named below."""
    REFUSED = "refused"
    """The platform refuses this chat (the user blocked the bot or never started it, the bot was removed from the
    group); the core reroutes a private message to the member's group chat, and resends it on /start."""
    MIGRATED = "migrated"
    """The chat moved to ``new_chat_id`` (a Telegram group upgraded to a supergroup)."""
    OUTAGE = "outage"
    """The platform cannot be used at all for now (network down, 5xx, busy, a wrong secret or token, an IP not on
    the allow-list), so nothing about this message is wrong; the outbox holds it, without a retry limit, until the
    platform is back or the message is older than ``LIANFANG_OUTBOX_MAX_AGE_HOURS``."""
    PRIVACY = "privacy"
    """The privacy guard kept the message from a group chat (see ``bot.privacy``); no adapter raises this."""


FAILURE_KIND_TYPE = Enum(
    FailureKind,
    native_enum=False,
    length=FAILURE_KIND_LENGTH,
    values_callable=lambda kinds: [kind.value for kind in kinds],
)
"""Stored as its value in a plain string column: a new kind needs no database type change."""


class OutboxMessage(SQLModel, table=True):
    """One message waiting for, or done with, delivery to one chat."""

    __table_args__ = (
        Index("ix_outbox_status_platform", "status", "platform", "id"),
        # the latest messages of one chat: the buttons a typed answer may mean (``recent_payloads``)
        Index("ix_outbox_chat", "platform", "chat_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    payload: dict[str, Any] = Field(sa_column=Column(SealedJson("outboxmessage.payload"), nullable=False))
    """What to send; a private message carries full records, so every payload is sealed."""
    status: str = Field(default=STATUS_PENDING, max_length=16)
    attempts: int = 0
    created_at: datetime
    not_before: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = Field(default=None, max_length=500)
    failure_kind: FailureKind | None = Field(default=None, sa_type=FAILURE_KIND_TYPE)
    """Set when the message failed for good; ``error`` says the same for people."""


OUTBOX = table_of(OutboxMessage)
"""Core table: the per-message statements below skip the ORM's unit of work, which costs more than the SQL."""
ENQUEUED_COLUMNS = ("platform", "chat_id", "payload", "status", "not_before", "attempts", "created_at")
"""What queueing a message sets; the other columns start empty."""
ENQUEUE = Prepared(insert(OUTBOX).values({name: bindparam(name) for name in ENQUEUED_COLUMNS}).returning(OUTBOX.c.id))
MARK_SENT = Prepared(
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("message_id"))
    .values(status=STATUS_SENT, sent_at=bindparam("sent_at"), attempts=OUTBOX.c.attempts + 1)
)
MARK_FAILED = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=STATUS_FAILED,
        error=bindparam("error"),
        failure_kind=bindparam("failure_kind"),
        attempts=OUTBOX.c.attempts + 1,
    )
)
MARK_RETRY = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("message_id"))
    .values(
        status=STATUS_PENDING,
        error=bindparam("error"),
        not_before=bindparam("not_before"),
        attempts=OUTBOX.c.attempts + bindparam("counted"),
    )
)


@dataclass(frozen=True)
class Claimed:
    """An outbox message taken by one deliverer for one attempt."""

    id: int
    platform: str
    chat_id: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    """When the message was queued: an outage holds it for ``LIANFANG_OUTBOX_MAX_AGE_HOURS`` from then."""
    decoded: Any = field(default=None, compare=False, repr=False)
    """The payload as the code that queued it built it (an ``OutgoingMessage``), when this process queued it: a
    reply sent right after its commit is not decoded again. None for a message read back from the table."""

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is None:  # SQLite hands back naive UTC through RETURNING
            object.__setattr__(self, "created_at", self.created_at.replace(tzinfo=UTC))


def enqueue(
    *,
    connection: Connection | None = None,
    session: Session | None = None,
    platform: str,
    chat_id: str,
    payload: dict[str, Any],
    now: datetime,
    lease_until: datetime | None = None,
    decoded: Any = None,
) -> Claimed | None:
    """Queue one message in the caller's transaction.

    With ``lease_until`` the message is queued already claimed by the caller, who sends it right after the commit
    (the replies to a message): no drain takes it before then, and if the caller dies first it comes back as any
    abandoned claim does. It runs on ``connection``, else on the session's. ``decoded`` is the message the
    payload was made from, handed on with the claim (see ``Claimed.decoded``).
    """
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "payload": payload,
        "status": STATUS_PENDING if lease_until is None else STATUS_SENDING,
        "not_before": None if lease_until is None else to_db_time(lease_until),
        "attempts": 0,
        "created_at": to_db_time(now),
    }
    if connection is None:
        assert session is not None, "enqueue needs a connection or a session"
        connection = session.connection()
    (message_id,) = ENQUEUE.rows(connection, values)[0]
    if lease_until is None:
        return None
    return Claimed(message_id, platform, chat_id, payload, 0, now, decoded)


@cache
def _claim_statement(dialect: str) -> Any:
    """Build the claim UPDATE once per dialect; building SQLAlchemy statements costs more than running this one."""
    now: BindParameter[Any] = bindparam("now")
    c = OUTBOX.c
    waiting = (c.status == STATUS_PENDING) & (c.not_before.is_(None) | (c.not_before <= now))
    # A message whose deliverer died mid-send comes back once its lease runs out.
    abandoned = (c.status == STATUS_SENDING) & (c.not_before <= now)
    chosen = (
        sa_select(c.id)
        .where(waiting | abandoned, c.platform.in_(bindparam("platforms", expanding=True)))
        .order_by(c.id)
        .limit(bindparam("limit"))
    )
    if dialect == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    return (
        update(OUTBOX)
        .where(c.id.in_(chosen.scalar_subquery()))
        .values(status=STATUS_SENDING, not_before=bindparam("lease_until"))
        .returning(c.id, c.platform, c.chat_id, c.payload, c.attempts, c.created_at)
    )


def claim_due(
    *, session: Session, platforms: list[str], now: datetime, lease: timedelta, limit: int = 100
) -> list[Claimed]:
    """Take up to ``limit`` due messages for delivery (oldest first), leasing them so no one else sends them."""
    statement = _claim_statement(session.get_bind().dialect.name)
    params = {
        "now": to_db_time(now),
        "lease_until": to_db_time(now + lease),
        "platforms": platforms,
        "limit": limit,
    }
    rows = session.connection().execute(statement, params).all()
    return sorted((Claimed(*row) for row in rows), key=lambda claimed: claimed.id)


def mark_sent(*, connection: Connection, ids: list[int], now: datetime) -> None:
    """Record delivered messages (a plain connection: this runs after every send, and a Session costs more)."""
    if ids:
        sent_at = to_db_time(now)
        MARK_SENT.run_many(connection, [{"message_id": message_id, "sent_at": sent_at} for message_id in ids])


def mark_failed(*, session: Session, message_id: int, error: str, kind: FailureKind) -> None:
    """Record a message that can never be delivered, with its kind of failure and the reason."""
    params = {"message_id": message_id, "error": error[:500], "failure_kind": kind}
    session.connection().execute(MARK_FAILED, params)


def mark_retry(
    *, session: Session, message_id: int, error: str, not_before: datetime, count_attempt: bool = True
) -> None:
    """Put a message back for another try after a transient failure."""
    params = {
        "message_id": message_id,
        "error": error[:500],
        "not_before": to_db_time(not_before),
        "counted": int(count_attempt),
    }
    session.connection().execute(MARK_RETRY, params)


def release_claims(*, session: Session, platforms: list[str]) -> int:
    """Put every claimed message of these platforms back in the queue; return how many.

    Only for an instance that knows it is alone on its database (SQLite), as it starts: any claim is then one that
    a dead process left behind, and its messages need not wait out their lease.
    """
    result = session.connection().execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == STATUS_SENDING, OUTBOX.c.platform.in_(platforms))
        .values(status=STATUS_PENDING, not_before=None)
    )
    return result.rowcount


def requeue_refused(
    *,
    session: Session,
    platform: str,
    chat_id: str,
    since: datetime,
    lease_until: datetime | None = None,
) -> list[Claimed]:
    """Put back messages a chat's platform refused since a moment, to go again; return them.

    With ``lease_until`` they come back claimed by the caller, who sends them (see ``enqueue``). Messages that
    carried a file are left alone: their file was dropped when they failed.
    """
    c = OUTBOX.c
    rows = session.connection().execute(
        sa_select(c.id, c.platform, c.chat_id, c.payload, c.attempts, c.created_at)
        .where(
            c.platform == platform,
            c.chat_id == chat_id,
            c.status == STATUS_FAILED,
            c.failure_kind == FailureKind.REFUSED,
            c.created_at >= to_db_time(since),
        )
        .order_by(c.id)
    )
    requeued = [Claimed(*row) for row in rows if not row.payload.get("document")]
    if requeued:
        session.connection().execute(
            update(OUTBOX)
            .where(c.id.in_([row.id for row in requeued]), c.status == STATUS_FAILED)
            .values(
                status=STATUS_PENDING if lease_until is None else STATUS_SENDING,
                error=None,
                failure_kind=None,
                not_before=None if lease_until is None else to_db_time(lease_until),
            )
        )
    return requeued


def release_held(*, session: Session, ids: list[int]) -> None:
    """Make messages held back by an outage due at once: their platform is back, so they need not wait it out."""
    if ids:
        c = OUTBOX.c
        session.connection().execute(
            update(OUTBOX).where(c.id.in_(ids), c.status == STATUS_PENDING).values(not_before=None)
        )


@dataclass(frozen=True)
class Requeued:
    """The outcome of ``requeue_failed``: the messages queued again, and the failed ones left alone (and why)."""

    requeued: list[OutboxMessage]
    privacy: list[OutboxMessage]
    """Kept from a group chat by the privacy guard, and not named by id."""
    file_gone: list[OutboxMessage]
    """Carried a file, which was dropped when the message failed."""
    missing: list[int]
    """Ids named that are not failed messages; when there are any, nothing was requeued."""


def requeue_failed(*, session: Session, now: datetime, since: datetime, ids: list[int] | None = None) -> Requeued:
    """Queue failed messages again as new, after an operator fixed the cause: those named, or all since a moment.

    A message the privacy guard kept from a group chat goes again only when named by id, and then meets the guard
    again. A message that carried a file is left failed: the file was dropped. The age limit counts from now.
    """
    query = select(OutboxMessage).where(OutboxMessage.status == STATUS_FAILED).order_by(col(OutboxMessage.id))
    if ids:
        query = query.where(col(OutboxMessage.id).in_(ids))
    else:
        query = query.where(col(OutboxMessage.created_at) >= to_db_time(since))
    rows = list(session.exec(query))
    found = {row.id for row in rows}
    missing = [message_id for message_id in ids or [] if message_id not in found]
    if missing:  # a wrong id: nothing is requeued, so the operator can run the corrected command as a whole
        return Requeued([], [], [], missing)
    named = bool(ids)
    privacy = [row for row in rows if row.failure_kind == FailureKind.PRIVACY and not named]
    file_gone = [row for row in rows if row.payload.get("document")]
    requeued = [row for row in rows if row not in privacy and row not in file_gone]
    if requeued:
        c = OUTBOX.c
        session.connection().execute(
            update(OUTBOX)
            .where(c.id.in_([row.id for row in requeued]), c.status == STATUS_FAILED)
            .values(
                status=STATUS_PENDING,
                error=None,
                failure_kind=None,
                not_before=None,
                attempts=0,
                created_at=to_db_time(now),
            )
        )
    return Requeued(requeued, privacy, file_gone, [])


def backlog(*, session: Session) -> tuple[int, datetime | None]:
    """Count messages not yet delivered, and return when the oldest of them was queued."""
    by_platform = backlog_by_platform(session=session).values()
    return sum(count for count, _ in by_platform), min((oldest for _, oldest in by_platform), default=None)


def failed(*, session: Session, limit: int = 100) -> list[OutboxMessage]:
    """Return the most recent permanently failed messages."""
    return list(
        session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == STATUS_FAILED)
            .order_by(col(OutboxMessage.id).desc())
            .limit(limit)
        )
    )


RECENT_SCAN_ROWS = 10_000
"""How many of the latest outbox rows ``recent_payloads`` searches: the table has no index by chat."""


def recent_payloads(
    *, connection: Connection, platform: str, chat_id: str, since: datetime, limit: int
) -> list[dict[str, Any]]:
    """Return the payloads of the latest messages queued for one chat since a moment, newest first.

    Only the latest ``RECENT_SCAN_ROWS`` messages of all chats are searched, which keeps the cost bounded: the
    callers want what a person was just shown.
    """
    c = OUTBOX.c
    floor = sa_select(func.coalesce(func.max(c.id), 0) - RECENT_SCAN_ROWS).scalar_subquery()
    rows = connection.execute(
        sa_select(c.payload)
        .where(c.id > floor, c.platform == platform, c.chat_id == chat_id, c.created_at >= to_db_time(since))
        .order_by(c.id.desc())
        .limit(limit)
    )
    return [row[0] for row in rows]


def backlog_by_platform(*, session: Session) -> dict[str, tuple[int, datetime]]:
    """Count each platform's messages not yet delivered, with when its oldest was queued; platforms with none absent."""
    rows = session.exec(
        select(OutboxMessage.platform, func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.status).in_((STATUS_PENDING, STATUS_SENDING)))
        .group_by(OutboxMessage.platform)
    ).all()
    # SQLite returns the aggregate without its type
    return {
        platform: (int(count), oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC))
        for platform, count, oldest in rows
    }
