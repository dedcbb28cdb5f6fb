"""Handover (交接班): asked as the shift ends, recorded once, given to the next shift on check-in or at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import import_file, roster


async def test_the_day_shift_hands_over_to_the_night_shift(harness: Harness, tmp_path: Path) -> None:
    zhang = await harness.member("张伟", "screening", "staff", "chaoyang")
    wang = await harness.member("王芳", "screening", "staff", "dongfeng")
    path = roster(
        tmp_path,
        [
            ["2020-01-28", "白班", "", "张伟", "", ""],
            ["2020-01-28", "夜班", "", "王芳", "", ""],
            ["2020-01-29", "白班", "", "张伟", "", ""],
        ],
    )
    harness.at("07:00")
    assert import_file(harness, path).written
    assert keys_of(await zhang.say("/duty handover 1")) == ["duty.handover_early"]
    harness.at("07:40")
    await zhang.say("到岗")
    assert keys_of(await wang.say("/duty handover 1")) == ["duty.not_yours"]
    await harness.tick("17:30")
    ask = zhang.unread()
    assert keys_of(ask) == ["duty.handover_ask"] and [b.value for b in ask[0].buttons] == [
        "/duty handover 1 nil",
        "/duty handover 1",
    ]
    wang.catch_up()
    harness.at("17:40")
    assert keys_of(await wang.say("到岗")) == ["duty.checked_in"]  # nothing handed over yet
    await zhang.tap("填写交接事项")
    await zhang.say("东风小区3栋居家观察人员夜间需电话回访")
    assert keys_of(await zhang.say("提交")) == ["duty.handover_saved"]
    assert "上一班 张伟 交接：东风小区3栋居家观察人员夜间需电话回访" in texts_of(wang.unread())
    assert keys_of(await zhang.say("/duty handover 1 nil")) == ["duty.handover_done"]

    harness.at("07:30", harness.clock().date() + timedelta(days=1))
    await harness.tick()
    await wang.tap("无新情况")
    harness.at("07:45")
    arrived = await zhang.say("到岗")
    assert keys_of(arrived) == ["duty.checked_in", "duty.handover_nil"]
    assert "上一班 王芳 交接：无新情况" in texts_of(arrived)
