"""Migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models  # noqa: F401 - registers tables
from bot.db import make_engine, upgrade


def test_upgrade_matches_models_and_is_repeatable(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run (every `lianfang run` upgrades on start) changes nothing
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert {"member", "draft", "checkresult", "dailyreport", "sendledger", "outboxmessage"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # noqa: ANN001
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    engine.dispose()
