"""Urgent alerts: the acknowledge button, re-sending and escalation while nobody acknowledges, double taps."""

from __future__ import annotations

from lianfang.handlers.shared.alert_settings import ALERTS
from lianfang.models.alerts import Alert, claim_escalation, due_escalations
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of
from tests.org import load_test_org

FEVER_CHECK = "/check 3栋2单元501 张三 38.2 咳嗽"


async def raise_fever_alert(harness: Harness) -> Chat:
    """Have a field worker record a fever case; return the worker's chat."""
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say(FEVER_CHECK)
    await staff.say("/skip")
    await staff.tap("无")
    await staff.tap("转诊发热门诊")
    assert keys_of(await staff.tap("提交")) == ["check.saved", "check.saved_alert", "referral.opened"]
    return staff


def only_alert(harness: Harness) -> Alert:
    with Session(harness.app.engine) as session:
        return session.exec(select(Alert)).one()


async def test_an_alert_carries_an_acknowledge_button_and_the_first_tap_wins(harness: Harness) -> None:
    admin, leadership, coordination = await harness.bound_org_chats()
    await raise_fever_alert(harness)
    alert = only_alert(harness)
    posted = leadership.unread()
    assert keys_of(posted)[0] == "alert.title" and keys_of(posted)[-1] == "alert.by"
    assert [button.value for button in posted[-1].buttons] == [f"/ack {alert.id}"]
    assert "张三" not in texts_of(posted)  # masked in the group
    private = admin.unread()
    assert "张三" in texts_of(private) and private[-1].buttons[0].value == f"/ack {alert.id}"
    coordination.catch_up()

    harness.advance(minutes=3)
    acked = await leadership.tap("✅ 确认收到")
    assert keys_of(acked) == ["alert.acked"]
    assert "龙雅俐" in texts_of(acked) and "08:03" in texts_of(acked)
    assert keys_of(coordination.unread()) == ["alert.acked"]

    again = await coordination.tap("✅ 确认收到")
    assert keys_of(again) == ["alert.already_acked"]
    assert "龙雅俐" in texts_of(again) and "08:03" in texts_of(again)
    assert leadership.unread() == []  # the double tap announced nothing
    stored = only_alert(harness)
    assert stored.acked_by is not None and stored.next_at is None


async def test_an_unacknowledged_alert_is_resent_and_escalated_once_per_round(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    await raise_fever_alert(harness)
    leadership.catch_up()
    coordination.catch_up()
    leader.catch_up()
    raised = harness.clock.now

    harness.advance(minutes=9)
    await harness.tick()
    assert leadership.unread() == [] and leader.unread() == []

    harness.clock.now = raised
    harness.advance(minutes=10)
    await harness.tick()
    await harness.tick()  # a second tick (or instance) at the same moment sends nothing more
    resent = leadership.unread()
    assert len(resent) == 1 and keys_of(resent)[0] == "alert.unacked"
    assert "张三" not in texts_of(resent) and "10 分钟" in texts_of(resent)
    assert keys_of(coordination.unread())[0] == "alert.unacked"
    escalated = leader.unread()
    assert len(escalated) == 1 and "张三" in texts_of(escalated)  # the leader sees it in full, privately

    for minutes in (20, 30, 40, 50):
        harness.clock.now = raised
        harness.advance(minutes=minutes)
        await harness.tick()
    rounds = [m for m in leadership.unread() if m.lines[0].key == "alert.unacked"]
    assert [m.lines[0].params["round"] for m in rounds] == [2, 3]  # three re-sends in all, then the bot stops
    assert only_alert(harness).escalations == 3


async def test_acknowledging_stops_the_resends(harness: Harness) -> None:
    admin, leadership, _ = await harness.bound_org_chats()
    await raise_fever_alert(harness)
    alert = only_alert(harness)
    admin.catch_up()
    assert keys_of(await admin.say(f"确认 {alert.id}")) == ["alert.acked"]
    leadership.catch_up()
    harness.advance(minutes=30)
    await harness.tick()
    assert leadership.unread() == []


async def test_who_may_acknowledge_and_what_bad_numbers_get(harness: Harness) -> None:
    _, leadership, _ = await harness.bound_org_chats()
    staff = await raise_fever_alert(harness)
    alert = only_alert(harness)
    assert keys_of(await staff.say(f"/ack {alert.id}")) == ["alert.ack_not_allowed"]
    stranger = harness.private("路人")
    assert keys_of(await stranger.say(f"/ack {alert.id}")) == ["common.stranger"]
    lead = await harness.member("周强", "screening", "group_lead")
    assert keys_of(await lead.say("/ack 999")) == ["alert.unknown"]
    assert keys_of(await lead.say("确认")) == ["alert.ack_usage"]
    leadership.catch_up()
    assert await leadership.say("确认") == []  # everyday talk in a group is not a command without a number
    assert keys_of(await lead.say(f"/ack #{alert.id}")) == ["alert.acked"]
    assert only_alert(harness).acked_at is not None


async def test_the_acknowledgement_reads_well_in_english(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    await admin.say("/lang en")
    await raise_fever_alert(harness)
    private = admin.unread()
    assert texts_of(private).startswith("⚠️ Health alert") and "张三" in texts_of(private)
    acked = await admin.tap("✅ Acknowledge")
    assert texts_of(acked).startswith("✅ Alert no.") and "龙雅俐" in texts_of(acked)


async def test_two_instances_due_at_once_resend_a_round_once(harness: Harness) -> None:
    await harness.bound_org_chats()
    await raise_fever_alert(harness)
    harness.advance(minutes=10)
    # Both instances read the alert as due before either claims the round.
    with Session(harness.app.engine) as first, Session(harness.app.engine) as second:
        seen = [due_escalations(session=s, now=harness.clock.now) for s in (first, second)]
        assert [len(alerts) for alerts in seen] == [1, 1]
        won = []
        for session, alerts in zip((first, second), seen, strict=True):
            won.append(claim_escalation(session=session, alert=alerts[0], next_at=harness.clock.now))
            session.commit()
    assert won == [True, False]
    assert only_alert(harness).escalations == 1


async def test_an_org_that_never_resends_still_raises_the_alert_once(database_url: str) -> None:
    org = load_test_org()
    never = ALERTS.of(org).model_copy(update={"max_escalations": 0})
    harness = Harness.create(database_url, org=org.model_copy(update={"alerts": never}))
    try:
        _, leadership, _ = await harness.bound_org_chats()
        await raise_fever_alert(harness)
        assert keys_of(leadership.unread())[0] == "alert.title"
        assert only_alert(harness).next_at is None
        harness.advance(minutes=30)
        await harness.tick()
        assert leadership.unread() == []  # [alerts] max_escalations = 0: the alert is sent once, never again
    finally:
        harness.app.engine.dispose()
