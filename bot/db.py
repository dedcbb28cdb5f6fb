"""Database engine, sessions and schema upgrades (Alembic)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, make_url
from sqlmodel import Session, create_engine

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_IN_MEMORY = ":memory:"
POOL_SIZE = 5
"""Connections an instance keeps open to PostgreSQL (``LIANFANG_DB_POOL_SIZE``)."""
MAX_OVERFLOW = 10
"""Connections an instance may open beyond its pool at a peak, closed again after (``LIANFANG_DB_MAX_OVERFLOW``)."""


def make_engine(
    url: str, *, echo: bool = False, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> Engine:
    """Create an engine; SQLite gets WAL mode, a busy timeout and foreign keys, PostgreSQL a pool of this size."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow)


def sqlite_file(url: str) -> Path | None:
    """Return the absolute path of a SQLite URL's file; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", SQLITE_IN_MEMORY):
        return None
    return Path(parsed.database).expanduser().absolute()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DB-API connection
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


P = ParamSpec("P")
T = TypeVar("T")


async def run_db(engine: Engine, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking database work from the event loop: in place on SQLite, in a worker thread otherwise.

    SQLite is a local file served by one instance: a short transaction costs less on the loop than the hop to a
    thread and the GIL hand-offs back (about 2 ms a message in benchmarks/telegram.py). The price: while another
    process holds SQLite's write lock (a long CLI import), the loop waits. PostgreSQL is across a network, so its
    work stays off the loop and other chats go on meanwhile.
    """
    if engine.dialect.name == "sqlite":
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class Transaction:
    """One transaction on one connection, with an ORM session on it opened only when some code asks for one.

    Most messages are answered with a few Core statements on the connection, and opening a session, joining it to
    the transaction and closing it costs more than running them. Code that wants the ORM gets a session that
    joins the same transaction: its changes are flushed before the commit and rolled back with everything else.
    """

    def __init__(self, *, connection: Connection | None = None, session: Session | None = None) -> None:
        if connection is None and session is None:
            raise ValueError("a transaction needs a connection or a session")
        self._connection = connection
        self._session = session

    @property
    def connection(self) -> Connection:
        """Return the connection the transaction runs on."""
        if self._connection is None:
            assert self._session is not None
            self._connection = self._session.connection()
        return self._connection

    @property
    def session(self) -> Session:
        """Return the ORM session of the transaction, joining it to the connection on first use."""
        if self._session is None:
            # rollback_only: the session never commits the connection's transaction; ``transaction`` does
            self._session = Session(
                bind=self._connection, expire_on_commit=False, join_transaction_mode="rollback_only"
            )
        return self._session

    @property
    def has_session(self) -> bool:
        """Tell whether some code asked for the ORM session."""
        return self._session is not None


@contextmanager
def transaction(engine: Engine) -> Iterator[Transaction]:
    """Open a transaction that commits on success (with the session's changes, if one was opened) and rolls back
    on any error."""
    with engine.begin() as connection, _work(connection) as work:
        yield work


class Transactions:
    """Begin one instance's message transactions; on SQLite, those of the event loop's thread on a kept connection.

    SQLite's messages are handled in place on the event loop (``run_db``), one after another. Checking a connection
    out of the pool and back in for each of them (a new ``Connection``, the pool's events, the rollback that resets
    it) costs about a tenth of a form step, so the loop's thread keeps one connection between its transactions.
    A kept connection holds no transaction and no snapshot between them: SQLite begins one only when the first
    statement of a transaction runs. Other threads, a transaction begun while the kept one is busy, and
    PostgreSQL (whose work runs in worker threads) use the pool as ``transaction`` does.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._owner: int | None = None
        self._kept: Connection | None = None

    def keep_on_this_thread(self) -> None:
        """Keep a connection for the transactions of the calling thread (the event loop's), on SQLite."""
        if self.engine.dialect.name == "sqlite":
            self._owner = threading.get_ident()

    def close(self) -> None:
        """Give the kept connection back to the pool (at a stop); the next transaction checks one out again."""
        kept, self._kept, self._owner = self._kept, None, None
        if kept is not None:
            kept.close()

    @contextmanager
    def begin(self) -> Iterator[Transaction]:
        """Open a transaction as ``transaction`` does, on the kept connection where this thread keeps one."""
        connection = self._kept_connection()
        if connection is None or connection.in_transaction():
            with transaction(self.engine) as work:
                yield work
            return
        with connection.begin(), _work(connection) as work:
            yield work

    def _kept_connection(self) -> Connection | None:
        """Return the calling thread's kept connection (connected again after a loss), or None if it keeps none."""
        if threading.get_ident() != self._owner:
            return None
        if self._kept is None or self._kept.closed or self._kept.invalidated:
            if self._kept is not None:
                self._kept.close()
            self._kept = self.engine.connect()
        return self._kept


@contextmanager
def _work(connection: Connection) -> Iterator[Transaction]:
    """Run a transaction's work on a connection, flushing and closing its ORM session if some code opened one."""
    work = Transaction(connection=connection)
    try:
        yield work
        if work.has_session:
            work.session.flush()
    finally:
        if work.has_session:
            work.session.close()


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic config bound to the engine, using the installed migrations package."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("lianfang.migrations")))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to date."""
    command.upgrade(alembic_config(engine), revision)
    logger.info("database schema at %s", revision)
