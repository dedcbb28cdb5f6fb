"""Helpers shared by the table modules: time storage, JSON columns, and inserts that meet an existing row."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

MAX_ID = 2**31 - 1
"""The largest id an integer column holds on every database we run on: a larger number names no row."""


def to_db_time(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC, as every table stores it (SQLModel's UTCDateTime)."""
    if moment.tzinfo is None:
        raise ValueError("aware datetime required")
    return moment.astimezone(UTC)


def json_column(**kwargs: Any) -> Any:
    """Return a JSON column that works on SQLite and PostgreSQL."""
    return Column(JSON, **kwargs)


def table_of(model: type[SQLModel]) -> Table:
    """Return the Core table of a table model, for statements built once and run often."""
    table: Table = model.__table__  # type: ignore[attr-defined]  # set on every table=True class, untyped by SQLModel
    return table


@cache
def _insert_if_absent_statement(dialect: str, table: type[SQLModel], unique: tuple[str, ...]) -> Any:
    """Build the statement once per table: it runs for every incoming message and every scheduled send."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    core = table_of(table)
    # INSERT rowcount is -1 on psycopg; RETURNING tells whether this caller inserted the row.
    return insert(core).on_conflict_do_nothing(index_elements=list(unique)).returning(core.c.id)


def insert_if_absent(session: Session, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> bool:
    """Insert a row unless one with the same unique columns exists; True only if this call inserted it."""
    return inserted_id(session, table, values, unique) is not None


def inserted_id(session: Session, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> int | None:
    """Insert a row unless one with the same unique columns exists; return its id if this call inserted it."""
    statement = _insert_if_absent_statement(session.get_bind().dialect.name, table, tuple(unique))
    row = session.connection().execute(statement, values).first()
    return None if row is None else int(row[0])


def upsert(session: Session, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> None:
    """Insert a row, or set the other given columns of the one with the same unique columns."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(**values)
    changed = {name: value for name, value in values.items() if name not in unique}
    session.execute(statement.on_conflict_do_update(index_elements=unique, set_=changed))
