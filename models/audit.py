"""The audit log: every view of a full personal record and every export, with who, what, when and where."""

from __future__ import annotations

from datetime import datetime

from lianfang.models.base import to_db_time
from sqlmodel import Field, Session, SQLModel, col, select

ACTION_VIEW = "view"
ACTION_EXPORT = "export"
ACTION_IMPORT = "import"
CHANNEL_PRIVATE = "private"
CHANNEL_CLI = "cli"
# Membership changes: who was shut out, let back or moved to a new account, and which codes were voided.
ACTION_JOIN = "join"
"""A member moved to a new account with a relink code (a plain join is not an access to personal data)."""
ACTION_DEACTIVATE = "deactivate"
ACTION_REACTIVATE = "reactivate"
ACTION_RELINK = "relink"
ACTION_REVOKE = "revoke"
CHANNEL_GROUP = "group"
MAX_DETAIL = 500


class AuditEntry(SQLModel, table=True):
    """One access to personal data."""

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


def audit_entries(*, session: Session, since: datetime | None = None, limit: int = 1000) -> list[AuditEntry]:
    """Return audit entries in the order they were written, from a moment on."""
    query = select(AuditEntry)
    if since is not None:
        query = query.where(AuditEntry.at >= to_db_time(since))
    return list(session.exec(query.order_by(col(AuditEntry.id)).limit(limit)))
