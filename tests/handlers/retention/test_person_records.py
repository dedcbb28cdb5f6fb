"""``lianfang purge --person``: every record about one resident goes, found by their phone's blind index and ID
number, and a namesake with another phone keeps theirs; incidents are purged past retention too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lianfang.bot.db import session_scope
from lianfang.models.alerts import Alert, create_alert
from lianfang.models.checks import CheckResult, add_check
from lianfang.models.incidents import STATUS_HANDLED, Incident, add_incident
from lianfang.models.observation import start_observation
from lianfang.models.referrals import Referral, create_referral
from lianfang.models.retention import Erasure
from lianfang.models.screening import add_targets
from lianfang.models.sealed import is_sealed
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from tests.fakes import TEST_DAY, Harness
from tests.handlers.retention.scenario import end_emergency, purge
from tests.handlers.screening.test_verification import LI, WANG
from tests.models.test_sealed_json import add_staff

PHONE = "13912345678"
"""王五's phone on the ledger."""
OTHER_PHONE = "13800001111"
"""The phone of another 王五, who is not on the ledger."""
FULL = [{"key": "alert.line", "params": {"person": "王五", "phone": PHONE, "address": "东风小区3栋201"}}]
MASKED = [{"key": "alert.line", "params": {"person": "王*", "phone": "139****5678", "address": "东风小区3栋"}}]
OTHER_FULL = [{"key": "alert.line", "params": {"person": "王五", "phone": OTHER_PHONE}}]


def _records(harness: Harness) -> dict[str, int]:
    """Store the two 王五s' records through the models; return the ids a test looks at, by name."""
    now = harness.clock()
    with session_scope(harness.app.engine) as session:
        member_id = add_staff(session)
        rows = [
            {"id_number": WANG, "name": "王五", "phone": PHONE, "address": "东风小区3栋201", "community": "dongfeng"},
            {"id_number": LI, "name": "李四", "phone": PHONE, "address": "东风小区3栋201", "community": "dongfeng"},
        ]
        add_targets(session=session, now=now, rows=[{**row, "batch": "list-1", "status": "verified"} for row in rows])
        place = {"community": "dongfeng", "address": "东风小区3栋201", "measure": "home"}
        mine = add_check(db=session, now=now, day=TEST_DAY, member_id=member_id, person="王五", phone=PHONE, **place)
        namesake = add_check(
            db=session, now=now, day=TEST_DAY, member_id=member_id, person="王五", phone=OTHER_PHONE, **place
        )
        # 李四 shares 王五's household phone: same phone, another name, not theirs to erase
        household = add_check(
            db=session, now=now, day=TEST_DAY, member_id=member_id, person="李四", phone=PHONE, **place
        )
        observation = start_observation(
            session=session,
            now=now,
            day=TEST_DAY,
            days=14,
            member_id=member_id,
            community="dongfeng",
            kind="home",
            last_exposure=TEST_DAY,
            check_id=mine.id,
        )
        referrals = [
            create_referral(
                session=session,
                now=now,
                member_id=member_id,
                community="dongfeng",
                person="王五",
                phone=phone,
                address="东风小区3栋201",
            ).id
            for phone in (PHONE, OTHER_PHONE)
        ]
        incidents = [
            add_incident(
                session=session,
                now=now,
                day=TEST_DAY,
                member_id=member_id,
                kind="mass",
                community="dongfeng",
                place="东风小区3栋201",
                occurred="09:40",
                description="门口聚集争执",
                people=people,
                status=STATUS_HANDLED,
            ).id
            for people in ("王五 139-1234-5678、赵六", f"王五 {OTHER_PHONE}")
        ]
        alerts = {}
        for name, check_id, incident_id, full in (
            ("check", mine.id, None, FULL),
            ("incident", None, incidents[0], FULL),
            ("namesake", namesake.id, None, OTHER_FULL),
        ):
            alert = create_alert(
                session=session,
                now=now,
                check_id=check_id,
                visit_id=None,
                incident_id=incident_id,
                raised_by=None,
                community="dongfeng",
                masked=MASKED,
                full=full,
                next_at=None,
            )
            alerts[name] = alert.id
        ids = {
            "member": member_id,
            "mine": mine.id,
            "namesake": namesake.id,
            "household": household.id,
            "observation": observation.id,
            "referral": referrals[0],
            "other_referral": referrals[1],
            "incident": incidents[0],
            "other_incident": incidents[1],
            **{f"alert_{k}": v for k, v in alerts.items()},
        }
    return {name: int(value) for name, value in ids.items() if value is not None}


