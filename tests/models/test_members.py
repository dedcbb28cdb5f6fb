"""Members leave and come back: deactivation, reactivation, relinking, invite codes in groups, /members."""

from __future__ import annotations

from lianfang.models.audit import AuditEntry
from lianfang.models.drafts import Draft
from lianfang.models.members import Identity, Invite, Member
from sqlmodel import Session, select

from tests.fakes import Chat, Harness, keys_of, texts_of


def audit_actions(harness: Harness) -> list[tuple[str, str, str]]:
    """Return (action, channel, detail) of every audit entry, oldest first."""
    with Session(harness.app.engine) as session:
        return [(e.action, e.channel, e.detail) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def member_id(harness: Harness, name: str) -> int:
    """Return the id of the member with this name."""
    with Session(harness.app.engine) as session:
        member = session.exec(select(Member).where(Member.name == name)).one()
        assert member.id is not None
        return member.id


async def deactivate(admin: Chat, number: int, reason: str) -> list[str]:
    """Deactivate a member through the /members buttons, giving a reason; return the keys of the last answer."""
    card = await admin.say(f"/members {number}")
    assert keys_of(card) == ["members.line"]
    asked = await admin.tap("停用")
    assert keys_of(asked)[:2] == ["members.deactivate_lead", "members.ask_reason"]
    await admin.say(reason)
    return keys_of(await admin.say("提交"))


# -- invite codes never reach a group ----------------------------------------------------------------------


async def test_join_in_a_group_voids_the_code_and_never_repeats_it(harness: Harness) -> None:
    code = harness.invite("coordination", "admin", name="龙雅俐")
    stranger = harness.private("x")
    group = harness.group("g-1", stranger)
    answer = await group.say(f"/join {code}")
    assert keys_of(answer) == ["join.voided"]
    shown = texts_of(answer) + " ".join(b.value for m in answer for b in m.buttons)
    assert code not in shown and code.lower() not in shown
    assert [(b.value, b.private) for b in answer[0].buttons] == [("/join", True)]
    # The code is dead: neither the sender nor whoever saw it in the group can use it.
    assert keys_of(await stranger.say(f"/join {code}")) == ["join.invalid"]
    assert keys_of(await harness.private("onlooker").say(f"/start join_{code}")) == ["join.invalid"]
    assert [(action, channel) for action, channel, _ in audit_actions(harness)][-1] == ("revoke", "group")


async def test_a_member_who_posts_a_code_in_a_group_is_told_privately(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    code = harness.invite("screening", "staff", name="张伟")
    group = harness.group("g-1", admin)
    assert await group.say(f"加入 {code}") == []
    private = admin.unread()
    assert keys_of(private) == ["join.voided"] and code not in texts_of(private)
    assert keys_of(await harness.private("张伟").say(f"/join {code}")) == ["join.invalid"]


async def test_private_only_redirect_opens_the_bare_command(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    group = harness.group("g-1", staff)
    answer = await group.say("/check 13812345678")
    assert keys_of(answer) == ["common.private_only"]
    assert [(b.value, b.private) for b in answer[0].buttons] == [("/check", True)]
    assert "13812345678" not in texts_of(answer)


async def test_full_width_spaced_and_lower_case_codes_are_accepted(harness: Harness) -> None:
    code = harness.invite("screening", "staff", name="张伟")
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())
    typed = f"{full_width[:4]}　{full_width[4:]}"  # an ideographic space in the middle, as a Chinese keyboard types
    assert keys_of(await harness.private("张伟").say(f"/join {typed}"))[0] == "join.welcome"
    other = harness.invite("screening", "staff", name="李四")
    assert keys_of(await harness.private("李四").say(f"/start join_{other[:4]}-{other[4:].lower()}"))[0] == (
        "join.welcome"
    )


# -- deactivation ------------------------------------------------------------------------------------------


async def test_deactivated_member_is_a_stranger_and_loses_their_draft(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await staff.say("/check")  # a form in progress
    assert await deactivate(admin, member_id(harness, "张伟"), "调离岗位") == ["members.deactivated"]
    assert keys_of(await staff.say("3栋2单元501")) == ["common.stranger"]
    assert keys_of(await staff.say("/check")) == ["common.stranger"]
    with Session(harness.app.engine) as session:
        assert session.exec(select(Draft)).all() == []
        member = session.get(Member, member_id(harness, "张伟"))
        assert member is not None and (member.active, member.deactivation_reason) == (False, "调离岗位")
    assert ("deactivate", "private") in [(a, c) for a, c, _ in audit_actions(harness)]
    assert "调离岗位" in audit_actions(harness)[-1][2]


async def test_reporter_duties_fall_to_the_group_lead_and_no_reminder_reaches_the_deactivated(
    harness: Harness,
) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    reporter = await harness.member("周强", "screening", "reporter")
    lead = await harness.member("王组长", "screening", "group_lead")
    await deactivate(admin, member_id(harness, "周强"), "病休")
    await harness.tick("15:00")
    assert reporter.unread() == []
    assert keys_of(lead.unread()) == ["reminder.title", "reminder.text"]
    assert keys_of(await lead.say("/daily nil")) == ["daily.submitted"]


async def test_reactivated_member_is_back_with_their_account(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    number = member_id(harness, "张伟")
    assert keys_of(await admin.say(f"/members {number} 停用 请假")) == ["members.deactivated"]
    assert keys_of(await admin.say("/members 已停用"))[:2] == ["members.title_inactive", "members.line_inactive"]
    await admin.tap("张伟")
    assert keys_of(await admin.tap("恢复")) == ["members.reactivated"]
    assert keys_of(await staff.say("/help"))[0] == "help.title"
    assert keys_of(await admin.say(f"/members {number} reactivate")) == ["members.already_active"]
    assert [a for a, _, _ in audit_actions(harness)][-2:] == ["deactivate", "reactivate"]


async def test_members_refuses_bad_input_clearly(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    staff = await harness.member("张伟", "screening", "staff")
    await harness.member("张伟", "publicity", "staff")
    number = member_id(harness, "龙雅俐")
    assert keys_of(await staff.say("/members")) == ["common.not_allowed"]
    assert keys_of(await admin.say(f"/members {number} deactivate 测试")) == ["members.not_self"]
    assert keys_of(await admin.say("/members 99999999999999999999")) == ["members.not_found"]
    assert keys_of(await admin.say("/members 张伟"))[0] == "members.ambiguous"
    assert keys_of(await admin.say(f"/members {number} frobnicate")) == ["members.usage"]
    listing = await admin.say("成员")
    assert keys_of(listing)[0] == "members.title" and "3 人" in texts_of(listing)
    group = harness.group("g-admin", admin)
    answer = await group.say(f"/members {number} relink")
    assert [(b.value, b.private) for b in answer[0].buttons] == [("/members", True)]


# -- relinking ---------------------------------------------------------------------------------------------


async def test_relink_moves_a_member_to_a_new_account_and_unlinks_the_old(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    old_phone = await harness.member("张伟", "screening", "staff", "chaoyang")
    number = member_id(harness, "张伟")
    await admin.say(f"/members {number}")
    answer = await admin.tap("换绑新账号")
    assert keys_of(answer) == ["members.relink_code"]
    code = answer[0].lines[0].params["code"]
    assert keys_of(await old_phone.say("/help")) == ["common.stranger"]  # shut out at once
    new_phone = harness.private("Zhang Wei")
    assert keys_of(await new_phone.say(f"/join {code}"))[0] == "join.relinked"
    assert keys_of(await new_phone.say("/help"))[0] == "help.title"
    with Session(harness.app.engine) as session:
        assert [m.name for m in session.exec(select(Member).where(Member.name == "张伟"))] == ["张伟"]
        assert [i.user_id for i in session.exec(select(Identity).where(Identity.member_id == number))] == [
            new_phone.user_id
        ]
    assert keys_of(await harness.private().say(f"/join {code}")) == ["join.invalid"]
    assert [a for a, _, _ in audit_actions(harness)][-2:] == ["relink", "join"]


async def test_a_deactivated_persons_account_can_join_again_with_a_new_invite(harness: Harness) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    staff = await harness.member("张伟", "screening", "staff", "chaoyang")
    await admin.say(f"/members {member_id(harness, '张伟')} 停用 调岗")
    code = harness.invite("publicity", "staff", name="张伟(宣传)")
    assert keys_of(await staff.say(f"/join {code}"))[0] == "join.welcome"
    with Session(harness.app.engine) as session:
        invite = session.exec(select(Invite).where(Invite.code == code)).one()
        member = session.get(Member, invite.member_id)
        assert member is not None and member.group_key == "publicity" and member.active
