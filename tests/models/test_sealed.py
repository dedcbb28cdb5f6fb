"""ID numbers and phones at rest: encrypted in the tables, found by blind index, rotated, and migrated in place."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from lianfang.bot.db import make_engine, session_scope, upgrade
from lianfang.models.checks import CheckResult, add_check
from lianfang.models.incidents import Incident, add_incident
from lianfang.models.members import create_member
from lianfang.models.referrals import Referral, create_referral
from lianfang.models.rekey import Progress, by_table, rotate, sealed_columns
from lianfang.models.screening import (
    ScreeningTarget,
    ScreeningTargetChange,
    add_targets,
    existing_by_id_number,
    merge_into_target,
)
from lianfang.models.sealed import (
    DataKey,
    DataKeyError,
    Keyring,
    install_keyring,
    installed_keyring,
    key_id_of,
    new_key_text,
    seal,
    unseal,
)
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session, SQLModel, select

from tests.screening_files import id_number as valid_id_number

NOW = datetime(2020, 1, 28, 8, tzinfo=UTC)
DAY = date(2020, 1, 28)
PEOPLE = 23
BATCH = 5


def id_number(n: int) -> str:
    """Return the n-th of a run of valid ID numbers."""
    return valid_id_number(seq=f"{n:03d}")


class Interrupted(Exception):
    """The crash a test injects between two batches of a rotation."""


def _people(count: int) -> list[dict[str, object]]:
    return [
        {
            "id_number": id_number(n),
            "name": f"居民{n}",
            "phone": f"1380000{n:04d}",
            "address": f"朝阳新村{n}栋",
            "community": "chaoyang",
            "reason": "武汉返长",
            "batch": "list-1",
            "status": "open",
        }
        for n in range(count)
    ]


def _fill(engine: Engine, count: int = PEOPLE) -> None:
    """Put people on the ledger, a check, a referral, an incident and an earlier phone, under the installed key."""
    with session_scope(engine) as session:
        member = create_member(
            session=session,
            name="李娜",
            group_key="screening",
            role="staff",
            community="chaoyang",
            lang="zh_CN",
            now=NOW,
        )
        assert member.id is not None
        add_targets(session=session, now=NOW, rows=_people(count))
        first = session.exec(select(ScreeningTarget).order_by(ScreeningTarget.id)).first()  # type: ignore[arg-type]
        assert first is not None
        merge_into_target(
            session=session, target=first, now=NOW, batch="list-2", actor="admin", fields={"phone": "13900000000"}
        )
        add_check(
            db=session,
            now=NOW,
            day=DAY,
            member_id=member.id,
            community="chaoyang",
            address="东风小区2栋",
            person="王芳",
            phone="13712345678",
            measure="home",
        )
        create_referral(
            session=session,
            now=NOW,
            member_id=member.id,
            community="chaoyang",
            person="王芳",
            phone="13712345678",
            address="东风小区2栋",
        )
        add_incident(
            session=session,
            now=NOW,
            day=DAY,
            member_id=member.id,
            kind="other",
            community="chaoyang",
            place="菜场",
            occurred="09:40",
            description="争执",
            people="赵六 13600001111",
        )


def _raw(engine: Engine, query: str) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text(query))]


def _all_readable(engine: Engine, count: int = PEOPLE) -> None:
    """Assert every value reads back as written, and every ledger person is found by ID number."""
    with Session(engine) as session:
        targets = session.exec(select(ScreeningTarget).order_by(ScreeningTarget.id)).all()  # type: ignore[arg-type]
        assert [t.id_number for t in targets] == [id_number(n) for n in range(count)]
        assert [t.phone for t in targets] == ["13900000000"] + [f"1380000{n:04d}" for n in range(1, count)]
        found = existing_by_id_number(session=session, id_numbers=[id_number(n) for n in range(count)])
        assert sorted(found) == sorted(id_number(n) for n in range(count))
        assert session.exec(select(ScreeningTargetChange.old_value)).all() == ["13800000000"]
        assert session.exec(select(CheckResult.phone)).all() == ["13712345678"]
        assert session.exec(select(Referral.phone)).all() == ["13712345678"]
        assert session.exec(select(Incident.people)).all() == ["赵六 13600001111"]


def _key_ids(engine: Engine) -> set[str]:
    values = _raw(engine, "SELECT id_number FROM screeningtarget") + _raw(engine, "SELECT phone FROM checkresult")
    return {key_id_of(value) for value in values}


def test_a_sealed_value_opens_only_in_its_own_column_and_each_sealing_differs() -> None:
    first = seal("13712345678", context="checkresult.phone")
    second = seal("13712345678", context="checkresult.phone")
    assert first != second and "13712345678" not in first
    assert unseal(first, context="checkresult.phone") == "13712345678"
    assert key_id_of(first) == installed_keyring().current.key_id
    with pytest.raises(DataKeyError, match="does not open"):
        unseal(first, context="referral.phone")  # a ciphertext copied into another column
    install_keyring(Keyring(DataKey.from_text(new_key_text())))
    with pytest.raises(DataKeyError, match="not installed"):
        unseal(first, context="checkresult.phone")


def test_without_a_data_key_nothing_is_written_and_the_error_says_what_to_set(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    install_keyring(None)
    with pytest.raises(Exception, match="LIANFANG_DATA_KEY"):
        _fill(engine)
    assert _raw(engine, "SELECT name FROM member") == []
    engine.dispose()


def test_the_tables_hold_no_id_number_or_phone_in_plaintext(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    _fill(engine)
    stored = " ".join(
        _raw(engine, "SELECT id_number || phone FROM screeningtarget")
        + _raw(engine, "SELECT old_value FROM screeningtargetchange")
        + _raw(engine, "SELECT phone FROM checkresult")
        + _raw(engine, "SELECT phone FROM referral")
        + _raw(engine, "SELECT people FROM incident")
    )
    assert "1380000" not in stored and "13712345678" not in stored and "13600001111" not in stored
    assert not any(id_number(n) in stored for n in range(PEOPLE))
    assert all(len(index) == 64 for index in _raw(engine, "SELECT id_number_index FROM screeningtarget"))
    _all_readable(engine)
    engine.dispose()


def test_rotation_stopped_half_way_goes_on_when_run_again_and_loses_nothing(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    old = installed_keyring().current
    _fill(engine)
    new = DataKey.from_text(new_key_text())
    install_keyring(Keyring(new, (old,)))  # the new key first, the old one retired: what `keys generate --file` does
    tables = by_table(sealed_columns(SQLModel.metadata))
    seen: list[Progress] = []

    def crash_after_two_batches(progress: Progress) -> None:
        seen.append(progress)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        rotate(engine, tables, batch=BATCH, progress=crash_after_two_batches)
    assert len(seen) == 2
    assert _key_ids(engine) == {old.key_id, new.key_id}  # half-way: both keys in the tables
    _all_readable(engine)  # and everything still reads, and every person is still found by ID number

    shown: list[Progress] = []
    changed = rotate(engine, tables, batch=BATCH, progress=shown.append)
    assert changed["screeningtarget"] > 0 and shown[-1].done == shown[-1].total
    assert _key_ids(engine) == {new.key_id}
    install_keyring(Keyring(new))  # the old key removed: nothing needs it any more
    _all_readable(engine)
    assert rotate(engine, tables, batch=BATCH) == dict.fromkeys(tables, 0)
    engine.dispose()


def insert_staff_row(connection: Connection) -> None:
    """Insert a staff member (id 1) as every revision can store one: raw SQL, as later columns may not exist yet."""
    connection.execute(
        text(
            "INSERT INTO member (name, group_key, role, lang, active, created_at)"
            " VALUES ('李娜', 'screening', 'staff', 'zh_CN', :yes, :at)"
        ),
        {"yes": True, "at": NOW},
    )


def test_the_migration_encrypts_the_values_stored_before_it(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0025")
    with engine.begin() as connection:
        insert_staff_row(connection)
        for n in range(PEOPLE):
            connection.execute(
                text(
                    "INSERT INTO screeningtarget (id_number, name, phone, address, community, reason, batch, status,"
                    " created_at, updated_at) VALUES (:id, :name, :phone, '朝阳新村', 'chaoyang', '', 'old', 'open',"
                    " :at, :at)"
                ),
                {"id": id_number(n), "name": f"居民{n}", "phone": f"1380000{n:04d}" if n else "13900000000", "at": NOW},
            )
        connection.execute(
            text(
                "INSERT INTO screeningtargetchange (target_id, field, old_value, batch, actor, changed_at)"
                " VALUES (1, 'phone', '13800000000', 'old', 'admin', :at)"
            ),
            {"at": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO checkresult (day, created_at, member_id, community, address, person, phone, symptoms,"
                " history, measure, is_alert, is_referral) VALUES (:day, :at, 1, 'chaoyang', '东风小区2栋', '王芳',"
                " '13712345678', '', '', 'home', :no, :no)"
            ),
            {"day": DAY, "at": NOW, "no": False},
        )
        connection.execute(
            text(
                "INSERT INTO referral (member_id, community, person, phone, address, status, created_at, updated_at)"
                " VALUES (1, 'chaoyang', '王芳', '13712345678', '东风小区2栋', 'referred', :at, :at)"
            ),
            {"at": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO incident (day, created_at, updated_at, member_id, kind, community, place, occurred,"
                " description, people, urgent, status) VALUES (:day, :at, :at, 1, 'other', 'chaoyang', '菜场',"
                " '09:40', '争执', '赵六 13600001111', :no, 'handling')"
            ),
            {"day": DAY, "at": NOW, "no": False},
        )
    upgrade(engine)
    assert "13712345678" not in " ".join(_raw(engine, "SELECT phone FROM checkresult"))
    assert _key_ids(engine) == {installed_keyring().current.key_id}
    _all_readable(engine)
    # and the blind index still keeps one person per ID number
    with engine.begin() as connection, pytest.raises(Exception, match="(?i)unique"):
        connection.execute(
            text(
                "UPDATE screeningtarget SET id_number_index = (SELECT id_number_index FROM screeningtarget"
                " WHERE id = 1) WHERE id = 2"
            )
        )
    engine.dispose()


def test_the_migration_refuses_to_run_on_stored_values_without_a_key(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0025")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO screeningtarget (id_number, name, phone, address, reason, batch, status, created_at,"
                " updated_at) VALUES (:id, '居民', '13800000000', '朝阳新村', '', 'old', 'open', :at, :at)"
            ),
            {"id": id_number(1), "at": NOW},
        )
    install_keyring(None)
    with pytest.raises(DataKeyError, match="already stored"):
        upgrade(engine)
    assert _raw(engine, "SELECT phone FROM screeningtarget") == ["13800000000"]  # untouched, nothing lost
    engine.dispose()
