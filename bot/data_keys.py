"""The data key: read from the settings, made next to a SQLite database when none is set, and installed once.

Precedence: ``LIANFANG_DATA_KEY`` is the current key, else the first line of ``LIANFANG_DATA_KEY_FILE``; further
lines of the file and ``LIANFANG_DATA_KEYS_RETIRED`` are retired keys that still open older values. With neither
set, a SQLite database keeps its key in a file beside it (``<database>.key``, mode 0600), made on first start;
PostgreSQL refuses to start, since a key made on one instance would be unknown to the others.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lianfang.bot.config import Settings
from lianfang.bot.db import sqlite_file
from lianfang.models.rekey import sealed_columns
from lianfang.models.sealed import (
    DataKey,
    DataKeyError,
    Keyring,
    install_keyring,
    key_id_of,
    new_key_text,
    unseal,
)
from sqlalchemy import Engine, Text, column, select, table
from sqlmodel import SQLModel

logger = logging.getLogger(__name__)

KEY_FILE_SUFFIX = ".key"
KEY_FILE_MODE = 0o600
COMMENT = "#"
RETIRED_SEPARATOR = ","
KEY_FILE_HEADER = (
    "# lianfang data key: the first key encrypts, later ones are retired keys still needed to read older values.\n"
    "# Keep a copy with the backups: without it the ID numbers and phones in the database cannot be read.\n"
)
NO_KEY_ON_POSTGRESQL = (
    "no data key: on PostgreSQL set LIANFANG_DATA_KEY or LIANFANG_DATA_KEY_FILE (make one with `lianfang keys "
    "generate`), the same on every instance. Keep a copy: without the key the ID numbers and phones cannot be read."
)


@dataclass(frozen=True)
class KeySetup:
    """The keyring in use, and the key file made for it just now, if one was."""

    keyring: Keyring
    created: Path | None = None


def sqlite_key_file(database_url: str) -> Path | None:
    """Return where a SQLite database keeps its own data key; None for PostgreSQL or an in-memory database."""
    path = sqlite_file(database_url)
    return None if path is None else path.with_name(path.name + KEY_FILE_SUFFIX)


def read_key_file(path: Path) -> list[str]:
    """Return the keys of a key file, current first (blank lines and comments skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise DataKeyError(f"cannot read the data key file {path}: {error.strerror}") from None
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith(COMMENT)]


def write_key_file(path: Path, keys: Sequence[str], *, exclusive: bool = False) -> None:
    """Write a key file readable by its owner only; ``exclusive`` fails if it exists (two first starts at once)."""
    body = KEY_FILE_HEADER + "".join(f"{key}\n" for key in keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(body)
        return
    temporary = path.with_name(path.name + ".new")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(body)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def configured_key_file(settings: Settings) -> Path | None:
    """Return the key file in use: the configured one, else the SQLite database's own if it exists."""
    if settings.data_key_file is not None:
        return settings.data_key_file
    own = sqlite_key_file(settings.database_url)
    return own if own is not None and own.is_file() else None


def keyring_from_settings(settings: Settings) -> Keyring | None:
    """Build the keyring the settings describe; None when they name no key at all."""
    texts: list[str] = []
    if settings.data_key is not None:
        texts.append(settings.data_key.get_secret_value())
    path = configured_key_file(settings)
    if path is not None:
        texts += read_key_file(path)
    if settings.data_keys_retired is not None:
        texts += [part for part in settings.data_keys_retired.get_secret_value().split(RETIRED_SEPARATOR) if part]
    if not texts:
        if path is not None:
            raise DataKeyError(f"the data key file {path} holds no key")
        return None
    keys: list[DataKey] = []
    for text in texts:
        key = DataKey.from_text(text)
        if all(key.key_id != known.key_id for known in keys):
            keys.append(key)
    return Keyring(keys[0], tuple(keys[1:]))


def load_data_key(settings: Settings) -> KeySetup:
    """Return the keyring to use, making a SQLite database's key file on first start; raise DataKeyError if none."""
    keyring = keyring_from_settings(settings)
    if keyring is not None:
        return KeySetup(keyring)
    if sqlite_file(settings.database_url) is None:
        if not settings.database_url.startswith("sqlite"):
            raise DataKeyError(NO_KEY_ON_POSTGRESQL)
        return KeySetup(Keyring(DataKey.from_text(new_key_text())))  # in memory: gone with the database
    path = sqlite_key_file(settings.database_url)
    assert path is not None
    try:
        write_key_file(path, [new_key_text()], exclusive=True)
    except FileExistsError:  # another process made it first: use theirs
        return KeySetup(_keyring_of(read_key_file(path)))
    except OSError as error:
        raise DataKeyError(f"cannot write the data key file {path}: {error.strerror}") from None
    logger.debug("made a new data key file %s", path)  # the CLI tells the operator, once
    return KeySetup(_keyring_of(read_key_file(path)), created=path)


def _keyring_of(texts: Sequence[str]) -> Keyring:
    if not texts:
        raise DataKeyError("the data key file holds no key")
    keys = [DataKey.from_text(text) for text in texts]
    return Keyring(keys[0], tuple(keys[1:]))


def install_data_key(settings: Settings) -> KeySetup:
    """Load the data key the settings name and install it for every sealed column; raise DataKeyError if none."""
    setup = load_data_key(settings)
    install_keyring(setup.keyring)
    return setup


def check_data_key(settings: Settings, engine: Engine | None = None) -> str | None:
    """Return what is wrong with the data key (with its fix), or None; with an engine, try it on stored values."""
    try:
        keyring = keyring_from_settings(settings)
    except DataKeyError as error:
        return f"{error}; fix LIANFANG_DATA_KEY / LIANFANG_DATA_KEY_FILE"
    if keyring is None:
        if sqlite_file(settings.database_url) is None and not settings.database_url.startswith("sqlite"):
            return NO_KEY_ON_POSTGRESQL
        database, own = sqlite_file(settings.database_url), sqlite_key_file(settings.database_url)
        if database is not None and database.exists():
            return f"the database {database} exists but its data key file {own} does not: restore it from a backup"
        return None
    return None if engine is None else _opens_stored_values(engine, keyring)


def _opens_stored_values(engine: Engine, keyring: Keyring) -> str | None:
    """Try the keyring on one stored value of each sealed column; return the first failure."""
    with engine.connect() as connection:
        for sealed in sealed_columns(SQLModel.metadata):
            raw = column(sealed.name, Text)
            query = select(raw).select_from(table(sealed.table, raw)).where(raw.is_not(None), raw != "").limit(1)
            try:
                value = connection.execute(query).scalar()
            except Exception:  # a table not made yet (an old schema): nothing stored to try
                logger.debug("cannot read %s.%s", sealed.table, sealed.name, exc_info=True)
                return None
            if value is None:
                continue
            try:
                unseal(value, context=sealed.context, keyring=keyring)
            except DataKeyError as error:
                return f"{error}: the data key does not open {sealed.table}.{sealed.name} (key id {_key_id(value)})"
    return None


def _key_id(value: str) -> str:
    try:
        return key_id_of(value)
    except DataKeyError:
        return "none: plaintext"
