"""Key persons under observation: start, daily lists, each follow-up status, escalations, release, loss, access."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.org import default_org_path
from lianfang.handlers.observation.followups import mark_not_done
from lianfang.handlers.observation.settings import ObservationRules
from lianfang.models.alerts import Alert
from lianfang.models.audit import ACTION_VIEW, AuditEntry
from lianfang.models.checks import CheckResult
from lianfang.models.observation import (
    CLOSE_EARLY,
    CLOSE_LOST,
    CLOSE_RELEASED,
    FOLLOWUP_MISSED,
    FOLLOWUP_NOT_DONE,
    FOLLOWUP_SEEN_OK,
    FOLLOWUP_SEEN_SYMPTOMS,
    KIND_CENTRAL,
    KIND_HOME,
    STATUS_ACTIVE,
    STATUS_CLOSED,
    STATUS_LOST,
    FollowUp,
    Observation,
    observation_figures,
    record_followup,
)
from sqlmodel import Session, col, select

from tests.fakes import TEST_DAY, Chat, Harness, keys_of, texts_of
from tests.handlers.screening.test_verification import load_list, verify_reached
from tests.org import check_test_org, load_test_org

DAY1 = TEST_DAY + timedelta(days=1)
DAY2 = TEST_DAY + timedelta(days=2)
DAY3 = TEST_DAY + timedelta(days=3)
DAY4 = TEST_DAY + timedelta(days=4)
SHORT_DAYS = 3
LOST_AFTER = 2


@pytest.fixture
async def short(database_url: str) -> AsyncIterator[Harness]:
    """Return an instance whose observations last 3 days and whose people are lost after 2 days unseen."""
    org = load_test_org()
    rules = ObservationRules(days=SHORT_DAYS, lost_after_days=LOST_AFTER)
    harness = Harness.create(database_url, org=org.model_copy(update={"observation": rules}))
    await harness.app.start()
    yield harness
    await harness.app.stop()
    harness.app.engine.dispose()


async def start_by_check(staff: Chat, line: str = "东风小区3栋201 李四 36.5 无", measure: str = "居家") -> list:
    """Record a one-line check whose measure is an observation; return the answer to submitting."""
    await staff.say(f"/check {line}")
    await staff.say("13812345678")
    await staff.say("1")
    await staff.say(measure)
    return await staff.say("提交")


async def follow_up(staff: Chat, number: int, status: str, *answers: str) -> list:
    """Open a follow-up, pick a status, give the answers, skip the notes and submit; return the answer."""
    await staff.say(f"/followup {number}")
    await staff.tap(status)
    for answer in answers:
        await staff.say(answer)
    await staff.say("/skip")
    return await staff.say("提交")


def ours(messages: list) -> list:
    """Keep the follow-up messages (a group lead also gets the daily report's reminders)."""
    return [m for m in messages if m.lines[0].key.startswith("observation.")]


def observations(harness: Harness) -> list[Observation]:
    """Return every observation as stored."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(Observation).order_by(col(Observation.id))))


def followups(harness: Harness) -> list[FollowUp]:
    """Return every follow-up as stored, by day."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(FollowUp).order_by(col(FollowUp.day), col(FollowUp.id))))


async def tick_at(harness: Harness, day: date, hhmm: str) -> list:
    """Run the scheduler at a local time on a day."""
    harness.at(hhmm, day)
    return await harness.tick()


async def team(harness: Harness) -> tuple[Chat, Chat, Chat]:
    """Return a 东风 field worker, the 排查组 lead, and the screening group chat (bound by an admin)."""
    admin = await harness.member("龙雅俐", "coordination", "admin")
    group = harness.group("g-screening", admin)
    await group.say("/bind group screening")
    group.catch_up()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    lead = await harness.member("董晓波", "screening", "group_lead")
    return staff, lead, group


async def observed(harness: Harness) -> tuple[Chat, Chat, Chat, Observation]:
    """Return the team of ``team`` and the observation a check by the field worker started today."""
    staff, lead, group = await team(harness)
    await start_by_check(staff)
    [observation] = observations(harness)
    return staff, lead, group, observation


# -- start ------------------------------------------------------------------------------------------------


async def test_a_check_with_home_observation_starts_one_for_the_recorder(harness: Harness) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    saved = await start_by_check(staff)
    assert keys_of(saved) == ["check.saved", "observation.started"]
    assert "观察至 2020-02-11" in texts_of(saved) and "09:00" in texts_of(saved)
    with Session(harness.app.engine) as session:
        check = session.exec(select(CheckResult)).one()
    [observation] = observations(harness)
    assert (observation.check_id, observation.target_id, observation.member_id) == (check.id, None, check.member_id)
    assert (observation.community, observation.kind, observation.status) == ("dongfeng", KIND_HOME, STATUS_ACTIVE)
    assert (observation.last_exposure, observation.start_on, observation.end_on) == (
        TEST_DAY,
        TEST_DAY,
        TEST_DAY + timedelta(days=14),
    )
    central = await start_by_check(staff, "东风小区5栋101 钱七 36.6 无", measure="集中")
    assert keys_of(central)[-1] == "observation.started" and observations(harness)[-1].kind == KIND_CENTRAL
    none = await start_by_check(staff, "东风小区6栋101 孙八 36.6 无", measure="无")
    assert keys_of(none) == ["check.saved"] and len(observations(harness)) == 2


async def test_a_verification_starts_from_the_arrival_date_and_only_once(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    for expected in ("observation.started", "observation.already"):
        await staff.say(f"/verify {ids['李四']}")
        await verify_reached(staff, "36.5", "无", "居家观察")
        saved = await staff.say("提交")
        assert keys_of(saved) == ["screening.verified", expected, "screening.remaining"]
    [observation] = observations(harness)
    assert observation.target_id == ids["李四"] and observation.visit_id is not None
    assert (observation.last_exposure, observation.end_on) == (date(2020, 1, 23), date(2020, 2, 6))


async def test_a_period_already_over_starts_nothing(short: Harness, tmp_path: Path) -> None:
    staff = await short.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(short, tmp_path)  # 李四 arrived 2020-01-23, five days ago; the period here is three days
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.5", "无", "集中观察")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["screening.verified", "observation.not_needed", "screening.remaining"]
    assert observations(short) == []


# -- the daily list ---------------------------------------------------------------------------------------


async def test_the_list_comes_once_at_the_followup_time_from_the_next_day(harness: Harness) -> None:
    staff, lead, _, observation = await observed(harness)
    await tick_at(harness, TEST_DAY, "09:00")
    assert staff.unread() == []  # the check itself was today's look at the person
    await tick_at(harness, DAY1, "08:59")
    assert staff.unread() == []
    await tick_at(harness, DAY1, "09:00")
    listed = staff.unread()
    assert keys_of(listed) == ["observation.list_title", "observation.line", "observation.list_hint"]
    text = texts_of(listed)
    assert "今日待随访 1 人" in text and "李*" in text and "李四" not in text and "东风小区3栋201" in text
    assert "居家观察第 1 天" in text
    assert [b.value for b in listed[0].buttons] == [f"/followup {observation.id} {DAY1.isoformat()}"]
    await tick_at(harness, DAY1, "09:00")
    harness.advance(seconds=30)
    await harness.tick()
    assert staff.unread() == [] and ours(lead.unread()) == []
    again = await staff.say("随访")
    assert keys_of(again)[0] == "observation.list_title"


async def test_the_due_list_shows_the_numbers_followup_takes(harness: Harness) -> None:
    staff, _, _ = await team(harness)
    other = await harness.member("张伟", "screening", "staff", "dongfeng")
    await start_by_check(other, "东风小区5栋101 钱七 36.6 无")  # number 1 is another worker's
    await start_by_check(staff)
    mine = observations(harness)[-1]
    assert mine.id != 1  # the only line of the list, so its list position would be 1
    await tick_at(harness, DAY1, "09:00")
    listed = staff.unread()
    text = texts_of(listed)
    assert f"第 {mine.id} 号 李*" in text and "1. " not in text
    assert [b.label.params["number"] for b in listed[0].buttons] == [mine.id]
    assert [b.value for b in listed[0].buttons] == [f"/followup {mine.id} {DAY1.isoformat()}"]
    typed = await staff.say(f"/followup {mine.id}")  # the number the list shows opens the same person
    assert keys_of(typed)[0] == "observation.card_person" and "李*" in texts_of(typed)


async def test_the_list_catches_up_within_the_grace_and_is_skipped_after(harness: Harness) -> None:
    staff, _, _ = await team(harness)
    await start_by_check(staff)
    await tick_at(harness, DAY1, "09:40")  # down at 09:00, back within the hour
    assert keys_of(staff.unread())[0] == "observation.list_title"
    await tick_at(harness, DAY2, "10:30")  # down too long: a list this late would only confuse
    assert staff.unread() == []
    assert keys_of(await staff.say("/followup"))[0] == "observation.list_title"  # still there on request


# -- each status ------------------------------------------------------------------------------------------


async def test_seen_ok_is_recorded_once_even_when_tapped_twice(harness: Harness) -> None:
    staff, lead, _, observation = await observed(harness)
    await tick_at(harness, DAY1, "09:00")
    opened = await staff.tap("1. 李*")
    assert keys_of(opened)[:3] == ["observation.card_person", "observation.card_phone", "observation.card_period"]
    assert "138****5678" in texts_of(opened) and "observation.ask_status" in keys_of(opened)
    await staff.tap("见到本人，无异常")
    await staff.say("36.6")
    await staff.say("/skip")
    saved = await staff.tap("提交")
    assert keys_of(saved) == ["observation.recorded", "observation.remaining"]
    assert "见到本人，无异常" in texts_of(saved)
    assert "observation.recorded" not in keys_of(await staff.tap("提交"))  # a double tap
    assert keys_of(await staff.say(f"/followup {observation.id}"))[-1] == "observation.already_recorded"
    [row] = followups(harness)
    assert (row.day, row.status, row.temperature, row.symptoms) == (DAY1, FOLLOWUP_SEEN_OK, 36.6, "无")
    assert keys_of(await staff.say("/followup")) == ["observation.none_due"]
    assert ours(lead.unread()) == []


async def test_two_staff_submitting_the_same_followup_record_it_once(harness: Harness) -> None:
    staff, _, _, observation = await observed(harness)
    neighbour = await harness.member("赵敏", "screening", "staff", "dongfeng")
    harness.at("10:00", DAY1)
    for chat in (staff, neighbour):  # both open the form before either submits
        await chat.say(f"/followup {observation.id}")
        await chat.tap("见到本人，无异常")
        await chat.say("36.6")
        await chat.say("/skip")
    assert keys_of(await staff.say("提交"))[0] == "observation.recorded"
    assert keys_of(await neighbour.say("提交")) == ["observation.already_recorded"]
    assert [f.member_id for f in followups(harness)] == [observation.member_id]


async def test_seen_with_symptoms_raises_the_acknowledgeable_alert(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    await start_by_check(staff)
    [observation] = observations(harness)
    harness.at("10:00", DAY2)
    saved = await follow_up(staff, observation.id, "见到本人，有症状", "38.1", "咳嗽")
    assert keys_of(saved) == ["observation.recorded", "check.saved_alert", "observation.remaining"]
    alert = texts_of(leadership.unread())
    assert alert.startswith(f"⚠️【健康监测预警】重点人员第 {observation.id} 号（观察第 2 天）")
    assert "李*" in alert and "李四" not in alert and "38.1" in alert and "咳嗽" in alert
    with Session(harness.app.engine) as session:
        raised = session.exec(select(Alert)).one()
        assert (raised.check_id, raised.visit_id, raised.acked_at) == (observation.check_id, None, None)
    assert [(f.status, f.symptoms) for f in followups(harness)] == [(FOLLOWUP_SEEN_SYMPTOMS, "咳嗽")]


async def test_a_fever_on_a_seen_fine_visit_still_alerts(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    await start_by_check(staff)
    [observation] = observations(harness)
    harness.at("10:00", DAY1)
    saved = await follow_up(staff, observation.id, "见到本人，无异常", "37.8")
    assert "check.saved_alert" in keys_of(saved)
    assert keys_of(leadership.unread())[0] == "observation.alert_title"
    assert followups(harness)[0].status == FOLLOWUP_SEEN_SYMPTOMS


async def test_missed_goes_to_the_screening_leads_at_once(harness: Harness) -> None:
    staff, lead, group, observation = await observed(harness)
    harness.at("10:00", DAY1)
    saved = await follow_up(staff, observation.id, "未见到本人")
    assert keys_of(saved) == ["observation.recorded", "observation.missed_escalated", "observation.remaining"]
    private = ours(lead.unread())
    assert keys_of(private) == ["observation.missed_title", "observation.escalation_line"]
    assert "李四" in texts_of(private) and "王芳" in texts_of(private)  # a group lead sees full data privately
    masked = texts_of(group.unread())
    assert "李*" in masked and "李四" not in masked and "东风小区3栋***" in masked
    views = [(e.actor, e.detail) for e in audit(harness) if e.action == ACTION_VIEW]
    assert views == [("董晓波", f"observation {observation.id}")]
    assert followups(harness)[0].status == FOLLOWUP_MISSED
    assert observations(harness)[0].status == STATUS_ACTIVE  # one day unseen is not yet lost


async def test_unrecorded_followups_become_not_done_at_the_escalation_time(harness: Harness) -> None:
    staff, lead, group = await team(harness)
    await start_by_check(staff)
    await start_by_check(staff, "东风小区5栋101 钱七 36.6 无")
    first, second = observations(harness)
    harness.at("10:00", DAY1)
    await follow_up(staff, second.id, "见到本人，无异常", "36.5")
    await tick_at(harness, DAY1, "14:59")
    assert ours(lead.unread()) == [] and followups(harness)[0].observation_id == second.id
    await tick_at(harness, DAY1, "15:00")
    escalation = ours(lead.unread())
    assert keys_of(escalation) == ["observation.not_done_title", "observation.escalation_line"]
    assert "1 人" in texts_of(escalation) and "李四" in texts_of(escalation)
    assert "李*" in texts_of(group.unread())
    assert sorted((f.observation_id, f.status, f.member_id) for f in followups(harness)) == [
        (first.id, FOLLOWUP_NOT_DONE, None),
        (second.id, FOLLOWUP_SEEN_OK, second.member_id),
    ]
    await tick_at(harness, DAY1, "15:00")
    await tick_at(harness, DAY1, "15:20")
    assert ours(lead.unread()) == [] and len(followups(harness)) == 2
    assert keys_of(await staff.say("/followup")) == ["observation.none_due"]


async def test_an_escalation_hours_late_marks_not_done_without_messages(harness: Harness) -> None:
    staff, lead, _ = await team(harness)
    await start_by_check(staff)
    await tick_at(harness, DAY1, "22:00")
    assert ours(lead.unread()) == [] and staff.unread() == []
    assert [f.status for f in followups(harness)] == [FOLLOWUP_NOT_DONE]


# -- the end of the period --------------------------------------------------------------------------------


async def test_the_final_check_on_the_end_date_releases(short: Harness) -> None:
    staff, _, _, observation = await observed(short)
    assert observation.end_on == DAY3
    for day in (DAY1, DAY2):
        await tick_at(short, day, "09:00")
        assert keys_of(staff.unread())[0] == "observation.list_title"
        saved = await follow_up(staff, observation.id, "见到本人，无异常", "36.5")
        assert "observation.released" not in keys_of(saved)
    await tick_at(short, DAY3, "09:00")
    final = staff.unread()
    assert [b.label.key for b in final[0].buttons] == ["observation.button_final"]
    opened = await staff.say(f"/followup {observation.id}")
    assert "observation.final_check" in keys_of(opened)
    await staff.tap("见到本人，无异常")
    await staff.say("36.4")
    await staff.say("/skip")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["observation.recorded", "observation.released", "observation.remaining"]
    [closed] = observations(short)
    assert (closed.status, closed.close_reason, closed.closed_on) == (STATUS_CLOSED, CLOSE_RELEASED, DAY3)
    await tick_at(short, DAY4, "09:00")
    await tick_at(short, DAY4, "15:00")
    assert staff.unread() == [] and len(followups(short)) == 3


async def test_a_missed_final_check_keeps_following_up(short: Harness) -> None:
    staff, _, _, observation = await observed(short)
    short.at("10:00", DAY3)
    saved = await follow_up(staff, observation.id, "见到本人，有症状", "36.8", "头痛")
    assert keys_of(saved) == ["observation.recorded", "observation.not_released", "observation.remaining"]
    await tick_at(short, DAY4, "09:00")
    assert keys_of(staff.unread())[0] == "observation.list_title"
    assert observations(short)[0].status == STATUS_ACTIVE


async def test_unseen_for_n_days_is_lost_and_escalated(short: Harness) -> None:
    staff, lead, _, observation = await observed(short)
    short.at("10:00", DAY1)
    await follow_up(staff, observation.id, "未见到本人")
    assert keys_of(ours(lead.unread()))[0] == "observation.missed_title"
    await tick_at(short, DAY2, "09:00")
    staff.catch_up()
    await tick_at(short, DAY2, "15:00")
    told = ours(lead.unread())
    assert [m.lines[0].key for m in told] == ["observation.not_done_title", "observation.lost_title"]
    assert "连续 2 天未见到本人" in texts_of(told[1:])
    [lost] = observations(short)
    assert (lost.status, lost.close_reason, lost.closed_on) == (STATUS_LOST, CLOSE_LOST, DAY2)
    await tick_at(short, DAY3, "09:00")
    await tick_at(short, DAY3, "15:00")
    assert staff.unread() == [] and ours(lead.unread()) == []
    assert keys_of(await staff.say(f"/followup {observation.id}"))[-1] == "observation.lost_state"


async def test_two_missed_days_in_a_row_mark_lost_when_recorded(short: Harness) -> None:
    staff, lead, _, observation = await observed(short)
    for day in (DAY1, DAY2):
        short.at("10:00", day)
        saved = await follow_up(staff, observation.id, "未见到本人")
    assert "observation.lost" in keys_of(saved)
    assert observations(short)[0].status == STATUS_LOST


# -- extension and early close ----------------------------------------------------------------------------


async def test_the_lead_extends_and_closes_early_with_a_reason(harness: Harness) -> None:
    staff, lead, _, observation = await observed(harness)
    extended = await lead.say(f"/extend {observation.id} 7 家属确诊")
    assert keys_of(extended) == ["observation.extended"] and "观察至 2020-02-18" in texts_of(extended)
    assert keys_of(staff.unread()) == ["observation.extended"]
    [stored] = observations(harness)
    assert stored.end_on == date(2020, 2, 18)
    assert [(e["days"], e["from"], e["to"], e["reason"]) for e in stored.extensions] == [
        (7, "2020-02-11", "2020-02-18", "家属确诊")
    ]
    number = observation.id
    for bad in ("", f"{number}", f"{number} 七 原因", f"{number} 99 原因", f"{number} 3"):
        assert keys_of(await lead.say(f"延长 {bad}")) == ["observation.extend_usage"]
    assert keys_of(await lead.say("/extend 999 3 原因")) == ["observation.unknown"]
    assert keys_of(await staff.say(f"/extend {observation.id} 3 原因")) == ["observation.manage_not_allowed"]
    assert keys_of(await lead.say(f"/release {observation.id}")) == ["observation.release_usage"]
    closed = await lead.say(f"解除观察 {observation.id} 转集中隔离点")
    assert keys_of(closed) == ["observation.closed_early"]
    [stored] = observations(harness)
    assert (stored.status, stored.close_reason, stored.close_note) == (STATUS_CLOSED, CLOSE_EARLY, "转集中隔离点")
    assert keys_of(await lead.say(f"/extend {observation.id} 3 原因")) == ["observation.not_active"]
    await tick_at(harness, DAY1, "09:00")
    staff.catch_up()
    await tick_at(harness, DAY1, "15:00")
    assert ours(lead.unread()) == [] and followups(harness) == []


# -- access -----------------------------------------------------------------------------------------------


async def test_strangers_other_communities_and_group_chats_are_refused(harness: Harness) -> None:
    staff, _, _, observation = await observed(harness)
    other = await harness.member("张伟", "screening", "staff", "chaoyang")
    for ref in (str(observation.id), "999", "abc"):
        assert keys_of(await other.say(f"/followup {ref}")) == ["observation.unknown"]
    assert "李" not in texts_of(other.messages())
    assert keys_of(await other.say("/followup")) == ["observation.none_due"]
    stranger = harness.private("路人")
    assert keys_of(await stranger.say(f"/followup {observation.id}")) == ["common.stranger"]
    group = harness.group("g-screening", staff)
    assert keys_of(await group.say(f"/followup {observation.id}")) == ["common.private_only"]
    neighbour = await harness.member("赵敏", "screening", "staff", "dongfeng")
    harness.at("10:00", DAY1)
    opened = await neighbour.say(f"/followup {observation.id}")  # the same community may stand in
    assert keys_of(opened)[0] == "observation.card_person" and "李*" in texts_of(opened)
    assert [e for e in audit(harness) if e.action == ACTION_VIEW] == []  # staff see masked data: nothing to audit


async def test_a_lead_sees_the_record_in_full_and_the_view_is_audited(harness: Harness) -> None:
    staff, lead, _, observation = await observed(harness)
    opened = await lead.say(f"/followup {observation.id}")
    assert "李四" in texts_of(opened) and "13812345678" in texts_of(opened)
    assert "observation.not_yet" in keys_of(opened)  # started today: nothing to record yet
    views = [(e.actor, e.detail) for e in audit(harness) if e.action == ACTION_VIEW]
    assert views == [("董晓波", f"observation {observation.id}")]


async def test_help_names_the_commands_for_each_role(harness: Harness) -> None:
    staff, lead, _ = await team(harness)
    staff_help = texts_of(await staff.say("/help"))
    assert "/followup" in staff_help and "/extend" not in staff_help
    assert "/extend" in texts_of(await lead.say("/help"))


# -- exactly once, figures, the org file ------------------------------------------------------------------


async def test_two_instances_recording_the_same_day_keep_the_first(harness: Harness) -> None:
    staff, _, _, observation = await observed(harness)
    assert observation.id is not None
    stamp = harness.clock.now
    with Session(harness.app.engine) as first, Session(harness.app.engine) as second:
        won = []
        for session, status in ((first, FOLLOWUP_SEEN_OK), (second, FOLLOWUP_NOT_DONE)):
            won.append(
                record_followup(
                    session=session, observation_id=observation.id, day=DAY1, now=stamp, status=status, member_id=None
                )
            )
            session.commit()
    assert won == [True, False]
    harness.at("15:00", DAY1)
    with session_scope(harness.app.engine) as session:
        assert mark_not_done(harness.app.dispatcher.context(session, harness.clock()), DAY1, notify=True) == 0
    assert [f.status for f in followups(harness)] == [FOLLOWUP_SEEN_OK]


async def test_the_report_figures(short: Harness) -> None:
    staff, _, _ = await team(short)
    await start_by_check(staff)
    await start_by_check(staff, "东风小区5栋101 钱七 36.6 无")
    await start_by_check(staff, "东风小区6栋101 孙八 36.6 无")
    first, second, third = observations(short)
    short.at("10:00", DAY1)
    await follow_up(staff, first.id, "未见到本人")
    await follow_up(staff, second.id, "见到本人，无异常", "36.5")
    await tick_at(short, DAY1, "15:00")
    with Session(short.app.engine) as session:
        start = observation_figures(session=session, day=TEST_DAY)
        day1 = observation_figures(session=session, day=DAY1)
    assert (start.under_observation, start.new) == (3, 3)
    assert (day1.under_observation, day1.new, day1.missed, day1.not_done, day1.lost) == (3, 0, 1, 1, 0)
    short.at("10:00", DAY2)
    await follow_up(staff, first.id, "未见到本人")
    await tick_at(short, DAY3, "09:00")
    staff.catch_up()
    await follow_up(staff, second.id, "见到本人，无异常", "36.5")
    with Session(short.app.engine) as session:
        day2 = observation_figures(session=session, day=DAY2)
        day3 = observation_figures(session=session, day=DAY3)
    assert (day2.lost, day2.lost_total, day2.missed) == (1, 1, 1)
    assert (day3.released, day3.under_observation, day3.lost_total) == (1, 2, 1)
    assert observations(short)[2].status == STATUS_ACTIVE and third.id is not None


def test_org_file_observation_section_defaults_and_problems(tmp_path: Path) -> None:
    org = load_test_org()
    assert (org.observation.days, org.observation.followup_time, org.observation.lost_after_days) == (14, time(9), 3)
    text = default_org_path().read_text(encoding="utf-8")
    without = tmp_path / "without.toml"
    start = text.index("[observation]")
    end = text.index("\n\n", start)
    without.write_text(text[:start] + text[end:], encoding="utf-8")
    assert load_test_org(without).observation == ObservationRules()
    late = tmp_path / "late.toml"
    late.write_text(text.replace('escalate_at = "15:00"', 'escalate_at = "16:00"'), encoding="utf-8")
    [problem] = check_test_org(late)
    line = text[: text.index('escalate_at = "15:00"')].count("\n") + 1
    assert (problem.line, problem.field) == (line, "observation.escalate_at")
    assert "before the report deadline 15:30" in problem.message
    early = tmp_path / "early.toml"
    early.write_text(text.replace('escalate_at = "15:00"', 'escalate_at = "08:00"'), encoding="utf-8")
    assert "after followup_time 09:00" in check_test_org(early)[0].message
    zero = tmp_path / "zero.toml"
    zero.write_text(text.replace("lost_after_days = 3", "lost_after_days = 0"), encoding="utf-8")
    problems = [(p.field, p.message) for p in check_test_org(zero)]
    assert problems == [("observation.lost_after_days", "must be at least 1")]


def audit(harness: Harness) -> list[AuditEntry]:
    """Return the audit log."""
    with Session(harness.app.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))


async def test_the_list_and_form_read_well_in_english(harness: Harness) -> None:
    staff = await harness.member("Wang Fang", "screening", "staff", "dongfeng", language_code="en")
    await start_by_check(staff, measure="home")
    await tick_at(harness, DAY1, "09:00")
    listed = texts_of(staff.unread())
    assert listed.startswith("🩺 Follow-ups due today: 1") and "home observation, day 1" in listed
    opened = await staff.tap("1. 李*")
    assert "How was today's follow-up?" in texts_of(opened)
    await staff.tap("Seen, all well")
    await staff.say("36.5")
    await staff.say("/skip")
    saved = texts_of(await staff.say("submit"))
    assert "recorded: Seen, all well." in saved


async def test_symptoms_of_a_ledger_person_alert_on_the_starting_visit(harness: Harness, tmp_path: Path) -> None:
    await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['王五']}")
    await verify_reached(staff, "36.5", "无", "居家观察")
    await staff.say("提交")
    [observation] = observations(harness)
    harness.at("10:00", DAY1)
    await follow_up(staff, observation.id, "见到本人，有症状", "37.0", "乏力")
    with Session(harness.app.engine) as session:
        raised = session.exec(select(Alert)).one()
    assert (raised.visit_id, raised.check_id) == (observation.visit_id, None)
    assert "139****5678" in texts_of([m for m in harness.chat("g-leaders")])


async def test_a_responsible_lead_gets_the_list_in_full_and_audited(harness: Harness) -> None:
    lead = await harness.member("刘组长", "screening", "group_lead", "dongfeng")
    await start_by_check(lead)
    [observation] = observations(harness)
    await tick_at(harness, DAY1, "09:00")
    listed = ours(lead.unread())
    assert "李四" in texts_of(listed)
    views = [(e.actor, e.detail) for e in audit(harness) if e.action == ACTION_VIEW]
    assert views == [("刘组长", f"observation {observation.id}")]


async def test_followup_with_free_text_answers_what_it_says(harness: Harness) -> None:
    staff, _, _, observation = await observed(harness)
    harness.at("10:00", DAY1)
    opened = await staff.say(f"/followup {observation.id} 体温37.8 有点咳 嗓子疼")
    assert keys_of(opened)[-2] == "observation.ask_notes"  # seen with symptoms, temperature and symptoms understood
    await staff.say("/skip")
    saved = await staff.say("提交")
    assert "observation.recorded" in keys_of(saved)  # after the alert a fever raises
    [row] = followups(harness)
    assert (row.status, row.temperature, row.symptoms) == (FOLLOWUP_SEEN_SYMPTOMS, 37.8, "咳嗽、咽痛")
