"""Screening coverage by community and compound: the ledger verified, the households checked, who sees what."""

from __future__ import annotations

from pathlib import Path

from lianfang.models.checks import CheckResult
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.screening.test_verification import load_list, verify_reached


async def test_coverage_counts_the_ledger_and_checks_per_compound(harness: Harness, tmp_path: Path) -> None:
    admin, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)  # 东风小区 and 东风新村 in 东风社区, 朝阳新村 in 朝阳社区
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.6", "无", "无需处置")
    await staff.say("提交")
    await staff.say("/check 东风小区5栋302 钱七 36.4 无")
    await staff.say("/skip")
    await staff.tap("无")
    await staff.tap("无需处置")
    await staff.tap("提交")
    with Session(harness.app.engine) as session:
        assert session.exec(select(CheckResult)).one().compound == "东风小区"

    shown = await admin.say("/coverage")
    text = texts_of(shown)
    assert "东风社区：台账 2 人，已核查 1 人（50%）；逐户登记 1 户" in text
    assert "· 东风小区：台账 1 人，已核查 1 人（100%）；登记 1 户" in text
    assert "· 东风新村：台账 1 人，已核查 0 人（0%）；登记 0 户" in text
    assert "朝阳社区：台账 1 人，已核查 0 人（0%）" in text
    assert text.index("朝阳社区") < text.index("东风社区")  # communities in the org file's order

    mine = texts_of(await staff.say("覆盖"))  # field staff see their own community
    assert "东风社区" in mine and "朝阳社区" not in mine
    in_group = await leadership.say("/coverage")  # figures only, so a group may ask
    assert keys_of(in_group)[0] == "coverage.title" and "张三" not in texts_of(in_group)


async def test_coverage_with_no_records_says_so(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    assert keys_of(await admin.say("/coverage")) == ["coverage.none"]
