"""The database pool's size comes from the settings on PostgreSQL; SQLite keeps its own."""

from __future__ import annotations

from lianfang.bot.config import Settings
from sqlalchemy.pool import QueuePool


def test_the_pool_settings_reach_the_engine(database_url: str) -> None:
    settings = Settings(_env_file=None, database_url=database_url, db_pool_size=7, db_max_overflow=0)
    engine = settings.engine()
    try:
        pool = engine.pool
        if database_url.startswith("postgresql"):
            assert isinstance(pool, QueuePool)
            assert (pool.size(), pool._max_overflow) == (7, 0)
        else:
            assert engine.dialect.name == "sqlite"
            assert not (isinstance(pool, QueuePool) and pool.size() == 7)
    finally:
        engine.dispose()
