"""Swaps (换班): asked by command, answered by button, the roster changed only on acceptance and 综合组 told."""

from __future__ import annotations

from pathlib import Path

from lianfang.models.duty import DutyAssignment
from lianfang.models.members import Member
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import import_file, roster


def night_of_the_29th(harness: Harness) -> str:
    """Return who is on the 29th's night shift."""
    with Session(harness.app.engine) as session:
        assignment = session.exec(select(DutyAssignment).where(DutyAssignment.shift == "night")).one()
        member = session.get(Member, assignment.member_id)
        assert member is not None
        return member.name


async def test_a_swap_asked_accepted_and_announced(harness: Harness, tmp_path: Path) -> None:
    _admin, _leadership, coordination = await harness.bound_org_chats()
    zhang = await harness.member("张伟", "screening", "staff", "chaoyang")
    wang = await harness.member("王芳", "screening", "staff", "dongfeng")
    li = await harness.member("李明", "publicity", "staff")
    path = roster(tmp_path, [["2020-01-29", "夜班", "", "张伟", "", ""], ["2020-01-30", "白班", "", "王芳", "", ""]])
    assert import_file(harness, path).written

    assert keys_of(await zhang.say("/duty swap 2020-01-29 夜班 李明")) == ["duty.swap_not_on_roster"]
    assert keys_of(await zhang.say("/duty swap 2020-01-30 夜班 王芳")) == ["duty.swap_not_yours"]
    assert keys_of(await zhang.say("/duty swap 明天")) == ["duty.swap_usage"]
    assert keys_of(await zhang.say("值班 换班 明天 夜班 王芳")) == ["duty.swap_asked"]
    request = wang.unread()
    assert keys_of(request) == ["duty.swap_request"] and "张伟 请您代值 2020-01-29 夜班" in texts_of(request)
    assert keys_of(await li.say("/duty accept 1")) == ["duty.swap_unknown"]  # a forged answer
    assert night_of_the_29th(harness) == "张伟"
    assert keys_of(await wang.tap("同意")) == ["duty.swap_accepted"]
    assert keys_of(await wang.tap("同意")) == ["duty.swap_decided"]  # a double tap
    assert night_of_the_29th(harness) == "王芳"
    assert keys_of(zhang.unread()) == ["duty.swap_accepted_notice"]
    assert "【换班】2020-01-29 夜班（18:00–08:00）：张伟 → 王芳" in texts_of(coordination.unread())


async def test_a_refused_swap_changes_nothing(harness: Harness, tmp_path: Path) -> None:
    zhang = await harness.member("张伟", "screening", "staff", "chaoyang")
    wang = await harness.member("王芳", "screening", "staff", "dongfeng")
    path = roster(tmp_path, [["2020-01-29", "夜班", "", "张伟", "", ""], ["2020-01-29", "白班", "", "王芳", "", ""]])
    assert import_file(harness, path).written
    await zhang.say("/duty swap 1月29日 night 王芳")
    assert keys_of(await wang.tap("拒绝")) == ["duty.swap_refused"]
    assert keys_of(zhang.unread())[-1] == "duty.swap_refused_notice"
    assert night_of_the_29th(harness) == "张伟"
    harness.at("18:00", harness.clock().date().replace(day=29))
    assert keys_of(await zhang.say("/duty swap 今天 夜班 王芳")) == ["duty.swap_started"]
