"""Files in chat: documents waiting in the outbox, uploaded lists waiting for the importer's confirmation, and files
kept as a form's answer."""

from __future__ import annotations

from datetime import datetime

from lianfang.models.base import table_of, to_db_time
from lianfang.models.sealed import SealedBytes
from sqlalchemy import Column, Connection, delete, update
from sqlmodel import Field, Session, SQLModel, col, select

MAX_FILE_NAME = 255
MAX_HELD_KIND = 16
"""Room for what a held file is for (``handlers.shared.held_files``)."""


class OutgoingFile(SQLModel, table=True):
    """The bytes of a document an outbox message sends; deleted once the message is delivered."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    file_name: str = Field(max_length=MAX_FILE_NAME)
    mime_type: str = Field(max_length=128)
    data: bytes = Field(sa_column=Column(SealedBytes("outgoingfile.data"), nullable=False))


class PendingImport(SQLModel, table=True):
    """A list someone sent to the bot, kept until they confirm or cancel the import, or it expires."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=MAX_HELD_KIND)
    """What the file is held for (a screening list, a duty roster): a token answers only its own kind's command."""
    member_id: int = Field(foreign_key="member.id")
    file_name: str = Field(max_length=MAX_FILE_NAME)
    data: bytes = Field(sa_column=Column(SealedBytes("pendingimport.data"), nullable=False))
    """Emptied once the import is decided: the personal data then lives in the ledger only."""
    bad_rows: int = 0
    created_at: datetime
    expires_at: datetime = Field(index=True)
    decided_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=16)


class KeptFile(SQLModel, table=True):
    """A file or photo a member sent as a form's answer, kept with the record it belongs to (a 批示, a market)."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime
    member_id: int = Field(foreign_key="member.id")
    file_name: str = Field(max_length=MAX_FILE_NAME)
    mime_type: str = Field(default="", max_length=128)
    size: int
    data: bytes = Field(sa_column=Column(SealedBytes("keptfile.data"), nullable=False))


def keep_file(*, session: Session, now: datetime, member_id: int, file_name: str, mime_type: str, data: bytes) -> int:
    """Keep a file a member sent as an answer; return its id."""
    row = KeptFile(
        created_at=to_db_time(now),
        member_id=member_id,
        file_name=file_name[:MAX_FILE_NAME],
        mime_type=mime_type[:128],
        size=len(data),
        data=data,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def delete_kept_files(*, connection: Connection, file_ids: list[int]) -> None:
    """Delete kept files no record holds (the answer was cancelled, replaced or expired)."""
    if file_ids:
        connection.execute(delete(table_of(KeptFile)).where(table_of(KeptFile).c.id.in_(file_ids)))


def get_kept_file(*, session: Session, file_id: int) -> KeptFile | None:
    """Return a kept file, or None."""
    return session.get(KeptFile, file_id)


def store_file(*, session: Session, now: datetime, file_name: str, mime_type: str, data: bytes) -> int:
    """Keep a document's bytes for the outbox; return the row id."""
    row = OutgoingFile(created_at=to_db_time(now), file_name=file_name[:MAX_FILE_NAME], mime_type=mime_type, data=data)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def load_file(*, session: Session, file_id: int) -> bytes | None:
    """Return a document's bytes, or None when they are gone."""
    return session.exec(select(OutgoingFile.data).where(OutgoingFile.id == file_id)).first()


def delete_files(*, connection: Connection, file_ids: list[int]) -> None:
    """Forget documents that were delivered."""
    if file_ids:
        connection.execute(delete(table_of(OutgoingFile)).where(table_of(OutgoingFile).c.id.in_(file_ids)))


def save_pending_import(
    *,
    session: Session,
    token: str,
    kind: str,
    member_id: int,
    file_name: str,
    data: bytes,
    bad_rows: int,
    now: datetime,
    expires_at: datetime,
) -> PendingImport:
    """Keep an uploaded list until its importer decides."""
    row = PendingImport(
        token=token,
        kind=kind,
        member_id=member_id,
        file_name=file_name[:MAX_FILE_NAME],
        data=data,
        bad_rows=bad_rows,
        created_at=to_db_time(now),
        expires_at=to_db_time(expires_at),
    )
    session.add(row)
    session.flush()
    return row


def find_pending_import(*, session: Session, token: str, kind: str, member_id: int) -> PendingImport | None:
    """Return a member's pending import of one kind by its token (decided or not), or None."""
    query = select(PendingImport).where(
        PendingImport.token == token, PendingImport.kind == kind, PendingImport.member_id == member_id
    )
    return session.exec(query).first()


def decide_pending_import(*, session: Session, pending_id: int, outcome: str, now: datetime) -> bool:
    """Mark a pending import decided and drop its bytes; False when it was already decided or has expired.

    The conditional UPDATE is the claim: of two taps racing, the second waits for the first's row lock, then
    finds ``decided_at`` set and changes nothing.
    """
    moment = to_db_time(now)
    statement = (
        update(PendingImport)
        .where(
            col(PendingImport.id) == pending_id,
            col(PendingImport.decided_at).is_(None),
            col(PendingImport.expires_at) > moment,
        )
        .values(decided_at=moment, outcome=outcome, data=b"")
        .returning(col(PendingImport.id))
    )
    return session.execute(statement).first() is not None


def purge_pending_imports(*, session: Session, now: datetime) -> None:
    """Drop the bytes of lists whose confirmation expired."""
    session.execute(
        update(PendingImport)
        .where(col(PendingImport.expires_at) <= to_db_time(now), col(PendingImport.data) != b"")
        .values(data=b"")
    )
