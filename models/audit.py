"""The audit log: every view of a full personal record and every export, with who, what, when and where."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lianfang.models.base import to_db_time
from sqlalchemy import Index, func, or_
from sqlmodel import Field, Session, SQLModel, col, select

ACTION_VIEW = "view"
ACTION_EXPORT = "export"
ACTION_IMPORT = "import"
CHANNEL_PRIVATE = "private"
CHANNEL_CLI = "cli"
CHANNEL_SCHEDULER = "scheduler"
"""Work the scheduler did by itself (the daily purge)."""
# Membership changes: who was shut out, let back or moved to a new account, and which codes were voided.
ACTION_JOIN = "join"
"""A member moved to a new account with a relink code (a plain join is not an access to personal data)."""
ACTION_DEACTIVATE = "deactivate"
ACTION_REACTIVATE = "reactivate"
ACTION_RELINK = "relink"
ACTION_REVOKE = "revoke"
ACTION_PURGE = "purge"
"""A purge of personal records past retention."""
ACTION_ERASE = "erase"
"""One resident's records erased on request."""
ACTIONS = (
    ACTION_VIEW,
    ACTION_EXPORT,
    ACTION_IMPORT,
    ACTION_JOIN,
    ACTION_DEACTIVATE,
    ACTION_REACTIVATE,
    ACTION_RELINK,
    ACTION_REVOKE,
    ACTION_PURGE,
    ACTION_ERASE,
)
"""Every action the log records."""
ACCESS_ACTIONS = (ACTION_VIEW, ACTION_EXPORT)
"""The actions that show personal data to someone: what the access report counts."""
CHANNEL_GROUP = "group"
MAX_DETAIL = 500


class AuditEntry(SQLModel, table=True):
    """One access to personal data."""

    # The rate limit counts a member's views within the hour: WHERE member_id = ? AND at >= ?.
    __table_args__ = (Index("ix_auditentry_member_at", "member_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    actor: str = Field(max_length=128)
    """Member name, or the operating-system user for the command line."""
    action: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    target_id: int | None = Field(default=None, foreign_key="screeningtarget.id")
    detail: str = Field(default="", max_length=MAX_DETAIL)


def record_access(
    *,
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    channel: str,
    member_id: int | None = None,
    target_ids: tuple[int, ...] = (),
    detail: str = "",
) -> None:
    """Write one audit entry, or one per target when several were shown."""
    stamp = to_db_time(now)
    for target_id in target_ids or (None,):
        session.add(
            AuditEntry(
                at=stamp,
                member_id=member_id,
                actor=actor,
                action=action,
                channel=channel,
                target_id=target_id,
                detail=detail,
            )
        )
    session.flush()


def audit_entries(
    *,
    session: Session,
    since: datetime | None = None,
    limit: int = 1000,
    member_ids: Sequence[int] | None = None,
    actor: str | None = None,
    action: str | None = None,
    target_id: int | None = None,
) -> list[AuditEntry]:
    """Return audit entries in the order they were written, from a moment on, of some members, actor, action or
    target."""
    query = select(AuditEntry)
    if since is not None:
        query = query.where(AuditEntry.at >= to_db_time(since))
    if member_ids is not None and actor is not None:
        query = query.where(or_(col(AuditEntry.member_id).in_(member_ids), col(AuditEntry.actor) == actor))
    elif member_ids is not None:
        query = query.where(col(AuditEntry.member_id).in_(member_ids))
    elif actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    return list(session.exec(query.order_by(col(AuditEntry.id)).limit(limit)))


def views_since(*, session: Session, member_id: int, since: datetime) -> int:
    """Return how many full records a member was shown from a moment on (an entry per record)."""
    query = select(func.count()).where(
        AuditEntry.member_id == member_id, AuditEntry.action == ACTION_VIEW, AuditEntry.at >= to_db_time(since)
    )
    return int(session.exec(query).one())


@dataclass(frozen=True)
class AccessCount:
    """How many personal records one member (or terminal user) viewed and exported in a period."""

    actor: str
    member_id: int | None
    views: int
    exports: int


def access_counts(*, session: Session, start: datetime, end: datetime) -> list[AccessCount]:
    """Return who viewed or exported personal data in a period and how much, most first."""
    rows = session.exec(
        select(AuditEntry.member_id, AuditEntry.actor, AuditEntry.action, func.count())
        .where(
            AuditEntry.at >= to_db_time(start),
            AuditEntry.at < to_db_time(end),
            col(AuditEntry.action).in_(ACCESS_ACTIONS),
        )
        .group_by(col(AuditEntry.member_id), col(AuditEntry.actor), col(AuditEntry.action))
    ).all()
    totals: dict[tuple[int | None, str], dict[str, int]] = {}
    for member_id, actor, action, count in rows:
        totals.setdefault((member_id, actor), {})[action] = int(count)
    counts = [
        AccessCount(actor, member_id, found.get(ACTION_VIEW, 0), found.get(ACTION_EXPORT, 0))
        for (member_id, actor), found in totals.items()
    ]
    return sorted(counts, key=lambda c: (-(c.views + c.exports), c.actor))
