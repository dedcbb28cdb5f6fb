"""Message transactions: on SQLite the event loop's thread keeps one connection between them, and loses nothing."""

from __future__ import annotations

import threading

import pytest
from lianfang.bot.db import Transactions
from sqlalchemy import Engine, text

from tests.fakes import Harness


@pytest.fixture
def notes(engine: Engine) -> Engine:
    """The test database with a table of numbers."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (n INTEGER NOT NULL)"))
    return engine


def _write(transactions: Transactions, n: int) -> object:
    """Insert a number in a transaction of ``transactions``; return the driver connection it ran on."""
    with transactions.begin() as work:
        work.connection.execute(text("INSERT INTO note (n) VALUES (:n)"), {"n": n})
        return work.connection.connection.driver_connection


def _numbers(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT n FROM note ORDER BY n"))]


def test_the_loop_thread_keeps_its_connection_on_sqlite_and_gives_it_back_at_close(notes: Engine) -> None:
    transactions = Transactions(notes)
    transactions.keep_on_this_thread()
    _write(transactions, 1)
    _write(transactions, 2)
    assert _numbers(notes) == [1, 2]  # each committed, seen from another connection
    kept = 1 if notes.dialect.name == "sqlite" else 0  # PostgreSQL's work runs in worker threads, on the pool
    assert notes.pool.checkedout() == kept  # type: ignore[attr-defined]
    transactions.close()
    assert notes.pool.checkedout() == 0  # type: ignore[attr-defined]
    _write(transactions, 3)  # after a close, transactions use the pool
    assert notes.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert _numbers(notes) == [1, 2, 3]


def test_a_failed_transaction_on_the_kept_connection_writes_nothing_and_the_next_one_commits(notes: Engine) -> None:
    transactions = Transactions(notes)
    transactions.keep_on_this_thread()
    with pytest.raises(RuntimeError), transactions.begin() as work:
        work.connection.execute(text("INSERT INTO note (n) VALUES (1)"))
        raise RuntimeError("a handler failed halfway")
    assert _numbers(notes) == []
    _write(transactions, 2)
    assert _numbers(notes) == [2]
    transactions.close()


def test_other_threads_and_a_transaction_begun_inside_another_use_the_pool(notes: Engine) -> None:
    transactions = Transactions(notes)
    transactions.keep_on_this_thread()
    _write(transactions, 1)
    kept = 1 if notes.dialect.name == "sqlite" else 0
    in_use: list[int] = []

    def elsewhere() -> None:
        with transactions.begin() as work:
            work.connection.execute(text("INSERT INTO note (n) VALUES (2)"))
            in_use.append(notes.pool.checkedout())  # type: ignore[attr-defined]

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert in_use == [kept + 1]  # the thread's own, beside the one kept
    with transactions.begin() as outer, transactions.begin() as inner:
        assert inner.connection is not outer.connection
        assert inner.connection.execute(text("SELECT count(*) FROM note")).scalar_one() == 2
    transactions.close()
    assert _numbers(notes) == [1, 2]


def test_a_lost_kept_connection_is_replaced(notes: Engine) -> None:
    transactions = Transactions(notes)
    transactions.keep_on_this_thread()
    lost = _write(transactions, 1)
    with pytest.raises(RuntimeError), transactions.begin() as work:
        work.connection.invalidate()  # what SQLAlchemy does when the driver says the connection is gone
        raise RuntimeError("the database went away")
    assert _write(transactions, 2) is not lost
    assert _numbers(notes) == [1, 2]
    transactions.close()


async def test_an_instance_gives_its_connection_back_when_it_stops(database_url: str) -> None:
    harness = Harness.create(database_url)
    await harness.app.start()
    chat = await harness.member("张伟", "screening", "staff", "chaoyang")
    assert chat.keys(await chat.say("/check"))  # answered, on the kept connection on SQLite
    await harness.app.stop()
    assert harness.app.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    harness.app.engine.dispose()
