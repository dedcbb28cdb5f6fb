"""Bring every sealed value under the current data key, in batches: key rotation, and sealing old plaintext.

Each batch is one transaction, and the rows still to do are found afresh each time (a value not sealed under the
current key), so a rotation stopped half-way, by a crash or an interrupt, simply goes on where it stopped.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lianfang.models.sealed import (
    FORMAT_VERSION,
    SEPARATOR,
    Sealed,
    SealedBytes,
    blind_index,
    installed_keyring,
    is_sealed,
    seal,
    seal_bytes,
    unseal_bytes,
)
from lianfang.models.sealed import unseal as open_sealed
from sqlalchemy import Connection, Engine, MetaData, String, Text, and_, bindparam, cast, func, or_, select
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.sql.elements import BindParameter, ColumnElement

DEFAULT_BATCH = 500
ID_COLUMN = "id"
KEY_PARAM = "sealed_row_id"
VALUE_PARAM = "sealed_"
"""Bound values get a prefix: SQLAlchemy reserves a column's own name in an UPDATE's SET clause."""
OLD_PARAM = "stored_"


@dataclass(frozen=True)
class SealedColumn:
    """A sealed column: its table, its name, the context it is sealed with, and its blind index column if any."""

    table: str
    name: str
    context: str
    index: str | None = None
    binary: bool = False
    """The plaintext is bytes (a file): its text form, where one is needed, is base64."""


@dataclass(frozen=True)
class Progress:
    """Where a resealing stands: one table's rows done out of those it had to do."""

    table: str
    done: int
    total: int


ProgressHook = Callable[[Progress], None]


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Return every sealed column the tables declare, derived from their column types."""
    return [
        SealedColumn(
            table.name, column.name, column.type.context, column.type.index, isinstance(column.type, SealedBytes)
        )
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Sealed)
    ]


def by_table(columns: Iterable[SealedColumn]) -> dict[str, list[SealedColumn]]:
    """Group sealed columns by table."""
    grouped: dict[str, list[SealedColumn]] = {}
    for column in columns:
        grouped.setdefault(column.table, []).append(column)
    return grouped


def _stale(raw: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """Match a stored value not sealed under the current key (plaintext, or sealed under a retired key)."""
    return and_(raw.is_not(None), raw != "", func.substr(raw, 1, len(prefix)) != prefix)


def _reseal(value: str | None, column: SealedColumn, current_prefix: str) -> tuple[str | None, str | None]:
    """Return a value sealed under the current key, and its plaintext (None when it needs nothing)."""
    if value is None or value == "" or value.startswith(current_prefix):
        return value, None
    plain = _plain(value, column)
    if column.binary:
        return seal_bytes(base64.b64decode(plain), context=column.context), None
    return seal(plain, context=column.context), plain


def has_values(connection: Connection, table_name: str, columns: Sequence[SealedColumn]) -> bool:
    """Tell whether any row of a table holds a value in one of these columns (of any type: JSON is read as text)."""
    table = sql_table(table_name, sql_column(ID_COLUMN), *(sql_column(c.name) for c in columns))
    condition = or_(*(func.coalesce(cast(table.c[c.name], Text), "") != "" for c in columns))
    return connection.execute(select(table.c[ID_COLUMN]).where(condition).limit(1)).first() is not None


def count_stale(connection: Connection, table_name: str, columns: Sequence[SealedColumn]) -> int:
    """Count a table's rows with a value not yet sealed under the current key."""
    prefix = current_prefix()
    table = sql_table(table_name, sql_column(ID_COLUMN), *(sql_column(c.name, Text) for c in columns))
    condition = or_(*(_stale(table.c[c.name], prefix) for c in columns))
    return int(connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one())


def current_prefix() -> str:
    """Return how every value sealed under the current key begins."""
    return f"{FORMAT_VERSION}{SEPARATOR}{installed_keyring().current.key_id}{SEPARATOR}"


