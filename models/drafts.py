"""Form drafts: the half-filled form of one user in one chat, kept across restarts."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import UniqueConstraint, bindparam
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Field, Session, SQLModel, col, select

from models.base import json_column, to_db_time


class Draft(SQLModel, table=True):
    """The state of one form in progress, keyed by (platform, chat, user)."""

    __table_args__ = (UniqueConstraint("platform", "chat_id", "user_id", name="uq_draft_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    lang: str = Field(default="zh_CN", max_length=8)
    form: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    history: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    step: int = 0
    """Counts questions asked, so a stale button from an earlier question is recognised."""
    created_at: datetime
    updated_at: datetime
    expires_at: datetime = Field(index=True)


@cache
def _draft_statement() -> Any:
    # Built once: this runs for every private message.
    return select(Draft).where(
        Draft.platform == bindparam("platform"),
        Draft.chat_id == bindparam("chat_id"),
        Draft.user_id == bindparam("user_id"),
    )


def get_draft(*, session: Session, platform: str, chat_id: str, user_id: str) -> Draft | None:
    """Return the draft of a user in a chat."""
    params = {"platform": platform, "chat_id": chat_id, "user_id": user_id}
    return session.exec(_draft_statement(), params=params).first()


def save_draft(*, session: Session, draft: Draft) -> None:
    """Store a draft; its JSON columns are mutated in place, so they are flagged as changed explicitly."""
    session.add(draft)
    if draft.id is not None:
        for name in ("data", "history", "context"):
            flag_modified(draft, name)
    session.flush()


def delete_draft(*, session: Session, draft: Draft) -> None:
    """Remove a draft."""
    session.delete(draft)
    session.flush()


def expired_drafts(*, session: Session, now: datetime, limit: int = 500) -> list[Draft]:
    """Return drafts whose time ran out."""
    return list(
        session.exec(
            select(Draft).where(Draft.expires_at <= to_db_time(now)).order_by(col(Draft.expires_at)).limit(limit)
        )
    )
