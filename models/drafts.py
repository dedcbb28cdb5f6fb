"""Form drafts: the half-filled form of one user in one chat, kept across restarts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lianfang.models.base import Prepared, json_column, table_of, to_db_time
from lianfang.models.sealed import SealedJson
from sqlalchemy import Column, Connection, UniqueConstraint, bindparam, delete, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Field, Session, SQLModel


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
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(SealedJson("draft.data"), nullable=False))
    """The answers so far (phones, ID numbers typed by staff): sealed."""
    history: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=json_column(nullable=False))
    step: int = 0
    """Counts questions asked from a random start, so a stale button from an earlier question or another draft is
    recognised."""
    created_at: datetime
    updated_at: datetime
    expires_at: datetime = Field(index=True)


DRAFTS = table_of(Draft)
"""Drafts are read and written with prepared Core statements (``Prepared``): one of each runs for every form step,
and the ORM's identity map and unit of work, or even SQLAlchemy's execution of a Core statement, cost more than the
SQL itself."""
COLUMNS = tuple(column.name for column in DRAFTS.columns)
KEY_MATCHES = (
    (DRAFTS.c.platform == bindparam("platform"))
    & (DRAFTS.c.chat_id == bindparam("chat_id"))
    & (DRAFTS.c.user_id == bindparam("user_id"))
)
SELECT_BY_KEY = Prepared(sa_select(DRAFTS).where(KEY_MATCHES))
INSERT = Prepared(
    insert(DRAFTS).values({name: bindparam(name) for name in COLUMNS if name != "id"}).returning(DRAFTS.c.id)
)
STEP_COLUMNS = ("data", "history", "step", "updated_at", "expires_at")
"""What a step changes: a draft's key, member, language, form and context are fixed when it starts."""
UPDATE = Prepared(
    update(DRAFTS).where(DRAFTS.c.id == bindparam("draft_id")).values({name: bindparam(name) for name in STEP_COLUMNS})
)
DELETE = Prepared(delete(DRAFTS).where(DRAFTS.c.id == bindparam("draft_id")))


@dataclass
class FormDraft:
    """One form in progress as the runner works on it: a plain copy of its row, stored back by ``save_draft``."""

    platform: str
    chat_id: str
    user_id: str
    member_id: int | None
    lang: str
    form: str
    data: dict[str, Any]
    history: list[str]
    context: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    step: int = 0
    """Counts questions asked from a random start, so a stale button from an earlier question or another draft is
    recognised."""
    id: int | None = None


def draft_from_row(row: Sequence[Any]) -> FormDraft:
    """Return the draft of a row holding the table's columns in order (``DRAFTS.columns``)."""
    return FormDraft(**dict(zip(COLUMNS, row, strict=True)))


def get_draft(*, connection: Connection, platform: str, chat_id: str, user_id: str) -> FormDraft | None:
    """Return the draft of a user in a chat."""
    row = SELECT_BY_KEY.first(connection, {"platform": platform, "chat_id": chat_id, "user_id": user_id})
    return None if row is None else draft_from_row(row)


def save_draft(*, connection: Connection, draft: FormDraft) -> None:
    """Store a draft, inserting it the first time."""
    if draft.id is None:
        (draft.id,) = INSERT.rows(connection, {name: getattr(draft, name) for name in COLUMNS if name != "id"})[0]
    else:
        UPDATE.run(connection, {**{name: getattr(draft, name) for name in STEP_COLUMNS}, "draft_id": draft.id})


def delete_draft(*, connection: Connection, draft: FormDraft) -> None:
    """Remove a draft."""
    if draft.id is not None:
        DELETE.run(connection, {"draft_id": draft.id})


def expired_drafts(*, session: Session, now: datetime, limit: int = 500) -> list[FormDraft]:
    """Return drafts whose time ran out."""
    query = sa_select(DRAFTS).where(DRAFTS.c.expires_at <= to_db_time(now)).order_by(DRAFTS.c.expires_at).limit(limit)
    return [draft_from_row(row) for row in session.connection().execute(query)]
