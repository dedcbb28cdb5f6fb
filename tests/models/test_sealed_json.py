"""Whole JSON values sealed at rest: alerts' full lines, drafts' answers, outbox payloads and stored deliveries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic import command
from lianfang.bot.db import alembic_config, make_engine, session_scope, upgrade
from lianfang.models.alerts import Alert, create_alert, get_alert
from lianfang.models.checks import PHONE_COLUMN as CHECK_PHONE
from lianfang.models.checks import CheckResult, add_check
from lianfang.models.drafts import FormDraft, get_draft, save_draft
from lianfang.models.inbox import accept_event, claim_abandoned
from lianfang.models.members import create_member
from lianfang.models.outbox import claim_due, enqueue
from lianfang.models.referrals import PHONE_COLUMN as REFERRAL_PHONE
from lianfang.models.referrals import Referral
from lianfang.models.rekey import by_table, rotate, sealed_columns
from lianfang.models.resident_records import records_of_person
from lianfang.models.retention import KIND_CHECKS
from lianfang.models.screening import ScreeningTarget, add_targets
from lianfang.models.sealed import (
    DataKey,
    Keyring,
    blind_index,
    install_keyring,
    installed_keyring,
    key_id_of,
    new_key_text,
    seal,
)
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, col, select

from tests.models.test_sealed import DAY, NOW, insert_staff_row

PHONE = "13712345678"
ID_NUMBER = "420102199001011234"
FULL_LINES = [{"key": "alert.line", "params": {"person": "王芳", "phone": PHONE, "address": "东风小区2栋301"}}]
MASKED_LINES = [{"key": "alert.line", "params": {"person": "王*", "phone": "137****5678", "address": "东风小区2栋"}}]
ANSWERS = {"person": "王芳", "phone": PHONE, "id_number": ID_NUMBER}
PAYLOAD = {"lines": [{"key": "check.card", "params": {"phone": PHONE, "id_number": ID_NUMBER}}]}
UPDATE = {"update_id": 7, "message": {"text": f"王芳 {PHONE} {ID_NUMBER}"}}
INCIDENT_LINES = [
    {"key": "incident.alert_title", "params": {"number": 1, "kind": {"t": {"key": "incident.kind_mass"}}}}
]
SECRETS = (PHONE, ID_NUMBER, "王芳", "东风小区2栋301")
RAW_COLUMNS = {
    "alert": "SELECT full FROM alert",
    "draft": "SELECT data FROM draft",
    "outboxmessage": "SELECT payload FROM outboxmessage",
    "inboxevent": "SELECT payload FROM inboxevent",
}
"""``full`` is quoted on PostgreSQL, where it is a keyword."""


def _raw(engine: Engine, table: str) -> list[str]:
    query = RAW_COLUMNS[table]
    if engine.dialect.name == "postgresql":
        query = query.replace("full", '"full"')
    with engine.connect() as connection:
        values = [row[0] for row in connection.execute(text(query))]
    # psycopg reads a json column (before the migration, after its downgrade) into Python values
    return [value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) for value in values]


def _all_raw(engine: Engine) -> str:
    return " ".join(value for table in RAW_COLUMNS for value in _raw(engine, table))


def _unicode_json(value: str) -> str:
    """Return stored JSON text with its escapes read, so a name stored as ``\\u738b`` is found too."""
    return json.dumps(json.loads(value), ensure_ascii=False)


def add_staff(session: Session) -> int:
    """Add a staff member who records what the tests store; return their id."""
    member = create_member(
        session=session, name="李娜", group_key="screening", role="staff", community="chaoyang", lang="zh_CN", now=NOW
    )
    assert member.id is not None
    return member.id


def _fill(engine: Engine) -> None:
    """Write an alert, a draft, an outbox message and a stored delivery through the models."""
    with session_scope(engine) as session:
        member_id = add_staff(session)
        create_alert(
            session=session,
            now=NOW,
            check_id=None,
            visit_id=None,
            raised_by=member_id,
            community="chaoyang",
            masked=MASKED_LINES,
            full=FULL_LINES,
            next_at=None,
        )
        draft = FormDraft(
            platform="telegram",
            chat_id="100",
            user_id="100",
            member_id=member_id,
            lang="zh_CN",
            form="check",
            data=dict(ANSWERS),
            history=["person"],
            context={},
            created_at=NOW,
            updated_at=NOW,
            expires_at=NOW + timedelta(hours=1),
        )
        save_draft(connection=session.connection(), draft=draft)
        draft.data["measure"] = "home"  # a step: the UPDATE writes the answers sealed too
        save_draft(connection=session.connection(), draft=draft)
        enqueue(session=session, platform="telegram", chat_id="100", payload=PAYLOAD, now=NOW)
        accept_event(
            session=session,
            platform="telegram",
            event_id="7",
            chat_key="100",
            payload=UPDATE,
            now=NOW,
            lease=timedelta(0),
        )


def _all_readable(engine: Engine) -> None:
    """Assert every value reads back through the models as it was written."""
    with session_scope(engine) as session:
        alert = get_alert(session=session, alert_id=1)
        assert alert is not None and alert.full == FULL_LINES and alert.masked == MASKED_LINES
        draft = get_draft(connection=session.connection(), platform="telegram", chat_id="100", user_id="100")
        assert draft is not None and draft.data == {**ANSWERS, "measure": "home"} and draft.history == ["person"]
        [claimed] = claim_due(session=session, platforms=["telegram"], now=NOW, lease=timedelta(seconds=1))
        assert claimed.payload == PAYLOAD
        [stored] = claim_abandoned(session=session, platform="telegram", now=NOW, lease=timedelta(0), limit=10)
        assert stored.payload == UPDATE


def test_json_values_are_stored_sealed_and_read_back_whole(engine: Engine) -> None:
    _fill(engine)
    stored = _all_raw(engine)
    assert not any(secret in stored for secret in SECRETS)
    assert {key_id_of(value) for table in RAW_COLUMNS for value in _raw(engine, table)} == {
        installed_keyring().current.key_id
    }
    _all_readable(engine)


def rotated(engine: Engine) -> tuple[DataKey, dict[str, int]]:
    """Rotate to a new key, then remove the old one; return the new key and the rows changed per table."""
    old = installed_keyring().current
    new = DataKey.from_text(new_key_text())
    install_keyring(Keyring(new, (old,)))
    changed = rotate(engine, by_table(sealed_columns(SQLModel.metadata)))
    install_keyring(Keyring(new))  # the old key gone: everything must open under the new one alone
    return new, changed


def test_a_rotation_reseals_json_values_too(engine: Engine) -> None:
    _fill(engine)
    new, changed = rotated(engine)
    assert {table: changed[table] for table in RAW_COLUMNS} == dict.fromkeys(RAW_COLUMNS, 1)
    assert {key_id_of(value) for table in RAW_COLUMNS for value in _raw(engine, table)} == {new.key_id}
    _all_readable(engine)


def _insert_before(engine: Engine) -> None:
    """Write rows as revision 0029 stored them: plaintext JSON, and phones sealed without an index."""
    with engine.begin() as connection:
        insert_staff_row(connection)
        full = '"full"' if engine.dialect.name == "postgresql" else "full"
        connection.execute(
            text(
                f"INSERT INTO alert (created_at, raised_by, community, masked, {full}, escalations)"
                " VALUES (:at, 1, 'chaoyang', :masked, :full, 0)"
            ),
            {"at": NOW, "masked": json.dumps(MASKED_LINES), "full": json.dumps(FULL_LINES)},
        )
        connection.execute(
            text(
                "INSERT INTO incident (day, created_at, updated_at, member_id, kind, community, place, occurred,"
                " description, people, urgent, status) VALUES (:day, :at, :at, 1, 'mass', 'chaoyang', '菜场',"
                " '09:40', '聚集', '', :yes, 'handling')"
            ),
            {"day": DAY, "at": NOW, "yes": True},
        )
        connection.execute(
            text(
                f"INSERT INTO alert (created_at, raised_by, community, masked, {full}, escalations)"
                " VALUES (:at, 1, 'chaoyang', :masked, :masked, 0)"
            ),
            {"at": NOW, "masked": json.dumps(INCIDENT_LINES)},
        )
        connection.execute(
            text(
                "INSERT INTO draft (platform, chat_id, user_id, member_id, lang, form, data, history, context, step,"
                " created_at, updated_at, expires_at) VALUES ('telegram', '100', '100', 1, 'zh_CN', 'check', :data,"
                " :history, '{}', 0, :at, :at, :until)"
            ),
            {
                "data": json.dumps({**ANSWERS, "measure": "home"}),
                "history": json.dumps(["person"]),
                "at": NOW,
                "until": NOW + timedelta(hours=1),
            },
        )
        connection.execute(
            text(
                "INSERT INTO outboxmessage (platform, chat_id, payload, status, attempts, created_at)"
                " VALUES ('telegram', '100', :payload, 'pending', 0, :at)"
            ),
            {"payload": json.dumps(PAYLOAD), "at": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO inboxevent (platform, event_id, chat_key, payload, received_at, claimed_until)"
                " VALUES ('telegram', '7', '100', :payload, :at, :at)"
            ),
            {"payload": json.dumps(UPDATE, ensure_ascii=False), "at": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO checkresult (day, created_at, member_id, community, address, person, phone, symptoms,"
                " history, measure, is_alert, is_referral) VALUES (:day, :at, 1, 'chaoyang', '东风小区2栋', '王芳',"
                " :phone, '', '', 'home', :no, :no)"
            ),
            {"day": DAY, "at": NOW, "no": False, "phone": seal(PHONE, context=CHECK_PHONE)},
        )
        connection.execute(
            text(
                "INSERT INTO referral (member_id, community, person, phone, address, status, created_at, updated_at)"
                " VALUES (1, 'chaoyang', '王芳', :phone, '东风小区2栋', 'referred', :at, :at)"
            ),
            {"at": NOW, "phone": seal(PHONE, context=REFERRAL_PHONE)},
        )


def test_the_migration_seals_stored_json_and_indexes_stored_phones_and_its_downgrade_restores_json(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0029")
    _insert_before(engine)
    assert PHONE in _all_raw(engine)  # what the migration has to seal

    upgrade(engine)
    assert not any(secret in _all_raw(engine) for secret in SECRETS)
    with Session(engine) as session:
        assert session.exec(select(CheckResult.phone_index)).all() == [blind_index(PHONE, context=CHECK_PHONE)]
        assert session.exec(select(Referral.phone_index)).all() == [blind_index(PHONE, context=REFERRAL_PHONE)]
    _all_readable(engine)
    with Session(engine) as session:  # the alert raised for the urgent incident names it now
        assert session.exec(select(Alert.incident_id).order_by(col(Alert.id))).all() == [None, 1]

    command.downgrade(alembic_config(engine), "0029")
    restored = {table: [json.loads(value) for value in _raw(engine, table)] for table in RAW_COLUMNS}
    assert len(restored["alert"]) == 2 and FULL_LINES in restored["alert"] and INCIDENT_LINES in restored["alert"]
    assert restored["draft"] == [{**ANSWERS, "measure": "home"}]
    assert restored["outboxmessage"] == [PAYLOAD] and restored["inboxevent"] == [UPDATE]
    assert all(secret in _unicode_json(_raw(engine, "draft")[0]) for secret in (PHONE, ID_NUMBER, "王芳"))
    upgrade(engine)  # and up again, from what the downgrade left
    assert not any(secret in _all_raw(engine) for secret in SECRETS)
    engine.dispose()


def test_the_migration_refuses_to_work_on_stored_json_without_a_key(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0029")
    _insert_before(engine)
    install_keyring(None)
    with pytest.raises(Exception, match="already stored"):
        upgrade(engine)
    assert json.loads(_raw(engine, "outboxmessage")[0]) == PAYLOAD  # untouched, nothing lost
    engine.dispose()


def test_a_rotation_rewrites_the_phone_index_so_a_resident_is_still_found(engine: Engine) -> None:
    old = installed_keyring().current
    with session_scope(engine) as session:
        place = {"community": "chaoyang", "address": "东风小区2栋"}
        add_targets(session=session, now=NOW, rows=[{"name": "王芳", "phone": PHONE, "batch": "list-1", **place}])
        check = add_check(
            db=session,
            now=NOW,
            day=DAY,
            member_id=add_staff(session),
            person="王芳",
            phone=PHONE,
            measure="home",
            **place,
        )
        check_id = check.id
    new = DataKey.from_text(new_key_text())
    install_keyring(Keyring(new, (old,)))
    with Session(engine) as session:  # the rotation not run yet: found under the retired key's index
        assert records_of_person(session=session, targets=session.exec(select(ScreeningTarget)).all())[KIND_CHECKS] == [
            check_id
        ]
    rotate(engine, by_table(sealed_columns(SQLModel.metadata)))
    install_keyring(Keyring(new))
    with Session(engine) as session:
        assert session.exec(select(CheckResult.phone_index)).all() == [blind_index(PHONE, context=CHECK_PHONE)]
        assert records_of_person(session=session, targets=session.exec(select(ScreeningTarget)).all())[KIND_CHECKS] == [
            check_id
        ]
