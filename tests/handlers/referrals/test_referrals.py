"""Fever-clinic referrals: opened by a check or a visit, stepped through in order, alerts on results, chasing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from lianfang.models.alerts import Alert
from lianfang.models.audit import AuditEntry
from lianfang.models.referrals import STATUS_CLOSED, Referral, ReferralStep, claim_chase, stale_referrals
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.handlers.screening.test_verification import load_list, verify_reached


async def refer_by_check(harness: Harness, name: str = "张伟", community: str = "chaoyang") -> Chat:
    """Have a field worker record a check that sends 张三 to the fever clinic; return the worker's chat."""
    staff = await harness.member(name, "screening", "staff", community)
    await staff.say("/check 3栋2单元501 张三 36.8 无")
    await staff.say("13812345678")
    await staff.tap("无")
    await staff.tap("转诊发热门诊")
    saved = await staff.tap("提交")
    assert keys_of(saved) == ["check.saved", "referral.opened"]
    assert "/referral 1" in texts_of(saved)
    return staff


def referral(harness: Harness) -> Referral:
    with Session(harness.app.engine) as session:
        return session.exec(select(Referral)).one()


async def test_a_referral_goes_step_by_step_to_closed_and_results_alert_at_once(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await refer_by_check(harness)
    listed = await staff.say("/referral")
    assert keys_of(listed) == ["referral.list_title", "referral.list_line"]
    assert "张*" in texts_of(listed) and "张三" not in texts_of(listed)  # staff do not see full names
    shown = await staff.tap("1. 张*")
    assert keys_of(shown)[0] == "referral.card_title" and "138****5678" in texts_of(shown)
    assert keys_of(shown)[-1] == "referral.step_line" and "张伟" in texts_of(shown)

    harness.advance(minutes=40)
    arrived = await staff.tap("已到达发热门诊")
    assert keys_of(arrived) == ["referral.recorded"]
    assert [button.value for button in arrived[-1].buttons] == [
        "/referral 1 excluded",
        "/referral 1 suspected",
        "/referral 1 confirmed",
    ]
    leadership.catch_up()
    suspected = await staff.tap("疑似")
    assert keys_of(suspected) == ["referral.recorded"]
    alert = leadership.unread()
    assert keys_of(alert)[0] == "referral.alert_title" and "疑似" in texts_of(alert)
    assert "张三" not in texts_of(alert) and alert[-1].buttons[0].value.startswith("/ack ")
    await staff.tap("排除")
    closed = await staff.tap("结案")
    assert keys_of(closed) == ["referral.recorded"] and closed[-1].buttons == ()
    assert keys_of(await staff.say("/referral")) == ["referral.none"]
    with Session(harness.app.engine) as session:
        steps = session.exec(select(ReferralStep).order_by(ReferralStep.id)).all()
        assert [step.status for step in steps] == ["referred", "arrived", "suspected", "excluded", "closed"]
        assert session.exec(select(Alert)).one().acked_at is None
    assert referral(harness).status == STATUS_CLOSED


async def test_steps_out_of_order_and_double_taps_change_nothing(harness: Harness) -> None:
    staff = await refer_by_check(harness)
    refused = await staff.say("/referral 1 结案")
    assert keys_of(refused) == ["referral.not_now"]
    assert [button.value for button in refused[-1].buttons] == ["/referral 1 arrived"]
    await staff.say("/referral 1 到达")
    again = await staff.say("/referral 1 arrived")  # the same button tapped twice
    assert keys_of(again) == ["referral.not_now"] and "已到达发热门诊" in texts_of(again)
    assert keys_of(await staff.say("/referral 1 飞")) == ["referral.bad_step"]
    assert keys_of(await staff.say("/referral 99")) == ["referral.unknown"]
    assert keys_of(await staff.say("/referral 一")) == ["referral.unknown"]
    with Session(harness.app.engine) as session:
        assert len(session.exec(select(ReferralStep)).all()) == 2


async def test_other_communities_and_strangers_see_nothing_and_leads_see_all_in_full(harness: Harness) -> None:
    await refer_by_check(harness)
    elsewhere = await harness.member("王芳", "screening", "staff", "dongfeng")
    assert keys_of(await elsewhere.say("/referral")) == ["referral.none"]
    assert keys_of(await elsewhere.say("/referral 1 到达")) == ["referral.unknown"]
    stranger = harness.private("路人")
    assert keys_of(await stranger.say("/referral 1")) == ["common.stranger"]
    lead = await harness.member("周强", "screening", "group_lead")
    shown = await lead.say("/referral 1")
    assert "张三" in texts_of(shown) and "13812345678" in texts_of(shown)
    with Session(harness.app.engine) as session:
        entry = session.exec(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.detail) == ("周强", "view", "referral 1")
    assert referral(harness).status == "referred"


async def test_a_stale_referral_is_chased_once_per_period(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    screening_chat = harness.group("g-screening", admin)
    await screening_chat.say("/bind group screening")
    screening_chat.catch_up()
    staff = await refer_by_check(harness)
    opened = harness.clock.now

    harness.advance(hours=3, minutes=59)
    await harness.tick()
    assert staff.unread() == []
    harness.clock.now = opened
    harness.advance(hours=4)
    await harness.tick()
    await harness.tick()
    chased = staff.unread()
    # field staff see the masked name, as their /referral N shows it
    assert keys_of(chased) == ["referral.chase"] and "张*" in texts_of(chased) and "张三" not in texts_of(chased)
    assert chased[-1].buttons[0].value == "/referral 1 arrived"
    group = screening_chat.unread()
    assert keys_of(group) == ["referral.chase_group"] and "张*" in texts_of(group) and "张三" not in texts_of(group)

    harness.advance(hours=2)
    await harness.tick()
    assert staff.unread() == []
    await staff.say("/referral 1 到达")
    staff.catch_up()
    harness.advance(hours=3)
    await harness.tick()
    assert staff.unread() == []  # the step restarted the clock
    harness.advance(hours=1)
    await harness.tick()
    assert keys_of(staff.unread()) == ["referral.chase"]


async def test_a_ledger_visit_that_refers_opens_a_linked_referral(harness: Harness, tmp_path: Path) -> None:
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.6", "无", "转诊发热门诊")
    saved = await staff.say("提交")
    assert keys_of(saved) == ["screening.verified", "referral.opened", "screening.remaining"]
    opened = referral(harness)
    assert (opened.target_id, opened.person, opened.community) == (ids["李四"], "李四", "dongfeng")
    assert opened.visit_id is not None and opened.check_id is None


async def test_referral_chasers_wait_for_the_end_of_the_quiet_hours(harness: Harness) -> None:
    harness.at("20:01")
    staff = await refer_by_check(harness)
    staff.catch_up()
    # stale from 00:01 on: once at 07:00, not at 00:01 and 04:01
    for hhmm in ("00:01", "04:01", "06:59"):
        harness.at(hhmm, harness.clock.now.date() + timedelta(days=hhmm == "00:01"))
        await harness.tick()
        assert staff.unread() == [], hhmm
    harness.at("07:00")
    await harness.tick()
    assert keys_of(staff.unread()) == ["referral.chase"]
    harness.advance(minutes=1)
    await harness.tick()
    assert staff.unread() == []


async def test_two_instances_chasing_at_once_chase_once(harness: Harness) -> None:
    await refer_by_check(harness)
    harness.advance(hours=5)
    before = harness.clock.now - timedelta(hours=4)
    with Session(harness.app.engine) as first, Session(harness.app.engine) as second:
        seen = [stale_referrals(session=s, before=before) for s in (first, second)]
        assert [len(found) for found in seen] == [1, 1]
        won = []
        for session, found in zip((first, second), seen, strict=True):
            won.append(claim_chase(session=session, referral=found[0], now=harness.clock.now))
            session.commit()
    assert won == [True, False]


async def test_the_merged_report_counts_the_ledger_and_referrals(harness: Harness, tmp_path: Path) -> None:
    admin, _, _ = await harness.bound_org_chats()
    staff = await harness.member("王芳", "screening", "staff", "dongfeng")
    ids = load_list(harness, tmp_path)
    await staff.say(f"/verify {ids['李四']}")
    await verify_reached(staff, "36.6", "无", "转诊发热门诊")
    await staff.say("提交")
    await staff.say("/referral 1 到达")
    await staff.say("/referral 1 疑似")
    report = await admin.say("/report")
    figures = {m.lines[i].key: m.lines[i].params for m in report for i in range(len(m.lines))}
    assert figures["report.figures_ledger"] == {"today": 1, "visited": 1, "verified": 1, "total": 3, "coverage": 33}
    referrals = figures["report.figures_referrals"]
    assert (referrals["suspected"], referrals["referred"], referrals["closed"]) == (1, 0, 0)
    assert figures["report.figures_alerts"]["referrals"] == 1
    text = texts_of(report)
    assert "累计已核查 1 人，共 3 人（覆盖 33%）" in text and "疑似 1 人" in text
