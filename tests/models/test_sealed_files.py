"""Files sealed at rest: documents waiting in the outbox, lists held for 确认, and photos kept as answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from lianfang.bot.db import alembic_config, make_engine, session_scope, upgrade
from lianfang.models.files import (
    decide_pending_import,
    find_pending_import,
    get_kept_file,
    keep_file,
    load_file,
    save_pending_import,
    store_file,
)
from lianfang.models.sealed import install_keyring, installed_keyring, key_id_of
from sqlalchemy import Engine, text

from tests.models.test_sealed import NOW, insert_staff_row
from tests.models.test_sealed_json import add_staff, rotated

PHONE = "13712345678"
ID_NUMBER = "420102199001011234"
LIST = f"姓名,身份证号,电话\n王芳,{ID_NUMBER},{PHONE}\n".encode()
EXPORT = b"PK\x03\x04\x00\xff" + LIST  # binary, with the same personal data inside
PHOTO = bytes(range(256)) * 4
TABLES = ("outgoingfile", "pendingimport", "keptfile")
SECRETS = (PHONE.encode(), ID_NUMBER.encode(), "王芳".encode())


def _raw(engine: Engine, table: str) -> list[bytes]:
    """Return a table's stored file values as bytes, whatever the column's type."""
    with engine.connect() as connection:
        values = connection.execute(text(f"SELECT data FROM {table} ORDER BY id")).scalars().all()
    return [value.encode() if isinstance(value, str) else bytes(value) for value in values]


def _leaks(engine: Engine) -> list[str]:
    return [table for table in TABLES for value in _raw(engine, table) if any(s in value for s in SECRETS)]


def _fill(engine: Engine) -> None:
    with session_scope(engine) as session:
        member_id = add_staff(session)
        store_file(session=session, now=NOW, file_name="台账.xlsx", mime_type="application/zip", data=EXPORT)
        save_pending_import(
            session=session,
            token="held-list",
            kind="screening",
            member_id=member_id,
            file_name="名单.csv",
            data=LIST,
            bad_rows=0,
            now=NOW,
            expires_at=NOW + timedelta(minutes=30),
        )
        keep_file(
            session=session, now=NOW, member_id=member_id, file_name="现场.jpg", mime_type="image/jpeg", data=PHOTO
        )


def _all_readable(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert load_file(session=session, file_id=1) == EXPORT
        held = find_pending_import(session=session, token="held-list", kind="screening", member_id=1)
        assert held is not None and held.data == LIST
        kept = get_kept_file(session=session, file_id=1)
        assert kept is not None and kept.data == PHOTO


def test_files_are_stored_sealed_and_read_back_byte_for_byte(engine: Engine) -> None:
    _fill(engine)
    assert _leaks(engine) == []
    assert {key_id_of(v.decode()) for t in TABLES for v in _raw(engine, t)} == {installed_keyring().current.key_id}
    _all_readable(engine)
    with session_scope(engine) as session:  # a decided list keeps no bytes: stored empty, read empty
        assert decide_pending_import(session=session, pending_id=1, outcome="imported", now=NOW)
    assert _raw(engine, "pendingimport") == [b""]
    with session_scope(engine) as session:
        held = find_pending_import(session=session, token="held-list", kind="screening", member_id=1)
        assert held is not None and held.data == b""


def test_a_rotation_reseals_files_too(engine: Engine) -> None:
    _fill(engine)
    new, changed = rotated(engine)
    assert {table: changed[table] for table in TABLES} == dict.fromkeys(TABLES, 1)
    assert {key_id_of(v.decode()) for t in TABLES for v in _raw(engine, t)} == {new.key_id}
    _all_readable(engine)


def _insert_before(engine: Engine) -> None:
    """Write files as revision 0032 stored them: bytes in the clear."""
    with engine.begin() as connection:
        insert_staff_row(connection)
        connection.execute(
            text(
                "INSERT INTO outgoingfile (created_at, file_name, mime_type, data)"
                " VALUES (:at, '台账.xlsx', 'application/zip', :data)"
            ),
            {"at": NOW, "data": EXPORT},
        )
        connection.execute(
            text(
                "INSERT INTO pendingimport (token, kind, member_id, file_name, data, bad_rows, created_at, expires_at)"
                " VALUES ('held-list', 'screening', 1, '名单.csv', :data, 0, :at, :until)"
            ),
            {"at": NOW, "until": NOW + timedelta(minutes=30), "data": LIST},
        )
        connection.execute(
            text(
                "INSERT INTO keptfile (created_at, member_id, file_name, mime_type, size, data)"
                " VALUES (:at, 1, '现场.jpg', 'image/jpeg', :size, :data)"
            ),
            {"at": NOW, "size": len(PHOTO), "data": PHOTO},
        )


def test_the_migration_seals_stored_files_and_its_downgrade_gives_the_bytes_back(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0032")
    _insert_before(engine)
    assert _leaks(engine) == list(TABLES[:2])  # what the migration has to seal (the photo holds no text)

    upgrade(engine)
    assert _leaks(engine) == []
    _all_readable(engine)

    command.downgrade(alembic_config(engine), "0032")
    assert [_raw(engine, table) for table in TABLES] == [[EXPORT], [LIST], [PHOTO]]
    upgrade(engine)  # and up again, from what the downgrade left
    assert _leaks(engine) == []
    _all_readable(engine)
    engine.dispose()


def test_the_migration_refuses_to_touch_stored_files_without_a_key(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0032")
    _insert_before(engine)
    install_keyring(None)
    with pytest.raises(Exception, match="files already stored"):
        upgrade(engine)
    assert _raw(engine, "pendingimport") == [LIST]  # untouched, nothing lost
    engine.dispose()
