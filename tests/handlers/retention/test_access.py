"""The access log: the hourly limit of full views, the weekly access report to the admins, and ``lianfang audit``."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from lianfang.app.cli import main
from lianfang.models.audit import ACTION_VIEW, AuditEntry
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.referrals.test_referrals import refer_by_check
from tests.org import load_test_org

LIMIT = 3
NEXT_MONDAY = date(2020, 2, 3)


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[Harness]:
    """Return an instance whose members may see 3 full records an hour."""
    org = load_test_org()
    access = org.access.model_copy(update={"max_full_views_per_hour": LIMIT})
    harness = Harness.create(database_url, org=org.model_copy(update={"access": access}))
    await harness.app.start()
    yield harness
    await harness.app.stop()
    harness.app.engine.dispose()


async def view_referral(chat: Chat) -> list:
    """Open referral 1; return what the bot answered."""
    return await chat.say("/referral 1")


async def test_a_member_past_the_hourly_limit_sees_masked_records_and_the_admins_are_told_once(
    limited: Harness,
) -> None:
    harness = limited
    admin, _, _ = await harness.bound_org_chats()
    leader = await harness.member("蒋明", "coordination", "leader")
    await refer_by_check(harness)
    for _ in range(LIMIT - 1):
        assert "张三" in texts_of(await view_referral(leader))
    third = await view_referral(leader)
    assert "张三" in texts_of(third)
    assert "retention.view_limit_reached" in keys_of(third)
    assert "本小时已查看 3 条完整个人信息" in texts_of(third) and "09:00 前只显示脱敏信息" in texts_of(third)
    alert = admin.unread()
    assert keys_of(alert) == ["retention.view_limit_alert"] and "蒋明" in texts_of(alert)

    harness.advance(minutes=20)
    fourth = await view_referral(leader)
    assert "张*" in texts_of(fourth) and "张三" not in texts_of(fourth) and "13812345678" not in texts_of(fourth)
    assert "retention.view_limit_reached" not in keys_of(fourth) and admin.unread() == []  # told once

    harness.at("09:01")
    assert "张三" in texts_of(await view_referral(leader))  # a new hour
    with Session(harness.app.engine) as session:
        views = session.exec(select(AuditEntry).where(AuditEntry.action == ACTION_VIEW)).all()
        assert len(views) == LIMIT + 1  # the masked view was not a full one


async def test_the_admins_get_the_weekly_access_report_once(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    leader = await harness.member("蒋明", "coordination", "leader")
    await refer_by_check(harness)
    for _ in range(2):
        await view_referral(leader)
    harness.at("08:00", NEXT_MONDAY)
    await harness.tick()
    admin.catch_up()
    await harness.tick("09:00")
    report = [m for m in admin.unread() if m.lines[0].key == "retention.access_title"]
    [message] = report
    text = texts_of(report)
    assert "2020-01-27 至 2020-02-02" in text and "· 蒋明：查看 2 条，导出 0 次" in text
    await harness.tick("09:30")
    assert [m for m in admin.unread() if m.lines[0].key == "retention.access_title"] == []


async def test_a_quiet_week_is_reported_as_such(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    harness.at("09:00", NEXT_MONDAY)
    await harness.tick()
    report = [m for m in admin.unread() if m.lines[0].key == "retention.access_title"]
    assert keys_of(report) == ["retention.access_title", "retention.access_none"]
    assert "这七天内无人查看或导出个人信息" in texts_of(report)


async def test_lianfang_audit_filters_by_member_action_target_and_writes_csv(
    harness: Harness, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await harness.bound_org_chats()
    leader = await harness.member("蒋明", "coordination", "leader")
    await refer_by_check(harness)
    await view_referral(leader)
    for name in [name for name in os.environ if name.startswith("LIANFANG_") and name != "LIANFANG_DATA_KEY"]:
        monkeypatch.delenv(name)  # the harness's data was sealed with the tests' key, so the command keeps it
    monkeypatch.setenv("LIANFANG_DATABASE_URL", database_url)
    monkeypatch.chdir(Path(__file__).parent)

    def audit(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["audit", *args])
        return code, capsys.readouterr().out

    code, out = audit("--member", "蒋明")
    assert code == 0 and out.count("\n") == 1 and "蒋明\tview\tprivate" in out
    code, out = audit("--member", "王芳", "--action", "view")
    assert out.strip() == "no audit entries"
    code, out = audit("--member", "蒋明", "--csv")
    lines = out.splitlines()
    assert lines[0] == "at,actor,action,channel,target,detail" and len(lines) == 2 and ",蒋明,view,private," in lines[1]
    code, out = audit("--target", "1", "--csv")
    assert out.splitlines() == ["at,actor,action,channel,target,detail"]  # referral 1 came from a check, no target
