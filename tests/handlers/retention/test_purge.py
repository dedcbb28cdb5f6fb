"""``lianfang purge``: records past retention are anonymised, reports of past days stay the same, and a purge
stopped half-way finishes when run again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from lianfang.handlers.retention import erasure
from lianfang.models.alerts import Alert
from lianfang.models.audit import ACTION_PURGE, AuditEntry
from lianfang.models.observation import Observation
from lianfang.models.outbox import OutboxMessage
from lianfang.models.referrals import ReferralStep
from lianfang.models.retention import Erasure
from lianfang.models.screening import ScreeningTarget, ScreeningVisit
from sqlmodel import Session, col, select

from tests.fakes import TEST_DAY, Harness
from tests.handlers.retention.scenario import (
    PHONES,
    RESIDENTS,
    day_of_work,
    end_emergency,
    purge,
    report_text,
    retention_harness,
    stored_people,
)
from tests.handlers.screening.test_verification import LI, WANG, ZHAO

EMERGENCY_END = date(2020, 2, 1)
LATER = date(2020, 3, 15)
"""More than 30 days after the emergency's end and after every record of the day of work closed."""


@pytest.fixture
async def small_batches(database_url: str) -> AsyncIterator[Harness]:
    """Return an instance that purges one record per transaction."""
    async for harness in retention_harness(database_url, batch=1):
        yield harness


def purge_audit(harness: Harness) -> list[AuditEntry]:
    with Session(harness.app.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == ACTION_PURGE)))


async def test_without_an_end_date_nothing_is_purged_and_it_says_why(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await day_of_work(harness, tmp_path)
    harness.at("10:00", LATER)
    before = stored_people(harness)
    code, out, _ = purge(harness, capsys)
    assert code == 0 and "未删除任何信息：应急状态没有结束日期" in out
    assert stored_people(harness) == before and purge_audit(harness) == []


async def test_purge_anonymises_past_retention_and_the_past_report_is_byte_identical(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await day_of_work(harness, tmp_path)
    report_before = report_text(harness)
    end_emergency(harness, EMERGENCY_END)

    harness.at("10:00", date(2020, 2, 20))  # the emergency ended only 19 days ago: everything is still kept
    code, out, _ = purge(harness, capsys, dry_run=True)
    assert code == 0 and "无需删除" in out

    harness.at("10:00", LATER)
    before = stored_people(harness)
    code, out, _ = purge(harness, capsys, dry_run=True)
    assert code == 0 and "试运行" in out
    assert "screeningtarget：将清除 2 行" in out and "checkresult：将清除 2 行" in out
    assert "referral：将清除 1 行" in out and "observation：将清除 1 行" in out
    assert "outboxmessage：将清除" in out
    assert stored_people(harness) == before and purge_audit(harness) == []  # a dry run changes nothing

    code, out, _ = purge(harness, capsys)
    assert code == 0 and "screeningtarget：已清除 2 行" in out and "已清理" in out
    after = stored_people(harness)
    for secret in (*RESIDENTS, *PHONES, LI, WANG, "3栋201", "1栋102", "5栋101", "6栋202"):
        assert secret not in after, secret
    assert "东风小区3栋" in after and "东风新村1栋" in after  # compound and building are kept
    assert "赵六" in after and ZHAO in after  # still open on the ledger: kept
    with Session(harness.app.engine) as session:
        assert [o.close_note for o in session.exec(select(Observation))] == [""]
        assert all(step.note == "" for step in session.exec(select(ReferralStep)))
        assert all(visit.notes == "" for visit in session.exec(select(ScreeningVisit)))
        for alert in session.exec(select(Alert)):
            assert alert.full == alert.masked
        payloads = str([m.payload for m in session.exec(select(OutboxMessage))])
        assert "李四" not in payloads and "王五" not in payloads  # the delivered messages that showed them are gone
    [entry] = purge_audit(harness)
    assert "screeningtarget=2" in entry.detail and entry.actor.startswith("cli")
    assert report_text(harness) == report_before

    code, out, _ = purge(harness, capsys)  # a second run finds nothing left
    assert "无需删除" in out and len(purge_audit(harness)) == 1


async def test_a_purge_stopped_half_way_finishes_when_run_again(
    small_batches: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = small_batches
    await day_of_work(harness, tmp_path)
    report_before = report_text(harness)
    end_emergency(harness, EMERGENCY_END)
    harness.at("10:00", LATER)
    planned = erasure.plan_purge
    with Session(harness.app.engine) as session:
        plan = planned(session=session, org=harness.org, today=LATER, tz=harness.app.tz)
    real = erasure.erase_records
    calls: list[int] = []

    def crash_on_the_third_batch(**kwargs: object):  # noqa: ANN202
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(erasure, "erase_records", crash_on_the_third_batch)
    with pytest.raises(RuntimeError):
        purge(harness, capsys)
    with Session(harness.app.engine) as session:
        assert len(session.exec(select(Erasure)).all()) == 2  # two batches of one were committed
    monkeypatch.setattr(erasure, "erase_records", real)

    code, out, _ = purge(harness, capsys)
    assert code == 0 and "已清理" in out
    with Session(harness.app.engine) as session:
        marks = session.exec(select(Erasure)).all()
        roots = sum(plan.counts[t] for t in ("checkresult", "screeningtarget", "observation", "referral"))
        assert len(marks) == roots
        assert [t.name for t in session.exec(select(ScreeningTarget).order_by(col(ScreeningTarget.id)))] == [
            "",
            "",
            "赵六",
        ]
    for secret in (*RESIDENTS, *PHONES):
        assert secret not in stored_people(harness)
    assert report_text(harness) == report_before


async def test_records_of_an_open_case_are_kept(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = await day_of_work(harness, tmp_path)
    await team.staff.say("/check 东风小区8栋303 吴九 36.5 无")
    await team.staff.say("13512345678")
    await team.staff.say("1")
    await team.staff.say("居家")
    await team.staff.say("提交")  # observed until mid-February and never released
    end_emergency(harness, EMERGENCY_END)
    harness.at("10:00", LATER)
    purge(harness, capsys)
    assert "吴九" in stored_people(harness) and "13512345678" in stored_people(harness)
    assert TEST_DAY < LATER