def _raw_alerts(engine: Engine) -> list[str]:
    column = '"full"' if engine.dialect.name == "postgresql" else "full"
    with engine.connect() as connection:
        return [str(value) for value in connection.execute(text(f"SELECT {column} FROM alert")).scalars()]


async def test_a_resident_is_erased_everywhere_by_phone_and_id_and_a_namesake_keeps_theirs(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _records(harness)
    code, out, _ = purge(harness, capsys, person=WANG)
    assert code == 0 and "incident：已清除 1 行" in out and "checkresult：已清除 1 行" in out
    with Session(harness.app.engine) as session:
        mine, namesake, household = (session.get(CheckResult, ids[k]) for k in ("mine", "namesake", "household"))
        assert mine is not None and (mine.person, mine.phone, mine.phone_index) == ("", None, None)
        assert namesake is not None and (namesake.person, namesake.phone) == ("王五", OTHER_PHONE)
        assert household is not None and (household.person, household.phone) == ("李四", PHONE)
        referral, other_referral = (session.get(Referral, ids[k]) for k in ("referral", "other_referral"))
        assert referral is not None and (referral.person, referral.phone) == ("", None)
        assert other_referral is not None and (other_referral.person, other_referral.phone) == ("王五", OTHER_PHONE)
        incident, other_incident = (session.get(Incident, ids[k]) for k in ("incident", "other_incident"))
        assert incident is not None and (incident.people, incident.description, incident.place) == (
            "",
            "",
            "东风小区3栋",
        )
        assert other_incident is not None and other_incident.people == f"王五 {OTHER_PHONE}"
        for name in ("alert_check", "alert_incident"):  # still open, and show only what the groups saw
            alert = session.get(Alert, ids[name])
            assert alert is not None and alert.full == MASKED
        namesake_alert = session.get(Alert, ids["alert_namesake"])
        assert namesake_alert is not None and namesake_alert.full == OTHER_FULL
        marks = {(m.table_name, m.row_id) for m in session.exec(select(Erasure))}
        assert ("observation", ids["observation"]) in marks and ("incident", ids["incident"]) in marks
        assert ("checkresult", ids["namesake"]) not in marks and ("incident", ids["other_incident"]) not in marks
    assert all(is_sealed(value) for value in _raw_alerts(harness.app.engine))  # the masked lines were sealed too


async def test_closed_incidents_past_retention_are_anonymised_and_open_ones_kept(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _records(harness)
    with session_scope(harness.app.engine) as session:
        still_open = add_incident(
            session=session,
            now=harness.clock(),
            day=TEST_DAY,
            member_id=ids["member"],
            kind="other",
            community="dongfeng",
            place="菜场",
            occurred="10:00",
            description="孙七 13712345678 与摊主争执",
            people="孙七 13712345678",
        )
        open_id = still_open.id
    end_emergency(harness, TEST_DAY)
    harness.at("10:00", TEST_DAY + timedelta(days=40))
    code, out, _ = purge(harness, capsys)
    assert code == 0 and "incident：已清除 2 行" in out
    with Session(harness.app.engine) as session:
        incidents = {i.id: i for i in session.exec(select(Incident).order_by(col(Incident.id)))}
        assert incidents[ids["other_incident"]].people == "" and incidents[ids["incident"]].description == ""
        assert incidents[open_id].people == "孙七 13712345678"  # still being handled: kept
        alert = session.get(Alert, ids["alert_incident"])
        assert alert is not None and alert.full == MASKED
