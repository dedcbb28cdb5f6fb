"""While a field worker is on leave, their key-person follow-ups go to another field worker of the community."""

from __future__ import annotations

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.observation.test_observation import (
    DAY1,
    DAY2,
    DAY3,
    follow_up,
    followups,
    observed,
    ours,
    tick_at,
)


async def test_follow_ups_are_handed_over_for_the_leave_days_and_both_are_told(harness: Harness) -> None:
    staff, lead, _, observation = await observed(harness)
    other = await harness.member("刘强", "screening", "staff", "dongfeng")
    elsewhere = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say(f"/leave {DAY1.isoformat()} {DAY2.isoformat()} 发热就医")
    await lead.tap("批准")
    staff.catch_up()
    await tick_at(harness, DAY1, "09:00")
    [away] = staff.unread()
    assert keys_of([away]) == ["leave.followups_away"] and "交由 刘强 代为随访" in texts_of([away])
    listed = ours(other.unread())
    assert keys_of(listed)[:2] == ["observation.list_title", "leave.followups_handed"]
    assert "王芳 请假期间交由您随访" in texts_of(listed) and "今日待随访 1 人" in texts_of(listed)
    assert ours(elsewhere.unread()) == []  # another community's worker gets nothing
    assert keys_of(await other.say("随访"))[0] == "observation.list_title"
    saved = await follow_up(other, observation.id or 0, "见到本人，无异常", "36.6")
    assert keys_of(saved)[0] == "observation.recorded"
    [done] = [f for f in followups(harness) if f.day == DAY1]
    assert done.member_id is not None and done.member_id != observation.member_id  # recorded by the stand-in
    # The second day: the list again, but the worker on leave is not told twice.
    await tick_at(harness, DAY2, "09:00")
    assert staff.unread() == [] and keys_of(ours(other.unread()))[0] == "observation.list_title"
    # Back from leave: the list is theirs again, and the stand-in's list no longer holds it.
    await tick_at(harness, DAY3, "09:00")
    assert keys_of(staff.unread())[0] == "observation.list_title" and ours(other.unread()) == []
    assert keys_of(await other.say("随访")) == ["observation.none_due"]
