"""A submitted check is stored by statements on the transaction's connection: what the ORM filled in, they do."""

from __future__ import annotations

from lianfang.models.checks import PHONE_COLUMN, CheckDailyTotal, CheckResult
from lianfang.models.resident_records import records_of_person
from lianfang.models.retention import KIND_CHECKS
from lianfang.models.screening import ScreeningTarget, add_targets
from lianfang.models.sealed import blind_index, is_sealed
from sqlalchemy import text
from sqlmodel import Session, select

from tests.fakes import TEST_DAY, Harness, keys_of

PHONE = "13812345678"


async def _submit(harness: Harness, person: str, phone: str, temperature: str) -> list[str]:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    await staff.say(f"/check 朝阳新村7栋302 {person} {phone} {temperature}")
    await staff.say("无")
    await staff.say("1")
    await staff.say("居家观察")
    return keys_of(await staff.say("提交"))


async def test_a_submitted_check_has_its_phone_sealed_and_indexed_and_is_found_by_the_resident(
    harness: Harness,
) -> None:
    with Session(harness.app.engine) as session:
        row = {"name": "李四", "phone": PHONE, "community": "dongfeng", "address": "朝阳新村7栋302", "batch": "l"}
        add_targets(session=session, now=harness.clock(), rows=[row])
        session.commit()
    assert await _submit(harness, "李四", PHONE, "36.5") == ["check.saved", "observation.started"]
    with Session(harness.app.engine) as session:
        record = session.exec(select(CheckResult)).one()
        assert record.phone == PHONE and record.phone_index == blind_index(PHONE, context=PHONE_COLUMN)
        stored = session.connection().execute(text("SELECT phone FROM checkresult")).scalar_one()
        assert is_sealed(stored) and PHONE not in stored  # sealed at rest, as through the ORM
        assert (record.day, record.member_id is not None, record.is_alert) == (TEST_DAY, True, False)
        targets = list(session.exec(select(ScreeningTarget)))
        assert records_of_person(session=session, targets=targets)[KIND_CHECKS] == [record.id]


async def test_a_submitted_fever_check_is_counted_in_the_days_totals(harness: Harness) -> None:
    assert "check.saved_alert" in await _submit(harness, "李四", PHONE, "38.6")
    with Session(harness.app.engine) as session:
        totals = session.exec(select(CheckDailyTotal)).one()
        assert (totals.day, totals.community, totals.checked, totals.alerts, totals.referrals) == (
            TEST_DAY,
            "dongfeng",
            1,
            1,
            0,
        )
        assert session.exec(select(CheckResult)).one().phone_index == blind_index(PHONE, context=PHONE_COLUMN)
