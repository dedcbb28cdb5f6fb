"""The data key from the settings: which key is used, and what ``check_data_key`` (for ``lianfang doctor``) reports."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lianfang.bot.config import Settings
from lianfang.bot.data_keys import check_data_key, install_data_key, keyring_from_settings, write_key_file
from lianfang.bot.db import make_engine, session_scope, upgrade
from lianfang.models.screening import add_targets
from lianfang.models.sealed import DataKey, DataKeyError, installed_keyring, new_key_text
from pydantic import SecretStr

from tests.screening_files import id_number

NOW = datetime(2020, 1, 28, 8, tzinfo=UTC)
POSTGRESQL = "postgresql+psycopg://lianfang@127.0.0.1:9/x"


def _settings(url: str, **fields: object) -> Settings:
    return Settings(_env_file=None, database_url=url, **{"data_key": None, **fields})  # type: ignore[arg-type]


def test_the_key_file_names_the_current_key_first_and_keeps_retired_ones(tmp_path: Path) -> None:
    current, retired, extra = new_key_text(), new_key_text(), new_key_text()
    key_file = tmp_path / "data.key"
    write_key_file(key_file, [current, retired])
    keyring = keyring_from_settings(
        _settings(f"sqlite:///{tmp_path / 'x.db'}", data_key_file=key_file, data_keys_retired=SecretStr(extra))
    )
    assert keyring is not None
    assert keyring.current == DataKey.from_text(current)
    assert [key.key_id for key in keyring.retired] == [DataKey.from_text(k).key_id for k in (retired, extra)]


def test_check_data_key_says_what_is_wrong_and_how_to_fix_it(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'x.db'}"
    assert "LIANFANG_DATA_KEY" in (check_data_key(_settings(POSTGRESQL)) or "")
    assert "32 bytes" in (check_data_key(_settings(database, data_key=SecretStr("c2hvcnQ="))) or "")
    assert "cannot read" in (check_data_key(_settings(database, data_key_file=tmp_path / "missing.key")) or "")
    assert check_data_key(_settings(database)) is None  # SQLite, first start: a key file will be made

    setup = install_data_key(_settings(database))
    assert setup.created == tmp_path / "x.db.key" and installed_keyring() == setup.keyring
    engine = make_engine(database)
    upgrade(engine)
    with session_scope(engine) as session:
        row = {"id_number": id_number(), "name": "居民", "address": "朝阳新村", "reason": "", "batch": "b"}
        add_targets(session=session, now=NOW, rows=[{**row, "status": "open"}])
    assert check_data_key(_settings(database), engine) is None

    other = _settings(database, data_key=SecretStr(new_key_text()), data_key_file=tmp_path / "missing.key")
    assert "cannot read" in (check_data_key(other) or "")
    wrong = tmp_path / "wrong.key"
    write_key_file(wrong, [new_key_text()])
    problem = check_data_key(_settings(database, data_key_file=wrong), engine)
    assert problem is not None and "screeningtarget.id_number" in problem and setup.keyring.current.key_id in problem

    (tmp_path / "x.db.key").unlink()  # the database is there, its key is gone
    assert "restore it from a backup" in (check_data_key(_settings(database)) or "")
    engine.dispose()


def test_a_second_first_start_uses_the_key_file_the_first_one_made(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'x.db'}"
    first = install_data_key(_settings(database))
    second = install_data_key(_settings(database))
    assert first.created is not None and second.created is None
    assert first.keyring == second.keyring


def test_postgresql_without_a_key_raises_a_plain_error() -> None:
    with pytest.raises(DataKeyError, match="LIANFANG_DATA_KEY"):
        install_data_key(_settings(POSTGRESQL))
