"""Helpers shared by the table modules: time storage and JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def to_db_time(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC, as every table stores it (SQLModel's UTCDateTime)."""
    if moment.tzinfo is None:
        raise ValueError("aware datetime required")
    return moment.astimezone(UTC)


def json_column(**kwargs: Any) -> Any:
    """Return a JSON column that works on SQLite and PostgreSQL."""
    return Column(JSON, **kwargs)


def insert_if_absent(session: Session, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> bool:
    """Insert a row unless one with the same unique columns exists; True only if this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=unique).returning(table.id)
    # INSERT rowcount is -1 on psycopg; RETURNING tells whether this caller inserted the row.
    return session.execute(statement).first() is not None
