"""Recent sends per recipient of a platform, shared by every instance: the per-recipient limits hold for them all."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from lianfang.models.base import dialect_insert, table_of
from sqlalchemy import Connection, Text, bindparam, update
from sqlmodel import Column, Field, SQLModel

RECIPIENT_LENGTH = 300


class RecipientPace(SQLModel, table=True):
    """When the last messages to one recipient went (Unix seconds, oldest first), as far back as its limits look."""

    platform: str = Field(primary_key=True, max_length=16)
    recipient: str = Field(primary_key=True, max_length=RECIPIENT_LENGTH)
    """The kind of chat and its address on the platform, e.g. ``user:zhangwei`` (WeCom's are at most 64 long)."""
    sent: str = Field(default="[]", sa_column=Column(Text, nullable=False))


PACES = table_of(RecipientPace)


@cache
def _lock_statement(dialect: str) -> Any:
    """Build, once per dialect, the upsert that makes a recipient's row if missing and locks it."""
    insert = dialect_insert(dialect)
    statement = insert(PACES)
    return statement.on_conflict_do_update(
        index_elements=[PACES.c.platform, PACES.c.recipient], set_={"sent": PACES.c.sent}
    ).returning(PACES.c.recipient, PACES.c.sent)


def lock_paces(*, connection: Connection, platform: str, recipients: Sequence[str]) -> dict[str, list[float]]:
    """Return the recent send times of each recipient, its row locked until the transaction ends.

    One upsert makes the rows missing and locks every row (in the order of the recipients, so two instances never
    wait for each other's); on SQLite that write takes the database's one write lock, which serialises the same way.
    """
    rows = [{"platform": platform, "recipient": key, "sent": "[]"} for key in sorted(set(recipients))]
    found = connection.execute(_lock_statement(connection.dialect.name), rows)
    return {recipient: json.loads(sent) for recipient, sent in found}


def save_paces(*, connection: Connection, platform: str, sent: Mapping[str, Sequence[float]]) -> None:
    """Store the recent send times of these recipients (locked by ``lock_paces`` in this transaction)."""
    if not sent:
        return
    statement = (
        update(PACES)
        .where(PACES.c.platform == platform, PACES.c.recipient == bindparam("key"))
        .values(sent=bindparam("times"))
    )
    rows = [{"key": key, "times": json.dumps(list(times))} for key, times in sent.items()]
    connection.execute(statement, rows)
