"""Coverage is read from running totals: after imports, merges, moves, verifications and re-verifications they
equal a recount of the ledger, so the dashboard, /coverage and the report show the numbers they showed before."""

from __future__ import annotations

from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.handlers.screening.importing import assign_unassigned
from lianfang.models.coverage import CoverageTotal
from lianfang.models.screening import (
    STATUS_VERIFIED,
    ScreeningTarget,
    add_visit,
    ledger_by_compound,
    ledger_figures,
    update_target,
)
from sqlalchemy import Integer, cast, func
from sqlmodel import Session, select

from tests.fakes import TEST_DAY, Harness, texts_of
from tests.handlers.screening.test_importing import LI, SUN, WANG, ZHAO, run_import
from tests.handlers.screening.test_verification import verify_reached
from tests.screening_files import write_csv

HEADER = ["姓名", "身份证号", "联系电话", "现住址", "事由"]


def recount(harness: Harness) -> dict[tuple[str | None, str | None], tuple[int, int]]:
    """Count the ledger the slow way, over every person: what coverage showed before the totals."""
    verified = func.sum(cast(ScreeningTarget.status == STATUS_VERIFIED, Integer))
    with Session(harness.app.engine) as session:
        rows = session.exec(
            select(ScreeningTarget.community, ScreeningTarget.compound, func.count(), verified).group_by(
                ScreeningTarget.community, ScreeningTarget.compound
            )
        ).all()
    return {(row[0], row[1]): (int(row[2]), int(row[3])) for row in rows}


def totals(harness: Harness, community: str | None = None) -> dict[tuple[str | None, str | None], tuple[int, int]]:
    """Return coverage as the dashboard and /coverage read it."""
    with Session(harness.app.engine) as session:
        return ledger_by_compound(session=session, community=community)


def assert_in_step(harness: Harness) -> None:
    """The running totals equal a recount, in whole and per community, and so do the report's ledger figures."""
    counted = recount(harness)
    assert totals(harness) == counted
    for community in {key for key, _ in counted}:
        if community is not None:
            assert totals(harness, community) == {k: v for k, v in counted.items() if k[0] == community}
    with Session(harness.app.engine) as session:
        figures = ledger_figures(session=session, day=TEST_DAY)
    assert (figures.targets, figures.verified) == (
        sum(t for t, _ in counted.values()),
        sum(v for _, v in counted.values()),
    )


async def test_totals_follow_imports_merges_moves_and_verifications(harness: Harness, tmp_path: Path) -> None:
    admin, _, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    rows = [
        ["李四", LI, "13812345678", "东风小区3栋201", "武汉返长"],
        ["王五", WANG, "13912345678", "东风新村1栋102", "武汉返长"],
        ["赵六", ZHAO, "", "朝阳新村7栋302", "密切接触者"],
        ["孙八", SUN, "", "新华苑2栋", "密切接触者"],  # 新华社区 has no staff yet: unassigned
    ]
    run_import(harness, write_csv(tmp_path / "first.csv", HEADER, rows))
    assert_in_step(harness)
    assert totals(harness)[("dongfeng", "东风小区")] == (1, 0)

    # a later list moves 李四 to another compound: one person leaves 东风小区 for 东风新村
    moved = [["李四", LI, "13900001111", "东风新村5栋", "复查"]]
    run_import(harness, write_csv(tmp_path / "second.csv", HEADER, moved), batch="b2")
    assert_in_step(harness)

    ids = {t.name: t.id for t in _targets(harness)}
    await staff.say(f"/verify {ids['王五']}")
    await verify_reached(staff, "36.6", "无", "无需处置")
    await staff.say("提交")
    assert_in_step(harness)
    assert "已核查 1 人" in texts_of(await admin.say("/coverage"))

    with session_scope(harness.app.engine) as session:
        wang = session.get(ScreeningTarget, ids["王五"])
        li = session.get(ScreeningTarget, ids["李四"])
        assert wang is not None and li is not None
        member = wang.member_id or 0
        # verified again (a second visit), and a person tried twice but not reached: counted once, or not at all
        for _ in range(2):
            add_visit(
                session=session,
                target=wang,
                now=harness.clock(),
                day=TEST_DAY,
                member_id=member,
                reached=True,
                measure="none",
            )
            add_visit(
                session=session,
                target=li,
                now=harness.clock(),
                day=TEST_DAY,
                member_id=member,
                reached=False,
                measure="none",
            )
        # a person moved between communities and back within one transaction
        update_target(session=session, target=li, now=harness.clock(), community="chaoyang", compound="朝阳新村")
        update_target(session=session, target=li, now=harness.clock(), compound=None)
    assert_in_step(harness)

    await harness.member("周九", "screening", "staff", "xinhua")
    with session_scope(harness.app.engine) as session:
        assign_unassigned(harness.app.dispatcher.context(session, harness.clock()))
    assert_in_step(harness)
    with Session(harness.app.engine) as session:
        assert all(row.targets >= 0 and row.verified >= 0 for row in session.exec(select(CoverageTotal)))


def _targets(harness: Harness) -> list[ScreeningTarget]:
    with Session(harness.app.engine) as session:
        return list(session.exec(select(ScreeningTarget)))


async def test_two_staff_verifying_one_person_at_once_count_them_once(harness: Harness, tmp_path: Path) -> None:
    await harness.member("王芳", "screening", "staff", "dongfeng")
    run_import(harness, write_csv(tmp_path / "list.csv", HEADER, [["李四", LI, "", "东风小区3栋201", "武汉返长"]]))
    (li,) = _targets(harness)
    engine = harness.app.engine
    with Session(engine) as first, Session(engine) as second:
        # both open the person while still unverified; the first records the visit and commits, then the second
        mine, theirs = first.get(ScreeningTarget, li.id), second.get(ScreeningTarget, li.id)
        assert mine is not None and theirs is not None and mine.status == theirs.status != STATUS_VERIFIED
        for session, target in ((first, mine), (second, theirs)):
            add_visit(
                session=session,
                target=target,
                now=harness.clock(),
                day=TEST_DAY,
                member_id=li.member_id or 0,
                reached=True,
                measure="none",
            )
            session.commit()
    assert totals(harness)[("dongfeng", "东风小区")] == (1, 1)
    assert_in_step(harness)
