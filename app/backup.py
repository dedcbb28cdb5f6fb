"""``lianfang backup`` and ``restore``: a consistent snapshot of the database, and putting one back.

SQLite uses its online backup API (a consistent copy while the bot runs); PostgreSQL uses ``pg_dump``'s custom
format and ``pg_restore``, which must be installed (the postgresql-client package) and no older than the server.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from lianfang.bot.config import Settings
from lianfang.bot.db import make_engine, sqlite_file
from lianfang.bot.subcommands import EXIT_ERROR, EXIT_INVALID, EXIT_OK
from sqlalchemy import inspect, make_url, select, table, text

logger = logging.getLogger(__name__)

PG_DUMP = "pg_dump"
PG_RESTORE = "pg_restore"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
BOOKKEEPING_TABLES = frozenset({"alembic_version"})
"""Tables that say nothing about whether a database holds data (a fresh ``db upgrade`` fills them)."""
SEARCH_PATH_OPTION = "-csearch_path="
SQLITE_PAGES_PER_STEP = 1024
"""Pages copied per step of SQLite's online backup: other connections may write between steps."""


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def run_backup(settings: Settings, out: Path) -> int:
    """Write a snapshot of the configured database to ``out``; print where, or why not."""
    try:
        if sqlite_file(settings.database_url) is not None:
            backup_sqlite(settings.database_url, out)
        else:
            backup_postgres(settings.database_url, out)
    except BackupError as error:
        print(f"lianfang: backup failed: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"backed up to {out} ({out.stat().st_size} bytes)")
    print("its ID numbers and phones stay encrypted: restoring it needs the same data key, so back the key up apart")
    return EXIT_OK


def run_restore(settings: Settings, snapshot: Path, *, force: bool = False) -> int:
    """Restore ``snapshot`` into the configured database; refuse one that holds data unless ``force``."""
    if not snapshot.is_file():
        print(f"lianfang: restore: no file {snapshot}", file=sys.stderr)
        return EXIT_INVALID
    try:
        holding = tables_with_rows(settings.database_url)
        if holding and not force:
            shown = ", ".join(holding[:5]) + (" ..." if len(holding) > 5 else "")
            print(
                f"lianfang: restore refused: the database already holds data ({shown}); "
                "restore into an empty database, or add --force to replace everything in it",
                file=sys.stderr,
            )
            return EXIT_INVALID
        if sqlite_file(settings.database_url) is not None:
            restore_sqlite(snapshot, settings.database_url)
        else:
            restore_postgres(snapshot, settings.database_url)
    except BackupError as error:
        print(f"lianfang: restore failed: {error}", file=sys.stderr)
        return EXIT_ERROR
    print(f"restored {snapshot}; start lianfang (it brings the schema up to date if the snapshot is older)")
    return EXIT_OK


def tables_with_rows(url: str) -> list[str]:
    """Return the tables of the database (its schema) that hold a row; none for a missing SQLite file."""
    path = sqlite_file(url)
    if path is not None and not path.exists():
        return []
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            names = sorted(set(inspect(connection).get_table_names()) - BOOKKEEPING_TABLES)
            return [
                name
                for name in names
                if connection.execute(select(text("1")).select_from(table(name)).limit(1)).first()
            ]
    except Exception as error:
        raise BackupError(f"the database does not answer: {type(error).__name__}") from None
    finally:
        engine.dispose()


# -- SQLite -------------------------------------------------------------------------------------------------


def backup_sqlite(url: str, out: Path) -> None:
    """Copy a SQLite database with the online backup API: consistent even while the bot writes to it."""
    path = sqlite_file(url)
    assert path is not None
    if not path.exists():
        raise BackupError(f"no database at {path}")
    _copy_sqlite(path, out)


def restore_sqlite(snapshot: Path, url: str) -> None:
    """Replace the SQLite database's content with a snapshot's, page by page through the backup API."""
    if not snapshot.read_bytes()[: len(SQLITE_MAGIC)] == SQLITE_MAGIC:
        raise BackupError(f"{snapshot} is not a SQLite snapshot (a PostgreSQL one restores into PostgreSQL only)")
    path = sqlite_file(url)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    _copy_sqlite(snapshot, path)


def _copy_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        reader = sqlite3.connect(source)
        try:
            writer = sqlite3.connect(target)
            try:
                reader.backup(writer, pages=SQLITE_PAGES_PER_STEP)
            finally:
                writer.close()
        finally:
            reader.close()
    except sqlite3.Error as error:
        raise BackupError(f"SQLite: {error}") from None


# -- PostgreSQL ---------------------------------------------------------------------------------------------


def backup_postgres(url: str, out: Path) -> None:
    """Dump a PostgreSQL database (its schema only, when the URL sets a search_path) with pg_dump."""
    program = _tool(PG_DUMP)
    libpq, password, schema = _libpq(url)
    args = [program, "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"]
    if schema:
        args.append(f"--schema={schema}")
    _run([*args, f"--dbname={libpq}"], PG_DUMP, password)


def restore_postgres(snapshot: Path, url: str) -> None:
    """Restore a pg_dump snapshot with pg_restore in one transaction, dropping what it replaces."""
    if not snapshot.read_bytes()[: len(PG_CUSTOM_MAGIC)] == PG_CUSTOM_MAGIC:
        raise BackupError(f"{snapshot} is not a pg_dump snapshot (a SQLite one restores into SQLite only)")
    program = _tool(PG_RESTORE)
    libpq, password, _schema = _libpq(url)
    args = [program, "--no-owner", "--no-privileges", "--clean", "--if-exists", "--single-transaction"]
    _run([*args, f"--dbname={libpq}", str(snapshot)], PG_RESTORE, password)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: apt install postgresql-client), "
            "no older than the server"
        )
    return found


def _libpq(url: str) -> tuple[str, str | None, str | None]:
    """Return the URL as libpq reads it (no driver, no password), its password, and its search_path's schema."""
    parsed = make_url(url).set(drivername="postgresql")
    option = parsed.query.get("options", "")
    options = [option] if isinstance(option, str) else list(option)
    schema = next((o.removeprefix(SEARCH_PATH_OPTION) for o in options if o.startswith(SEARCH_PATH_OPTION)), None)
    return parsed.set(password=None).render_as_string(hide_password=False), parsed.password, schema


def _run(args: list[str], name: str, password: str | None) -> None:
    # the password goes in the environment, not on the command line that every user of the machine can read
    env = {**os.environ, "PGPASSWORD": password} if password else None
    result = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else f"exit {result.returncode}"
        raise BackupError(f"{name}: {message}")
