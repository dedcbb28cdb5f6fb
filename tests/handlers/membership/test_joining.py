"""Joining, strangers, binding chats, language."""

from __future__ import annotations

from lianfang.models.members import ChatBinding, Identity, Member
from sqlmodel import Session, select

from tests.fakes import Harness, keys_of, texts_of


async def test_stranger_gets_how_to_join_in_their_language_and_nothing_is_stored(harness: Harness) -> None:
    zh = harness.private("路人")
    en = harness.private("Visitor", language_code="en-US")
    assert keys_of(await zh.say("你好")) == ["common.stranger"]
    answer = await en.say("/check")
    assert keys_of(answer) == ["common.stranger"]
    assert "/join" in texts_of(answer) and "invite" in texts_of(answer).lower()
    with Session(harness.app.engine) as session:
        assert session.exec(select(Member)).all() == []
        assert session.exec(select(Identity)).all() == []


async def test_join_with_invite_makes_a_member_once(harness: Harness) -> None:
    code = harness.invite("screening", "staff", "chaoyang", "张伟")
    chat = harness.private("zhangwei")
    welcome = await chat.say(f"/join {code.lower()}")
    assert keys_of(welcome)[0] == "join.welcome"
    assert "排查组" in texts_of(welcome) and "朝阳社区" in texts_of(welcome)
    assert keys_of(await chat.say(f"/join {code}")) == ["join.already"]
    other = harness.private("someone")
    assert keys_of(await other.say(f"/join {code}")) == ["join.invalid"]
    with Session(harness.app.engine) as session:
        members = session.exec(select(Member)).all()
        assert [(m.name, m.group_key, m.role, m.community) for m in members] == [
            ("张伟", "screening", "staff", "chaoyang")
        ]


async def test_bad_and_expired_invite_codes_are_refused(harness: Harness) -> None:
    chat = harness.private()
    assert keys_of(await chat.say("/join")) == ["join.usage"]
    assert keys_of(await chat.say("/join '; DROP TABLE member; --")) == ["join.invalid"]
    code = harness.invite("screening", "staff")
    harness.advance(hours=73)
    assert keys_of(await chat.say(f"/join {code}")) == ["join.invalid"]


async def test_join_in_a_group_chat_points_to_a_private_chat(harness: Harness) -> None:
    stranger = harness.private("x")
    group = harness.group("g-1", stranger)
    answer = await group.say("/join")
    assert keys_of(answer) == ["common.private_only"]
    assert [(b.value, b.private) for b in answer[0].buttons] == [("/join", True)]


async def test_admin_binds_leadership_and_group_chats(harness: Harness) -> None:
    admin = await harness.member("管理员", "coordination", "admin")
    leaders = harness.group("g-leaders", admin)
    assert keys_of(await leaders.say("/bind@lianfang_bot leadership")) == ["bind.done_leadership"]
    screening = harness.group("g-screening", admin)
    assert keys_of(await screening.say("绑定 排查组")) == ["bind.done_group"]
    assert keys_of(await screening.say("/bind nonsense")) == ["bind.usage"]
    assert keys_of(await admin.say("/bind leadership")) == ["bind.group_only"]
    with Session(harness.app.engine) as session:
        rows = session.exec(select(ChatBinding).order_by(ChatBinding.id)).all()
        assert [(b.chat_id, b.kind, b.group_key) for b in rows] == [
            ("g-leaders", "leadership", ""),
            ("g-screening", "group", "screening"),
        ]


async def test_only_admins_bind(harness: Harness) -> None:
    staff = await harness.member("张伟", "screening", "staff")
    group = harness.group("g-x", staff)
    assert keys_of(await group.say("/bind leadership")) == ["common.not_allowed"]


async def test_group_chatter_is_ignored(harness: Harness) -> None:
    admin = await harness.member("管理员", "coordination", "admin")
    group = harness.group("g-chatter", admin)
    assert await group.say("大家辛苦了") == []


async def test_lang_switches_the_members_language(harness: Harness) -> None:
    chat = await harness.member("Li", "screening", "staff")
    assert keys_of(await chat.say("/lang")) == ["lang.choose"]
    answer = await chat.tap("English")
    assert keys_of(answer) == ["lang.set"]
    assert answer[0].lang == "en"
    help_text = texts_of(await chat.say("/help"))
    assert "/check" in help_text and "排查" not in help_text.split("\n")[0]
    assert (await chat.say("/lang 中文"))[0].lang == "zh_CN"


async def test_a_member_whose_name_is_unknown_is_asked_and_shown_by_number_until_they_answer(
    harness: Harness,
) -> None:
    admin = await harness.member("龙雅俐", "coordination", "admin")
    chat = harness.private()  # no name on the invite, and the platform gave none
    joined = await chat.say(f"/join {harness.invite('stability', 'reporter')}")
    assert keys_of(joined)[0] == "name.welcome" and "name.ask" in keys_of(joined)
    assert "稳定组" in texts_of(joined) and chat.user_id not in texts_of(joined)
    with Session(harness.app.engine) as session:
        member = session.exec(select(Member).where(Member.group_key == "stability")).one()
    assert member.name_pending and member.active
    # A member already, before answering: the reminder's nil button files their report
    await harness.tick("15:00")
    assert keys_of(await chat.tap("无新情况")) == ["daily.submitted"]
    report = texts_of(await admin.say("/report"))
    assert f"报送人：成员 {member.id}（未留姓名）" in report and chat.user_id not in report
    # Asked again on /start while the name is still missing
    assert "name.ask" in keys_of(await chat.say("/start"))
    assert "form.error_empty" in keys_of(await chat.say("   "))  # blanks are no name
    saved = await chat.say("赵磊")
    assert keys_of(saved) == ["name.saved"] and "赵磊" in texts_of(saved)
    assert "报送人：赵磊" in texts_of(await admin.say("/report"))
    assert "name.ask" not in keys_of(await chat.say("/start"))
    with Session(harness.app.engine) as session:
        stored = session.get(Member, member.id)
        assert stored is not None and (stored.name, stored.name_pending) == ("赵磊", False)


async def test_a_platform_name_that_is_only_the_account_id_counts_as_none(harness: Harness) -> None:
    chat = harness.private()
    chat.name = chat.user_id.upper()
    joined = await chat.say(f"/join {harness.invite('supplies', 'reporter')}")
    assert "name.ask" in keys_of(joined)
    named = harness.private("陈静")
    assert "name.ask" not in keys_of(await named.say(f"/join {harness.invite('supplies', 'reporter')}"))
