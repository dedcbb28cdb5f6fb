"""No personal data in group chats: masked alert cards, free text kept private, the outbox guard, audited views."""

from __future__ import annotations

from typing import Any

import pytest
from lianfang.bot.db import session_scope
from lianfang.bot.privacy import PersonalData, inspect
from lianfang.bot.types import (
    SUBJECT_CHECK,
    SUBJECT_REFERRAL,
    Button,
    ChatRef,
    Document,
    OutgoingMessage,
    Text,
)
from lianfang.models.audit import AuditEntry
from lianfang.models.outbox import REASON_PRIVACY, STATUS_FAILED, FailureKind, OutboxMessage
from sqlmodel import Session, col, select

from tests.fakes import Harness, keys_of, texts_of
from tests.handlers.alerts.test_alerts import raise_fever_alert
from tests.handlers.referrals.test_referrals import refer_by_check
from tests.privacy_scan import leaks, load_persons

CN = PersonalData("欧阳娜娜", "朝阳新村3栋2单元502", "13812345678", "430102199001011234")
EN = PersonalData("Zhang San", "Room 501, Bldg 3, Sunshine Garden", "0731-84512345")
GROUP = ChatRef("memory", "g-leaders")
ZW = "\u200b"

HOSTILE = [
    # names, split or dressed up
    "人员：欧阳娜娜",
    f"人员：欧{ZW}阳娜娜",
    "人员：欧阳\u200d娜娜",
    "人员：欧 阳 娜 娜",
    "人员：欧\ufeff阳娜\u2060娜",
    "人员：欧阳娜\u200c娜",
    "人员：欧阳·娜娜",
    "人员：欧阳\u202e娜娜",
    "Person: Zhang San",
    "Person: ZHANG SAN",
    f"Person: Zhang{ZW}San",
    "Person: Ｚｈａｎｇ Ｓａｎ",
    "Person: zhang-san",
    # phones, the subject's and anyone's
    "电话13812345678",
    "电话 138 1234 5678",
    "电话 138-1234-5678",
    "电话 138.1234.5678",
    "电话 +86 13812345678",
    "电话 +86-138-1234-5678",
    "电话 0086 13812345678",
    "电话 １３８１２３４５６７８",
    "电话 1 3 8 1 2 3 4 5 6 7 8",
    "电话 一三八一二三四五六七八",
    f"电话 138{ZW}1234{ZW}5678",
    "电话 (138)12345678",
    "家属孙八13700002222也发热",
    "座机 0731-84512345",
    "座机 8451 2345",
    # ID numbers, the subject's and anyone's
    "身份证430102199001011234",
    "身份证 4301 0219 9001 0112 34",
    "身份证 430102-19900101-1234",
    "身份证 ４３０１０２１９９００１０１１２３４",
    "患者王五身份证43010219900101123X",
    "老身份证 430102900101123",
    "老身份证 430102 900101 123",
    f"身份证 4301{ZW}0219{ZW}9001{ZW}0112{ZW}34",
    # addresses beyond the building
    "朝阳新村3栋2单元502",
    "朝阳新村3栋 2单元 502",
    "３栋２单元５０２",
    "住 2单元502",
    "朝阳新村3栋2单元五零二",
    f"朝阳新村3栋2单元{ZW}502",
    "住 2 单元 502",
    "幸福里5栋301室",
    "Room 501, Bldg 3",
    "room 501",
    "ROOM#501",
    f"Room{ZW}501",
    "Flat 501, Bldg 3",
    "Apt. 12, Sunshine Garden",
]


def message(*lines: Text, buttons: tuple[Button, ...] = ()) -> OutgoingMessage:
    return OutgoingMessage(GROUP, lines, "zh_CN", buttons, subjects=((SUBJECT_CHECK, 1),))


def test_fifty_hostile_variants_are_all_blocked() -> None:
    assert len(HOSTILE) == 50
    for variant in HOSTILE:
        assert inspect(message(Text.raw(variant)), [CN, EN]), variant


@pytest.mark.parametrize(
    "carrier",
    [
        lambda value: message(Text("alert.person", {"person": value, "community": "朝阳社区", "address": "3栋***"})),
        lambda value: message(Text("alert.history", {"history": Text.raw(value)})),
        lambda value: message(Text("alert.title", {"number": 1}), buttons=(Button(Text.raw(value), "/ack 1"),)),
        lambda value: message(Text("alert.title", {"number": 1}), buttons=(Button(Text("alert.ack_button"), value),)),
        lambda value: message(Text.bilingual("朝阳", value)),
    ],
)
def test_the_guard_reads_parameters_nested_text_and_buttons(carrier: Any) -> None:
    assert inspect(carrier("欧阳娜娜"), [CN])
    assert inspect(carrier("138 1234 5678"), [])


def test_masked_lines_and_everyday_numbers_pass() -> None:
    ordinary = [
        "人员：欧***，朝阳社区 朝阳新村3栋***",
        "电话：138****5678",
        "身份证：4301**********1234",
        "Bldg 3 ***, Sunshine Garden",
        "今日核查126户，发现发热0人，截至 2020-01-28 15:30",
        "居家观察第 3 天，至 2020-02-11；最后接触 2020-01-28 2020-01-29",
    ]
    for line in ordinary:
        assert inspect(message(Text.raw(line)), [CN, EN]) == [], line