def reseal_batch(connection: Connection, table_name: str, columns: Sequence[SealedColumn], *, limit: int) -> int:
    """Reseal up to ``limit`` stale rows of a table (values, blind indexes) under the current key; return how many."""
    prefix = current_prefix()
    indexes = [c.index for c in columns if c.index]
    table = sql_table(
        table_name,
        sql_column(ID_COLUMN),
        *(sql_column(c.name, Text) for c in columns),
        *(sql_column(name, String) for name in indexes),
    )
    condition = or_(*(_stale(table.c[c.name], prefix) for c in columns))
    query = select(table.c[ID_COLUMN], *(table.c[c.name] for c in columns)).where(condition)
    rows = connection.execute(query.order_by(table.c[ID_COLUMN]).limit(limit)).all()
    if not rows:
        return 0
    changes: list[dict[str, object]] = []
    for row in rows:
        change: dict[str, object] = {KEY_PARAM: row[0]}
        for position, column in enumerate(columns, start=1):
            change[OLD_PARAM + column.name] = row[position]
            value, plain = _reseal(row[position], column, prefix)
            change[VALUE_PARAM + column.name] = value
            if column.index:
                text = plain if plain is not None or not value else open_sealed(value, context=column.context)
                change[VALUE_PARAM + column.index] = blind_index(text, context=column.context) if text else None
        changes.append(change)
    names = [c.name for c in columns] + indexes
    values: dict[str, BindParameter[Any]] = {name: bindparam(VALUE_PARAM + name) for name in names}
    # A row the bot changed since it was read keeps the bot's value: the next batch picks it up again if stale.
    unchanged = [table.c[c.name].is_not_distinct_from(bindparam(OLD_PARAM + c.name)) for c in columns]
    statement = table.update().where(table.c[ID_COLUMN] == bindparam(KEY_PARAM), *unchanged).values(values)
    connection.execute(statement, changes)
    return len(rows)


def reseal_table(
    connection: Connection,
    table_name: str,
    columns: Sequence[SealedColumn],
    *,
    batch: int = DEFAULT_BATCH,
    progress: ProgressHook | None = None,
) -> int:
    """Reseal a whole table on one connection, in its transaction (the migration's way); return the rows changed."""
    total = count_stale(connection, table_name, columns)
    done = 0
    while done < total and (changed := reseal_batch(connection, table_name, columns, limit=batch)):
        done += changed
        if progress is not None:
            progress(Progress(table_name, done, total))
    return done


def rotate(
    engine: Engine,
    tables: Mapping[str, Sequence[SealedColumn]],
    *,
    batch: int = DEFAULT_BATCH,
    progress: ProgressHook | None = None,
) -> dict[str, int]:
    """Reseal every table under the current key, committing each batch; return the rows changed per table."""
    changed: dict[str, int] = {}
    for table_name, columns in tables.items():
        with engine.connect() as connection:
            total = count_stale(connection, table_name, columns)
        done = 0
        while True:
            with engine.begin() as connection:
                count = reseal_batch(connection, table_name, columns, limit=batch)
            if not count:
                break
            done += count
            if progress is not None:
                progress(Progress(table_name, done, max(total, done)))
        changed[table_name] = done
    return changed


def fill_indexes(connection: Connection, column: SealedColumn, *, batch: int = DEFAULT_BATCH) -> int:
    """Write the blind index of every row whose sealed value has none yet (an index column just added); return how many.

    Runs on one connection, in its transaction (a migration's way).
    """
    if column.index is None:
        return 0
    table = sql_table(
        column.table, sql_column(ID_COLUMN), sql_column(column.name, Text), sql_column(column.index, String)
    )
    value, index = table.c[column.name], table.c[column.index]
    missing = select(table.c[ID_COLUMN], value).where(value.is_not(None), value != "", index.is_(None))
    statement = (
        table.update().where(table.c[ID_COLUMN] == bindparam(KEY_PARAM)).values({column.index: bindparam(VALUE_PARAM)})
    )
    done = 0
    while rows := connection.execute(missing.order_by(table.c[ID_COLUMN]).limit(batch)).all():
        changes = [
            {KEY_PARAM: row_id, VALUE_PARAM: blind_index(_plain(stored, column), context=column.context)}
            for row_id, stored in rows
        ]
        connection.execute(statement, changes)
        done += len(rows)
    return done


def _plain(stored: str, column: SealedColumn) -> str:
    """Return a stored value's plaintext, whether it is sealed or not (yet); bytes as base64."""
    if column.binary:
        return base64.b64encode(unseal_bytes(stored, context=column.context)).decode() if is_sealed(stored) else stored
    return open_sealed(stored, context=column.context) if is_sealed(stored) else stored


def open_table(connection: Connection, table_name: str, columns: Sequence[SealedColumn]) -> int:
    """Replace a table's sealed values by their plaintext (undoing the encryption migration); return rows changed."""
    table = sql_table(table_name, sql_column(ID_COLUMN), *(sql_column(c.name, Text) for c in columns))
    changed = 0
    for row in connection.execute(select(table.c[ID_COLUMN], *(table.c[c.name] for c in columns))).all():
        values = {VALUE_PARAM + c.name: _plain(v, c) if v else v for c, v in zip(columns, row[1:], strict=True)}
        names: dict[str, BindParameter[Any]] = {c.name: bindparam(VALUE_PARAM + c.name) for c in columns}
        statement = table.update().where(table.c[ID_COLUMN] == bindparam(KEY_PARAM)).values(names)
        connection.execute(statement, [{KEY_PARAM: row[0], **values}])
        changed += 1
    return changed
