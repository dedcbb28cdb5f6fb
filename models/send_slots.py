"""Send slots: how many messages the instances of one bot have started to send in each second, shared by them all."""

from __future__ import annotations

from functools import cache
from typing import Any

from lianfang.models.base import dialect_insert, table_of
from sqlalchemy import BigInteger, Column, Connection, delete
from sqlmodel import Field, SQLModel

BOT_KEY_LENGTH = 64


class SendSlot(SQLModel, table=True):
    """The count of sends claimed by every instance of one bot in one second (Unix time, whole seconds)."""

    platform: str = Field(primary_key=True, max_length=16)
    bot: str = Field(primary_key=True, max_length=BOT_KEY_LENGTH)
    """Which bot of the platform: instances of different bots do not share a limit."""
    second: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    claimed: int = 0


SLOTS = table_of(SendSlot)


@cache
def _claim_statement(dialect: str) -> Any:
    """Build the upsert that counts one more send in a second and returns the count, once per dialect."""
    insert = dialect_insert(dialect)
    statement = insert(SLOTS)
    # INSERT rowcount is -1 on psycopg; RETURNING gives the count this claim made, atomically per row
    return statement.on_conflict_do_update(
        index_elements=[SLOTS.c.platform, SLOTS.c.bot, SLOTS.c.second],
        set_={"claimed": SLOTS.c.claimed + statement.excluded.claimed},
    ).returning(SLOTS.c.claimed)


def claim_slot(*, connection: Connection, platform: str, bot: str, second: int) -> int:
    """Count one send in ``second`` and return how many sends that second now holds, this one included."""
    values = {"platform": platform, "bot": bot[:BOT_KEY_LENGTH], "second": second, "claimed": 1}
    return int(connection.execute(_claim_statement(connection.dialect.name), values).scalar_one())


def forget_slots(*, connection: Connection, platform: str, bot: str, before: int) -> int:
    """Delete the counts of seconds before ``before``; return how many went."""
    c = SLOTS.c
    statement = delete(SLOTS).where(c.platform == platform, c.bot == bot[:BOT_KEY_LENGTH], c.second < before)
    return int(connection.execute(statement).rowcount)