def test_the_guard_reads_the_words_a_document_carries() -> None:
    report = Document("日报.docx", 10, "application/octet-stream", text="排查组：户主 欧阳娜娜 138 1234 5678")
    found = inspect(OutgoingMessage(GROUP, (Text.raw("📎"),), "zh_CN", document=report), [CN])
    assert found == ["mobile pattern", "name", "phone"]
    kept = OutgoingMessage.from_json(GROUP, OutgoingMessage(GROUP, (), "zh_CN", document=report).to_json())
    assert kept.document is not None and kept.document.text == report.text
    assert inspect(message(Text.raw("📎")), [CN]) == []


def test_subjects_survive_the_outbox_payload() -> None:
    original = OutgoingMessage(GROUP, (Text.raw("x"),), "zh_CN", subjects=((SUBJECT_REFERRAL, 3),))
    assert OutgoingMessage.from_json(GROUP, original.to_json()).subjects == ((SUBJECT_REFERRAL, 3),)
    private = OutgoingMessage(GROUP, (Text.raw("x"),), "zh_CN", private=True)
    assert OutgoingMessage.from_json(GROUP, private.to_json()).private


async def test_a_leaking_group_message_is_kept_and_only_its_number_told_to_the_admins(harness: Harness) -> None:
    admin, leadership, _ = await harness.bound_org_chats()
    await raise_fever_alert(harness)
    leadership.catch_up()
    admin.catch_up()
    with session_scope(harness.app.engine) as session:
        ctx = harness.app.dispatcher.context(session, harness.clock())
        ctx.send(GROUP, [Text.raw("张 三 在家")], "zh_CN", subjects=[(SUBJECT_CHECK, 1)])
    await harness.app.drain()
    assert leadership.unread() == []
    told = admin.unread()
    assert keys_of(told) == ["privacy.blocked"] and "张" not in texts_of(told)
    with Session(harness.app.engine) as session:
        newest_first = col(OutboxMessage.id).desc()  # without an order, PostgreSQL may return any row first
        kept = session.exec(
            select(OutboxMessage).where(OutboxMessage.chat_id == GROUP.chat_id).order_by(newest_first)
        ).first()
        assert kept is not None
    assert (kept.status, kept.error, kept.failure_kind) == (STATUS_FAILED, REASON_PRIVACY, FailureKind.PRIVACY)
    assert told[0].lines[0].params["number"] == kept.id


async def test_a_referral_result_alert_masks_the_address_in_groups_and_re_sends(harness: Harness) -> None:
    _, leadership, coordination = await harness.bound_org_chats()
    staff = await refer_by_check(harness)
    await staff.say("/referral 1 到达")
    leadership.catch_up()
    await staff.say("/referral 1 疑似")
    posted = texts_of(leadership.unread()) + texts_of(coordination.unread())
    assert "朝阳新村3栋***" in posted or "3栋***" in posted
    assert "2单元" not in posted and "501" not in posted
    harness.advance(minutes=10)
    await harness.tick()
    resent = texts_of(leadership.unread())
    assert "3栋***" in resent and "2单元" not in resent and "501" not in resent


async def test_groups_get_symptom_words_and_the_history_category_never_free_text(harness: Harness) -> None:
    admin, leadership, _ = await harness.bound_org_chats()
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check 3栋2单元501 张三 37.9")
    await staff.say("/skip")
    await staff.say("咳嗽、家属孙八13700002222也发热")
    await staff.say("与确诊病例吴十（身份证430102199001011234）同住")
    await staff.tap("居家观察")
    await staff.tap("提交")
    group = texts_of(leadership.unread())
    assert "咳嗽" in group and "见私聊" in group and "确诊/疑似病例接触史" in group
    for secret in ("孙八", "13700002222", "吴十", "4301", "1234"):
        assert secret not in group, secret
    private = texts_of(admin.unread())
    assert "孙八" in private and "吴十" in private  # the full copy keeps the text


async def test_full_alert_copies_and_escalations_are_audited(harness: Harness) -> None:
    admin, _, _ = await harness.bound_org_chats()
    leader = await harness.member("王宏武", "coordination", "leader")
    await raise_fever_alert(harness)
    harness.advance(minutes=10)
    await harness.tick()
    assert "张三" in texts_of(leader.unread())
    with Session(harness.app.engine) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    viewers = [(entry.actor, entry.detail) for entry in entries if entry.detail.startswith("alert ")]
    assert ("龙雅俐", "alert 1") in viewers  # the admin's full copy when raised
    assert viewers.count(("王宏武", "alert 1")) == 2  # the leader's, raised and escalated


async def test_the_group_scan_finds_a_leak(harness: Harness) -> None:
    await harness.bound_org_chats()
    await raise_fever_alert(harness)
    persons, members = load_persons(str(harness.app.engine.url.render_as_string(hide_password=False)))
    assert leaks(["人员：张三，3栋2单元501"], persons, members)
    assert leaks([f"人员：张{ZW}三"], persons, members)
    assert not leaks(["人员：张*，3栋***；登记人：张伟"], persons, members)
