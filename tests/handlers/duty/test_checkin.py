"""/onduty (到岗) and /duty (值班) as people on the roster use them, including what they get wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lianfang.bot.db import session_scope
from lianfang.handlers.duty import duty_report_lines
from lianfang.handlers.duty.settings import DayLeader

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.duty.roster_files import import_file, roster


async def two_on_duty(harness: Harness, tmp_path: Path) -> tuple[Chat, Chat]:
    """Put 张伟 on the 28th's day shift and 王芳 on its night shift, 王宏武 leading."""
    await harness.member("王宏武", "coordination", "leader")
    day = await harness.member("张伟", "screening", "staff", "chaoyang")
    night = await harness.member("王芳", "screening", "staff", "dongfeng")
    path = roster(
        tmp_path, [["2020-01-28", "白班", "王宏武", "张伟", "", ""], ["2020-01-28", "夜班", "王宏武", "王芳", "", ""]]
    )
    assert import_file(harness, path).written
    return day, night


async def test_check_in_inside_the_window_once(harness: Harness, tmp_path: Path) -> None:
    day, _night = await two_on_duty(harness, tmp_path)
    harness.at("07:20")
    early = await day.say("到岗")
    assert keys_of(early) == ["duty.outside_window"]
    assert "签到时间为 07:30 至 08:15" in texts_of(early)
    harness.at("08:05")
    done = await day.say("/onduty")
    assert keys_of(done) == ["duty.checked_in"] and "签到时间 08:05" in texts_of(done)
    again = await day.say("到岗")
    assert keys_of(again) == ["duty.already"] and "您已于 08:05 到岗签到" in texts_of(again)


async def test_a_late_check_in_another_persons_shift_and_strangers_are_answered(
    harness: Harness, tmp_path: Path
) -> None:
    _admin, _leadership, _coordination = await harness.bound_org_chats()
    day, night = await two_on_duty(harness, tmp_path)
    harness.at("08:20")
    assert keys_of(await day.say("/onduty")) == ["duty.outside_window"]
    harness.at("17:45")
    assert keys_of(await day.say("/onduty 2")) == ["duty.not_yours"]
    assert keys_of(await day.say("/onduty 999999999999")) == ["duty.unknown_number"]
    assert keys_of(await day.say("/onduty abc")) == ["duty.unknown_number"]
    assert keys_of(await night.say("/onduty 2")) == ["duty.checked_in"]
    outsider = await harness.member("李明", "publicity", "staff")
    assert keys_of(await outsider.say("到岗")) == ["duty.no_shift"]
    stranger = harness.private("路人")
    assert keys_of(await stranger.say("/onduty")) == ["common.stranger"]


async def test_the_roster_view_and_the_report_lines(harness: Harness, tmp_path: Path) -> None:
    _admin, _leadership, _coordination = await harness.bound_org_chats()
    day, night = await two_on_duty(harness, tmp_path)
    harness.at("08:20")
    view = texts_of(await night.say("值班"))
    assert "【2020-01-28】值班领导：王宏武" in view
    assert "白班（08:00–18:00）：\n· 张伟 ❌ 未到岗" in view
    assert "夜班（18:00–08:00）：\n· 王芳 待到岗" in view
    assert "【2020-01-29】值班领导：未安排" in view and "白班（08:00–18:00）：未排班" in view
    assert keys_of(await night.say("/duty 明天")) == ["duty.usage"]
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        lines = duty_report_lines(ctx, ctx.today)
        assert [line.key for line in lines] == ["duty.report_line", "duty.report_missed"]
        assert lines[0].params["people"] == "张伟、王芳" and lines[1].params["people"] == "张伟"
    assert keys_of(await day.say("/onduty")) == ["duty.outside_window"]  # too late: the miss stands
    await harness.tick("15:30")
    report = texts_of(harness.chat("g-leaders"))
    assert "值班情况\n值班领导：王宏武；值班人员：张伟、王芳\n未到岗签到：张伟" in report


async def test_the_org_files_leader_of_a_day_counts_once_they_joined(harness: Harness, tmp_path: Path) -> None:
    rules = harness.org.duty.model_copy(update={"leaders": [DayLeader(date=date(2020, 1, 29), leader="邓勇")]})
    harness.app.dispatcher.org = harness.org = harness.org.model_copy(update={"duty": rules})
    _day, night = await two_on_duty(harness, tmp_path)
    assert "【2020-01-29】值班领导：未安排" in texts_of(await night.say("/duty"))
    await harness.member("邓勇", "supplies", "leader")
    assert "【2020-01-29】值班领导：邓勇" in texts_of(await night.say("/duty"))
