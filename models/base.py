"""Helpers shared by the table modules: time storage, JSON columns, and inserts that meet an existing row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, Connection, Dialect, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
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


Row = tuple[Any, ...]
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """A statement as one dialect runs it: its SQL, how each parameter is made and how each column is read."""

    sql: str
    params: tuple[tuple[str, Processor, Any, bool], ...]
    """(name, the type's conversion to the driver, the value compiled into the statement, whether it is required)"""
    positional: bool
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]
    """The columns whose type converts what the driver gives, by position, with the conversion."""

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """Return the driver's parameters for one execution."""
        converted = []
        for name, process, fixed, required in self.params:
            value = values[name] if required else values.get(name, fixed)
            converted.append(value if process is None else process(value))
        if self.positional:
            return converted
        return {name: value for (name, *_), value in zip(self.params, converted, strict=True)}

    def read(self, rows: Iterable[Row]) -> list[Row]:
        """Convert the driver's rows as the column types would."""
        converted = self.converted
        if not converted:
            return [tuple(row) for row in rows]
        result = []
        for row in rows:
            values = list(row)
            for index, read in converted:
                values[index] = read(values[index])
            result.append(tuple(values))
        return result


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's cursor, past SQLAlchemy's execution.

    For the few statements every message runs (its speaker and draft, the draft's update, the reply's outbox row,
    the previous reply's sent mark): SQLAlchemy takes several times longer to run a statement than SQLite takes to
    execute it. What matters of SQLAlchemy is kept: every value goes through its column type both ways (JSON, UTC
    times, enums, sealed values), the connection's transaction is begun as ``Connection.execute`` would, and a
    driver error is raised as SQLAlchemy's (an ``IntegrityError`` stays one; a lost connection is invalidated).
    Parameters are plain ``bindparam``s (not expanding ones); values compiled into the statement stay as they are.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def rows(self, connection: Connection, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run the statement; return its rows, converted by their column types."""
        plan = self._plan(connection.dialect)
        return plan.read(self._execute(connection, plan, plan.bind(params or {}), fetch=True))

    def first(self, connection: Connection, params: Mapping[str, Any] | None = None) -> Row | None:
        """Run the statement; return its first row, or None."""
        rows = self.rows(connection, params)
        return rows[0] if rows else None

    def run(self, connection: Connection, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns no rows."""
        plan = self._plan(connection.dialect)
        self._execute(connection, plan, plan.bind(params or {}), fetch=False)

    def run_many(self, connection: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement that returns no rows once per set of parameters, in one call to the driver."""
        if params:
            plan = self._plan(connection.dialect)
            self._execute(connection, plan, [plan.bind(each) for each in params], fetch=False, many=True)

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan

    @staticmethod
    def _execute(connection: Connection, plan: _Plan, params: Any, *, fetch: bool, many: bool = False) -> list[Row]:
        if not connection.in_transaction():
            connection.begin()  # what Connection.execute does first: the commit that follows must not be a no-op
        dbapi_connection = connection.connection
        cursor = dbapi_connection.cursor()
        try:
            if many:
                cursor.executemany(plan.sql, params)
            else:
                cursor.execute(plan.sql, params)
            return list(cursor.fetchall()) if fetch else []
        except connection.dialect.loaded_dbapi.Error as error:
            lost = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
            if lost:
                connection.invalidate(error)
            raise DBAPIError.instance(
                plan.sql,
                params,
                error,
                connection.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=connection.dialect,
                ismulti=many,
            ) from error
        finally:
            cursor.close()


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    """Compile a statement for one dialect and gather the conversions of its parameters and columns."""
    assert isinstance(statement, ClauseElement)
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    defaults = compiled.params
    names = compiled.positiontup if compiled.positional and compiled.positiontup is not None else list(defaults)
    params = []
    for name in names:
        bind = compiled.binds[name]
        if bind.expanding:
            raise ValueError(f"a prepared statement takes no expanding parameter ({name})")
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        params.append((name, process, defaults[name], bind.required))
    columns = getattr(statement, "exported_columns", ())
    readers = (column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
    converted = tuple((index, read) for index, read in enumerate(readers) if read is not None)
    return _Plan(compiled.string, tuple(params), compiled.positional, converted)


@cache
def _scalar_defaults(table: type[SQLModel], given: tuple[str, ...]) -> dict[str, Any]:
    """Return the defaults of the columns not given, as an INSERT through SQLAlchemy would fill them in."""
    defaults = {}
    for column in table_of(table).columns:
        if column.name in given or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"{column} has a default computed at insert; give its value")
        defaults[column.name] = column.default.arg  # type: ignore[attr-defined]  # a scalar default holds its value
    return defaults


def dialect_insert(dialect: str) -> Any:
    """Return the INSERT construct of a dialect, which knows ``ON CONFLICT`` (PostgreSQL's or SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def _insert_if_absent_statement(
    dialect: str, table: type[SQLModel], unique: tuple[str, ...], columns: tuple[str, ...]
) -> Prepared:
    """Build the statement once per table and columns: it runs for every incoming message and every scheduled send."""
    insert = dialect_insert(dialect)
    core = table_of(table)
    statement = insert(core).values({name: bindparam(name) for name in columns})
    # INSERT rowcount is -1 on psycopg; RETURNING tells whether this caller inserted the row.
    return Prepared(statement.on_conflict_do_nothing(index_elements=list(unique)).returning(core.c.id))


def insert_if_absent(
    db: Session | Connection, table: type[SQLModel], values: dict[str, Any], unique: list[str]
) -> bool:
    """Insert a row unless one with the same unique columns exists; True only if this call inserted it."""
    return inserted_id(db, table, values, unique) is not None


def inserted_id(
    db: Session | Connection, table: type[SQLModel], values: dict[str, Any], unique: list[str]
) -> int | None:
    """Insert a row unless one with the same unique columns exists; return its id if this call inserted it.

    ``db`` is a session, or the connection of a transaction that has no session open.
    """
    connection = db if isinstance(db, Connection) else db.connection()
    values = {**_scalar_defaults(table, tuple(values)), **values}
    statement = _insert_if_absent_statement(connection.dialect.name, table, tuple(unique), tuple(values))
    row = statement.first(connection, values)
    return None if row is None else int(row[0])


def upsert(session: Session, table: type[SQLModel], values: dict[str, Any], unique: list[str]) -> None:
    """Insert a row, or set the other given columns of the one with the same unique columns."""
    insert = dialect_insert(session.get_bind().dialect.name)
    statement = insert(table).values(**values)
    changed = {name: value for name, value in values.items() if name not in unique}
    session.execute(statement.on_conflict_do_update(index_elements=unique, set_=changed))
