"""``lianfang purge --person ID_NUMBER`` and the daily purge on the scheduler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from lianfang.models.audit import ACTION_ERASE, ACTION_PURGE, AuditEntry
from lianfang.models.referrals import Referral
from lianfang.models.screening import ScreeningTarget, ScreeningVisit
from sqlmodel import Session, select

from tests.fakes import Harness
from tests.handlers.retention.scenario import day_of_work, end_emergency, purge, retention_harness, stored_people
from tests.handlers.screening.test_verification import LI, WANG, ZHAO


@pytest.fixture
async def automatic(database_url: str) -> AsyncIterator[Harness]:
    """Return an instance whose org file turns the daily purge on."""
    async for harness in retention_harness(database_url, auto=True):
        yield harness


def audit_of(harness: Harness, action: str) -> list[AuditEntry]:
    with Session(harness.app.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


async def test_one_resident_is_erased_on_request_everywhere_and_audited(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = await day_of_work(harness, tmp_path)
    # 王五 was verified, referred (the referral copies name, phone and address) and raised an alert.
    typed = " ".join([WANG[:6], WANG[6:14], WANG[14:].lower()])  # spaces and a lower-case x are read as typed
    code, out, _ = purge(harness, capsys, person=typed)
    assert code == 0 and "该居民的记录已删除" in out and "referral：已清除 1 行" in out
    people = stored_people(harness)
    assert "王五" not in people and WANG not in people and "13912345678" not in people
    assert "李四" in people and LI in people and "赵六" in people  # nobody else is touched
    with Session(harness.app.engine) as session:
        wang = session.get(ScreeningTarget, team.ids["王五"])
        assert wang is not None and (wang.name, wang.id_number, wang.phone) == ("", None, None)
        assert wang.status == "verified" and wang.community == "dongfeng"  # the outcome and place stay
        assert session.exec(select(Referral)).one().status == "closed"
    [entry] = audit_of(harness, ACTION_ERASE)
    assert entry.target_id == team.ids["王五"] and WANG not in entry.detail and "referral=1" in entry.detail
    code, out, err = purge(harness, capsys, person=WANG)  # erased already: the number is gone from the ledger
    assert code == 2 and "台账中没有该身份证号的人员" in err


async def test_a_wrong_or_unknown_id_number_erases_nothing(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await day_of_work(harness, tmp_path)
    before = stored_people(harness)
    code, _, err = purge(harness, capsys, person=ZHAO[:-1] + ("0" if ZHAO[-1] != "0" else "1"))
    assert code == 2 and "身份证号无效" in err and "Traceback" not in err
    code, _, err = purge(harness, capsys, person="110101199003074514")
    assert code == 2 and "台账中没有该身份证号的人员" in err
    assert stored_people(harness) == before and audit_of(harness, ACTION_ERASE) == []


async def test_the_scheduler_purges_once_a_day_when_auto(automatic: Harness, tmp_path: Path) -> None:
    harness = automatic
    await day_of_work(harness, tmp_path)
    end_emergency(harness, date(2020, 2, 1))
    harness.at("03:00", date(2020, 3, 15))
    await harness.tick()
    assert "李四" in stored_people(harness)  # not yet the purge time
    await harness.tick("03:30")
    assert "李四" not in stored_people(harness) and "孙七" not in stored_people(harness)
    [entry] = audit_of(harness, ACTION_PURGE)
    assert (entry.actor, entry.channel) == ("scheduler", "scheduler")
    await harness.tick("04:00")
    assert len(audit_of(harness, ACTION_PURGE)) == 1
    with Session(harness.app.engine) as session:
        assert all(visit.notes == "" for visit in session.exec(select(ScreeningVisit)))


async def test_without_auto_the_scheduler_never_purges(harness: Harness, tmp_path: Path) -> None:
    await day_of_work(harness, tmp_path)
    end_emergency(harness, date(2020, 2, 1))
    await harness.tick()
    harness.at("03:30", date(2020, 3, 15))
    await harness.tick()
    assert "李四" in stored_people(harness) and audit_of(harness, ACTION_PURGE) == []
